"""Quarantine pages: the town board, "my people today" (one tap to record a check at the door),
the orders list, putting a person under quarantine, and the order detail with its check grid,
tests, team, self-report link, timeline and actions (extend, hospital, change of measure,
room, release).

Views authorise, validate, call one service and render. Orders are read through
`QuarantineOrder.objects.visible_to(request.user)`, so another village's order, check or test
is a 404; the services check the role and the jurisdiction again.
"""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.core.audit import Actor
from fangyi.core.models import DiseaseProfile, Person, QuarantineKind, User
from fangyi.core.roles import Role
from fangyi.core.views import HomePanel
from fangyi.ledger.models import LedgerEntry
from fangyi.quarantine import selectors, services
from fangyi.quarantine.forms import (
    ExplainCheckForm,
    ExtendForm,
    HospitalForm,
    MeasureForm,
    OrderFilterForm,
    OrderForm,
    ReassignForm,
    RecordCheckForm,
    ReleaseForm,
    RoomForm,
    TestForm,
)
from fangyi.quarantine.models import (
    FollowUp,
    NucleicAcidResult,
    NucleicAcidTest,
    OrderReason,
    OrderStatus,
    QuarantineOrder,
    Room,
)

VIEW = "quarantine.view_quarantineorder"
RECORD = "quarantine.add_followup"
CHANGE = "quarantine.change_quarantineorder"


def _visible_orders(request: HttpRequest):
    return QuarantineOrder.objects.visible_to(request.user)


def _visible_order(request: HttpRequest, external_id) -> QuarantineOrder:
    return get_object_or_404(
        _visible_orders(request).select_related(
            "person", "jurisdiction", "site", "room", "door_sealed_by", "ended_by", "ledger_entry"
        ),
        external_id=external_id,
    )


def _order_url(order: QuarantineOrder) -> str:
    return reverse("quarantine:order", kwargs={"external_id": order.external_id})


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# The board and "my people today" -------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def board(request: HttpRequest) -> HttpResponse:
    """The town's quarantine board (a village cadre's: their village). htmx refreshes it every
    minute on a wall screen."""
    context = {"board": selectors.town_board(request.user)}
    template = "quarantine/_board.html" if request.htmx else "quarantine/board.html"
    return render(request, template, context)


@login_required
@permission_required(VIEW, raise_exception=True)
def mine(request: HttpRequest) -> HttpResponse:
    """The team member's people today: who to check now, one tap to record."""
    now = timezone.now()
    cards = selectors.due_now_for(request.user, now)
    context = {
        "cards": cards,
        "overdue": sum(1 for c in cards if c.overdue),
        "to_check": sum(1 for c in cards if not c.all_done),
        "can_record": request.user.has_perm(RECORD),
        "today": timezone.localdate(now),
    }
    return render(request, "quarantine/mine.html", context)


def _visible_check(request: HttpRequest, pk: int) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.select_related("order__person", "checked_by").filter(
            order__in=_visible_orders(request)
        ),
        pk=pk,
    )


def _slot_context(check: FollowUp, **extra) -> dict:
    profile = DiseaseProfile.current()
    return {
        "slot": selectors.slot_row(check, profile, timezone.now()),
        "order": check.order,
        "fever_threshold": profile.fever_threshold,
        **extra,
    }


@login_required
@permission_required(RECORD, raise_exception=True)
def check_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record (or make up) one check. htmx: GET draws the tiny form into the card, POST
    answers the slot as recorded, or the form again with the service's reasons. Without JS the
    form is a page of its own."""
    check = _visible_check(request, pk)
    back = _safe_next(request, reverse("quarantine:mine"))
    if request.method == "GET" and request.htmx and request.GET.get("cancel"):
        return render(request, "quarantine/_slot.html", _slot_context(check, can_record=True))
    form = RecordCheckForm(request.POST if request.method == "POST" else None, auto_id=f"c{pk}-%s")
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            outcome = services.record_check(
                Actor.from_request(request),
                check,
                temperature=values["temperature"],
                symptoms=values["symptoms"],
                method=values["method"],
                client_id=values["client_id"],
                note=values["note"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            fresh = _visible_check(request, outcome.check.pk)
            if request.htmx:
                context = _slot_context(
                    fresh, can_record=True, just_recorded=True, duplicate=outcome.duplicate
                )
                return render(request, "quarantine/_slot.html", context)
            messages.success(
                request,
                _("%(name)s: %(slot)s recorded.")
                % {"name": fresh.order.person.name, "slot": services.slot_label(fresh)},
            )
            return redirect(back)
    context = _slot_context(check, form=form, next=back)
    template = "quarantine/_check_form.html" if request.htmx else "quarantine/check_form.html"
    return render(request, template, context)


@login_required
@permission_required(RECORD, raise_exception=True)
def check_explain(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a missed check that cannot be made up, saying why."""
    check = _visible_check(request, pk)
    form = ExplainCheckForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.explain_check(Actor.from_request(request), check, form.cleaned_data["note"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("%(slot)s explained.") % {"slot": services.slot_label(check)}
            )
            return redirect(_order_url(check.order))
    return _action_page(
        request,
        check.order,
        form,
        title=_("Explain a missed check: %(slot)s") % {"slot": services.slot_label(check)},
        action=reverse("quarantine:check_explain", kwargs={"pk": pk}),
        submit=_("Save the explanation"),
    )


# The orders list -----------------------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None, user=request.user)
    form.is_valid()  # bad values are shown and ignored
    orders = selectors.filter_orders(request.user, **form.values())
    page = Paginator(orders, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(
        [
            (k, v)
            for k in ("q", "status", "kind", "village", "due", "missed")
            for v in request.GET.getlist(k)
            if v
        ]
    )
    context = {
        "form": form,
        "page": page,
        "rows": selectors.order_rows(list(page)),
        "query": query,
        "filters_open": any(
            request.GET.get(k) for k in ("status", "kind", "village", "due", "missed")
        ),
    }
    return render(request, "quarantine/order_list.html", context)


# Putting a person under quarantine -----------------------------------------------------------


def _order_source(request: HttpRequest) -> tuple[Person, LedgerEntry | None]:
    entry_id = request.GET.get("entry", "")
    person_id = request.GET.get("person", "")
    try:
        if entry_id:
            entry = get_object_or_404(
                LedgerEntry.objects.visible_to(request.user).select_related(
                    "person", "jurisdiction"
                ),
                external_id=entry_id,
            )
            return entry.person, entry
        if person_id:
            person = get_object_or_404(
                Person.objects.visible_to(request.user).select_related("jurisdiction"),
                external_id=person_id,
            )
            return person, None
    except ValidationError:  # not a UUID
        raise Http404 from None
    raise Http404(_("choose the person first (from a ledger entry or the people list)"))


@login_required
@permission_required("quarantine.add_quarantineorder", raise_exception=True)
def order_create(request: HttpRequest) -> HttpResponse:
    """?entry=<ledger entry> or ?person=<person>: the measure, start, where, door seal and the
    team (each role: a member or the load rule). With ?site= (htmx) it answers the room select."""
    person, entry = _order_source(request)
    profile = DiseaseProfile.current()
    roles = list(profile.team_roles)
    candidates = selectors.team_candidates(person.jurisdiction_id, roles)
    data = request.POST if request.method == "POST" else None
    site_id = (data or request.GET).get("site") or None
    try:
        site_id = int(site_id) if site_id else None
    except ValueError:
        site_id = None
    form = OrderForm(
        data,
        user=request.user,
        from_ledger=entry is not None,
        roles=roles,
        candidates=candidates,
        # The chosen site's free rooms (none before a site is chosen).
        rooms=selectors.rooms_with_space(request.user, site_id) if site_id else Room.objects.none(),
        initial={
            "kind": (entry.proposed_measure if entry else "") or QuarantineKind.HOME_QUARANTINE,
            "start_date": services.local_today(),
            "reason": OrderReason.LEDGER if entry else OrderReason.OTHER,
            "address": (entry.local_address if entry else "")
            or person.current_address
            or person.household_address,
            "site": site_id,
        },
    )
    if request.htmx and request.method == "GET" and "site" in request.GET:
        return render(request, "quarantine/_room_field.html", {"form": form})
    running = _visible_orders(request).running().filter(person=person).first()
    if request.method == "POST" and running is None and form.is_valid():
        values = form.cleaned_data
        actor = Actor.from_request(request)
        try:
            order = services.open_order(
                actor,
                services.OrderRequest(
                    person=person,
                    kind=values["kind"],
                    reason=values["reason"],
                    reason_note=values["reason_note"],
                    start_date=values["start_date"],
                    ledger_entry=entry,
                    address=values["address"],
                    site=values["site"],
                    room=values["room"],
                    team=form.chosen_team(),
                    door_sealed=values["door_sealed"],
                ),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("%(name)s is under %(kind)s until %(end)s.")
                % {
                    "name": person.name,
                    "kind": order.get_kind_display(),
                    "end": order.planned_end_date.isoformat(),
                },
            )
            return redirect(_order_url(order))
    context = {"form": form, "person": person, "entry": entry, "running": running}
    return render(request, "quarantine/order_form.html", context)


# One order -----------------------------------------------------------------------------------


def _team_rows(order: QuarantineOrder) -> list[dict]:
    roles = list(DiseaseProfile.current().team_roles)
    team = selectors.current_team(order)
    roles += [role for role in team if role not in roles]
    candidates = selectors.team_candidates(order.jurisdiction_id, roles)
    rows = []
    for role in roles:
        assignment = team.get(role)
        form = ReassignForm(
            initial={"role": role, "member": assignment.member_id if assignment else None},
            candidates=candidates.get(role, []),
            auto_id=f"team-{role}-%s",
        )
        rows.append(
            {
                "role": role,
                "label": Role(role).label if role in Role.values else role,
                "assignment": assignment,
                "form": form,
                "has_candidates": bool(candidates.get(role)),
            }
        )
    return rows


def _detail_context(request: HttpRequest, order: QuarantineOrder) -> dict:
    user = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    profile = DiseaseProfile.current()
    checks = selectors.order_checks(order)
    grid = selectors.check_grid(order, checks, now)
    can_record = user.has_perm(RECORD) and order.is_running
    self_report_url = qr = ""
    if can_record and order.self_report_cipher:
        self_report_url = request.build_absolute_uri(
            reverse("quarantine:self_report", kwargs={"token": order.self_report_token})
        )
        qr = segno.make(self_report_url, error="m").svg_inline(scale=6, border=2)
    problems = services.release_problems(order, today) if order.is_running else []
    can_release = user.has_perm("quarantine.release_quarantineorder") and order.is_running
    times = list(profile.check_times)
    slots = len(grid[0].cells) if grid else len(times)
    return {
        "order": order,
        "person": order.person,
        "today": today,
        "day_number": order.day_number(today),
        "place": selectors.order_place(order),
        "grid": grid,
        "slot_headers": [times[i] if i < len(times) else str(i + 1) for i in range(slots)],
        "timeline": selectors.order_timeline(order, checks, now),
        "tests": list(order.tests.select_related("recorded_by").order_by("day")),
        "team": _team_rows(order),
        "problems": problems,
        "can_record": can_record,
        "can_change": user.has_perm(CHANGE) and order.is_running,
        "can_rooms": user.has_perm("quarantine.change_observationsite")
        and order.is_running
        and order.kind == QuarantineKind.CENTRALIZED,
        "can_test": user.has_perm("quarantine.add_nucleicacidtest") and order.is_running,
        "can_release": can_release,
        "release_form": ReleaseForm() if can_release and not problems else None,
        "self_report_url": self_report_url,
        "qr": qr,
        "next_order": _visible_orders(request).filter(previous=order).first(),
        "is_released": order.status == OrderStatus.RELEASED,
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def order_detail(request: HttpRequest, external_id) -> HttpResponse:
    order = _visible_order(request, external_id)
    return render(request, "quarantine/order_detail.html", _detail_context(request, order))


def _action_page(
    request: HttpRequest,
    order: QuarantineOrder,
    form,
    *,
    title: str,
    action: str,
    submit: str,
    danger: bool = False,
    intro: list[str] | None = None,
) -> HttpResponse:
    """A small page holding one action's form (and its errors, with what was typed)."""
    context = {
        "order": order,
        "form": form,
        "title": title,
        "action": action,
        "submit": submit,
        "danger": danger,
        "intro": intro or [],
    }
    return render(request, "quarantine/action_form.html", context)


def _run(form, call) -> bool:
    """Call a service; put its ValidationError on the form. True when it went through."""
    try:
        call()
    except ValidationError as error:
        form.add_service_errors(error)
        return False
    return True


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def order_team(request: HttpRequest, external_id) -> HttpResponse:
    order = _visible_order(request, external_id)
    role = request.POST.get("role", "")
    candidates = selectors.team_candidates(order.jurisdiction_id, [role]).get(role, [])
    form = ReassignForm(request.POST, candidates=candidates)
    if form.is_valid() and _run(
        form,
        lambda: services.reassign_member(
            Actor.from_request(request), order, role, form.chosen_member()
        ),
    ):
        messages.success(request, _("Team changed."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(_order_url(order))


@login_required
@permission_required(CHANGE, raise_exception=True)
def order_extend(request: HttpRequest, external_id) -> HttpResponse:
    order = _visible_order(request, external_id)
    form = ExtendForm(request.POST if request.method == "POST" else None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: services.extend_order(
                Actor.from_request(request),
                order,
                days=form.cleaned_data["days"],
                reason=form.cleaned_data["reason"],
            ),
        )
    ):
        messages.success(request, _("Order extended."))
        return redirect(_order_url(order))
    return _action_page(
        request,
        order,
        form,
        title=_("Extend the order"),
        action=reverse("quarantine:order_extend", kwargs={"external_id": order.external_id}),
        submit=_("Extend"),
    )


@login_required
@permission_required(CHANGE, raise_exception=True)
def order_hospital(request: HttpRequest, external_id) -> HttpResponse:
    order = _visible_order(request, external_id)
    form = HospitalForm(request.POST if request.method == "POST" else None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: services.transfer_to_hospital(
                Actor.from_request(request),
                order,
                hospital=form.cleaned_data["hospital"],
                note=form.cleaned_data["note"],
            ),
        )
    ):
        messages.success(request, _("Transferred to hospital."))
        return redirect(_order_url(order))
    return _action_page(
        request,
        order,
        form,
        title=_("Transfer to hospital"),
        action=reverse("quarantine:order_hospital", kwargs={"external_id": order.external_id}),
        submit=_("Transfer to hospital"),
        danger=True,
        intro=[_("The order ends now; the checks still to come are cancelled.")],
    )


@login_required
@permission_required(CHANGE, raise_exception=True)
def order_measure(request: HttpRequest, external_id) -> HttpResponse:
    order = _visible_order(request, external_id)
    form = MeasureForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        rooms=selectors.rooms_with_space(request.user),
        exclude_kind=order.kind,
    )
    created: list[QuarantineOrder] = []
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: created.append(
                services.change_measure(
                    Actor.from_request(request),
                    order,
                    kind=form.cleaned_data["kind"],
                    site=form.cleaned_data["site"],
                    room=form.cleaned_data["room"],
                    address=form.cleaned_data["address"],
                    note=form.cleaned_data["note"],
                )
            ),
        )
    ):
        messages.success(request, _("Measure changed: a new order starts today."))
        return redirect(_order_url(created[0]))
    return _action_page(
        request,
        order,
        form,
        title=_("Change the measure"),
        action=reverse("quarantine:order_measure", kwargs={"external_id": order.external_id}),
        submit=_("Change the measure"),
        intro=[
            _(
                "This order ends as moved; the new measure starts today for its full length, with the same team."
            )
        ],
    )


@login_required
@permission_required("quarantine.change_observationsite", raise_exception=True)
def order_room(request: HttpRequest, external_id) -> HttpResponse:
    order = _visible_order(request, external_id)
    form = RoomForm(
        request.POST if request.method == "POST" else None,
        rooms=selectors.rooms_with_space(request.user, order.site_id),
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: services.assign_room(
                Actor.from_request(request), order, form.cleaned_data["room"]
            ),
        )
    ):
        messages.success(request, _("Room assigned."))
        return redirect(_order_url(order))
    return _action_page(
        request,
        order,
        form,
        title=_("Assign a room"),
        action=reverse("quarantine:order_room", kwargs={"external_id": order.external_id}),
        submit=_("Assign the room"),
    )


@login_required
@permission_required(RECORD, raise_exception=True)
@require_POST
def order_door(request: HttpRequest, external_id) -> HttpResponse:
    order = _visible_order(request, external_id)
    sealed = request.POST.get("sealed") == "1"
    try:
        services.set_door_seal(Actor.from_request(request), order, sealed)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Door seal recorded.") if sealed else _("Door seal removed."))
    return redirect(_order_url(order))


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def order_link(request: HttpRequest, external_id) -> HttpResponse:
    order = _visible_order(request, external_id)
    services.renew_self_report_link(Actor.from_request(request), order)
    messages.success(request, _("New self-report link: the old one no longer works."))
    return redirect(_order_url(order) + "#self-report")


@login_required
@permission_required("quarantine.release_quarantineorder", raise_exception=True)
def order_release(request: HttpRequest, external_id) -> HttpResponse:
    """The doctor's sign-off, refused with every reason while anything remains."""
    order = _visible_order(request, external_id)
    form = ReleaseForm(request.POST if request.method == "POST" else None)
    following: list[QuarantineOrder | None] = []
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: following.append(
                services.release_order(
                    Actor.from_request(request),
                    order,
                    note=form.cleaned_data["note"],
                    address=form.cleaned_data["address"],
                )
            ),
        )
    ):
        follow_on = following[0]
        if follow_on is not None:
            messages.success(
                request,
                _("Released from %(kind)s; %(next)s follows until %(end)s.")
                % {
                    "kind": order.get_kind_display(),
                    "next": follow_on.get_kind_display(),
                    "end": follow_on.planned_end_date.isoformat(),
                },
            )
        else:
            messages.success(request, _("Released."))
        return redirect(_order_url(order))
    return _action_page(
        request,
        order,
        form,
        title=_("Sign the release off"),
        action=reverse("quarantine:order_release", kwargs={"external_id": order.external_id}),
        submit=_("Sign off and release"),
        intro=services.release_problems(order),
    )


@login_required
@permission_required("quarantine.add_nucleicacidtest", raise_exception=True)
def test_record(request: HttpRequest, pk: int) -> HttpResponse:
    test = get_object_or_404(
        NucleicAcidTest.objects.select_related("order__person").filter(
            order__in=_visible_orders(request)
        ),
        pk=pk,
    )
    form = TestForm(
        request.POST if request.method == "POST" else None,
        initial={
            "result": NucleicAcidResult.NEGATIVE if test.sampled_at else NucleicAcidResult.SAMPLED,
            "lab": test.lab,
        },
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _run(
            form,
            lambda: services.record_test(
                Actor.from_request(request),
                test,
                result=form.cleaned_data["result"],
                sampled_at=form.cleaned_data["sampled_at"],
                lab=form.cleaned_data["lab"],
            ),
        )
    ):
        messages.success(request, _("Test recorded."))
        return redirect(_order_url(test.order) + "#tests")
    return _action_page(
        request,
        test.order,
        form,
        title=_("Nucleic-acid test, day %(day)s") % {"day": test.day},
        action=reverse("quarantine:test_record", kwargs={"pk": pk}),
        submit=_("Save the test"),
    )


# The home page -------------------------------------------------------------------------------


def home_panel(user: User) -> HomePanel | None:
    """Team members: how many people to check now (and overdue), linking to "my people
    today"; the town (and villages): running orders, due for release, missed checks. Nothing
    (one query) while nobody in the user's jurisdiction is under quarantine."""
    if not user.has_perm(VIEW):
        return None
    scope = selectors.scope_summary(user)
    if not scope.running:
        return None  # and so nobody for the user to check: their orders are in their scope
    mine = selectors.mine_summary(user) if user.has_perm(RECORD) else None
    if mine is not None and not (mine.people_now or mine.people_overdue):
        mine = None
    if user.role == Role.VOLUNTEER:
        # A volunteer's panel is their own people, not the village's figures.
        return HomePanel("quarantine/_home_panel.html", {"mine": mine}) if mine else None
    return HomePanel("quarantine/_home_panel.html", {"mine": mine, "scope": scope})
