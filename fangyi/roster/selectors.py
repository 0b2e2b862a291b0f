"""Reads for the roster pages, always scoped, in few queries: the town's rosters, one roster's
checkpoints, the week grid of a checkpoint and a person's week, a shift with its people.

A roster belongs to a town; a village cadre reads the rosters of their town but only the
shifts of checkpoints in their village (`Shift.objects.visible_to`), and only their village's
staff: the rows that hold people data stay behind the one access rule.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from fangyi.checkpoints.models import Checkpoint
from fangyi.core.models import User
from fangyi.roster.models import (
    Assignment,
    DutyRole,
    Roster,
    RosterEvent,
    Shift,
    StaffMember,
)
from fangyi.roster.services import local_midnight

WEEK_DAYS = 7
HISTORY_ROWS = 100


def rosters_for_list(user: User) -> QuerySet[Roster]:
    """The rosters the user may read: their town's (a village's cadre reads its town's)."""
    rosters = Roster.objects.visible_to(user)
    return rosters.select_related("town").order_by("-starts_on", "-id")


def next_free_day(rosters: list[Roster], today: date) -> date:
    """The first day from tomorrow that none of `rosters` covers: a new roster's default."""
    day = today + timedelta(days=1)
    for roster in sorted(rosters, key=lambda r: r.starts_on):
        if roster.starts_on <= day <= roster.ends_on:
            day = roster.ends_on + timedelta(days=1)
    return day


def roster_for_page(user: User, pk: int) -> Roster | None:
    return rosters_for_list(user).filter(pk=pk).first()


def roster_checkpoints(user: User, roster: Roster) -> list[Checkpoint]:
    """The checkpoints of the roster whose shifts the user may read, by name."""
    shifts = Shift.objects.visible_to(user).filter(roster=roster).values("checkpoint_id")
    return list(Checkpoint.objects.filter(pk__in=shifts).order_by("name", "pk"))


def week_count(roster: Roster) -> int:
    return (roster.days + WEEK_DAYS - 1) // WEEK_DAYS


def week_days(roster: Roster, week: int) -> list[date]:
    """The days of the roster's `week` (1-based), at most seven."""
    first = roster.starts_on + timedelta(days=WEEK_DAYS * (week - 1))
    last = min(roster.ends_on, first + timedelta(days=WEEK_DAYS - 1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass
class Cell:
    """One shift of the grid: its people and what it lacks."""

    shift: Shift
    assignments: list[Assignment]
    missing_roles: list[str] = field(default_factory=list)  # duty-role labels short

    @property
    def short_by(self) -> int:
        return max(0, self.shift.needed - len(self.assignments))

    @property
    def is_short(self) -> bool:
        return self.short_by > 0 or bool(self.missing_roles)


@dataclass
class GridRow:
    label: str  # "00:00–08:00"
    cells: list[Cell | None]  # one per day; None: no shift then


@dataclass
class WeekGrid:
    days: list[date]
    rows: list[GridRow]


def _people_prefetch() -> Prefetch:
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.select_related("staff").order_by("staff__role", "staff__name"),
    )


def missing_roles(shift: Shift, assignments: list[Assignment]) -> list[str]:
    """The role minimums the shift's people fall short of: ["police 0/1"]."""
    missing = []
    for role, minimum in sorted(shift.role_minimums.items()):
        have = sum(1 for a in assignments if a.staff.role == role)
        if have < int(minimum):
            label = DutyRole(role).label if role in DutyRole.values else role
            missing.append(f"{label} {have}/{int(minimum)}")
    return missing


def _clock(shift: Shift) -> str:
    """A grid row's label: "00–08", "16–24"; with minutes when a shift starts off the hour."""
    start, end = timezone.localtime(shift.starts_at), timezone.localtime(shift.ends_at)
    if start.minute or end.minute:
        return f"{start:%H:%M}–{end:%H:%M}"
    return f"{start.hour:02d}–{end.hour or 24:02d}"


def week_grid(user: User, roster: Roster, checkpoint: Checkpoint, week: int) -> WeekGrid:
    """Rows: the shifts' times of day; columns: the week's days. Two queries."""
    days = week_days(roster, week)
    origin = local_midnight(days[0])
    horizon = origin + timedelta(days=len(days))
    shifts = (
        Shift.objects.visible_to(user)
        .filter(roster=roster, checkpoint=checkpoint, starts_at__gte=origin, starts_at__lt=horizon)
        .prefetch_related(_people_prefetch())
        .order_by("starts_at")
    )
    by_clock: dict[str, dict[date, Cell]] = {}
    order: dict[str, tuple] = {}
    for shift in shifts:
        shift.checkpoint = checkpoint
        label = _clock(shift)
        local = timezone.localtime(shift.starts_at)
        order.setdefault(label, (local.hour, local.minute, shift.hours))
        people = list(shift.assignments.all())
        by_clock.setdefault(label, {})[local.date()] = Cell(
            shift, people, missing_roles(shift, people)
        )
    rows = [
        GridRow(label, [by_clock[label].get(day) for day in days])
        for label in sorted(by_clock, key=lambda key: order[key])
    ]
    return WeekGrid(days, rows)


@dataclass
class StaffDay:
    day: date
    assignments: list[Assignment]


def staff_week(user: User, roster: Roster, staff: StaffMember, week: int) -> list[StaffDay]:
    """A person's shifts in the roster's `week`, day by day (one query)."""
    days = week_days(roster, week)
    origin = local_midnight(days[0])
    horizon = origin + timedelta(days=len(days))
    assignments = (
        Assignment.objects.visible_to(user)
        .filter(
            staff=staff,
            shift__roster=roster,
            shift__starts_at__gte=origin,
            shift__starts_at__lt=horizon,
        )
        .select_related("shift__checkpoint")
        .order_by("shift__starts_at")
    )
    by_day: dict[date, list[Assignment]] = {day: [] for day in days}
    for assignment in assignments:
        by_day.setdefault(assignment.shift.local_date, []).append(assignment)
    return [StaffDay(day, by_day[day]) for day in days]


def staff_for_page(user: User, roster: Roster, pk: int) -> StaffMember | None:
    return StaffMember.objects.visible_to(user).within(roster.town_id).filter(pk=pk).first()


def readable_staff_ids(user: User, assignments: list[Assignment]) -> set[int]:
    """Which of these assignments' people the user may open (a village reads its own)."""
    ids = {a.staff_id for a in assignments}
    return set(StaffMember.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def roster_staff(user: User, roster: Roster) -> QuerySet[StaffMember]:
    """The town's active staff the user may read: whom they may put on a shift."""
    return StaffMember.objects.visible_to(user).in_town(roster.town_id).order_by("role", "name")


def shift_for_page(user: User, pk: int) -> Shift | None:
    """A shift with its roster, checkpoint and people (two queries)."""
    return (
        Shift.objects.visible_to(user)
        .select_related("roster__town", "checkpoint")
        .prefetch_related(_people_prefetch())
        .filter(pk=pk)
        .first()
    )


def assignment_for_page(user: User, pk: int) -> Assignment | None:
    return (
        Assignment.objects.visible_to(user)
        .select_related("shift__roster", "shift__checkpoint", "staff")
        .filter(pk=pk)
        .first()
    )


def roster_history(roster: Roster) -> list[RosterEvent]:
    """The newest events first."""
    return list(roster.events.order_by("-at", "-id")[:HISTORY_ROWS])
