"""The roster as a CP-SAT model (OR-Tools). Pure Python: services.py turns the database into a
`Problem` and the `Solution` back into assignments; the benchmark calls it directly.

Times are whole minutes from local midnight of the roster's first day.

The model, in one paragraph: x[s, p] = 1 when person p works shift s. Every shift takes at most
the people it needs, and at least them minus a penalised shortfall; each role minimum likewise.
Two shifts of one person must not overlap and must leave the minimum rest between them; a
person works at most `max_shifts_per_day` shifts a local day and `max_minutes_per_week` in each
7-day block of the roster, and never while unavailable. Locked assignments are fixed. The
objective, in order of weight: cover every shift and role minimum; keep the assignments of the
roster being solved again; make the spread (most minus least) of hours and of night shifts
within each role small.

1,400 people × 5,656 shifts is 7.9 million pairs, too many for 10 seconds, and nobody hops
between a hundred checkpoints in a week anyway: each person is first *posted* to one
checkpoint (their usual one, where they worked in the roster being solved again, or where
staff of their role are shortest in proportion to the demand), and x exists only for the
shifts of their post. Posting is deterministic, so the same input gives the same roster.
"""

import math
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

MINUTES_PER_DAY = 1440

# Objective weights: one uncovered person-shift outweighs every fairness gain; keeping an
# earlier assignment outweighs an hour of spread.
SHORTFALL_WEIGHT = 100_000
KEEP_WEIGHT = 1_000
SPREAD_MINUTE_WEIGHT = 1
SPREAD_NIGHT_WEIGHT = 120
SURPLUS_WEIGHT = 10
# Posting aims staff of a role at this multiple of a checkpoint's role minimum, because rest
# rules keep a person from working every shift their hours would allow.
ROLE_MARGIN = 1.3
# Posting prefers a checkpoint in the person's own village unless another is this much shorter.
HOME_BONUS = 0.25


@dataclass(frozen=True)
class StaffIn:
    id: int
    name: str
    role: str
    home: str  # jurisdiction code: a village's, or the town's for town-level staff
    max_minutes_per_week: int
    max_shifts_per_day: int
    group: int | None = None
    post: int | None = None  # a checkpoint id, when fixed
    unavailable: tuple[tuple[int, int], ...] = ()  # [start, end) in minutes
    busy: tuple[tuple[int, int], ...] = ()  # shifts on other rosters: the rest rule holds


@dataclass(frozen=True)
class ShiftIn:
    id: int
    checkpoint: int
    start: int
    end: int
    needed: int
    minimums: tuple[tuple[str, int], ...] = ()  # (duty role, at least)
    night: bool = False

    @property
    def minutes(self) -> int:
        return self.end - self.start

    @property
    def day(self) -> int:
        return self.start // MINUTES_PER_DAY


@dataclass(frozen=True)
class CheckpointIn:
    id: int
    name: str
    jurisdiction: str


@dataclass
class Problem:
    days: int
    staff: list[StaffIn]
    shifts: list[ShiftIn]
    checkpoints: dict[int, CheckpointIn]
    min_rest_minutes: int = 8 * 60
    keep_groups_together: bool = False
    locked: frozenset[tuple[int, int]] = frozenset()  # (shift id, staff id), kept as they are
    # Assignments of shifts already started: kept too, but not held to the rules (someone
    # taken ill during their shift is away from now on, and that is why the roster changes).
    frozen: frozenset[tuple[int, int]] = frozenset()
    previous: frozenset[tuple[int, int]] = frozenset()  # the roster being solved again


@dataclass(frozen=True)
class Shortfall:
    """Demand left uncovered: at a checkpoint (or the whole town, `checkpoint` None), for a
    role (or for people of any role, `role` None), in person-shifts over the period."""

    checkpoint: int | None
    role: str | None
    needed: int
    covered: int
    staff: int  # people of that role who could work there
    capacity: int  # shifts they could work at most between them


@dataclass(frozen=True)
class Conflict:
    """A locked assignment the rules forbid, found before solving. `kind`: unavailable,
    rest (two of one person's shifts too close), day (too many shifts a day), week (too many
    hours a week)."""

    kind: str
    staff: int
    shifts: tuple[int, ...]


@dataclass
class Solution:
    status: str  # OPTIMAL, FEASIBLE or INFEASIBLE
    assignments: list[tuple[int, int]] = field(default_factory=list)  # (shift id, staff id)
    shortfalls: list[Shortfall] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    objective: float | None = None
    bound: float | None = None
    seconds: float = 0.0
    variables: int = 0
    # Places left empty: per shift, the people short or the role minimums unmet, whichever is
    # more (a police place left empty is one place, not two).
    uncovered: int = 0

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        if abs(self.objective) < 1e-9:
            return 0.0
        return abs(self.objective - self.bound) / abs(self.objective)


Progress = Callable[[int, int, float], None]  # (checkpoints solved, checkpoints, seconds)


def too_close(a_start: int, a_end: int, b_start: int, b_end: int, rest: int) -> bool:
    """Whether one person may not work both shifts: they overlap or leave less than `rest`
    between them. The one rule the solver, the hand edits and the benchmark all use."""
    return b_start < a_end + rest and a_start < b_end + rest


def overlaps(start: int, end: int, busy: tuple[tuple[int, int], ...]) -> bool:
    return any(start < b_end and b_start < end for b_start, b_end in busy)


def week_limit(staff: StaffIn) -> int:
    """Minutes allowed in each 7-day block of the roster (a shorter last block included: a
    one-day roster may give someone a full shift, which a prorated week would not)."""
    return staff.max_minutes_per_week


def locked_conflicts(problem: Problem) -> list[Conflict]:
    """Locked assignments breaking a rule: solving cannot keep them, so it does not start."""
    shifts = {s.id: s for s in problem.shifts}
    staff = {p.id: p for p in problem.staff}
    by_staff: dict[int, list[ShiftIn]] = defaultdict(list)
    for shift_id, staff_id in sorted(problem.locked):
        if shift_id in shifts and staff_id in staff:
            by_staff[staff_id].append(shifts[shift_id])
    found: list[Conflict] = []
    for staff_id, locked in by_staff.items():
        person = staff[staff_id]
        locked.sort(key=lambda s: s.start)
        for shift in locked:
            if overlaps(shift.start, shift.end, person.unavailable):
                found.append(Conflict("unavailable", staff_id, (shift.id,)))
        for i, a in enumerate(locked):
            for b in locked[i + 1 :]:
                if b.start >= a.end + problem.min_rest_minutes:
                    break
                found.append(Conflict("rest", staff_id, (a.id, b.id)))
        per_day: dict[int, list[int]] = defaultdict(list)
        per_week: dict[int, list[ShiftIn]] = defaultdict(list)
        for shift in locked:
            per_day[shift.day].append(shift.id)
            per_week[shift.day // 7].append(shift)
        for ids in per_day.values():
            if len(ids) > person.max_shifts_per_day:
                found.append(Conflict("day", staff_id, tuple(ids)))
        for block in per_week.values():
            if sum(s.minutes for s in block) > week_limit(person):
                found.append(Conflict("week", staff_id, tuple(s.id for s in block)))
    return found


def capacity_minutes(person: StaffIn, problem: Problem, shift_minutes: int) -> int:
    """The most a person could work in the period at a checkpoint with shifts this long: the
    tightest of the hours, shifts-per-day and rest limits, less the time they are away."""
    days = problem.days
    by_hours = person.max_minutes_per_week * days // 7
    by_day = person.max_shifts_per_day * days * shift_minutes
    by_rest = days * MINUTES_PER_DAY * shift_minutes // (shift_minutes + problem.min_rest_minutes)
    away = sum(
        min(end, days * MINUTES_PER_DAY) - max(start, 0) for start, end in person.unavailable
    )
    present = max(0.0, 1 - max(0, away) / (days * MINUTES_PER_DAY))
    return int(min(by_hours, by_day, by_rest + shift_minutes) * present)


def post_staff(problem: Problem) -> dict[int, int]:
    """Each person's checkpoint for the period ({staff id: checkpoint id}); see the module doc."""
    checkpoints = sorted(problem.checkpoints)
    role_demand: dict[int, dict[str, int]] = {c: defaultdict(int) for c in checkpoints}
    total_demand: dict[int, int] = dict.fromkeys(checkpoints, 0)
    open_demand: dict[int, int] = dict.fromkeys(checkpoints, 0)  # places anyone may fill
    shift_minutes: dict[int, int] = {}
    for shift in problem.shifts:
        total_demand[shift.checkpoint] += shift.needed * shift.minutes
        open_places = shift.needed - sum(n for _role, n in shift.minimums)
        open_demand[shift.checkpoint] += max(0, open_places) * shift.minutes
        shift_minutes.setdefault(shift.checkpoint, shift.minutes)
        for role, n in shift.minimums:
            role_demand[shift.checkpoint][role] += n * shift.minutes
    # Locked and started assignments fill their places already and use their people's time.
    by_id = {s.id: s for s in problem.shifts}
    role_of = {p.id: p.role for p in problem.staff}
    fixed_minutes: dict[int, int] = defaultdict(int)
    for shift_id, staff_id in problem.locked | problem.frozen:
        shift = by_id.get(shift_id)
        if shift is None or staff_id not in role_of:
            continue
        fixed_minutes[staff_id] += shift.minutes
        total_demand[shift.checkpoint] = max(0, total_demand[shift.checkpoint] - shift.minutes)
        if dict(shift.minimums).get(role_of[staff_id]):
            demand = role_demand[shift.checkpoint]
            demand[role_of[staff_id]] = max(0, demand[role_of[staff_id]] - shift.minutes)
    staffed = [c for c in checkpoints if total_demand[c] > 0]
    # A role minimum on shifts too close for one person to work two of (three night shifts
    # in a row, say) needs that many different people, whatever their hours allow; one more
    # gives them days off.
    heads_needed: dict[int, dict[str, int]] = {c: defaultdict(int) for c in checkpoints}
    role_shifts: dict[tuple[int, str], list[tuple[ShiftIn, int]]] = defaultdict(list)
    for shift in problem.shifts:
        for role, n in shift.minimums:
            role_shifts[shift.checkpoint, role].append((shift, n))
    for (checkpoint, role), pairs in role_shifts.items():
        pairs.sort(key=lambda pair: pair[0].start)
        most = 0
        for i, (a, n) in enumerate(pairs):
            together = n
            for b, m in pairs[i + 1 :]:
                if b.start >= a.end + problem.min_rest_minutes:
                    break
                together += m
            most = max(most, together)
        heads_needed[checkpoint][role] = most + 1
    heads: dict[int, dict[str, int]] = {c: defaultdict(int) for c in checkpoints}
    role_supply: dict[int, dict[str, float]] = {c: defaultdict(float) for c in checkpoints}
    total_supply: dict[int, float] = dict.fromkeys(checkpoints, 0.0)
    posts: dict[int, int] = {}

    def post(person: StaffIn, checkpoint: int, sign: int = 1) -> None:
        """Post a person (sign -1: take them off their post again)."""
        if sign > 0:
            posts[person.id] = checkpoint
        else:
            del posts[person.id]
        cap = capacity_minutes(person, problem, shift_minutes.get(checkpoint, 180))
        cap = max(0, cap - fixed_minutes[person.id])
        role_supply[checkpoint][person.role] += sign * cap
        total_supply[checkpoint] += sign * cap
        heads[checkpoint][person.role] += sign

    # Fixed posts, then where people worked in the roster being solved again.
    previous_at: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    shift_checkpoint = {s.id: s.checkpoint for s in problem.shifts}
    for shift_id, staff_id in problem.previous | problem.locked | problem.frozen:
        if shift_id in shift_checkpoint:
            previous_at[staff_id][shift_checkpoint[shift_id]] += 1
    units: list[list[StaffIn]] = []
    by_group: dict[int, list[StaffIn]] = defaultdict(list)
    for person in sorted(problem.staff, key=lambda p: p.id):
        if total_demand.get(person.post):
            post(person, person.post)
        elif previous_at.get(person.id):
            counts = previous_at[person.id]
            post(person, max(counts, key=lambda c: (counts[c], -c)))
        elif problem.keep_groups_together and person.group is not None:
            by_group[person.group].append(person)
        else:
            units.append([person])
    group_units = [by_group[g] for g in sorted(by_group)]
    if not staffed:
        return posts

    def is_home(unit: list[StaffIn], checkpoint: int) -> bool:
        place = problem.checkpoints[checkpoint].jurisdiction
        return any(len(p.home) > 9 and place.startswith(p.home) for p in unit)

    # Role minimums first, the scarcest role first: each person goes where their role is
    # shortest relative to its minimum, until every minimum has its margin.
    def role_scarcity(role: str) -> float:
        demand = sum(role_demand[c][role] for c in checkpoints)
        supply = sum(capacity_minutes(p, problem, 180) for u in units for p in u if p.role == role)
        return demand / supply if supply else math.inf

    roles = sorted(
        {r for c in checkpoints for r in role_demand[c]}, key=role_scarcity, reverse=True
    )

    def short_of(role: str, margin: float) -> list[int]:
        return [
            c
            for c in staffed
            if role_demand[c][role]
            and (
                role_supply[c][role] < margin * role_demand[c][role]
                or heads[c][role] < heads_needed[c][role]
            )
        ]

    def most_short(checkpoints_short: list[int], unit: list[StaffIn], role: str) -> int:
        return min(
            checkpoints_short,
            key=lambda c: (
                role_supply[c][role] / role_demand[c][role] - HOME_BONUS * is_home(unit, c),
                c,
            ),
        )

    for role in roles:
        for unit in [u for u in units if u[0].role == role]:
            short = short_of(role, ROLE_MARGIN)
            if not short:
                break
            post(unit[0], most_short(short, unit, role))
            units.remove(unit)
        # A roster solved again keeps people where they were; where that leaves a minimum
        # short (people left), move someone of the role from a post that can spare them.
        for _attempt in range(len(problem.staff)):
            short = short_of(role, 1.0)
            if not short:
                break
            donor = _spare(
                problem, posts, role, role_demand, role_supply, heads, heads_needed, shift_minutes
            )
            if donor is None:
                break
            post(donor, posts[donor.id], -1)
            post(donor, most_short(short, [donor], role))
    # Everyone else (and whole groups) where people are shortest relative to all demand, at a
    # checkpoint with places their role can fill.
    for unit in group_units + units:
        fits = [
            c for c in staffed if open_demand[c] or any(role_demand[c][p.role] for p in unit)
        ] or staffed
        best = min(
            fits,
            key=lambda c: (total_supply[c] / total_demand[c] - HOME_BONUS * is_home(unit, c), c),
        )
        for person in unit:
            post(person, best)
    return posts


def _spare(
    problem: Problem,
    posts: dict[int, int],
    role: str,
    role_demand: dict[int, dict[str, int]],
    role_supply: dict[int, dict[str, float]],
    heads: dict[int, dict[str, int]],
    heads_needed: dict[int, dict[str, int]],
    shift_minutes: dict[int, int],
) -> StaffIn | None:
    """Someone of `role` whose post keeps its margin and heads without them (the post with the
    most to spare first), who is not on a fixed post."""
    best: tuple[float, int] | None = None
    chosen = None
    for person in problem.staff:
        where = posts.get(person.id)
        if person.role != role or where is None or person.post == where:
            continue
        cap = capacity_minutes(person, problem, shift_minutes.get(where, 180))
        demand = role_demand[where][role]
        if demand:
            if heads[where][role] - 1 < heads_needed[where][role]:
                continue
            if role_supply[where][role] - cap < ROLE_MARGIN * demand:
                continue
            room = (role_supply[where][role] - cap) / demand
        else:
            room = math.inf
        key = (room, -person.id)
        if best is None or key > best:
            best, chosen = key, person
    return chosen


def solve(
    problem: Problem,
    time_limit: float = 10.0,
    *,
    workers: int = 2,
    progress: Progress | None = None,
) -> Solution:
    """The best roster found within `time_limit` seconds (see the module doc).

    Posting splits the town into one part per checkpoint: the people posted there and its
    shifts (the objective is a sum over parts: shortfalls, changes, and each role's spread
    within the checkpoint). The parts are solved one after another with `workers` CP-SAT
    workers each (two workers find rosters far faster than two one-worker solves side by
    side), each getting its share of the time left; the figures reported are the parts' sums,
    so the bound and the gap mean what they mean for one model.
    """
    started = time.perf_counter()
    deadline = started + time_limit
    conflicts = locked_conflicts(problem)
    if conflicts:
        return Solution("INFEASIBLE", conflicts=conflicts, seconds=time.perf_counter() - started)
    posts = post_staff(problem)
    specs = _parts(problem, posts)
    # Building a part's model is Python (it holds the GIL); solving it is C++ (it does not).
    # So a thread builds the parts while this one solves those built: CP-SAT does not wait for
    # the whole town's models.
    built: queue.Queue = queue.Queue()

    def build() -> None:
        try:
            for index, spec in enumerate(specs):
                built.put((index, _Part(problem, *spec)))
        except BaseException as error:  # handed to the solving thread, which raises it
            built.put((-1, error))

    builder = threading.Thread(target=build, daemon=True)
    builder.start()
    parts: list[_Part] = [None] * len(specs)  # type: ignore[list-item]
    results: list[_PartResult] = [None] * len(specs)  # type: ignore[list-item]
    waiting: list[int] = []  # built, not solved; short parts first
    for done in range(1, len(specs) + 1):
        while not waiting or not built.empty():
            index, part = built.get()
            if index < 0:
                raise part
            parts[index] = part
            waiting.append(index)
            if done + len(waiting) - 1 == len(specs):
                break
        # Checkpoints the greedy start leaves short get four times the time of the others;
        # parts not built yet count once.
        waiting.sort(key=lambda i: -_weight(parts[i]))
        index = waiting.pop(0)
        left = _weight(parts[index]) + sum(_weight(parts[i]) for i in waiting)
        left += len(specs) - done - len(waiting)
        share = max(0.05, (deadline - time.perf_counter()) * _weight(parts[index]) / left)
        results[index] = parts[index].solve(share, workers)
        if progress:
            progress(done, len(specs), time.perf_counter() - started)
    builder.join()
    seconds = time.perf_counter() - started
    variables = sum(len(part.x) for part in parts)
    if any(r.status == "INFEASIBLE" for r in results):
        # No roster for some checkpoint: locked assignments and group rules that cannot hold
        # together, or the time ran out before a first roster there.
        return Solution("INFEASIBLE", seconds=seconds, variables=variables)
    status = "OPTIMAL" if all(r.status == "OPTIMAL" for r in results) else "FEASIBLE"
    assignments = sorted({a for r in results for a in r.assignments})
    return Solution(
        status,
        assignments=assignments,
        uncovered=uncovered_places(problem, assignments),
        shortfalls=shortfalls(problem, posts, assignments),
        objective=sum(r.objective for r in results),
        bound=sum(r.bound for r in results),
        seconds=seconds,
        variables=variables,
    )


def _weight(part: "_Part") -> int:
    return 4 if part.greedy_objective >= SHORTFALL_WEIGHT else 1


def _parts(
    problem: Problem, posts: dict[int, int]
) -> list[tuple[int, list[ShiftIn], list[StaffIn]]]:
    """(checkpoint, its shifts, the people posted there) for each checkpoint with shifts."""
    shifts_at: dict[int, list[ShiftIn]] = defaultdict(list)
    for shift in problem.shifts:
        shifts_at[shift.checkpoint].append(shift)
    staff_at: dict[int, list[StaffIn]] = defaultdict(list)
    for person in problem.staff:
        if person.id in posts:
            staff_at[posts[person.id]].append(person)
    return [
        (checkpoint, shifts_at[checkpoint], staff_at.get(checkpoint, []))
        for checkpoint in sorted(shifts_at)
    ]


@dataclass
class _PartResult:
    status: str
    assignments: list[tuple[int, int]]
    objective: float = 0.0
    bound: float = 0.0


class _Part:
    """The CP-SAT model of one checkpoint's shifts and the people posted there. A locked
    assignment of one of them elsewhere is a fixed variable here (it takes their time); a
    locked assignment of someone posted elsewhere to a shift here is a fixed head count."""

    def __init__(
        self, problem: Problem, checkpoint: int, shifts: list[ShiftIn], staff: list[StaffIn]
    ) -> None:
        self.problem = problem
        self.checkpoint = checkpoint
        self.own_shifts = sorted(shifts, key=lambda s: (s.start, s.id))
        self.staff = {p.id: p for p in staff}
        self.model = cp_model.CpModel()
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        self.shortfall: list[cp_model.IntVar] = []
        self.surplus: list[cp_model.IntVar] = []
        self.surplus_of: dict[int, cp_model.IntVar] = {}
        self.group_on: dict[tuple[int, int], tuple[cp_model.IntVar, list[int]]] = {}
        self.spreads: list[tuple] = []  # (most, least, members, present, "minutes"/"nights")
        self.minutes: dict[int, cp_model.LinearExpr] = {}
        self.nights: dict[int, cp_model.LinearExpr] = {}
        self._make_variables()
        self._cover_demand()
        for staff_id in self.staff:
            self._personal_limits(staff_id)
        if problem.keep_groups_together:
            self._groups_together()
        self._objective()
        self._hint()

    def _hint(self) -> None:
        """Start the search from a roster drawn greedily (the previous one, where it still
        holds, then the least-loaded person who may take each place): CP-SAT alone can take
        seconds to find any roster of a checkpoint, and with this it has one at once."""
        rest = self.problem.min_rest_minutes
        taken: dict[int, list[ShiftIn]] = defaultdict(list)
        chosen: set[tuple[int, int]] = set()
        minutes: dict[int, int] = defaultdict(int)
        nights: dict[int, int] = defaultdict(int)

        def may_take(staff_id: int, shift: ShiftIn) -> bool:
            person = self.staff[staff_id]
            mine = taken[staff_id]
            if any(too_close(s.start, s.end, shift.start, shift.end, rest) for s in mine):
                return False
            if sum(s.day == shift.day for s in mine) >= person.max_shifts_per_day:
                return False
            week = shift.day // 7
            limit = week_limit(person)
            used = sum(s.minutes for s in mine if s.day // 7 == week)
            return used + shift.minutes <= limit

        def take(staff_id: int, shift: ShiftIn) -> None:
            taken[staff_id].append(shift)
            chosen.add((shift.id, staff_id))
            minutes[staff_id] += shift.minutes
            nights[staff_id] += shift.night

        for key in sorted(self.problem.locked | self.problem.frozen):
            if key in self.x:
                take(key[1], next(s for s in self.candidates[key[1]] if s.id == key[0]))
        eligible: dict[int, list[int]] = defaultdict(list)
        for shift_id, staff_id in self.x:
            eligible[shift_id].append(staff_id)
        previous = self.problem.previous
        minimum_roles = {role for s in self.own_shifts for role, _n in s.minimums}
        fixed = self.fixed_elsewhere

        def fill(shift: ShiftIn, role: str | None, places: int) -> None:
            """Put up to `places` more people (of `role`, or anyone) on `shift`: who worked
            it before, then (for anyone) who is not needed for a role minimum here, then who
            has the fewest nights (for a night) and hours so far."""

            def rank(i: int) -> tuple:
                return (
                    (shift.id, i) not in previous,
                    role is None and self.staff[i].role in minimum_roles,
                    nights[i] if shift.night else 0,
                    minutes[i],
                    i,
                )

            people = [
                i
                for i in eligible.get(shift.id, [])
                if (shift.id, i) not in chosen and (role is None or self.staff[i].role == role)
            ]
            for i in sorted(people, key=rank):
                if places <= 0:
                    return
                if may_take(i, shift):
                    take(i, shift)
                    places -= 1

        def on(shift: ShiftIn) -> list[str]:
            here = [
                self.staff[i].role for i in eligible.get(shift.id, []) if (shift.id, i) in chosen
            ]
            return here + fixed.get(shift.id, [])

        # Role minimums first, over the whole period, so that the people of a scarce role
        # are not spent on places anybody could fill; then everyone else.
        for shift in self.own_shifts:
            for role, at_least in shift.minimums:
                here = on(shift)
                fill(shift, role, min(at_least - here.count(role), shift.needed - len(here)))
        for shift in self.own_shifts:
            fill(shift, None, shift.needed - len(on(shift)))
        # A complete hint: CP-SAT's single-worker search does not finish a partial one fast.
        model = self.model
        for key, var in self.x.items():
            model.add_hint(var, key in chosen)
        on_shift: dict[int, list[str]] = defaultdict(list)
        for shift_id, staff_id in chosen:
            on_shift[shift_id].append(self.staff[staff_id].role)
        for shift in self.own_shifts:
            roles = on_shift.get(shift.id, []) + self.fixed_elsewhere.get(shift.id, [])
            model.add_hint(self.shift_shortfall[shift.id], max(0, shift.needed - len(roles)))
            for role, at_least in shift.minimums:
                if (shift.id, role) in self.role_shortfall:
                    model.add_hint(
                        self.role_shortfall[shift.id, role], max(0, at_least - roles.count(role))
                    )
        for shift_id, extra in self.surplus_of.items():
            needed = next(s.needed for s in self.own_shifts if s.id == shift_id)
            model.add_hint(extra, max(0, len(on_shift.get(shift_id, [])) - needed))
        for (shift_id, _group), (on, members) in self.group_on.items():
            model.add_hint(on, any((shift_id, i) in chosen for i in members))
        spread = 0
        for most, least, members, present, of in self.spreads:
            values = nights if of == "nights" else minutes
            top, bottom = max(values[i] for i in members), min(values[i] for i in present)
            model.add_hint(most, top)
            model.add_hint(least, bottom)
            weight = SPREAD_NIGHT_WEIGHT if of == "nights" else SPREAD_MINUTE_WEIGHT
            spread += weight * (top - bottom)
        short = sum(
            max(0, s.needed - len(on_shift.get(s.id, [])) - len(self.fixed_elsewhere.get(s.id, [])))
            for s in self.own_shifts
        )
        short += sum(
            max(
                0, at_least - (on_shift.get(s.id, []) + self.fixed_elsewhere.get(s.id, [])).count(r)
            )
            for s in self.own_shifts
            for r, at_least in s.minimums
            if (s.id, r) in self.role_shortfall
        )
        dropped = sum(
            1
            for k in self.problem.previous - self.problem.locked
            if k in self.x and k not in chosen
        )
        # The greedy roster, as the part's answer when CP-SAT finds none in its time (it
        # keeps every rule but groups: with groups together it is no answer).
        self.greedy = sorted(chosen)
        self.greedy_objective = SHORTFALL_WEIGHT * short + KEEP_WEIGHT * dropped + spread

    def solve(self, time_limit: float, workers: int) -> _PartResult:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_limit
        solver.parameters.num_workers = workers
        status = solver.solve(self.model)
        if status == cp_model.UNKNOWN and not self.group_on:
            return _PartResult("FEASIBLE", self.greedy, self.greedy_objective, 0.0)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _PartResult("INFEASIBLE", [])
        chosen = [key for key, var in self.x.items() if solver.boolean_value(var)]
        return _PartResult(
            "OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE",
            chosen,
            solver.objective_value,
            max(0.0, solver.best_objective_bound),  # the objective is never negative
        )

    def _make_variables(self) -> None:
        problem, model = self.problem, self.model
        shift_by_id = {s.id: s for s in problem.shifts}
        self.candidates: dict[int, list[ShiftIn]] = {}
        for person in self.staff.values():
            self.candidates[person.id] = [
                s for s in self.own_shifts if not overlaps(s.start, s.end, person.unavailable)
            ]
        own = {s.id for s in self.own_shifts}
        # Head counts fixed by people posted elsewhere: {shift id: [their roles]}.
        self.fixed_elsewhere: dict[int, list[str]] = defaultdict(list)
        every_staff = {p.id: p for p in problem.staff}
        rest = problem.min_rest_minutes
        for person in self.staff.values():
            if person.busy:
                self.candidates[person.id] = [
                    s
                    for s in self.candidates[person.id]
                    if not any(too_close(b0, b1, s.start, s.end, rest) for b0, b1 in person.busy)
                ]
        fixed = problem.locked | problem.frozen
        for shift_id, staff_id in sorted(fixed):
            shift = shift_by_id.get(shift_id)
            if shift is None or staff_id not in every_staff:
                continue
            if staff_id in self.staff:
                if shift not in self.candidates[staff_id]:
                    self.candidates[staff_id].append(shift)
            elif shift_id in own:
                self.fixed_elsewhere[shift_id].append(every_staff[staff_id].role)
        for staff_id, mine in self.candidates.items():
            mine.sort(key=lambda s: (s.start, s.id))
            for shift in mine:
                self.x[shift.id, staff_id] = model.new_bool_var(f"x{shift.id}_{staff_id}")
        for key in fixed:
            if key in self.x:
                model.add(self.x[key] == 1)

    def _cover_demand(self) -> None:
        model = self.model
        on_shift: dict[int, list[tuple[str, cp_model.IntVar]]] = defaultdict(list)
        for (shift_id, staff_id), var in self.x.items():
            on_shift[shift_id].append((self.staff[staff_id].role, var))
        self.role_shortfall: dict[tuple[int, str], cp_model.IntVar] = {}
        self.shift_shortfall: dict[int, cp_model.IntVar] = {}
        for shift in self.own_shifts:
            people = on_shift.get(shift.id, [])
            fixed = self.fixed_elsewhere.get(shift.id, [])
            total = cp_model.LinearExpr.sum([var for _r, var in people])
            short = model.new_int_var(0, shift.needed, f"short{shift.id}")
            self.shift_shortfall[shift.id] = short
            self.shortfall.append(short)
            model.add(total + short >= shift.needed - len(fixed))
            if self.problem.keep_groups_together:
                extra = model.new_int_var(0, len(people) + len(fixed), f"extra{shift.id}")
                self.surplus.append(extra)
                self.surplus_of[shift.id] = extra
                model.add(total <= shift.needed - len(fixed) + extra)
            else:
                model.add(total <= max(0, shift.needed - len(fixed)))
            for role, at_least in shift.minimums:
                wanted = at_least - fixed.count(role)
                if wanted <= 0:
                    continue
                role_short = model.new_int_var(0, wanted, f"short{shift.id}_{role}")
                self.role_shortfall[shift.id, role] = role_short
                self.shortfall.append(role_short)
                of_role = [var for r, var in people if r == role]
                model.add(cp_model.LinearExpr.sum(of_role) + role_short >= wanted)

    def _personal_limits(self, staff_id: int) -> None:
        model, problem = self.model, self.problem
        mine = self.candidates[staff_id]
        if not mine:
            return
        rest = problem.min_rest_minutes
        person = self.staff[staff_id]
        xs = [self.x[s.id, staff_id] for s in mine]
        # Rest: the shifts starting before a shift's end + rest form a clique when every pair
        # in it is too close (always so for one shift length); else pairwise.
        for i, a in enumerate(mine):
            window = [a]
            for b in mine[i + 1 :]:
                if b.start >= a.end + rest:
                    break
                window.append(b)
            if len(window) < 2:
                continue
            if max(s.start for s in window) < min(s.end for s in window) + rest:
                model.add_at_most_one([xs[i + k] for k in range(len(window))])
            else:
                for k, b in enumerate(window[1:], start=1):
                    if too_close(a.start, a.end, b.start, b.end, rest):
                        model.add_bool_or([xs[i].Not(), xs[i + k].Not()])
        per_day: dict[int, list] = defaultdict(list)
        per_week: dict[int, list] = defaultdict(list)
        # Shifts already worked count, but never make the limits impossible (hours lowered
        # mid-week): the limit is then what was worked.
        worked_day: dict[int, int] = defaultdict(int)
        worked_week: dict[int, int] = defaultdict(int)
        frozen = self.problem.frozen
        for shift, var in zip(mine, xs, strict=True):
            day = shift.start // MINUTES_PER_DAY
            per_day[day].append(var)
            per_week[day // 7].append((shift.minutes, var))
            if frozen and (shift.id, staff_id) in frozen:
                worked_day[day] += 1
                worked_week[day // 7] += shift.minutes
        for day, day_vars in per_day.items():
            limit = max(person.max_shifts_per_day, worked_day[day])
            if len(day_vars) > limit:
                model.add(cp_model.LinearExpr.sum(day_vars) <= limit)
        for week, terms in per_week.items():
            limit = max(week_limit(person), worked_week[week])
            if sum(m for m, _v in terms) > limit:
                model.add(
                    cp_model.LinearExpr.weighted_sum([v for _m, v in terms], [m for m, _v in terms])
                    <= limit
                )
        self.minutes[staff_id] = cp_model.LinearExpr.weighted_sum(xs, [s.minutes for s in mine])
        self.nights[staff_id] = cp_model.LinearExpr.sum(
            [v for s, v in zip(mine, xs, strict=True) if s.night]
        )

    def _groups_together(self) -> None:
        """A group's members here work the same shifts: all of them or none (a member who is
        away at the time does not count)."""
        model = self.model
        by_group: dict[int, list[int]] = defaultdict(list)
        for person in self.staff.values():
            if person.group is not None:
                by_group[person.group].append(person.id)
        for group, members in by_group.items():
            for shift in self.own_shifts:
                on = model.new_bool_var(f"g{group}_{shift.id}")
                self.group_on[shift.id, group] = (on, members)
                for staff_id in members:
                    var = self.x.get((shift.id, staff_id))
                    if var is not None:
                        model.add(var == on)

    def _objective(self) -> None:
        model, problem = self.model, self.problem
        terms = [SHORTFALL_WEIGHT * v for v in self.shortfall]
        terms += [SURPLUS_WEIGHT * v for v in self.surplus]
        kept = [self.x[k] for k in problem.previous - problem.locked if k in self.x]
        # Keeping an earlier assignment: minimise the ones dropped, len(kept) - sum(kept).
        constant = KEEP_WEIGHT * len(kept)
        terms += [-KEEP_WEIGHT * v for v in kept]
        by_role: dict[str, list[int]] = defaultdict(list)
        for staff_id in self.minutes:
            by_role[self.staff[staff_id].role].append(staff_id)
        horizon = problem.days * MINUTES_PER_DAY
        for role, members in by_role.items():
            if len(members) < 2:
                continue
            present = [i for i in members if not self.staff[i].unavailable] or members
            for of, values, weight, top in (
                ("minutes", self.minutes, SPREAD_MINUTE_WEIGHT, horizon),
                ("nights", self.nights, SPREAD_NIGHT_WEIGHT, problem.days * 24),
            ):
                most = model.new_int_var(0, top, f"most_{role}_{of}")
                least = model.new_int_var(0, top, f"least_{role}_{of}")
                self.spreads.append((most, least, members, present, of))
                for i in members:
                    model.add(values[i] <= most)
                for i in present:
                    model.add(values[i] >= least)
                terms.append(weight * (most - least))
        model.minimize(cp_model.LinearExpr.sum(terms) + constant)


def uncovered_places(problem: Problem, assignments: list[tuple[int, int]]) -> int:
    """See `Solution.uncovered`."""
    role_of = {p.id: p.role for p in problem.staff}
    on_shift: dict[int, list[str]] = defaultdict(list)
    for shift_id, staff_id in assignments:
        on_shift[shift_id].append(role_of[staff_id])
    total = 0
    for shift in problem.shifts:
        roles = on_shift.get(shift.id, [])
        people_short = max(0, shift.needed - len(roles))
        roles_short = sum(max(0, n - roles.count(role)) for role, n in shift.minimums)
        total += max(people_short, roles_short)
    return total


def shortfalls(
    problem: Problem, posts: dict[int, int], assignments: list[tuple[int, int]]
) -> list[Shortfall]:
    """Uncovered demand per checkpoint (people, then each role) with who was posted there to
    cover it; and per role over the town when its whole staff could not work its minimums."""
    role_of = {p.id: p.role for p in problem.staff}
    on_shift: dict[int, list[str]] = defaultdict(list)
    for shift_id, staff_id in assignments:
        on_shift[shift_id].append(role_of[staff_id])
    needed: dict[tuple[int, str | None], int] = defaultdict(int)
    short: dict[tuple[int, str | None], int] = defaultdict(int)
    minutes_of: dict[int, int] = {}
    for shift in problem.shifts:
        roles = on_shift.get(shift.id, [])
        minutes_of.setdefault(shift.checkpoint, shift.minutes)
        needed[shift.checkpoint, None] += shift.needed
        short[shift.checkpoint, None] += max(0, shift.needed - len(roles))
        for role, at_least in shift.minimums:
            needed[shift.checkpoint, role] += at_least
            short[shift.checkpoint, role] += max(0, at_least - roles.count(role))
    posted: dict[tuple[int, str | None], list[StaffIn]] = defaultdict(list)
    for person in problem.staff:
        checkpoint = posts.get(person.id)
        if checkpoint is not None:
            posted[checkpoint, None].append(person)
            posted[checkpoint, person.role].append(person)
    found: list[Shortfall] = []
    for key in sorted(short, key=lambda k: (k[0], k[1] or "")):
        if not short[key]:
            continue
        checkpoint, role = key
        people = posted.get(key, [])
        minutes = minutes_of[checkpoint]
        cap = sum(capacity_minutes(p, problem, minutes) for p in people) // minutes
        found.append(
            Shortfall(checkpoint, role, needed[key], needed[key] - short[key], len(people), cap)
        )
    role_needed: dict[str, int] = defaultdict(int)
    role_short: dict[str, int] = defaultdict(int)
    for (checkpoint, role), n in needed.items():
        if role is not None:
            role_needed[role] += n
            role_short[role] += short[checkpoint, role]
    for role in sorted(role_needed):
        people = [p for p in problem.staff if p.role == role]
        cap = sum(capacity_minutes(p, problem, 180) for p in people) // 180
        if role_short[role] and cap < role_needed[role]:
            found.append(
                Shortfall(
                    None,
                    role,
                    role_needed[role],
                    role_needed[role] - role_short[role],
                    len(people),
                    cap,
                )
            )
    return found
