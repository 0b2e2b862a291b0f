"""Duty rosters over the API: a staff member's upcoming shifts and their check-in/out from the
phone, and a roster's figures from the last solve.

The same scoping and services as the pages: someone else's assignment is a 404 unless the user
may edit the town's roster (a checkpoint leader checking in someone whose phone is dead), a
roster outside the user's jurisdiction a 404, and what the service refuses a 400 with its
reason in the request's language.
"""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from fangyi.core.audit import Actor
from fangyi.roster import services
from fangyi.roster.models import Assignment, Roster, RosterStatus

router = Router(tags=["roster"])

MINE_DAYS = 14  # "upcoming": shifts ending from now to this many days ahead
MAX_MINE_DAYS = 28


class Message(Schema):
    detail: str


class ShiftOut(Schema):
    assignment: int
    shift: int
    roster: int
    checkpoint: int
    checkpoint_name: str
    label: str
    starts_at: datetime
    ends_at: datetime
    is_night: bool
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    can_check_in: bool
    can_check_out: bool

    @staticmethod
    def from_assignment(assignment: Assignment, now: datetime) -> dict:
        shift = assignment.shift
        opens = shift.starts_at - timedelta(minutes=services.CHECK_IN_OPENS_MINUTES)
        return {
            "assignment": assignment.pk,
            "shift": shift.pk,
            "roster": shift.roster_id,
            "checkpoint": shift.checkpoint_id,
            "checkpoint_name": shift.checkpoint.name,
            "label": services.shift_label(shift),
            "starts_at": shift.starts_at,
            "ends_at": shift.ends_at,
            "is_night": shift.is_night,
            "checked_in_at": assignment.checked_in_at,
            "checked_out_at": assignment.checked_out_at,
            "can_check_in": assignment.checked_in_at is None and opens <= now < shift.ends_at,
            "can_check_out": assignment.checked_in_at is not None
            and assignment.checked_out_at is None,
        }


class ExplanationOut(Schema):
    message: str


class RosterOut(Schema):
    id: int
    town: str
    town_name: str
    starts_on: date
    days: int
    status: str
    solve_state: str
    result: str
    objective: float | None
    bound: float | None
    gap: float | None
    uncovered: int
    seconds: float | None
    shifts: int
    assignments: int
    explanation: list[ExplanationOut]


@router.get("/roster/mine", response={200: list[ShiftOut], 422: Message})
def my_shifts(request, days: int = MINE_DAYS):
    """Your shifts on published rosters that have not ended, up to `days` (default 14, at
    most 28) ahead, earliest first; an empty list if you are not on the duty list."""
    if not 1 <= days <= MAX_MINE_DAYS:
        return Status(422, {"detail": _("choose 1 to %(n)d days") % {"n": MAX_MINE_DAYS}})
    now = timezone.now()
    assignments = (
        Assignment.objects.filter(
            staff__user=request.user,
            shift__roster__status=RosterStatus.PUBLISHED,
            shift__ends_at__gt=now,
            shift__starts_at__lt=now + timedelta(days=days),
        )
        .select_related("shift__checkpoint")
        .order_by("shift__starts_at", "pk")
    )
    return Status(200, [ShiftOut.from_assignment(a, now) for a in assignments])


def _assignment_for(request, assignment_id: int) -> Assignment | None:
    """The user's own assignment, or one in their jurisdiction if they may edit rosters."""
    mine = Q(staff__user=request.user)
    if request.user.has_perm("roster.change_roster"):
        in_scope = Assignment.objects.visible_to(request.user).filter(pk=assignment_id)
        mine |= Q(pk__in=in_scope.values("pk"))
    return Assignment.objects.filter(mine, pk=assignment_id).first()


def _check(request, assignment_id: int, service):
    assignment = _assignment_for(request, assignment_id)
    if assignment is None:
        return Status(404, {"detail": _("no such shift of yours")})
    try:
        assignment = service(Actor.from_request(request), assignment)
    except ValidationError as error:
        return Status(400, {"detail": " ".join(error.messages)})
    assignment = Assignment.objects.select_related("shift__checkpoint").get(pk=assignment.pk)
    return Status(200, ShiftOut.from_assignment(assignment, timezone.now()))


@router.post(
    "/roster/assignments/{int:assignment_id}/check-in",
    response={200: ShiftOut, 400: Message, 403: Message, 404: Message},
)
def check_in(request, assignment_id: int):
    """Check in to a shift: from 30 minutes before it starts until it ends; twice is once.
    400 says why not (not published, too early, over)."""
    return _check(request, assignment_id, services.check_in)


@router.post(
    "/roster/assignments/{int:assignment_id}/check-out",
    response={200: ShiftOut, 400: Message, 403: Message, 404: Message},
)
def check_out(request, assignment_id: int):
    """Check out of a shift checked in to; twice is once. 400 says why not."""
    return _check(request, assignment_id, services.check_out)


@router.get("/roster/{int:roster_id}", response={200: RosterOut, 404: Message})
def roster_figures(request, roster_id: int):
    """A roster's state and the figures of its last solve: CP-SAT's result, objective, bound
    and gap, the person-shifts left uncovered, and what could not be met."""
    roster = (
        Roster.objects.visible_to(request.user).select_related("town").filter(pk=roster_id).first()
    )
    if roster is None:
        return Status(404, {"detail": _("no such roster in your jurisdiction")})
    return Status(
        200,
        {
            "id": roster.pk,
            "town": roster.town_id,
            "town_name": roster.town.name,
            "starts_on": roster.starts_on,
            "days": roster.days,
            "status": roster.status,
            "solve_state": roster.solve_state,
            "result": roster.result,
            "objective": roster.objective,
            "bound": roster.bound,
            "gap": roster.gap,
            "uncovered": roster.uncovered,
            "seconds": roster.solve_seconds,
            "shifts": roster.shifts.count(),
            "assignments": Assignment.objects.filter(shift__roster=roster).count(),
            "explanation": [
                {"message": str(item.get("message", ""))} for item in roster.explanation
            ],
        },
    )
