"""Every write the roster domain does: the staff pool, demand, rosters and their solving, hand
edits, swaps, check-in and the no-show sweep. Pages, API and CLI call these."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangyi.checkpoints.models import Checkpoint
from fangyi.core import crypto
from fangyi.core.audit import Actor
from fangyi.core.bulk import DbValues, allocate_ids, insert_rows
from fangyi.core.identity import IdentityError, normalize_phone
from fangyi.core.models import AlertKind, Jurisdiction, JurisdictionLevel, User
from fangyi.core.services import raise_alert
from fangyi.roster import solver
from fangyi.roster.models import (
    MAX_ROSTER_DAYS,
    NIGHT_ENDS_HOUR,
    NIGHT_STARTS_HOUR,
    SHIFT_HOURS,
    Assignment,
    AssignmentSource,
    CheckpointDemand,
    DutyRole,
    Roster,
    RosterEvent,
    RosterEventKind,
    RosterStatus,
    Shift,
    SolveResult,
    SolveState,
    StaffGroup,
    StaffMember,
    SwapRequest,
    SwapStatus,
    Unavailability,
)

# Check-in opens this long before a shift starts; nobody checked in this long after the start
# is a no-show.
CHECK_IN_OPENS_MINUTES = 30
NO_SHOW_MINUTES = 15


def _require(actor: Actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(_("your role may not do this"))


def _check_in_scope(actor: Actor, jurisdiction_code: str) -> None:
    user = actor.user
    if user is None or (user.is_superuser and user.jurisdiction_id is None):
        return
    if not user.jurisdiction_id or not jurisdiction_code.startswith(user.jurisdiction_id):
        raise PermissionDenied(_("this is outside your jurisdiction"))


def _event(actor: Actor, roster: Roster, kind: str, message: str = "") -> RosterEvent:
    return RosterEvent.objects.create(
        roster=roster,
        actor=actor.user,
        actor_username=actor.username,
        kind=kind,
        message=message[:300],
    )


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def shift_label(shift: Shift) -> str:
    """ "入口卡点 2/3 09:00–12:00": how a shift is named in messages."""
    start, end = timezone.localtime(shift.starts_at), timezone.localtime(shift.ends_at)
    return f"{shift.checkpoint.name} {start:%-m/%-d %H:%M}–{end:%H:%M}"


def _town(jurisdiction: Jurisdiction) -> Jurisdiction:
    if jurisdiction.level != JurisdictionLevel.TOWN:
        raise ValidationError({"town": _("a roster belongs to a town")})
    return jurisdiction


# The staff pool -----------------------------------------------------------------------------


def _clean_staff_fields(values: dict) -> dict:
    errors: dict[str, str] = {}
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            errors["name"] = _("a name is required")
    if "role" in values and values["role"] not in DutyRole.values:
        errors["role"] = _("unknown duty role: %(role)s") % {"role": values["role"]}
    if "jurisdiction" in values and len(values["jurisdiction"].code) < 9:
        errors["jurisdiction"] = _("staff belong to a town or a village")
    hours = values.get("max_hours_per_week")
    if hours is not None and not 1 <= int(hours) <= 84:
        errors["max_hours_per_week"] = _("hours per week run from 1 to 84")
    per_day = values.get("max_shifts_per_day")
    if per_day is not None and not 1 <= int(per_day) <= 4:
        errors["max_shifts_per_day"] = _("shifts per day run from 1 to 4")
    if "phone" in values:
        raw = values.pop("phone")
        if raw:
            try:
                values["phone_cipher"] = crypto.encrypt(normalize_phone(raw), "phone")
            except IdentityError as error:
                errors["phone"] = str(error)
        else:
            values["phone_cipher"] = None
    post = values.get("post")
    place = values.get("jurisdiction")
    if (
        post is not None
        and place is not None
        and not post.jurisdiction_id.startswith(place.code[:9])
    ):
        errors["post"] = _("the usual checkpoint must be in the staff member's town")
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def create_staff(
    actor: Actor,
    *,
    name: str,
    role: str,
    jurisdiction: Jurisdiction,
    phone: str = "",
    user: User | None = None,
    group: StaffGroup | None = None,
    post: Checkpoint | None = None,
    max_hours_per_week: int = 42,
    max_shifts_per_day: int = 2,
) -> StaffMember:
    _require(actor, "roster.add_staffmember")
    _check_in_scope(actor, jurisdiction.code)
    values = _clean_staff_fields(
        {
            "name": name,
            "role": role,
            "jurisdiction": jurisdiction,
            "phone": phone,
            "user": user,
            "group": group,
            "post": post,
            "max_hours_per_week": max_hours_per_week,
            "max_shifts_per_day": max_shifts_per_day,
        }
    )
    if user is not None and StaffMember.objects.filter(user=user).exists():
        raise ValidationError({"user": _("this account is on the duty list already")})
    return StaffMember.objects.create(**values)


@transaction.atomic
def update_staff(actor: Actor, staff: StaffMember, **values) -> StaffMember:
    """Change a staff member's details (not `active`: see `remove_staff`)."""
    _require(actor, "roster.change_staffmember")
    _check_in_scope(actor, staff.jurisdiction_id)
    values.setdefault("jurisdiction", staff.jurisdiction)
    _check_in_scope(actor, values["jurisdiction"].code)
    values = _clean_staff_fields(values)
    for name, value in values.items():
        setattr(staff, name, value)
    staff.save(update_fields=[*values, "updated_at"])
    return staff


@transaction.atomic
def remove_staff(
    actor: Actor, staff: StaffMember, *, reason: str = "", now: datetime | None = None
) -> int:
    """Take someone off the duty list (ill, reassigned): their shifts from now on are freed,
    locked ones too, and each roster concerned says so. Solve again to fill the places.
    Returns the number of shifts freed."""
    _require(actor, "roster.change_staffmember")
    _check_in_scope(actor, staff.jurisdiction_id)
    now = now or timezone.now()
    future = Assignment.objects.filter(
        staff=staff, shift__starts_at__gte=now, checked_in_at__isnull=True
    )
    by_roster: dict[int, int] = defaultdict(int)
    for roster_id in future.values_list("shift__roster_id", flat=True):
        by_roster[roster_id] += 1
    future.delete()
    staff.active = False
    staff.save(update_fields=["active", "updated_at"])
    for roster in Roster.objects.filter(pk__in=by_roster):
        _event(
            actor,
            roster,
            RosterEventKind.STAFF,
            ngettext(
                "%(name)s left the duty list (%(reason)s): %(n)d shift freed",
                "%(name)s left the duty list (%(reason)s): %(n)d shifts freed",
                by_roster[roster.pk],
            )
            % {"name": staff.name, "reason": reason or "—", "n": by_roster[roster.pk]},
        )
    return sum(by_roster.values())


@transaction.atomic
def create_group(actor: Actor, town: Jurisdiction, name: str) -> StaffGroup:
    _require(actor, "roster.change_staffmember")
    _check_in_scope(actor, town.code)
    _town(town)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("a name is required")})
    if StaffGroup.objects.filter(town=town, name=name).exists():
        raise ValidationError({"name": _("the town has a group of that name already")})
    return StaffGroup.objects.create(town=town, name=name)


@transaction.atomic
def add_unavailability(
    actor: Actor, staff: StaffMember, starts_at: datetime, ends_at: datetime, reason: str = ""
) -> Unavailability:
    """Record a time someone cannot work. Refused while a locked assignment falls in it: the
    lock says the town wants them there, so the town unlocks or moves it first."""
    _require(actor, "roster.change_staffmember")
    _check_in_scope(actor, staff.jurisdiction_id)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("the end must be after the start")})
    clashing = list(
        Assignment.objects.filter(
            staff=staff, locked=True, shift__starts_at__lt=ends_at, shift__ends_at__gt=starts_at
        ).select_related("shift__checkpoint")
    )
    if clashing:
        raise ValidationError(
            {
                "starts_at": _(
                    "%(name)s is locked on %(shifts)s in that time; unlock or remove it first"
                )
                % {"name": staff.name, "shifts": "、".join(shift_label(a.shift) for a in clashing)}
            }
        )
    return Unavailability.objects.create(
        staff=staff, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()[:100]
    )


# Demand -------------------------------------------------------------------------------------


def _clean_minimums(raw: dict, field: str, errors: dict) -> dict[str, int]:
    cleaned: dict[str, int] = {}
    for role, value in (raw or {}).items():
        if role not in DutyRole.values:
            errors[field] = _("unknown duty role: %(role)s") % {"role": role}
            continue
        try:
            number = int(value)
            if number != float(value):
                raise ValueError(value)
        except (TypeError, ValueError):
            errors[field] = _("role minimums are whole numbers")
            continue
        if number < 0:
            errors[field] = _("role minimums cannot be negative")
        elif number:
            cleaned[role] = number
    return cleaned


@transaction.atomic
def set_demand(
    actor: Actor,
    checkpoint: Checkpoint,
    *,
    shift_hours: int,
    people_per_shift: int,
    first_shift_hour: int = 0,
    role_minimums: dict | None = None,
    night_role_minimums: dict | None = None,
    active: bool = True,
) -> CheckpointDemand:
    """Set how a checkpoint is staffed (for rosters made from now on)."""
    _require(actor, "roster.change_checkpointdemand")
    _check_in_scope(actor, checkpoint.jurisdiction_id)
    errors: dict[str, str] = {}
    if shift_hours not in SHIFT_HOURS:
        errors["shift_hours"] = _("a shift lasts %(choices)s hours") % {
            "choices": "、".join(str(h) for h in SHIFT_HOURS)
        }
    if not 0 <= first_shift_hour < 24:
        errors["first_shift_hour"] = _("the first shift starts at an hour from 0 to 23")
    if not 1 <= people_per_shift <= 30:
        errors["people_per_shift"] = _("a shift takes 1 to 30 people")
    every = _clean_minimums(role_minimums or {}, "role_minimums", errors)
    night = _clean_minimums(night_role_minimums or {}, "night_role_minimums", errors)
    for field, minimums in (("role_minimums", every), ("night_role_minimums", {**every, **night})):
        total = sum(max(every.get(r, 0), minimums.get(r, 0)) for r in set(every) | set(minimums))
        if field not in errors and total > people_per_shift:
            errors[field] = _(
                "the role minimums add up to %(total)d people, more than the %(people)d a shift takes"
            ) % {"total": total, "people": people_per_shift}
    if errors:
        raise ValidationError(errors)
    demand, _created = CheckpointDemand.objects.update_or_create(
        checkpoint=checkpoint,
        defaults={
            "shift_hours": shift_hours,
            "first_shift_hour": first_shift_hour,
            "people_per_shift": people_per_shift,
            "role_minimums": every,
            "night_role_minimums": night,
            "active": active,
        },
    )
    return demand


def is_night(starts_at: datetime, ends_at: datetime) -> bool:
    """Whether a shift's midpoint falls in the night, [22:00, 06:00) local time."""
    middle = timezone.localtime(starts_at + (ends_at - starts_at) / 2)
    return middle.hour >= NIGHT_STARTS_HOUR or middle.hour < NIGHT_ENDS_HOUR


# Rosters ------------------------------------------------------------------------------------


@transaction.atomic
def create_roster(
    actor: Actor,
    *,
    town: Jurisdiction,
    starts_on: date,
    days: int,
    min_rest_hours: int = 8,
    keep_groups_together: bool = False,
) -> Roster:
    """A new draft roster with the shifts of every staffed checkpoint of the town."""
    _require(actor, "roster.add_roster")
    _check_in_scope(actor, town.code)
    _town(town)
    errors: dict[str, str] = {}
    if not 1 <= days <= MAX_ROSTER_DAYS:
        errors["days"] = _("a roster covers 1 to %(max)d days") % {"max": MAX_ROSTER_DAYS}
    if not 0 <= min_rest_hours <= 24:
        errors["min_rest_hours"] = _("the rest between shifts is 0 to 24 hours")
    if errors:
        raise ValidationError(errors)
    ends_on = starts_on + timedelta(days=days - 1)
    overlapping = (
        Roster.objects.filter(town=town, starts_on__lte=ends_on)
        .select_for_update()
        .order_by("starts_on")
    )
    for other in overlapping:
        if other.ends_on >= starts_on:
            raise ValidationError(
                {
                    "starts_on": _("the town's roster of %(from)s–%(to)s covers some of these days")
                    % {"from": f"{other.starts_on:%-m/%-d}", "to": f"{other.ends_on:%-m/%-d}"}
                }
            )
    demands = list(
        CheckpointDemand.objects.within(town.code)
        .filter(active=True, checkpoint__status__in=("open", "sealed_exit"))
        .select_related("checkpoint")
        .order_by("checkpoint_id")
    )
    if not demands:
        raise ValidationError(
            {"town": _("no checkpoint of %(town)s has its staffing set") % {"town": town.name}}
        )
    roster = Roster.objects.create(
        town=town,
        starts_on=starts_on,
        days=days,
        min_rest_hours=min_rest_hours,
        keep_groups_together=keep_groups_together,
        created_by=actor.user,
    )
    _make_shifts(roster, demands)
    _event(
        actor,
        roster,
        RosterEventKind.CREATED,
        _("%(days)d days from %(from)s, %(shifts)d shifts")
        % {"days": days, "from": f"{starts_on:%Y-%m-%d}", "shifts": roster.shifts.count()},
    )
    return roster


def _make_shifts(roster: Roster, demands: list[CheckpointDemand]) -> None:
    origin = local_midnight(roster.starts_on)
    horizon = origin + timedelta(days=roster.days)
    rows = []
    for demand in demands:
        length = timedelta(hours=demand.shift_hours)
        # Shifts tile the days from the first shift's hour; one starting the day before may
        # run into the first day, and the last may run past the last day.
        start = origin + timedelta(hours=demand.first_shift_hour)
        while start - length >= origin:
            start -= length
        while start < horizon:
            end = start + length
            night = is_night(start, end)
            rows.append(
                (
                    demand.checkpoint_id,
                    start,
                    end,
                    demand.people_per_shift,
                    demand.minimums_at(night),
                    night,
                )
            )
            start = end
    ids = allocate_ids(Shift, len(rows))
    db = DbValues()
    insert_rows(
        Shift,
        (
            "id",
            "roster_id",
            "checkpoint_id",
            "starts_at",
            "ends_at",
            "needed",
            "role_minimums",
            "is_night",
        ),
        [
            (
                pk,
                roster.pk,
                checkpoint,
                db.datetime(start),
                db.datetime(end),
                needed,
                db.json(minimums),
                night,
            )
            for pk, (checkpoint, start, end, needed, minimums, night) in zip(ids, rows, strict=True)
        ],
    )


# Solving ------------------------------------------------------------------------------------


def _minutes(moment: datetime, origin: datetime) -> int:
    return int((moment - origin).total_seconds() // 60)


def build_problem(roster: Roster, *, now: datetime) -> solver.Problem:
    """The roster as the solver sees it. Shifts already started are frozen: their people stay
    and nobody is added. Assignments named by a pending swap request are held like locked
    ones. The town's active staff are the pool; their shifts on the town's other rosters near
    these days are busy time (the rest rule holds across rosters)."""
    origin = local_midnight(roster.starts_on)
    horizon = origin + timedelta(days=roster.days + 1)
    shifts = list(roster.shifts.select_related("checkpoint").order_by("starts_at", "checkpoint_id"))
    staff = list(StaffMember.objects.in_town(roster.town_id).order_by("pk"))
    staff_ids = {p.pk for p in staff}
    away: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in Unavailability.objects.filter(
        staff__in=staff_ids, starts_at__lt=horizon, ends_at__gt=origin - timedelta(days=1)
    ).order_by("starts_at"):
        away[row.staff_id].append((_minutes(row.starts_at, origin), _minutes(row.ends_at, origin)))
    # A shift someone has asked to swap stays as it is until the town decides (a re-solve
    # would otherwise drop the request with the assignment it names).
    pending = SwapRequest.objects.filter(roster=roster, status=SwapStatus.REQUESTED)
    in_swaps = set(pending.values_list("assignment_id", flat=True)) | set(
        pending.exclude(their_assignment=None).values_list("their_assignment_id", flat=True)
    )
    current = [
        (shift_id, staff_id, locked or pk in in_swaps)
        for pk, shift_id, staff_id, locked in Assignment.objects.filter(
            shift__roster=roster
        ).values_list("pk", "shift_id", "staff_id", "locked")
    ]
    started = {s.pk for s in shifts if s.starts_at < now}
    people_on: dict[int, int] = defaultdict(int)
    for shift_id, _staff, _locked in current:
        people_on[shift_id] += 1
    current = [row for row in current if row[1] in staff_ids]
    # Shifts of the town's other rosters close to this one's days: the rest rule holds across.
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    reach = timedelta(hours=roster.min_rest_hours + 24)
    for staff_id, starts_at, ends_at in (
        Assignment.objects.filter(
            staff__in=staff_ids,
            shift__starts_at__lt=horizon + reach,
            shift__ends_at__gt=origin - reach,
        )
        .exclude(shift__roster=roster)
        .values_list("staff_id", "shift__starts_at", "shift__ends_at")
    ):
        busy[staff_id].append((_minutes(starts_at, origin), _minutes(ends_at, origin)))
    checkpoints = {
        s.checkpoint_id: solver.CheckpointIn(
            s.checkpoint_id, s.checkpoint.name, s.checkpoint.jurisdiction_id
        )
        for s in shifts
    }
    return solver.Problem(
        days=roster.days,
        staff=[
            solver.StaffIn(
                id=p.pk,
                name=p.name,
                role=p.role,
                home=p.jurisdiction_id,
                max_minutes_per_week=p.max_hours_per_week * 60,
                max_shifts_per_day=p.max_shifts_per_day,
                group=p.group_id,
                post=p.post_id,
                unavailable=tuple(away.get(p.pk, ())),
                busy=tuple(busy.get(p.pk, ())),
            )
            for p in staff
        ],
        shifts=[
            solver.ShiftIn(
                id=s.pk,
                checkpoint=s.checkpoint_id,
                start=_minutes(s.starts_at, origin),
                end=_minutes(s.ends_at, origin),
                needed=people_on[s.pk] if s.pk in started else s.needed,
                minimums=() if s.pk in started else tuple(sorted(s.role_minimums.items())),
                night=s.is_night,
            )
            for s in shifts
        ],
        checkpoints=checkpoints,
        min_rest_minutes=roster.min_rest_hours * 60,
        keep_groups_together=roster.keep_groups_together,
        locked=frozenset((a, b) for a, b, locked in current if locked and a not in started),
        frozen=frozenset((a, b) for a, b, _locked in current if a in started),
        previous=frozenset((a, b) for a, b, locked in current if not locked and a not in started),
    )


def _set_solve_state(roster: Roster, state: str, progress: str = "", **fields) -> None:
    """Written outside the solve's transaction, so the page polling the roster sees it."""
    Roster.objects.filter(pk=roster.pk).update(
        solve_state=state, solve_progress=progress[:200], **fields
    )


def _last_edit_id(roster: Roster) -> int:
    edits = (
        RosterEventKind.ASSIGNED,
        RosterEventKind.UNASSIGNED,
        RosterEventKind.LOCKED,
        RosterEventKind.SWAPPED,
        RosterEventKind.STAFF,
    )
    last = roster.events.filter(kind__in=edits).order_by("-id").values_list("id", flat=True).first()
    return last or 0


def solve_roster(
    actor: Actor,
    roster: Roster,
    *,
    time_limit: float = 10.0,
    now: datetime | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> solver.Solution:
    """Draw the roster with the solver and store it, keeping locked assignments and shifts
    already started. A result with no roster (INFEASIBLE) changes no assignment; its
    explanation says why. Hand edits made while solving win: the result is then dropped."""
    _require(actor, "roster.solve_roster")
    _check_in_scope(actor, roster.town_id)
    now = now or timezone.now()
    if local_midnight(roster.starts_on + timedelta(days=roster.days)) <= now:
        raise ValidationError({"roster": _("this roster's days are over")})
    if not 1 <= time_limit <= 600:
        raise ValidationError({"time_limit": _("the time limit is 1 to 600 seconds")})
    edit_before = _last_edit_id(roster)
    _set_solve_state(
        roster,
        SolveState.RUNNING,
        _("preparing"),
        solve_started_at=timezone.now(),
        time_limit_seconds=int(time_limit),
    )

    def report(done: int, total: int, seconds: float) -> None:
        if done == total or done % 10 == 0:
            _set_solve_state(
                roster,
                SolveState.RUNNING,
                _("%(done)d of %(total)d checkpoints, %(seconds).0f s")
                % {"done": done, "total": total, "seconds": seconds},
            )
        if progress:
            progress(done, total, seconds)

    try:
        problem = build_problem(roster, now=now)
        solution = solver.solve(problem, time_limit, progress=report)
        with transaction.atomic():
            locked_roster = Roster.objects.select_for_update().get(pk=roster.pk)
            if _last_edit_id(locked_roster) != edit_before:
                raise ValidationError(
                    {"roster": _("the roster was changed by hand while solving; solve again")}
                )
            if solution.status != SolveResult.INFEASIBLE:
                _store_assignments(locked_roster, problem, solution, now=now)
            explanation = explain(problem, solution, town=roster.town)
            fields = {
                "solve_state": SolveState.DONE,
                "solve_progress": "",
                "solve_finished_at": timezone.now(),
                "result": solution.status,
                "solve_seconds": round(solution.seconds, 2),
                "explanation": explanation,
            }
            if solution.status != SolveResult.INFEASIBLE:  # else the roster kept keeps its figures
                fields.update(
                    objective=solution.objective,
                    bound=solution.bound,
                    uncovered=solution.uncovered,
                )
            for name, value in fields.items():
                setattr(locked_roster, name, value)
            locked_roster.save(update_fields=[*fields, "updated_at"])
            _event(actor, locked_roster, RosterEventKind.SOLVED, _summary(solution))
    except Exception as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        _set_solve_state(roster, SolveState.FAILED, message, solve_finished_at=timezone.now())
        raise
    roster.refresh_from_db()
    return solution


def _summary(solution: solver.Solution) -> str:
    if solution.status == SolveResult.INFEASIBLE:
        return _("no roster found; the assignments were kept as they were")
    return _("%(status)s: %(n)d assignments, %(uncovered)d places uncovered, %(seconds).1f s") % {
        "status": solution.status,
        "n": len(solution.assignments),
        "uncovered": solution.uncovered,
        "seconds": solution.seconds,
    }


def _store_assignments(
    roster: Roster, problem: solver.Problem, solution: solver.Solution, *, now: datetime
) -> None:
    """Make the roster's assignments the solution's: those kept stay untouched (with their
    check-ins), the others go, the new ones come. Shifts already started are never touched,
    whoever is on them (someone who has left the list since included)."""
    wanted = set(solution.assignments)
    existing = {
        (shift_id, staff_id): pk
        for pk, shift_id, staff_id in Assignment.objects.filter(
            shift__roster=roster, shift__starts_at__gte=now
        ).values_list("pk", "shift_id", "staff_id")
    }
    frozen = problem.locked | problem.frozen
    gone = [pk for key, pk in existing.items() if key not in wanted and key not in frozen]
    for start in range(0, len(gone), 5000):
        Assignment.objects.filter(pk__in=gone[start : start + 5000]).delete()
    new = sorted(wanted - set(existing) - problem.frozen)
    ids = allocate_ids(Assignment, len(new))
    db = DbValues()
    stamp = db.datetime(timezone.now())
    insert_rows(
        Assignment,
        ("id", "shift_id", "staff_id", "locked", "source", "assigned_at"),
        [
            (pk, shift_id, staff_id, False, AssignmentSource.SOLVER, stamp)
            for pk, (shift_id, staff_id) in zip(ids, new, strict=True)
        ],
    )


def explain(
    problem: solver.Problem, solution: solver.Solution, *, town: Jurisdiction
) -> list[dict]:
    """What the roster could not meet, in the current language: [{"message": ..., figures}]."""
    names = {p.id: p.name for p in problem.staff}
    shifts = {s.id: s for s in problem.shifts}
    roles = dict(DutyRole.choices)
    found: list[dict] = []

    def when(shift_id: int) -> str:
        shift = shifts[shift_id]
        return f"{problem.checkpoints[shift.checkpoint].name} {_clock(shift)}"

    for conflict in solution.conflicts:
        name = names.get(conflict.staff, "?")
        if conflict.kind == "unavailable":
            message = _("%(name)s is locked on %(shift)s but is unavailable then") % {
                "name": name,
                "shift": when(conflict.shifts[0]),
            }
        elif conflict.kind == "rest":
            message = _(
                "%(name)s is locked on %(first)s and %(second)s, with less than %(hours)d hours of rest between"
            ) % {
                "name": name,
                "first": when(conflict.shifts[0]),
                "second": when(conflict.shifts[1]),
                "hours": problem.min_rest_minutes // 60,
            }
        elif conflict.kind == "day":
            message = _("%(name)s is locked on %(n)d shifts in one day: %(shifts)s") % {
                "name": name,
                "n": len(conflict.shifts),
                "shifts": "、".join(when(s) for s in conflict.shifts),
            }
        else:
            message = _("%(name)s is locked on more hours in one week than allowed: %(shifts)s") % {
                "name": name,
                "shifts": "、".join(when(s) for s in conflict.shifts),
            }
        found.append(
            {"kind": f"locked_{conflict.kind}", "staff": conflict.staff, "message": message}
        )
    if solution.status == SolveResult.INFEASIBLE and not solution.conflicts:
        found.append(
            {
                "kind": "no_roster",
                "message": _(
                    "no roster keeps every locked assignment and group together within the "
                    "time limit: unlock some assignments, let groups split, or allow more time"
                ),
            }
        )
    for shortfall in solution.shortfalls:
        figures = {
            "needed": shortfall.needed,
            "covered": shortfall.covered,
            "short": shortfall.needed - shortfall.covered,
            "staff": shortfall.staff,
            "capacity": shortfall.capacity,
            "role": str(roles.get(shortfall.role, shortfall.role or "")),
        }
        if shortfall.checkpoint is None:
            figures["checkpoint"] = town.name
            if shortfall.staff == 0:
                message = (
                    _(
                        "%(checkpoint)s needs %(needed)d %(role)s shifts, and no %(role)s is on its duty list"
                    )
                    % figures
                )
            else:
                message = (
                    _(
                        "%(checkpoint)s needs %(needed)d %(role)s shifts in this period; its %(staff)d "
                        "%(role)s can work %(capacity)d at most (%(short)d uncovered)"
                    )
                    % figures
                )
        else:
            figures["checkpoint"] = problem.checkpoints[shortfall.checkpoint].name
            if shortfall.role is None:
                message = (
                    _(
                        "%(checkpoint)s needs %(needed)d person-shifts in this period; only %(staff)d "
                        "people are available there, for %(capacity)d (%(short)d uncovered)"
                    )
                    % figures
                )
            else:
                message = (
                    _(
                        "%(checkpoint)s needs %(needed)d %(role)s shifts in this period; only %(staff)d "
                        "%(role)s are available there, for %(capacity)d (%(short)d uncovered)"
                    )
                    % figures
                )
        found.append(
            {
                "kind": "shortfall",
                "checkpoint": shortfall.checkpoint,
                "duty_role": shortfall.role,
                **{k: v for k, v in figures.items() if k not in ("role", "checkpoint")},
                "message": message,
            }
        )
    return found


def _clock(shift: solver.ShiftIn) -> str:
    """A shift's day and hours relative to the roster: "第2天 09:00–12:00"."""
    day = shift.start // solver.MINUTES_PER_DAY + 1
    start = shift.start % solver.MINUTES_PER_DAY
    end = shift.end % solver.MINUTES_PER_DAY
    return _("day %(day)d %(start)s–%(end)s") % {
        "day": day,
        "start": f"{start // 60:02d}:{start % 60:02d}",
        "end": f"{end // 60:02d}:{end % 60:02d}",
    }


def queue_solve(actor: Actor, roster: Roster, *, time_limit: float = 10.0) -> Roster:
    """Solve in the background worker (the page polls the roster's progress)."""
    from django.utils import translation

    from fangyi.roster.tasks import solve_roster_task

    _require(actor, "roster.solve_roster")
    _check_in_scope(actor, roster.town_id)
    if roster.is_solving:
        raise ValidationError({"roster": _("this roster is being solved already")})
    _set_solve_state(roster, SolveState.QUEUED, _("waiting for the worker"), solve_started_at=None)
    transaction.on_commit(
        lambda: solve_roster_task.enqueue(
            roster.pk,
            actor.user.pk if actor.user else None,
            actor.ip_address,
            actor.label,
            translation.get_language() or "zh-hans",
            time_limit,
        )
    )
    roster.refresh_from_db()
    return roster


# Hand edits ---------------------------------------------------------------------------------


def assignment_problems(
    shift: Shift, staff: StaffMember, *, ignoring: Iterable[int] = ()
) -> list[str]:
    """Why `staff` may not take `shift` (empty: they may), by the solver's rules. Assignments
    in `ignoring` (ids) are left out, as for the two shifts of a swap."""
    roster = shift.roster
    ignoring = set(ignoring)
    problems: list[str] = []
    name = staff.name
    if not staff.active:
        problems.append(_("%(name)s is not on the duty list") % {"name": name})
    if staff.town_code != roster.town_id:
        problems.append(_("%(name)s is not on the duty list of this town") % {"name": name})
    away = staff.unavailabilities.filter(
        starts_at__lt=shift.ends_at, ends_at__gt=shift.starts_at
    ).first()
    if away:
        problems.append(
            _("%(name)s is unavailable then (%(reason)s)")
            % {"name": name, "reason": away.reason or "—"}
        )
    here = shift.assignments.exclude(pk__in=ignoring)
    if here.filter(staff=staff).exists():
        problems.append(_("%(name)s is on this shift already") % {"name": name})
    elif here.count() >= shift.needed:
        problems.append(
            _("this shift has all the %(n)d people it needs; remove someone first")
            % {"n": shift.needed}
        )
    rest = timedelta(hours=roster.min_rest_hours)
    others = list(
        Assignment.objects.filter(
            staff=staff,
            shift__starts_at__lt=shift.ends_at + rest + timedelta(days=7),
            shift__ends_at__gt=shift.starts_at - rest - timedelta(days=7),
        )
        .exclude(pk__in=ignoring)
        .exclude(shift=shift)
        .select_related("shift__checkpoint")
    )
    for other in others:
        o = other.shift
        if o.starts_at < shift.ends_at and shift.starts_at < o.ends_at:
            problems.append(
                _("%(name)s is on %(shift)s at the same time")
                % {"name": name, "shift": shift_label(o)}
            )
        elif o.starts_at < shift.ends_at + rest and shift.starts_at < o.ends_at + rest:
            problems.append(
                _("%(name)s works %(shift)s: less than %(hours)d hours of rest between")
                % {"name": name, "shift": shift_label(o), "hours": roster.min_rest_hours}
            )
    day = shift.local_date
    same_day = [o for o in others if o.shift.local_date == day]
    if len(same_day) >= staff.max_shifts_per_day:
        problems.append(
            _("%(name)s has %(n)d shifts on %(day)s already, the most a day")
            % {"name": name, "n": len(same_day), "day": f"{day:%-m/%-d}"}
        )
    block = (day - roster.starts_on).days // 7
    block_start = roster.starts_on + timedelta(days=7 * block)
    in_block = [o for o in others if 0 <= (o.shift.local_date - block_start).days < 7]
    hours = sum(o.shift.hours for o in in_block) + shift.hours
    limit = staff.max_hours_per_week
    if hours > limit:
        problems.append(
            _("%(name)s would work %(hours)g hours in the week from %(day)s, more than %(limit)g")
            % {"name": name, "hours": hours, "day": f"{block_start:%-m/%-d}", "limit": limit}
        )
    return problems


def _locked_shift(shift: Shift) -> Shift:
    return Shift.objects.select_for_update().select_related("roster", "checkpoint").get(pk=shift.pk)


@transaction.atomic
def assign_staff(actor: Actor, shift: Shift, staff: StaffMember) -> Assignment:
    """Put someone on a shift by hand, if the rules allow; it is locked, so solving again
    keeps it."""
    _require(actor, "roster.change_roster")
    shift = _locked_shift(shift)
    _check_in_scope(actor, shift.roster.town_id)
    StaffMember.objects.select_for_update().filter(
        pk=staff.pk
    ).first()  # one edit per person at a time
    problems = assignment_problems(shift, staff)
    if problems:
        raise ValidationError(problems)
    assignment = Assignment.objects.create(
        shift=shift, staff=staff, locked=True, source=AssignmentSource.MANUAL
    )
    _event(
        actor,
        shift.roster,
        RosterEventKind.ASSIGNED,
        _("%(name)s on %(shift)s") % {"name": staff.name, "shift": shift_label(shift)},
    )
    return assignment


@transaction.atomic
def unassign_staff(actor: Actor, assignment: Assignment) -> None:
    _require(actor, "roster.change_roster")
    assignment = Assignment.objects.select_related(
        "shift__roster", "shift__checkpoint", "staff"
    ).get(pk=assignment.pk)
    _check_in_scope(actor, assignment.shift.roster.town_id)
    if assignment.checked_in_at:
        raise ValidationError(
            _("%(name)s has checked in to this shift") % {"name": assignment.staff.name}
        )
    assignment.delete()
    _event(
        actor,
        assignment.shift.roster,
        RosterEventKind.UNASSIGNED,
        _("%(name)s off %(shift)s")
        % {"name": assignment.staff.name, "shift": shift_label(assignment.shift)},
    )


@transaction.atomic
def set_locked(actor: Actor, assignment: Assignment, locked: bool) -> Assignment:
    _require(actor, "roster.change_roster")
    assignment = Assignment.objects.select_related(
        "shift__roster", "shift__checkpoint", "staff"
    ).get(pk=assignment.pk)
    _check_in_scope(actor, assignment.shift.roster.town_id)
    shift = assignment.shift
    if locked:
        away = assignment.staff.unavailabilities.filter(
            starts_at__lt=shift.ends_at, ends_at__gt=shift.starts_at
        ).first()
        if away:
            raise ValidationError(
                _("%(name)s is unavailable then (%(reason)s); a lock would keep them there")
                % {"name": assignment.staff.name, "reason": away.reason or "—"}
            )
    if assignment.locked != locked:
        assignment.locked = locked
        assignment.save(update_fields=["locked"])
        _event(
            actor,
            assignment.shift.roster,
            RosterEventKind.LOCKED,
            (_("%(name)s locked on %(shift)s") if locked else _("%(name)s unlocked on %(shift)s"))
            % {"name": assignment.staff.name, "shift": shift_label(assignment.shift)},
        )
    return assignment


@transaction.atomic
def publish_roster(actor: Actor, roster: Roster) -> Roster:
    """Show the roster to the staff ("my shifts") and start following it (no-show alerts)."""
    _require(actor, "roster.solve_roster")
    roster = Roster.objects.select_for_update().get(pk=roster.pk)
    _check_in_scope(actor, roster.town_id)
    if roster.is_solving:
        raise ValidationError(_("wait until the solve ends"))
    if not Assignment.objects.filter(shift__roster=roster).exists():
        raise ValidationError(_("the roster has nobody on it yet; solve it first"))
    roster.status = RosterStatus.PUBLISHED
    roster.published_at = timezone.now()
    roster.save(update_fields=["status", "published_at", "updated_at"])
    _event(actor, roster, RosterEventKind.PUBLISHED)
    return roster


# Swaps --------------------------------------------------------------------------------------


def _own_or_town(actor: Actor, staff: StaffMember) -> None:
    """A swap is asked for by the person giving the shift, or by the town for them."""
    if actor.user is not None and staff.user_id == actor.user.pk:
        return
    _require(actor, "roster.change_roster")
    _check_in_scope(actor, staff.jurisdiction_id[:9])


def _role_minimum_problems(shift: Shift, leaving: StaffMember, coming: StaffMember) -> list[str]:
    """Why `coming` may not replace `leaving` on `shift`: it would take the shift below the
    minimum of `leaving`'s duty role (e.g. the one police officer a checkpoint needs)."""
    if leaving.role == coming.role:
        return []
    needed = int(shift.role_minimums.get(leaving.role, 0))
    if needed <= 0:
        return []
    left = shift.assignments.filter(staff__role=leaving.role).count() - 1
    if left >= needed:
        return []
    return [
        _("%(shift)s needs at least %(n)d %(role)s; after the swap it would have %(left)d")
        % {
            "shift": shift_label(shift),
            "n": needed,
            "role": DutyRole(leaving.role).label,
            "left": max(left, 0),
        }
    ]


def _swap_problems(
    assignment: Assignment, with_staff: StaffMember, their: Assignment | None
) -> list[str]:
    ignoring = [assignment.pk] + ([their.pk] if their else [])
    problems = assignment_problems(assignment.shift, with_staff, ignoring=ignoring)
    problems += _role_minimum_problems(assignment.shift, assignment.staff, with_staff)
    if their is not None:
        problems += assignment_problems(their.shift, assignment.staff, ignoring=ignoring)
        problems += _role_minimum_problems(their.shift, with_staff, assignment.staff)
    return problems


@transaction.atomic
def request_swap(
    actor: Actor,
    assignment: Assignment,
    with_staff: StaffMember,
    *,
    their_assignment: Assignment | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> SwapRequest:
    """Ask the town to let `with_staff` take `assignment`'s shift (and, with
    `their_assignment`, give theirs back). Checked now, and again when the town decides."""
    now = now or timezone.now()
    assignment = Assignment.objects.select_related(
        "shift__roster", "shift__checkpoint", "staff"
    ).get(pk=assignment.pk)
    _own_or_town(actor, assignment.staff)
    errors: list[str] = []
    if assignment.shift.starts_at <= now:
        errors.append(_("this shift has started"))
    if with_staff.pk == assignment.staff_id:
        errors.append(_("choose someone else to swap with"))
    if their_assignment is not None:
        their_assignment = Assignment.objects.select_related(
            "shift__roster", "shift__checkpoint", "staff"
        ).get(pk=their_assignment.pk)
        if their_assignment.staff_id != with_staff.pk:
            errors.append(
                _("the shift taken in exchange must be %(name)s's") % {"name": with_staff.name}
            )
        elif their_assignment.shift.starts_at <= now:
            errors.append(_("the shift taken in exchange has started"))
    if SwapRequest.objects.filter(assignment=assignment, status=SwapStatus.REQUESTED).exists():
        errors.append(_("a swap of this shift is waiting for the town already"))
    if not errors:
        errors = _swap_problems(assignment, with_staff, their_assignment)
    if errors:
        raise ValidationError(errors)
    return SwapRequest.objects.create(
        roster=assignment.shift.roster,
        assignment=assignment,
        with_staff=with_staff,
        their_assignment=their_assignment,
        reason=reason.strip()[:200],
        requested_by=actor.user,
    )


@transaction.atomic
def decide_swap(
    actor: Actor, swap: SwapRequest, *, approve: bool, note: str = "", now: datetime | None = None
) -> SwapRequest:
    """The town approves (the shifts change hands, locked) or rejects a swap request."""
    _require(actor, "roster.change_swaprequest")
    now = now or timezone.now()
    swap = SwapRequest.objects.select_for_update().select_related("roster").get(pk=swap.pk)
    _check_in_scope(actor, swap.roster.town_id)
    if swap.status != SwapStatus.REQUESTED:
        raise ValidationError(
            _("this swap was %(status)s already") % {"status": swap.get_status_display()}
        )
    if approve:
        given = Assignment.objects.select_related(
            "shift__roster", "shift__checkpoint", "staff"
        ).get(pk=swap.assignment_id)
        _locked_shift(given.shift)
        their = None
        if swap.their_assignment_id:
            their = Assignment.objects.select_related(
                "shift__roster", "shift__checkpoint", "staff"
            ).get(pk=swap.their_assignment_id)
            _locked_shift(their.shift)
        problems = []
        if given.shift.starts_at <= now or (their and their.shift.starts_at <= now):
            problems.append(_("the shift has started"))
        problems += _swap_problems(given, swap.with_staff, their)
        if problems:
            raise ValidationError(problems)
        giver = given.staff
        given.staff = swap.with_staff
        given.locked, given.source = True, AssignmentSource.SWAP
        given.save(update_fields=["staff", "locked", "source"])
        if their is not None:
            # In place: the checks above refused either person already on the other's shift.
            their.staff = giver
            their.locked, their.source = True, AssignmentSource.SWAP
            their.save(update_fields=["staff", "locked", "source"])
        message = _("%(giver)s gives %(shift)s to %(taker)s") % {
            "giver": giver.name,
            "shift": shift_label(given.shift),
            "taker": swap.with_staff.name,
        }
        if their is not None:
            message += _(", and takes %(shift)s") % {"shift": shift_label(their.shift)}
        _event(actor, swap.roster, RosterEventKind.SWAPPED, message)
    swap.status = SwapStatus.APPROVED if approve else SwapStatus.REJECTED
    swap.decided_by, swap.decided_at = actor.user, now
    swap.decision_note = note.strip()[:200]
    swap.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    return swap


@transaction.atomic
def withdraw_swap(actor: Actor, swap: SwapRequest) -> SwapRequest:
    swap = (
        SwapRequest.objects.select_for_update().select_related("assignment__staff").get(pk=swap.pk)
    )
    _own_or_town(actor, swap.assignment.staff)
    if swap.status != SwapStatus.REQUESTED:
        raise ValidationError(
            _("this swap was %(status)s already") % {"status": swap.get_status_display()}
        )
    swap.status = SwapStatus.WITHDRAWN
    swap.save(update_fields=["status", "updated_at"])
    return swap


# Check-in -----------------------------------------------------------------------------------


def _own_assignment(actor: Actor, assignment: Assignment) -> Assignment:
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("shift__roster", "shift__checkpoint", "staff")
        .get(pk=assignment.pk)
    )
    user = actor.user
    if user is None or assignment.staff.user_id != user.pk:
        # The checkpoint's leader may check someone in whose phone is dead.
        _require(actor, "roster.change_roster")
        _check_in_scope(actor, assignment.shift.roster.town_id)
    if assignment.shift.roster.status != RosterStatus.PUBLISHED:
        raise ValidationError(_("this roster is not published yet"))
    return assignment


@transaction.atomic
def check_in(actor: Actor, assignment: Assignment, *, now: datetime | None = None) -> Assignment:
    """Arrive for a shift: from 30 minutes before it starts until it ends. Twice is once."""
    now = now or timezone.now()
    assignment = _own_assignment(actor, assignment)
    shift = assignment.shift
    if assignment.checked_in_at:
        return assignment
    if now < shift.starts_at - timedelta(minutes=CHECK_IN_OPENS_MINUTES):
        raise ValidationError(
            _("check-in opens %(minutes)d minutes before the shift, at %(at)s")
            % {
                "minutes": CHECK_IN_OPENS_MINUTES,
                "at": f"{timezone.localtime(shift.starts_at - timedelta(minutes=CHECK_IN_OPENS_MINUTES)):%H:%M}",
            }
        )
    if now >= shift.ends_at:
        raise ValidationError(_("this shift is over"))
    assignment.checked_in_at = now
    assignment.save(update_fields=["checked_in_at"])
    return assignment


@transaction.atomic
def check_out(actor: Actor, assignment: Assignment, *, now: datetime | None = None) -> Assignment:
    """Leave a shift; the hours worked run from check-in to check-out (counted to 2 hours
    past the shift's end at most). Twice is once."""
    now = now or timezone.now()
    assignment = _own_assignment(actor, assignment)
    if assignment.checked_in_at is None:
        raise ValidationError(_("check in first"))
    if assignment.checked_out_at:
        return assignment
    # Forgetting to check out does not count the night after: at most 2 hours past the end.
    latest = assignment.shift.ends_at + timedelta(hours=2)
    assignment.checked_out_at = max(min(now, latest), assignment.checked_in_at)
    assignment.save(update_fields=["checked_out_at"])
    return assignment


@transaction.atomic
def sweep_no_shows(*, now: datetime | None = None) -> int:
    """Raise a no-show alert for each shift of a published roster with nobody checked in 15
    minutes after its start (once a shift). Run every minute (`fangyi roster-sweep`)."""
    now = now or timezone.now()
    due = list(
        Shift.objects.filter(
            roster__status=RosterStatus.PUBLISHED,
            no_show_alerted_at__isnull=True,
            starts_at__lte=now - timedelta(minutes=NO_SHOW_MINUTES),
            ends_at__gt=now,
        )
        .exclude(assignments__checked_in_at__isnull=False)
        .select_related("checkpoint__jurisdiction", "roster")
        .select_for_update(of=("self",))
        .order_by("starts_at", "checkpoint_id")
    )
    if not due:
        return 0
    on_shift: dict[int, list[str]] = defaultdict(list)
    for shift_id, name in Assignment.objects.filter(shift__in=due).values_list(
        "shift_id", "staff__name"
    ):
        on_shift[shift_id].append(name)
    for shift in due:
        names = "、".join(on_shift.get(shift.pk, [])) or _("nobody assigned")
        raise_alert(
            AlertKind.NO_SHOW,
            jurisdiction=shift.checkpoint.jurisdiction,
            message=_("%(shift)s: nobody has checked in (%(names)s)")
            % {"shift": shift_label(shift), "names": names},
            link=f"/roster/{shift.roster_id}/?checkpoint={shift.checkpoint_id}",
            raised_at=now,
        )
    Shift.objects.filter(pk__in=[s.pk for s in due]).update(no_show_alerted_at=now)
    return len(due)
