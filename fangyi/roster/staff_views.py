"""The staff pool (排班人员), its groups and unavailability, and each checkpoint's demand.

Town commanders and cadres edit (roster.add_staffmember, change_staffmember,
change_checkpointdemand); whoever may read rosters reads (roster.view_roster). Rows are read
through `visible_to(request.user)`: another jurisdiction's staff member or checkpoint is a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fangyi.checkpoints.models import Checkpoint
from fangyi.core.audit import Actor
from fangyi.roster import services
from fangyi.roster.models import DutyRole, StaffGroup, StaffMember
from fangyi.roster.staff_forms import (
    DemandForm,
    GroupForm,
    RemoveStaffForm,
    StaffFilterForm,
    StaffForm,
    UnavailabilityForm,
)

VIEW = "roster.view_roster"
STAFF_FIELDS = (
    "name",
    "role",
    "jurisdiction",
    "phone",
    "user",
    "group",
    "post",
    "max_hours_per_week",
    "max_shifts_per_day",
)


def _visible_staff(request: HttpRequest, pk: int) -> StaffMember:
    return get_object_or_404(
        StaffMember.objects.visible_to(request.user).select_related(
            "jurisdiction", "group", "post", "user"
        ),
        pk=pk,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def staff_list(request: HttpRequest) -> HttpResponse:
    form = StaffFilterForm(request.GET or None, user=request.user)
    staff = StaffMember.objects.visible_to(request.user)
    values = form.cleaned_data if form.is_valid() else {}
    staff = staff.filter(active=not values.get("removed"))
    if values.get("place"):
        staff = staff.within(values["place"].code)
    by_role = dict(staff.order_by().values_list("role").annotate(n=Count("id")))
    counts = [(value, label, by_role.get(value, 0)) for value, label in DutyRole.choices]
    if values.get("role"):
        staff = staff.filter(role=values["role"])
    page = Paginator(
        staff.select_related("jurisdiction", "group", "post").order_by(
            "jurisdiction_id", "role", "name", "pk"
        ),
        settings.PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    query = urlencode([(k, v) for k in ("role", "place", "removed") if (v := request.GET.get(k))])
    context = {
        "form": form,
        "page": page,
        "counts": counts,
        "total": sum(by_role.values()),
        "chosen_role": values.get("role", ""),
        "query": query,
        "role_query": urlencode(
            [(k, v) for k in ("place", "removed") if (v := request.GET.get(k))]
        ),
        "filtered": bool(query),
        "can_add": request.user.has_perm("roster.add_staffmember"),
    }
    return render(request, "roster/staff_list.html", context)


def _staff_values(form: StaffForm, editing: bool) -> dict:
    values = {name: form.cleaned_data[name] for name in STAFF_FIELDS}
    if editing and not values["phone"]:
        del values["phone"]  # empty keeps the number
    return values


@login_required
@permission_required("roster.add_staffmember", raise_exception=True)
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            staff = services.create_staff(
                Actor.from_request(request), **_staff_values(form, editing=False)
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(name)s is on the duty list.") % {"name": staff.name})
            return redirect("roster:staff", pk=staff.pk)
    return render(request, "roster/staff_form.html", {"form": form, "staff": None})


@login_required
@permission_required("roster.change_staffmember", raise_exception=True)
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _visible_staff(request, pk)
    initial = {name: getattr(staff, name) for name in STAFF_FIELDS if name != "phone"}
    form = StaffForm(request.POST or None, user=request.user, staff=staff, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_staff(
                Actor.from_request(request), staff, **_staff_values(form, editing=True)
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Saved."))
            return redirect("roster:staff", pk=staff.pk)
    return render(request, "roster/staff_form.html", {"form": form, "staff": staff})


def _render_detail(request, staff, *, unavailability_form=None, remove_form=None, status=200):
    can_change = request.user.has_perm("roster.change_staffmember")
    context = {
        "staff": staff,
        "unavailabilities": list(staff.unavailabilities.order_by("-starts_at")[:50]),
        "can_change": can_change and staff.active,
        "unavailability_form": unavailability_form or UnavailabilityForm(),
        "remove_form": remove_form or RemoveStaffForm(),
    }
    return render(request, "roster/staff_detail.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_staff(request, pk))


@login_required
@permission_required("roster.change_staffmember", raise_exception=True)
@require_POST
def staff_unavailable(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _visible_staff(request, pk)
    form = UnavailabilityForm(request.POST)
    if form.is_valid():
        values = form.cleaned_data
        try:
            services.add_unavailability(
                Actor.from_request(request),
                staff,
                values["starts_at"],
                values["ends_at"],
                values["reason"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The time off is recorded."))
            return redirect("roster:staff", pk=staff.pk)
    return _render_detail(request, staff, unavailability_form=form, status=400)


@login_required
@permission_required("roster.change_staffmember", raise_exception=True)
@require_POST
def staff_remove(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _visible_staff(request, pk)
    form = RemoveStaffForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, staff, remove_form=form, status=400)
    freed = services.remove_staff(
        Actor.from_request(request), staff, reason=form.cleaned_data["reason"]
    )
    messages.success(
        request,
        ngettext(
            "%(name)s is off the duty list: %(n)d shift freed. Solve the roster again to fill it.",
            "%(name)s is off the duty list: %(n)d shifts freed. Solve the roster again to fill them.",
            freed,
        )
        % {"name": staff.name, "n": freed}
        if freed
        else _("%(name)s is off the duty list: no shift was freed.") % {"name": staff.name},
    )
    return redirect("roster:staff", pk=staff.pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def group_list(request: HttpRequest) -> HttpResponse:
    can_change = request.user.has_perm("roster.change_staffmember")
    form = GroupForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not can_change:
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                group = services.create_group(
                    Actor.from_request(request),
                    form.cleaned_data["town"],
                    form.cleaned_data["name"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Group %(name)s is set up.") % {"name": group.name})
                return redirect("roster:groups")
    groups = (
        StaffGroup.objects.visible_to(request.user)
        .annotate(size=Count("members"))
        .order_by("town_id", "name")
    )
    context = {"groups": groups, "form": form, "can_change": can_change}
    return render(request, "roster/staff_groups.html", context, status=400 if form.errors else 200)


# Demand -------------------------------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def demand_list(request: HttpRequest) -> HttpResponse:
    checkpoints = (
        Checkpoint.objects.visible_to(request.user)
        .select_related("jurisdiction", "demand")
        .order_by("jurisdiction_id", "name", "pk")
    )
    page = Paginator(checkpoints, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for checkpoint in page:
        demand = getattr(checkpoint, "demand", None)
        rows.append(
            {
                "checkpoint": checkpoint,
                "demand": demand,
                "staffed": demand is not None and demand.active,
                "every": _minimum_labels(demand.role_minimums) if demand else [],
                "night": _minimum_labels(demand.night_role_minimums) if demand else [],
            }
        )
    context = {
        "page": page,
        "rows": rows,
        "can_change": request.user.has_perm("roster.change_checkpointdemand"),
    }
    return render(request, "roster/demand_list.html", context)


def _minimum_labels(minimums: dict) -> list[str]:
    labels = dict(DutyRole.choices)
    return [f"{labels.get(role, role)} ≥ {n}" for role, n in sorted(minimums.items()) if int(n) > 0]


@login_required
@permission_required("roster.change_checkpointdemand", raise_exception=True)
def demand_edit(request: HttpRequest, pk: int) -> HttpResponse:
    checkpoint = get_object_or_404(
        Checkpoint.objects.visible_to(request.user).select_related("jurisdiction"), pk=pk
    )
    demand = getattr(checkpoint, "demand", None)
    form = DemandForm(request.POST or None, initial=DemandForm.initial_for(demand))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = form.cleaned_data
            try:
                services.set_demand(
                    Actor.from_request(request),
                    checkpoint,
                    shift_hours=values["shift_hours"],
                    people_per_shift=values["people_per_shift"],
                    first_shift_hour=values["first_shift_hour"],
                    role_minimums=form.minimums("min"),
                    night_role_minimums=form.minimums("night"),
                    active=values["active"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("The staffing of %(checkpoint)s is saved; it applies to new rosters.")
                    % {"checkpoint": checkpoint.name},
                )
                return redirect("roster:demand")
    context = {"checkpoint": checkpoint, "demand": demand, "form": form}
    return render(request, "roster/demand_form.html", context, status=status)
