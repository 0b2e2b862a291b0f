"""Reads for the duty pages: a staff member's own shifts, swap requests, hours worked.
Each is a fixed number of queries, however many shifts there are."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from fangyi.roster.models import (
    Assignment,
    DutyRole,
    Roster,
    RosterStatus,
    StaffMember,
    SwapRequest,
    SwapStatus,
)
from fangyi.roster.services import CHECK_IN_OPENS_MINUTES, NO_SHOW_MINUTES, shift_label

PAST_DAYS = 7  # "my shifts" shows the last week's shifts too


@dataclass
class MyShift:
    """One of my shifts as the phone page shows it; the flags say which buttons it has."""

    assignment: Assignment
    label: str
    colleagues: list[str]
    is_now: bool
    is_over: bool
    can_check_in: bool
    can_check_out: bool
    can_swap: bool
    pending_swap: SwapRequest | None = None


@dataclass
class MyDuty:
    upcoming: list[MyShift]
    past: list[MyShift]
    hours_this_week: float
    hours_shown: float
    swaps: list[SwapRequest]
    offered: list[SwapRequest]  # colleagues asking me to take their shift


def my_duty(staff: StaffMember, now: datetime | None = None) -> MyDuty:
    """A staff member's shifts of published rosters from a week ago on, with who else is on
    each, and their swap requests. Four queries."""
    now = now or timezone.now()
    assignments = list(
        Assignment.objects.filter(
            staff=staff,
            shift__roster__status=RosterStatus.PUBLISHED,
            shift__ends_at__gte=now - timedelta(days=PAST_DAYS),
        )
        .select_related("shift__checkpoint")
        .order_by("shift__starts_at", "pk")
    )
    roles = dict(DutyRole.choices)
    others: dict[int, list[str]] = defaultdict(list)
    for shift_id, name, role in (
        Assignment.objects.filter(shift__in=[a.shift_id for a in assignments])
        .exclude(staff=staff)
        .order_by("staff__role", "staff__name")
        .values_list("shift_id", "staff__name", "staff__role")
    ):
        others[shift_id].append(f"{name}（{roles.get(role, role)}）")
    swaps = list(
        SwapRequest.objects.filter(assignment__staff=staff)
        .filter(status=SwapStatus.REQUESTED)
        .select_related(
            "assignment__shift__checkpoint", "with_staff", "their_assignment__shift__checkpoint"
        )
        .order_by("-created_at", "-pk")
    )
    offered = list(
        SwapRequest.objects.filter(with_staff=staff, status=SwapStatus.REQUESTED)
        .select_related("assignment__shift__checkpoint", "assignment__staff")
        .order_by("-created_at", "-pk")
    )
    pending = {swap.assignment_id: swap for swap in swaps}
    opens = timedelta(minutes=CHECK_IN_OPENS_MINUTES)
    week_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week_start -= timedelta(days=week_start.weekday())
    upcoming, past = [], []
    hours_this_week = hours_shown = 0.0
    for assignment in assignments:
        shift = assignment.shift
        is_over = shift.ends_at <= now
        row = MyShift(
            assignment=assignment,
            label=shift_label(shift),
            colleagues=others.get(shift.pk, []),
            is_now=shift.starts_at <= now < shift.ends_at,
            is_over=is_over,
            can_check_in=assignment.checked_in_at is None
            and shift.starts_at - opens <= now < shift.ends_at,
            can_check_out=assignment.checked_in_at is not None
            and assignment.checked_out_at is None,
            can_swap=shift.starts_at > now
            and assignment.checked_in_at is None
            and assignment.pk not in pending,
            pending_swap=pending.get(assignment.pk),
        )
        (past if is_over and not row.can_check_out else upcoming).append(row)
        hours_shown += assignment.hours_worked
        if shift.starts_at >= week_start:
            hours_this_week += assignment.hours_worked
    return MyDuty(upcoming, past[::-1], hours_this_week, hours_shown, swaps, offered)


def swap_colleagues(staff: StaffMember) -> QuerySet[StaffMember]:
    """Whom a staff member may ask to take a shift: the town's others on the duty list."""
    return (
        StaffMember.objects.in_town(staff.town_code)
        .exclude(pk=staff.pk)
        .order_by("role", "name", "pk")
    )


def shifts_to_give_back(colleague_id, roster_id: int, now: datetime) -> QuerySet[Assignment]:
    """A colleague's shifts of the same roster not started yet (one may be taken in exchange)."""
    if not colleague_id:
        return Assignment.objects.none()
    return (
        Assignment.objects.filter(
            staff_id=colleague_id, shift__roster_id=roster_id, shift__starts_at__gt=now
        )
        .select_related("shift__checkpoint")
        .order_by("shift__starts_at", "pk")
    )


def pending_swaps(user) -> list[SwapRequest]:
    """The swap requests waiting for the town, in the user's jurisdiction. One query."""
    return list(
        SwapRequest.objects.visible_to(user)
        .filter(status=SwapStatus.REQUESTED)
        .select_related(
            "assignment__shift__checkpoint",
            "assignment__staff",
            "with_staff",
            "their_assignment__shift__checkpoint",
            "requested_by",
        )
        .order_by("assignment__shift__starts_at", "pk")
    )


@dataclass
class PersonHours:
    staff_id: int
    name: str
    role: str
    place: str
    shifts: int = 0
    planned: float = 0.0
    worked: float = 0.0
    nights: int = 0
    no_shows: int = 0
    checked_in: int = 0


def hours_worked(user, roster: Roster, now: datetime | None = None) -> list[PersonHours]:
    """Per person on a roster: shifts assigned, hours planned and actually worked (check-in to
    check-out), night shifts and no-shows (nobody checked in 15 minutes after the start).
    One query, over the assignments the user may see."""
    now = now or timezone.now()
    roles = dict(DutyRole.choices)
    late = timedelta(minutes=NO_SHOW_MINUTES)
    people: dict[int, PersonHours] = {}
    rows = (
        Assignment.objects.visible_to(user)
        .filter(shift__roster=roster)
        .values_list(
            "staff_id",
            "staff__name",
            "staff__role",
            "staff__jurisdiction__name",
            "shift__starts_at",
            "shift__ends_at",
            "shift__is_night",
            "checked_in_at",
            "checked_out_at",
        )
    )
    for staff_id, name, role, place, starts, ends, night, came, left in rows:
        person = people.get(staff_id)
        if person is None:
            person = people[staff_id] = PersonHours(staff_id, name, roles.get(role, role), place)
        person.shifts += 1
        person.planned += (ends - starts).total_seconds() / 3600
        person.nights += bool(night)
        if came is not None:
            person.checked_in += 1
            if left is not None:
                person.worked += (left - came).total_seconds() / 3600
        elif starts + late <= now:
            person.no_shows += 1
    return sorted(people.values(), key=lambda p: (p.role, p.name, p.staff_id))
