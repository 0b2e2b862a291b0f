"""Centralized observation sites (集中医学观察点): the list of the user's sites with their
occupancy, setting a site up, and a site's page: its rooms as a grid coloured by status with
who is in each (day N of M), adding rooms, marking a cleaned room free, the staff on site.

Sites and rooms are looked up through `visible_to(request.user)`: another town's site is a
404. The people in the rooms come through `QuarantineOrder.objects.visible_to` too: a room
holding someone the user may not see shows as occupied, without a name.
"""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.core.audit import Actor
from fangyi.quarantine import services
from fangyi.quarantine.models import (
    RUNNING,
    ObservationSite,
    QuarantineOrder,
    Room,
    RoomStatus,
)
from fangyi.quarantine.site_forms import AddRoomsForm, SiteForm, SiteStaffForm

VIEW = "quarantine.view_observationsite"
ADD = "quarantine.add_observationsite"
CHANGE = "quarantine.change_observationsite"


def _visible_site(request: HttpRequest, pk: int) -> ObservationSite:
    return get_object_or_404(
        ObservationSite.objects.visible_to(request.user).select_related("town"), pk=pk
    )


def _as_validation_error(error: Exception) -> ValidationError:
    if isinstance(error, ValidationError):
        return error
    return ValidationError(str(error.args[0]) if error.args else _("not allowed"))


def _occupancy(rooms) -> dict:
    """Room counts by status and beds left (capacity − occupants of rooms not being cleaned),
    as aggregate expressions over `rooms` (a path to Room, "" for Room itself)."""
    prefix = f"{rooms}__" if rooms else ""

    def status_is(status: str) -> Q:
        return Q(**{f"{prefix}status": status})

    count = f"{rooms}" if rooms else "pk"
    return {
        "rooms_total": Count(count),
        "rooms_free": Count(count, filter=status_is(RoomStatus.FREE)),
        "rooms_occupied": Count(count, filter=status_is(RoomStatus.OCCUPIED)),
        "rooms_cleaning": Count(count, filter=status_is(RoomStatus.CLEANING)),
        "people": Coalesce(Sum(f"{prefix}occupants"), 0),
        "beds_left": Coalesce(
            Sum(
                F(f"{prefix}capacity") - F(f"{prefix}occupants"),
                filter=~status_is(RoomStatus.CLEANING),
            ),
            0,
        ),
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def site_list(request: HttpRequest) -> HttpResponse:
    sites = (
        ObservationSite.objects.visible_to(request.user)
        .select_related("town")
        .annotate(**_occupancy("rooms"))
        .prefetch_related("staff")
        .order_by("town_id", "name", "pk")
    )
    page = Paginator(sites, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    totals = Room.objects.visible_to(request.user).aggregate(**_occupancy(""))
    context = {
        "page": page,
        "totals": totals,
        "many_towns": len(request.user.jurisdiction_id or "") < 9,
        "can_add": request.user.has_perm(ADD),
    }
    return render(request, "quarantine/site_list.html", context)


@login_required
@permission_required(ADD, raise_exception=True)
def site_create(request: HttpRequest) -> HttpResponse:
    form = SiteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        town = values.pop("town")
        try:
            site = services.create_site(Actor.from_request(request), town, **values)
        except (ValidationError, PermissionDenied) as error:
            form.add_service_errors(_as_validation_error(error))
        else:
            messages.success(
                request,
                _("Site %(name)s is set up with %(rooms)s rooms.")
                % {"name": site.name, "rooms": site.rooms.count()},
            )
            return redirect("quarantine:site", pk=site.pk)
    return render(request, "quarantine/site_form.html", {"form": form})


# The room grid ---------------------------------------------------------------------------------


@dataclass
class Occupant:
    name: str
    external_id: str
    day: int
    days: int
    due: bool  # the period is over: due for release


@dataclass
class RoomTile:
    room: Room
    occupants: list[Occupant] = field(default_factory=list)
    unseen: int = 0  # people the user may not see (another village's order)

    @property
    def beds_left(self) -> int:
        if self.room.status == RoomStatus.CLEANING:
            return 0
        return self.room.capacity - self.room.occupants


@dataclass
class Floor:
    label: str
    rooms: list[RoomTile]


def _room_key(number: str) -> tuple:
    """101 < 102 < 1001, then the rooms named otherwise ("A1"), by name."""
    return (0, int(number), "") if number.isdigit() else (1, 0, number)


def _floor_of(number: str) -> str:
    """ "1203" → "12": the floor of a hotel room numbered floor + two digits."""
    return number[:-2] if number.isdigit() and len(number) >= 3 else ""


def room_grid(site: ObservationSite, user, today: date) -> list[Floor]:
    """The site's rooms by floor, each with the people in it that `user` may see."""
    rooms = sorted(site.rooms.all(), key=lambda r: _room_key(r.number))
    orders = (
        QuarantineOrder.objects.visible_to(user)
        .filter(room__site=site, status__in=RUNNING)
        .select_related("person")
        .only("external_id", "room_id", "start_date", "planned_end_date", "person__name")
        .order_by("start_date", "pk")
    )
    by_room: dict[int, list[Occupant]] = {}
    for order in orders:
        by_room.setdefault(order.room_id, []).append(
            Occupant(
                name=order.person.name,
                external_id=str(order.external_id),
                day=order.day_number(today),
                days=order.days,
                due=today >= order.planned_end_date,
            )
        )
    floors: dict[str, list[RoomTile]] = {}
    for room in rooms:
        seen = by_room.get(room.pk, [])
        tile = RoomTile(room=room, occupants=seen, unseen=max(room.occupants - len(seen), 0))
        floors.setdefault(_floor_of(room.number), []).append(tile)
    return [
        Floor(label=_("floor %(floor)s") % {"floor": floor} if floor else _("rooms"), rooms=tiles)
        for floor, tiles in floors.items()
    ]


def _render_detail(
    request: HttpRequest,
    site: ObservationSite,
    *,
    add_form: AddRoomsForm | None = None,
    staff_form: SiteStaffForm | None = None,
) -> HttpResponse:
    today = services.local_today()
    can_change = request.user.has_perm(CHANGE)
    floors = room_grid(site, request.user, today)
    tiles = [tile for floor in floors for tile in floor.rooms]
    staff = list(site.staff.order_by("role", "full_name", "pk"))
    if can_change and staff_form is None:
        staff_form = SiteStaffForm(site=site)
    context = {
        "site": site,
        "floors": floors,
        "totals": {
            "rooms_total": len(tiles),
            "rooms_free": sum(t.room.status == RoomStatus.FREE for t in tiles),
            "rooms_occupied": sum(t.room.status == RoomStatus.OCCUPIED for t in tiles),
            "rooms_cleaning": sum(t.room.status == RoomStatus.CLEANING for t in tiles),
            "people": sum(t.room.occupants for t in tiles),
            "beds_left": sum(t.beds_left for t in tiles),
        },
        "staff": staff,
        "can_change": can_change,
        "add_form": add_form or (AddRoomsForm() if can_change else None),
        "staff_form": staff_form if can_change else None,
        "today": today,
    }
    return render(request, "quarantine/site_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_site(request, pk))


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def site_add_rooms(request: HttpRequest, pk: int) -> HttpResponse:
    site = _visible_site(request, pk)
    form = AddRoomsForm(request.POST)
    if form.is_valid():
        try:
            added = services.add_rooms(Actor.from_request(request), site, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form.add_service_errors(_as_validation_error(error))
        else:
            messages.success(
                request,
                _("%(count)s rooms added: %(rooms)s")
                % {"count": len(added), "rooms": _room_span([r.number for r in added])},
            )
            return redirect("quarantine:site", pk=site.pk)
    return _render_detail(request, site, add_form=form)


def _room_span(numbers: list[str]) -> str:
    if len(numbers) <= 3:
        return "、".join(numbers)
    return f"{numbers[0]}…{numbers[-1]}"


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def room_cleaned(request: HttpRequest, pk: int) -> HttpResponse:
    room = get_object_or_404(Room.objects.visible_to(request.user).select_related("site"), pk=pk)
    try:
        services.mark_room_cleaned(Actor.from_request(request), room)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(_as_validation_error(error).messages))
    else:
        messages.success(request, _("Room %(room)s is cleaned and free.") % {"room": room.number})
    return redirect(reverse("quarantine:site", kwargs={"pk": room.site_id}) + f"#room-{room.pk}")


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def site_staff(request: HttpRequest, pk: int) -> HttpResponse:
    site = _visible_site(request, pk)
    form = SiteStaffForm(request.POST, site=site)
    if form.is_valid():
        try:
            services.set_site_staff(
                Actor.from_request(request), site, staff=list(form.cleaned_data["staff"])
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_service_errors(_as_validation_error(error))
        else:
            messages.success(request, _("Staff on site saved."))
            return redirect("quarantine:site", pk=site.pk)
    return _render_detail(request, site, staff_form=form)
