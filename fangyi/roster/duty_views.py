"""The staff's own pages (我的班次): their shifts of published rosters, check-in and out, swap
requests; the town's swap approvals; hours worked per person.

"My shifts" needs no permission, only a StaffMember linked to the account, and shows only that
person's shifts: another person's assignment or swap is a 404. Approvals need
roster.change_swaprequest, hours roster.view_roster; both read through `visible_to`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.core.audit import Actor
from fangyi.roster import duty_selectors, services
from fangyi.roster.models import Assignment, Roster, RosterStatus, StaffMember, SwapRequest
from fangyi.roster.staff_forms import SwapDecisionForm, SwapForm


def _me(request: HttpRequest) -> StaffMember | None:
    return StaffMember.objects.filter(user=request.user).select_related("jurisdiction").first()


def _my_assignment(request: HttpRequest, pk: int) -> Assignment:
    return get_object_or_404(
        Assignment.objects.select_related("shift__checkpoint", "shift__roster", "staff"),
        pk=pk,
        staff__user=request.user,
        shift__roster__status=RosterStatus.PUBLISHED,
    )


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
def my_shifts(request: HttpRequest) -> HttpResponse:
    staff = _me(request)
    context = {"staff": staff}
    if staff is not None:
        context["duty"] = duty_selectors.my_duty(staff)
    return render(request, "roster/duty_mine.html", context)


@login_required
@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _my_assignment(request, pk)
    try:
        services.check_in(Actor.from_request(request), assignment)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("Checked in at %(time)s: %(shift)s.")
            % {
                "time": f"{timezone.localtime():%H:%M}",
                "shift": services.shift_label(assignment.shift),
            },
        )
    return redirect("roster:mine")


@login_required
@require_POST
def check_out(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _my_assignment(request, pk)
    try:
        services.check_out(Actor.from_request(request), assignment)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("Checked out at %(time)s. Thank you.") % {"time": f"{timezone.localtime():%H:%M}"},
        )
    return redirect("roster:mine")


@login_required
def swap_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the town to let a colleague take one of my shifts (optionally taking one of theirs:
    choosing the colleague reloads their shifts, by htmx or by the form's GET "show" button)."""
    assignment = _my_assignment(request, pk)
    now = timezone.now()
    data = request.POST if request.method == "POST" else None
    chosen = (data or request.GET).get("with_staff", "")
    colleagues = duty_selectors.swap_colleagues(assignment.staff)
    if chosen and not chosen.isdigit():
        chosen = ""
    form = SwapForm(
        data,
        initial={"with_staff": chosen or None},
        colleagues=colleagues,
        their_shifts=duty_selectors.shifts_to_give_back(chosen, assignment.shift.roster_id, now),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = form.cleaned_data
            try:
                services.request_swap(
                    Actor.from_request(request),
                    assignment,
                    values["with_staff"],
                    their_assignment=values["their_assignment"],
                    reason=values["reason"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Your swap with %(name)s is waiting for the town's approval.")
                    % {"name": values["with_staff"].name},
                )
                return redirect("roster:mine")
    context = {
        "assignment": assignment,
        "label": services.shift_label(assignment.shift),
        "form": form,
    }
    return render(request, "roster/swap_form.html", context, status=status)


@login_required
@require_POST
def swap_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    swap = get_object_or_404(SwapRequest, pk=pk, assignment__staff__user=request.user)
    try:
        services.withdraw_swap(Actor.from_request(request), swap)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("The swap request is withdrawn."))
    return redirect("roster:mine")


@login_required
@permission_required("roster.change_swaprequest", raise_exception=True)
def swap_list(request: HttpRequest) -> HttpResponse:
    swaps = [
        {
            "swap": swap,
            "given": services.shift_label(swap.assignment.shift),
            "taken": services.shift_label(swap.their_assignment.shift)
            if swap.their_assignment_id
            else "",
        }
        for swap in duty_selectors.pending_swaps(request.user)
    ]
    return render(request, "roster/swap_list.html", {"swaps": swaps, "form": SwapDecisionForm()})


@login_required
@permission_required("roster.change_swaprequest", raise_exception=True)
@require_POST
def swap_decide(request: HttpRequest, pk: int) -> HttpResponse:
    swap = get_object_or_404(SwapRequest.objects.visible_to(request.user), pk=pk)
    form = SwapDecisionForm(request.POST)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject") or not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("roster:swaps")
    try:
        services.decide_swap(
            Actor.from_request(request),
            swap,
            approve=decision == "approve",
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        messages.error(
            request,
            _("The swap cannot be approved: %(reasons)s") % {"reasons": _error_text(error)},
        )
    else:
        messages.success(
            request,
            _("The swap is approved; the shifts have changed hands.")
            if decision == "approve"
            else _("The swap is rejected."),
        )
    return redirect("roster:swaps")


@login_required
@permission_required("roster.view_roster", raise_exception=True)
def hours(request: HttpRequest) -> HttpResponse:
    rosters = Roster.objects.visible_to(request.user).select_related("town")
    chosen = request.GET.get("roster", "")
    if not chosen:
        return render(request, "roster/duty_hours.html", {"roster": None, "rosters": rosters[:20]})
    if not chosen.isdigit():
        raise Http404
    roster = get_object_or_404(rosters, pk=int(chosen))
    people = duty_selectors.hours_worked(request.user, roster)
    context = {
        "roster": roster,
        "rosters": rosters[:20],
        "people": people,
        "totals": {
            "shifts": sum(p.shifts for p in people),
            "planned": sum(p.planned for p in people),
            "worked": sum(p.worked for p in people),
            "nights": sum(p.nights for p in people),
            "no_shows": sum(p.no_shows for p in people),
        },
    }
    return render(request, "roster/duty_hours.html", context)
