"""Benchmark: the roster solver at a town's scale (issue 6), with a greedy baseline in the same run.

    .venv/bin/python bench/roster_scale.py                   # the figures (about 2-3 minutes)
    .venv/bin/python bench/roster_scale.py --long-limit 0    # without the 60 s solve
    .venv/bin/python bench/roster_scale.py --quick           # a tenth of the size: a smoke run

No database: a deterministic synthetic town (random.Random(--seed)) goes straight to
`fangyi.roster.solver`. 101 checkpoints with eight 3-hour shifts a day for 7 days (5,656
shifts): 40 at town level (town entrances, highway exits: 2 people, at least 1 police officer
and 1 cadre; 12 of them take temperatures, 3 people with a doctor at night) and 61 in 38
villages (2 people, at least 1 village cadre); 1,400 staff (police 17 %, cadres 25 %, doctors
6 %, village cadres 30 %, volunteers 22 %; village cadres and volunteers live in the villages,
the others at town level), 42-56 hours and at most 2 shifts a day each, about 10 % away for a
day or two; 8 hours' rest.

1. CP-SAT (`solver.solve`) at --time-limit seconds, then the same problem at --long-limit: status,
   seconds, assignments, uncovered person-shifts, objective, bound, gap.
2. Baseline: greedy, "the least-loaded available person, shift by shift": each shift in time
   order takes, for each role minimum, the least-loaded (fewest hours so far) person of that role
   who is not away and not on an overlapping shift, then the least-loaded such person of any
   role. It knows neither the rest rule nor the weekly cap nor the shifts-per-day limit (what a
   cadre with a spreadsheet does).
3. For both, counted from the assignments by this script's own checker (not the solver's):
   coverage of person-shifts and of role minimums; fairness (spread, most minus least, of hours
   and of night shifts per person within each role over the whole town, among the people not
   away at all: the worst role and the mean over roles; standard deviation of hours); how many
   checkpoints a person works at; rest violations (pairs of one person's shifts that
   `solver.too_close` says are too close, overlaps included), weekly-cap, shifts-per-day, away
   and two-places-at-once (overlapping shifts) violations. For CP-SAT also the spread its
   objective minimises: within the people of a role posted to one checkpoint.
4. Re-solve: 20 people who had shifts leave; the problem is built again without them, with
   previous = the first roster's assignments of everyone else, and solved at --time-limit: the
   share of the others' assignments unchanged (goal at least 90 %), uncovered, seconds.

The last line is all the figures as one JSON object. Posting people to checkpoints is
deterministic; CP-SAT's timing is not, and the machine may be shared: timings are noisy.
"""

import argparse
import heapq
import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass

from common import REPO, print_machine

sys.path.insert(0, str(REPO))

from fangyi.roster import solver
from fangyi.roster.solver import (
    MINUTES_PER_DAY,
    CheckpointIn,
    Problem,
    ShiftIn,
    StaffIn,
    overlaps,
    too_close,
    week_limit,
)

TOWN = "999901100"
DAYS = 7
SHIFT_HOURS = 3
REST_MINUTES = 8 * 60
NIGHT_STARTS, NIGHT_ENDS = 22 * 60, 6 * 60  # a shift whose midpoint falls in [22:00, 06:00)
GOAL_SECONDS = 10
GOAL_KEPT = 0.90
ROLE_MIX = (  # duty role, share of the staff, lives in a village
    ("police", 0.17, False),
    ("cadre", 0.25, False),
    ("doctor", 0.06, False),
    ("village_cadre", 0.30, True),
    ("volunteer", 0.22, True),
)


@dataclass(frozen=True)
class Size:
    town_checkpoints: int
    temperature_checkpoints: int
    villages: int
    village_checkpoints: int
    staff: int
    leaving: int


FULL = Size(40, 12, 38, 61, 1400, 20)
QUICK = Size(4, 1, 4, 6, 140, 2)


# The town -------------------------------------------------------------------------------------


def build_town(size: Size, rng: random.Random) -> Problem:
    """Checkpoints, their shifts and the staff, all from `rng`."""
    villages = [f"{TOWN}{201 + v:03d}" for v in range(size.villages)]
    checkpoints: dict[int, CheckpointIn] = {}
    kinds: dict[int, str] = {}  # town, temperature or village
    temperature = set(rng.sample(range(size.town_checkpoints), size.temperature_checkpoints))
    for n in range(size.town_checkpoints):
        pk = len(checkpoints) + 1
        name = f"高速出口{n + 1}" if n % 3 == 2 else f"镇入口{n + 1}"
        checkpoints[pk] = CheckpointIn(pk, name, TOWN)
        kinds[pk] = "temperature" if n in temperature else "town"
    # Every village one checkpoint, some a second one.
    extra = rng.sample(villages, size.village_checkpoints - size.villages)
    for village in sorted(villages + extra):
        pk = len(checkpoints) + 1
        checkpoints[pk] = CheckpointIn(pk, f"村口{pk}", village)
        kinds[pk] = "village"
    shifts: list[ShiftIn] = []
    length = SHIFT_HOURS * 60
    for day in range(DAYS):
        for slot in range(24 // SHIFT_HOURS):
            start = day * MINUTES_PER_DAY + slot * length
            middle = (start + length // 2) % MINUTES_PER_DAY
            night = middle >= NIGHT_STARTS or middle < NIGHT_ENDS
            for pk in sorted(checkpoints):
                kind = kinds[pk]
                if kind == "village":
                    needed, minimums = 2, (("village_cadre", 1),)
                elif kind == "temperature":
                    needed = 3
                    minimums = (("cadre", 1), ("police", 1))
                    if night:
                        minimums = (("cadre", 1), ("doctor", 1), ("police", 1))
                else:
                    needed, minimums = 2, (("cadre", 1), ("police", 1))
                shifts.append(
                    ShiftIn(len(shifts) + 1, pk, start, start + length, needed, minimums, night)
                )
    # Village staff live where the checkpoints are: a village with two gets twice the people.
    village_weights = [
        sum(1 for c in checkpoints.values() if c.jurisdiction == v) for v in villages
    ]
    staff: list[StaffIn] = []
    for role, share, in_village in ROLE_MIX:
        for _n in range(round(size.staff * share)):
            pk = len(staff) + 1
            home = rng.choices(villages, village_weights)[0] if in_village else TOWN
            away: tuple[tuple[int, int], ...] = ()
            if rng.random() < 0.10:
                days = rng.choice((1, 2))
                first = rng.randrange(DAYS - days + 1)
                away = ((first * MINUTES_PER_DAY, (first + days) * MINUTES_PER_DAY),)
            staff.append(
                StaffIn(
                    id=pk,
                    name=f"{role}{pk}",
                    role=role,
                    home=home,
                    max_minutes_per_week=rng.choice((42, 44, 48, 50, 56)) * 60,
                    max_shifts_per_day=2,
                    unavailable=away,
                )
            )
    return Problem(
        days=DAYS,
        staff=staff,
        shifts=shifts,
        checkpoints=checkpoints,
        min_rest_minutes=REST_MINUTES,
    )


# The baseline ---------------------------------------------------------------------------------


def greedy(problem: Problem) -> list[tuple[int, int]]:
    """The least-loaded available person, shift by shift (see the module doc). Each pool (a
    role's people, everyone) is a heap of (minutes so far, id), so a shift looks only at the
    least-loaded few instead of the whole staff; an entry whose minutes have grown is stale."""
    minutes: dict[int, int] = dict.fromkeys((p.id for p in problem.staff), 0)
    busy_until: dict[int, int] = dict.fromkeys(minutes, -1)  # end of their latest shift
    away = {p.id: p.unavailable for p in problem.staff if p.unavailable}
    role_of = {p.id: p.role for p in problem.staff}
    pools: dict[str | None, list[tuple[int, int]]] = defaultdict(list)
    for person in problem.staff:
        pools[person.role].append((0, person.id))
        pools[None].append((0, person.id))
    for pool in pools.values():
        heapq.heapify(pool)
    chosen: list[tuple[int, int]] = []

    def take(shift: ShiftIn, role: str | None, taken: set[int], n: int) -> None:
        pool, passed = pools[role], []
        while pool and n > 0:
            load, pk = heapq.heappop(pool)
            if load != minutes[pk]:
                continue  # stale: the person's current entry is further down
            if (
                pk in taken
                or busy_until[pk] > shift.start  # shifts come in time order
                or (pk in away and overlaps(shift.start, shift.end, away[pk]))
            ):
                passed.append((load, pk))
                continue
            taken.add(pk)
            chosen.append((shift.id, pk))
            minutes[pk] += shift.minutes
            busy_until[pk] = max(busy_until[pk], shift.end)
            heapq.heappush(pools[role_of[pk]], (minutes[pk], pk))
            heapq.heappush(pools[None], (minutes[pk], pk))
            n -= 1
        for entry in passed:
            heapq.heappush(pool, entry)

    for shift in sorted(problem.shifts, key=lambda s: (s.start, s.checkpoint, s.id)):
        taken: set[int] = set()
        for role, at_least in shift.minimums:
            take(shift, role, taken, min(at_least, shift.needed - len(taken)))
        take(shift, None, taken, shift.needed - len(taken))
    return chosen


# The checker ----------------------------------------------------------------------------------


def check(problem: Problem, assignments: list[tuple[int, int]]) -> dict:
    """Coverage, fairness and rule violations of a roster, counted from scratch."""
    shifts = {s.id: s for s in problem.shifts}
    staff = {p.id: p for p in problem.staff}
    unknown = [a for a in assignments if a[0] not in shifts or a[1] not in staff]
    pairs = sorted(set(assignments) - set(unknown))
    mine: dict[int, list[ShiftIn]] = defaultdict(list)
    places: dict[int, set[int]] = defaultdict(set)
    on_shift: dict[int, list[str]] = defaultdict(list)
    for shift_id, staff_id in pairs:
        mine[staff_id].append(shifts[shift_id])
        places[staff_id].add(shifts[shift_id].checkpoint)
        on_shift[shift_id].append(staff[staff_id].role)
    needed = covered = role_needed = role_covered = overfilled = 0
    for shift in problem.shifts:
        roles = on_shift.get(shift.id, [])
        needed += shift.needed
        covered += min(len(roles), shift.needed)
        overfilled += len(roles) > shift.needed
        for role, at_least in shift.minimums:
            role_needed += at_least
            role_covered += min(roles.count(role), at_least)
    rest = overlap = week = week_excess = day = away = 0
    hours: dict[int, float] = {}
    nights: dict[int, int] = {}
    for person in problem.staff:
        worked = sorted(mine.get(person.id, []), key=lambda s: (s.start, s.id))
        hours[person.id] = sum(s.minutes for s in worked) / 60
        nights[person.id] = sum(s.night for s in worked)
        for i, a in enumerate(worked):
            for b in worked[i + 1 :]:
                if b.start >= a.end + problem.min_rest_minutes:
                    break
                if too_close(a.start, a.end, b.start, b.end, problem.min_rest_minutes):
                    rest += 1
                    overlap += a.start < b.end and b.start < a.end
        per_day: dict[int, int] = defaultdict(int)
        per_week: dict[int, int] = defaultdict(int)
        for shift in worked:
            per_day[shift.day] += 1
            per_week[shift.day // 7] += shift.minutes
            away += overlaps(shift.start, shift.end, person.unavailable)
        day += sum(1 for n in per_day.values() if n > person.max_shifts_per_day)
        for used in per_week.values():
            limit = week_limit(person)
            if used > limit:
                week += 1
                week_excess += used - limit
    spreads: dict[str, dict[str, float]] = {"hours": {}, "nights": {}}
    deviations: dict[str, float] = {}
    roles = sorted({p.role for p in problem.staff})
    for role in roles:
        everyone = [p.id for p in problem.staff if p.role == role]
        present = [p.id for p in problem.staff if p.role == role and not p.unavailable] or everyone
        for of, values in (("hours", hours), ("nights", nights)):
            spreads[of][role] = max(values[i] for i in present) - min(values[i] for i in present)
        deviations[role] = statistics.pstdev(hours[i] for i in everyone)

    def worst(of: str) -> list:
        role = max(roles, key=lambda r: spreads[of][r])
        return [role, spreads[of][role]]

    return {
        "assignments": len(pairs),
        "unknown_ids": len(unknown),
        "duplicates": len(assignments) - len(set(assignments)),
        "person_shifts_needed": needed,
        "uncovered": needed - covered,
        "coverage": covered / needed,
        "role_minimums_needed": role_needed,
        "role_minimums_uncovered": role_needed - role_covered,
        "role_coverage": role_covered / role_needed if role_needed else 1.0,
        "overfilled_shifts": overfilled,
        "hours_spread_worst": worst("hours"),
        "hours_spread_mean": statistics.mean(spreads["hours"].values()),
        "nights_spread_worst": worst("nights"),
        "nights_spread_mean": statistics.mean(spreads["nights"].values()),
        "hours_spread_by_role": spreads["hours"],
        "nights_spread_by_role": spreads["nights"],
        "hours_stdev": statistics.pstdev(hours.values()),
        "hours_stdev_within_role_mean": statistics.mean(deviations.values()),
        "hours_max": max(hours.values()),
        "people_without_shifts": sum(1 for h in hours.values() if not h),
        "checkpoints_per_person_mean": statistics.mean(len(c) for c in places.values()),
        "checkpoints_per_person_max": max(len(c) for c in places.values()),
        "rest_violations": rest,
        "overlap_violations": overlap,
        "week_cap_violations": week,
        "week_cap_excess_hours": week_excess / 60,
        "day_limit_violations": day,
        "away_violations": away,
    }


def post_spread(problem: Problem, assignments: list[tuple[int, int]]) -> dict:
    """Hours spread among the people of a role posted to one checkpoint (`solver.post_staff`,
    the people not away at all): what the solver's objective makes small, as against the
    town-wide spread of a role above."""
    posts = solver.post_staff(problem)
    minutes_of = {s.id: s.minutes for s in problem.shifts}
    hours: dict[int, float] = defaultdict(float)
    for shift_id, staff_id in assignments:
        hours[staff_id] += minutes_of[shift_id] / 60
    groups: dict[tuple[int, str], list[float]] = defaultdict(list)
    for person in problem.staff:
        if person.id in posts and not person.unavailable:
            groups[posts[person.id], person.role].append(hours[person.id])
    spreads = [max(v) - min(v) for v in groups.values() if len(v) > 1]
    alone = [v[0] for v in groups.values() if len(v) == 1]
    return {
        "groups": len(spreads),
        "mean": statistics.mean(spreads) if spreads else 0.0,
        "max": max(spreads, default=0.0),
        "alone": len(alone),
        "alone_without_shifts": sum(1 for h in alone if not h),
    }


def role_short(solution: solver.Solution) -> int:
    """Role minimums short by the solver's own account (per checkpoint)."""
    return sum(
        s.needed - s.covered for s in solution.shortfalls if s.role and s.checkpoint is not None
    )


# Printing -------------------------------------------------------------------------------------


def solved(solution: solver.Solution) -> dict:
    return {
        "status": solution.status,
        "seconds": round(solution.seconds, 2),
        "assignments": len(solution.assignments),
        "uncovered_by_solver": solution.uncovered,
        "role_minimums_short_by_solver": role_short(solution),
        "objective": solution.objective,
        "bound": solution.bound,
        "gap": solution.gap,
        "variables": solution.variables,
    }


def warn_if_disagree(solution: solver.Solution, checked: dict) -> None:
    for what, theirs, ours in (
        ("uncovered person-shifts", solution.uncovered, checked["uncovered"]),
        ("role minimums short", role_short(solution), checked["role_minimums_uncovered"]),
    ):
        if theirs != ours:
            print(f"WARNING   the solver reports {theirs} {what}, the checker counts {ours}")


def print_solve(label: str, figures: dict) -> None:
    gap = "-" if figures["gap"] is None else f"{figures['gap']:.2%}"
    objective = "-" if figures["objective"] is None else f"{figures['objective']:,.0f}"
    bound = "-" if figures["bound"] is None else f"{figures['bound']:,.0f}"
    print(
        f"{label:<14}{figures['status']} in {figures['seconds']:.1f} s:"
        f" {figures['assignments']:,} assignments, {figures['uncovered_by_solver']}"
        f" person-shifts uncovered (solver's count), objective {objective},"
        f" bound {bound}, gap {gap}; {figures['variables']:,} variables"
    )


def print_comparison(rows: list[tuple[str, dict]]) -> None:
    lines = [
        ("person-shifts covered", lambda c: f"{c['coverage']:.2%} ({c['uncovered']} short)"),
        (
            "role minimums covered",
            lambda c: f"{c['role_coverage']:.2%} ({c['role_minimums_uncovered']} short)",
        ),
        ("shifts over their head count", lambda c: f"{c['overfilled_shifts']}"),
        (
            "hours spread, worst role",
            lambda c: f"{c['hours_spread_worst'][1]:.0f} h ({c['hours_spread_worst'][0]})",
        ),
        ("hours spread, mean over roles", lambda c: f"{c['hours_spread_mean']:.1f} h"),
        (
            "night shifts spread, worst role",
            lambda c: f"{c['nights_spread_worst'][1]} ({c['nights_spread_worst'][0]})",
        ),
        ("night shifts spread, mean", lambda c: f"{c['nights_spread_mean']:.1f}"),
        ("hours std dev, everyone", lambda c: f"{c['hours_stdev']:.1f} h"),
        ("hours std dev, mean within role", lambda c: f"{c['hours_stdev_within_role_mean']:.1f} h"),
        ("most hours of anyone", lambda c: f"{c['hours_max']:.0f} h"),
        ("people without a shift", lambda c: f"{c['people_without_shifts']}"),
        (
            "checkpoints per person, mean/max",
            lambda c: f"{c['checkpoints_per_person_mean']:.1f} / {c['checkpoints_per_person_max']}",
        ),
        ("rest violations (pairs < 8 h)", lambda c: f"{c['rest_violations']}"),
        ("two places at once (overlaps)", lambda c: f"{c['overlap_violations']}"),
        (
            "weekly-cap violations (people)",
            lambda c: f"{c['week_cap_violations']} (+{c['week_cap_excess_hours']:.0f} h)",
        ),
        ("shifts-per-day violations", lambda c: f"{c['day_limit_violations']}"),
        ("shifts while away", lambda c: f"{c['away_violations']}"),
    ]
    print(f"\n{'checked from the assignments':<34}" + "".join(f"{n:>24}" for n, _c in rows))
    for label, show in lines:
        print(f"{label:<34}" + "".join(f"{show(c):>24}" for _n, c in rows))
    print("(spreads among the people of a role not away at all; violations counted by this script)")


# The run --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20200131)
    parser.add_argument("--time-limit", type=float, default=GOAL_SECONDS, help="seconds")
    parser.add_argument(
        "--long-limit", type=float, default=60, help="seconds of the long solve (0: skip it)"
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the size")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    rng = random.Random(args.seed)
    started = time.perf_counter()
    problem = build_town(size, rng)
    built = time.perf_counter() - started
    print_machine()
    print(f"load      {os.getloadavg()[0]:.2f} (1 min) at the start; CP-SAT workers {args.workers}")
    mix = defaultdict(int)
    for person in problem.staff:
        mix[person.role] += 1
    print(
        f"town      {len(problem.checkpoints)} checkpoints ({size.town_checkpoints} town-level,"
        f" {size.temperature_checkpoints} of them taking temperatures;"
        f" {size.village_checkpoints} in {size.villages} villages),"
        f" {len(problem.shifts):,} shifts over {DAYS} days,"
        f" {sum(s.needed for s in problem.shifts):,} person-shifts;"
        f" {len(problem.staff):,} staff ("
        + ", ".join(f"{role} {mix[role]}" for role, _s, _v in ROLE_MIX)
        + f"), {sum(1 for p in problem.staff if p.unavailable)} away for a day or two;"
        f" seed {args.seed}; built in {built:.2f} s"
    )
    results: dict = {"seed": args.seed, "quick": args.quick, "workers": args.workers}

    first = solver.solve(problem, args.time_limit, workers=args.workers)
    results["cpsat"] = solved(first)
    print_solve(f"CP-SAT {args.time_limit:g} s", results["cpsat"])

    started = time.perf_counter()
    baseline = greedy(problem)
    results["greedy"] = {"seconds": round(time.perf_counter() - started, 3)}
    print(f"greedy    {len(baseline):,} assignments in {results['greedy']['seconds']:.2f} s")

    cpsat_check, greedy_check = check(problem, first.assignments), check(problem, baseline)
    results["cpsat"]["check"] = cpsat_check
    results["greedy"]["check"] = greedy_check
    print_comparison([(f"CP-SAT {args.time_limit:g} s", cpsat_check), ("greedy", greedy_check)])
    within = post_spread(problem, first.assignments)
    results["cpsat"]["within_post"] = within
    print(
        f"CP-SAT    hours spread within one checkpoint's people of a role (the solver's own"
        f" measure): mean {within['mean']:.1f} h, most {within['max']:.0f} h over"
        f" {within['groups']} groups; {within['alone']} people alone of their role at their post,"
        f" {within['alone_without_shifts']} of them without a shift"
    )
    warn_if_disagree(first, cpsat_check)

    # Re-solve after some people leave.
    worked = sorted({staff_id for _shift, staff_id in first.assignments})
    leaving = set(rng.sample(worked, min(size.leaving, len(worked))))
    previous = frozenset(a for a in first.assignments if a[1] not in leaving)
    freed = len(first.assignments) - len(previous)
    again = Problem(
        days=problem.days,
        staff=[p for p in problem.staff if p.id not in leaving],
        shifts=problem.shifts,
        checkpoints=problem.checkpoints,
        min_rest_minutes=problem.min_rest_minutes,
        previous=previous,
    )
    second = solver.solve(again, args.time_limit, workers=args.workers)
    kept = len(previous & set(second.assignments)) / len(previous) if previous else 1.0
    resolve_check = check(again, second.assignments)
    warn_if_disagree(second, resolve_check)
    results["resolve"] = {
        **solved(second),
        "left": len(leaving),
        "freed_assignments": freed,
        "kept_share": kept,
        "check": resolve_check,
    }
    print()
    print_solve("re-solve", results["resolve"])
    print(
        f"re-solve  {len(leaving)} people with shifts left ({freed} assignments freed):"
        f" {kept:.2%} of the others' {len(previous):,} assignments unchanged;"
        f" {resolve_check['uncovered']} person-shifts uncovered,"
        f" {resolve_check['role_minimums_uncovered']} role minimums short,"
        f" {resolve_check['rest_violations']} rest, {resolve_check['week_cap_violations']}"
        f" weekly-cap, {resolve_check['overlap_violations']} overlap violations (checker)"
    )

    if args.long_limit > 0:
        long = solver.solve(problem, args.long_limit, workers=args.workers)
        results["cpsat_long"] = solved(long)
        long_check = check(problem, long.assignments)
        results["cpsat_long"]["check"] = {
            k: long_check[k]
            for k in (
                "uncovered",
                "role_minimums_uncovered",
                "rest_violations",
                "hours_spread_mean",
            )
        }
        print()
        print_solve(f"CP-SAT {args.long_limit:g} s", results["cpsat_long"])
        print(
            f"CP-SAT {args.long_limit:g} s checked: {long_check['uncovered']} person-shifts"
            f" uncovered, {long_check['role_minimums_uncovered']} role minimums short,"
            f" {long_check['rest_violations']} rest violations; hours spread"
            f" {long_check['hours_spread_mean']:.1f} h (mean over roles, town-wide)"
        )
        warn_if_disagree(long, long_check)

    print()
    covered = (
        first.status in ("OPTIMAL", "FEASIBLE")
        and cpsat_check["uncovered"] == 0
        and cpsat_check["role_minimums_uncovered"] == 0
    )
    in_time = first.seconds <= args.time_limit * 1.05
    print(
        f"goal      all demand covered within {args.time_limit:g} s:"
        f" {'met' if covered and in_time else 'MISSED'}"
        f" ({cpsat_check['uncovered']} person-shifts uncovered,"
        f" {cpsat_check['role_minimums_uncovered']} role minimums short, {first.seconds:.1f} s)"
    )
    print(
        f"goal      re-solve keeps {GOAL_KEPT:.0%} of the other assignments:"
        f" {'met' if kept >= GOAL_KEPT else 'MISSED'} ({kept:.2%})"
    )
    if "cpsat_long" in results:
        gaps = [results[k]["gap"] for k in ("cpsat", "cpsat_long")]
        print(
            "gap       "
            + ", ".join(
                f"{limit:g} s: {'-' if gap is None else f'{gap:.2%}'}"
                for limit, gap in zip((args.time_limit, args.long_limit), gaps, strict=True)
            )
        )
    print(
        f"load      {os.getloadavg()[0]:.2f} (1 min) at the end: a shared machine's timings are noisy"
    )
    print(json.dumps(results, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
