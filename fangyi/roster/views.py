"""Roster pages: the town's rosters and a new one; one roster with its figures, explanation,
solve (in the background, the page polling its progress) and publish, the week grid of a
checkpoint or of a person, and hand edits of a shift (add with immediate validation, remove,
lock); the roster's history.

Reading needs roster.view_roster (a village cadre reads their town's rosters, and the shifts
of their village's checkpoints); editing roster.change_roster, solving and publishing
roster.solve_roster. Another town's roster, shift or person is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction
from fangyi.roster import selectors, services
from fangyi.roster.forms import AssignForm, RosterForm, SolveForm
from fangyi.roster.models import Assignment, Roster, Shift

VIEW = "roster.view_roster"
EDIT = "roster.change_roster"
SOLVE = "roster.solve_roster"
CHANGED = "roster-changed"  # the htmx event after a hand edit: the grid reloads itself


def _visible_roster(request: HttpRequest, pk: int) -> Roster:
    roster = selectors.roster_for_page(request.user, pk)
    if roster is None:
        raise Http404
    return roster


def _visible_shift(request: HttpRequest, pk: int) -> Shift:
    shift = selectors.shift_for_page(request.user, pk)
    if shift is None:
        raise Http404
    return shift


def _visible_assignment(request: HttpRequest, pk: int) -> Assignment:
    assignment = selectors.assignment_for_page(request.user, pk)
    if assignment is None:
        raise Http404
    return assignment


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value else default
    except ValueError:
        return default


# The list and a new roster ------------------------------------------------------------------


def _list_page(request: HttpRequest, form: RosterForm | None) -> HttpResponse:
    rosters = list(selectors.rosters_for_list(request.user))
    if form is None and request.user.has_perm("roster.add_roster"):
        today = timezone.localdate()
        form = RosterForm(initial={"starts_on": selectors.next_free_day(rosters, today)})
    return render(request, "roster/roster_list.html", {"rosters": rosters, "form": form})


@login_required
@permission_required(VIEW, raise_exception=True)
def roster_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, None)


@login_required
@permission_required("roster.add_roster", raise_exception=True)
@require_POST
def roster_create(request: HttpRequest) -> HttpResponse:
    form = RosterForm(request.POST)
    if form.is_valid():
        values = form.cleaned_data
        town = Jurisdiction.objects.filter(code=(request.user.jurisdiction_id or "")[:9]).first()
        try:
            if town is None:
                raise ValidationError(_("your account belongs to no town"))
            roster = services.create_roster(
                Actor.from_request(request),
                town=town,
                starts_on=values["starts_on"],
                days=values["days"],
                min_rest_hours=values["min_rest_hours"],
                keep_groups_together=values["keep_groups_together"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Roster created. Solve it to put people on the shifts."))
            return redirect("roster:roster", pk=roster.pk)
    return _list_page(request, form)


# One roster ---------------------------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def roster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The figures, the explanation, solve and publish, the week grid (?checkpoint=ID or
    ?staff=ID, ?week=N) and the history."""
    roster = _visible_roster(request, pk)
    user = request.user
    weeks = selectors.week_count(roster)
    week = min(max(_int(request.GET.get("week"), 1), 1), weeks)
    checkpoints = selectors.roster_checkpoints(user, roster)
    staff = None
    if request.GET.get("staff"):
        staff = selectors.staff_for_page(user, roster, _int(request.GET["staff"], 0))
        if staff is None:
            raise Http404
    checkpoint = None
    if staff is None and checkpoints:
        wanted = _int(request.GET.get("checkpoint"))
        checkpoint = next((c for c in checkpoints if c.pk == wanted), checkpoints[0])
        if wanted is not None and checkpoint.pk != wanted:
            raise Http404
    context = {
        "roster": roster,
        "checkpoints": checkpoints,
        "checkpoint": checkpoint,
        "staff": staff,
        "week": week,
        "weeks": list(range(1, weeks + 1)),
        "grid": selectors.week_grid(user, roster, checkpoint, week) if checkpoint else None,
        "staff_days": selectors.staff_week(user, roster, staff, week) if staff else None,
        "events": selectors.roster_history(roster),
        "solve_form": SolveForm(),
        "can_edit": user.has_perm(EDIT),
        "can_solve": user.has_perm(SOLVE),
        "gap_percent": None if roster.gap is None else roster.gap * 100,
    }
    return render(request, "roster/roster_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def roster_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The solve's progress box, polled every second; when the solve ends the page reloads."""
    roster = _visible_roster(request, pk)
    response = render(request, "roster/roster_progress.html", {"roster": roster})
    if not roster.is_solving:
        response["HX-Refresh"] = "true"
    return response


@login_required
@permission_required(SOLVE, raise_exception=True)
@require_POST
def roster_solve(request: HttpRequest, pk: int) -> HttpResponse:
    roster = _visible_roster(request, pk)
    form = SolveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("roster:roster", pk=roster.pk)
    try:
        services.queue_solve(
            Actor.from_request(request), roster, time_limit=form.cleaned_data["time_limit"]
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("roster:roster", pk=roster.pk)


@login_required
@permission_required(SOLVE, raise_exception=True)
@require_POST
def roster_publish(request: HttpRequest, pk: int) -> HttpResponse:
    roster = _visible_roster(request, pk)
    try:
        services.publish_roster(Actor.from_request(request), roster)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Roster published: the staff see their shifts."))
    return redirect("roster:roster", pk=roster.pk)


# One shift: its people and hand edits -------------------------------------------------------


def _shift_page(
    request: HttpRequest,
    shift: Shift,
    form: AssignForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The shift's panel (the grid's dialog, by htmx) or, without htmx, a page around it."""
    can_edit = request.user.has_perm(EDIT)
    if form is None and can_edit:
        form = AssignForm(staff=selectors.roster_staff(request.user, shift.roster))
    people = list(shift.assignments.all())
    context = {
        "shift": shift,
        "roster": shift.roster,
        "label": services.shift_label(shift),
        "people": people,
        "readable": selectors.readable_staff_ids(request.user, people),
        "missing_roles": selectors.missing_roles(shift, people),
        "form": form,
        "errors": errors or [],
        "can_edit": can_edit,
    }
    template = "roster/roster_shift_panel.html" if request.htmx else "roster/roster_shift.html"
    return render(request, template, context, status=status)


def _after_edit(request: HttpRequest, shift: Shift) -> HttpResponse:
    if request.htmx:
        response = _shift_page(request, selectors.shift_for_page(request.user, shift.pk))
        response["HX-Trigger"] = CHANGED
        return response
    return redirect("roster:shift", pk=shift.pk)


def _refused(request: HttpRequest, shift: Shift, error: ValidationError) -> HttpResponse:
    if request.htmx:
        return _shift_page(
            request, selectors.shift_for_page(request.user, shift.pk), None, error.messages
        )
    for message in error.messages:
        messages.error(request, message)
    return redirect("roster:shift", pk=shift.pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def shift_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _shift_page(request, _visible_shift(request, pk))


@login_required
@permission_required(EDIT, raise_exception=True)
def shift_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Whether the chosen person may take the shift, before it is submitted (htmx)."""
    shift = _visible_shift(request, pk)
    form = AssignForm(request.GET, staff=selectors.roster_staff(request.user, shift.roster))
    if form.is_valid():
        problems = services.assignment_problems(shift, form.cleaned_data["staff"])
    else:
        problems = [message for errors in form.errors.values() for message in errors]
    chosen = bool(request.GET.get("staff"))
    return render(request, "roster/roster_check.html", {"problems": problems, "chosen": chosen})


@login_required
@permission_required(EDIT, raise_exception=True)
@require_POST
def shift_assign(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _visible_shift(request, pk)
    form = AssignForm(request.POST, staff=selectors.roster_staff(request.user, shift.roster))
    if form.is_valid():
        staff = form.cleaned_data["staff"]
        try:
            services.assign_staff(Actor.from_request(request), shift, staff)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if not request.htmx:
                messages.success(request, _("%(name)s is on the shift.") % {"name": staff.name})
            return _after_edit(request, shift)
    status = 200 if request.htmx else 400
    return _shift_page(request, shift, form, status=status)


@login_required
@permission_required(EDIT, raise_exception=True)
@require_POST
def assignment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _visible_assignment(request, pk)
    shift = assignment.shift
    try:
        services.unassign_staff(Actor.from_request(request), assignment)
    except ValidationError as error:
        return _refused(request, shift, error)
    return _after_edit(request, shift)


@login_required
@permission_required(EDIT, raise_exception=True)
@require_POST
def assignment_lock(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _visible_assignment(request, pk)
    locked = request.POST.get("locked") == "1"
    try:
        services.set_locked(Actor.from_request(request), assignment, locked)
    except ValidationError as error:
        return _refused(request, assignment.shift, error)
    return _after_edit(request, assignment.shift)
