"""The CP-SAT roster model on tiny hand-made Problems (no database): coverage, the personal
rules, locked assignments and their conflicts, shortfalls, re-solving, groups and posting."""

from collections import defaultdict

from fangyi.roster import solver
from fangyi.roster.solver import (
    CheckpointIn,
    Conflict,
    Problem,
    ShiftIn,
    Shortfall,
    StaffIn,
    too_close,
)

TOWN = "999901100"
VILLAGE = "999901100201"
DAY = solver.MINUTES_PER_DAY


def person(id, role="cadre", *, hours=84, per_day=2, home=TOWN, **values) -> StaffIn:
    return StaffIn(
        id=id,
        name=f"p{id}",
        role=role,
        home=home,
        max_minutes_per_week=hours * 60,
        max_shifts_per_day=per_day,
        **values,
    )


def shifts_at(checkpoint, *, days=1, hours=8, needed=1, minimums=(), first_id=None):
    """The checkpoint's shifts tiling `days` days from midnight; ids from checkpoint * 1000."""
    first_id = checkpoint * 1000 if first_id is None else first_id
    found = []
    length = hours * 60
    for number, start in enumerate(range(0, days * DAY, length)):
        middle = (start + length // 2) % DAY
        found.append(
            ShiftIn(
                id=first_id + number,
                checkpoint=checkpoint,
                start=start,
                end=start + length,
                needed=needed,
                minimums=tuple(minimums),
                night=middle >= 22 * 60 or middle < 6 * 60,
            )
        )
    return found


def problem(staff, shifts, *, days=1, rest_hours=8, **values) -> Problem:
    checkpoints = {
        c: CheckpointIn(c, f"卡点{c}", TOWN) for c in sorted({s.checkpoint for s in shifts})
    }
    return Problem(
        days=days,
        staff=list(staff),
        shifts=list(shifts),
        checkpoints=checkpoints,
        min_rest_minutes=rest_hours * 60,
        **values,
    )


def on_shift(solution) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for shift_id, staff_id in solution.assignments:
        found[shift_id].append(staff_id)
    return found


def shifts_of(solution, the_problem) -> dict[int, list[ShiftIn]]:
    by_id = {s.id: s for s in the_problem.shifts}
    found: dict[int, list[ShiftIn]] = defaultdict(list)
    for shift_id, staff_id in solution.assignments:
        found[staff_id].append(by_id[shift_id])
    return found


# Coverage -------------------------------------------------------------------------------------


def test_it_covers_every_shift_exactly_when_staff_suffice():
    # given one day of three 8-hour shifts needing 2 people (one police) and 8 people
    shifts = shifts_at(1, needed=2, minimums=[("police", 1)])
    staff = [person(i, "police") for i in range(1, 5)] + [person(i) for i in range(5, 9)]
    the_problem = problem(staff, shifts)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then every shift has exactly its 2 people, a police officer among them, and nothing short
    assert solution.status in ("OPTIMAL", "FEASIBLE")
    people = on_shift(solution)
    assert {s.id: len(people[s.id]) for s in shifts} == {s.id: 2 for s in shifts}
    police = {p.id for p in staff if p.role == "police"}
    assert all(police & set(people[s.id]) for s in shifts)
    assert solution.shortfalls == []
    assert solution.uncovered == 0
    assert solution.objective is not None and solution.bound is not None


def test_it_never_assigns_someone_while_they_are_unavailable():
    # given 8 people for one day; p1 is away all day, p2 during the night shift 00:00–08:00
    shifts = shifts_at(1, needed=2)
    staff = [person(1, unavailable=((0, DAY),)), person(2, unavailable=((0, 480),))]
    staff += [person(i) for i in range(3, 9)]
    the_problem = problem(staff, shifts)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then p1 works nothing and p2 not the shift they are away for, and all is covered
    worked = shifts_of(solution, the_problem)
    assert worked[1] == []
    assert all(s.start >= 480 for s in worked[2])
    assert solution.uncovered == 0


def test_it_leaves_the_minimum_rest_between_one_persons_shifts():
    # given eight 3-hour shifts needing one person each and 4 people who may work 4 a day
    shifts = shifts_at(1, hours=3)
    staff = [person(i, per_day=4) for i in range(1, 5)]
    the_problem = problem(staff, shifts, rest_hours=8)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then no two shifts of one person are closer than 8 hours, yet everything is covered
    for mine in shifts_of(solution, the_problem).values():
        for i, a in enumerate(mine):
            for b in mine[i + 1 :]:
                assert not too_close(a.start, a.end, b.start, b.end, 8 * 60), (a, b)
    assert solution.uncovered == 0


def test_it_tells_shifts_too_close_for_one_person():
    # given 8 hours of rest (in minutes) after a shift 00:00–03:00
    rest = 8 * 60
    # then back to back and 7 hours apart are too close, exactly 8 hours apart is not
    assert too_close(0, 180, 180, 360, rest)
    assert too_close(0, 180, 600, 780, rest)
    assert too_close(600, 780, 0, 180, rest)  # whichever comes first
    assert not too_close(0, 180, 660, 840, rest)
    assert not too_close(0, 180, 600, 780, 7 * 60)
    assert too_close(0, 480, 240, 720, 0)  # overlapping, even without rest
    assert not too_close(0, 180, 180, 360, 0)


def test_it_keeps_each_persons_shifts_per_day():
    # given eight 3-hour shifts, no rest rule, and 4 people who may work 2 shifts a day
    shifts = shifts_at(1, hours=3)
    staff = [person(i, per_day=2) for i in range(1, 5)]
    the_problem = problem(staff, shifts, rest_hours=0)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then nobody works more than 2, so each works exactly 2 to cover the 8
    worked = shifts_of(solution, the_problem)
    assert sorted(len(worked[p.id]) for p in staff) == [2, 2, 2, 2]
    assert solution.uncovered == 0


def test_it_keeps_each_persons_minutes_per_week():
    # given a week of 8-hour shifts (21) needing one person and 12 people allowed 16 h a week
    shifts = shifts_at(1, days=7)
    staff = [person(i, hours=16) for i in range(1, 13)]
    the_problem = problem(staff, shifts, days=7)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then nobody works more than 16 hours and the 21 shifts are covered
    for mine in shifts_of(solution, the_problem).values():
        assert sum(s.minutes for s in mine) <= 16 * 60
    assert solution.uncovered == 0


def test_it_gives_a_short_roster_the_whole_week_limit():
    # given a 1-day roster of three 8-hour shifts and 3 people allowed 10 h a week
    shifts = shifts_at(1)
    staff = [person(i, hours=10) for i in range(1, 4)]
    the_problem = problem(staff, shifts)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then each works one 8-hour shift (a prorated week, 1.4 h, would allow none); none works two
    assert solver.week_limit(staff[0]) == 10 * 60
    assert sorted(staff_id for _shift, staff_id in solution.assignments) == [1, 2, 3]
    assert solution.uncovered == 0


# Locked assignments ---------------------------------------------------------------------------


def test_it_keeps_locked_assignments():
    # given 8 people for one day and p8 locked on the 16:00 shift, p7 on the night one
    shifts = shifts_at(1, needed=2)
    staff = [person(i) for i in range(1, 9)]
    locked = frozenset({(1002, 8), (1000, 7)})
    the_problem = problem(staff, shifts, locked=locked)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then both locked places are in the roster, which is still fully covered
    assert locked <= set(solution.assignments)
    assert solution.uncovered == 0


def test_it_refuses_a_locked_assignment_while_unavailable_without_solving(monkeypatch):
    # given p1 locked on the night shift 00:00–08:00 but away 02:00–04:00
    shifts = shifts_at(1)
    staff = [person(1, unavailable=((120, 240),)), person(2), person(3)]
    the_problem = problem(staff, shifts, locked=frozenset({(1000, 1)}))

    def no_solving(*args, **kwargs):
        raise AssertionError("the solver must not start")

    monkeypatch.setattr(solver, "post_staff", no_solving)
    monkeypatch.setattr(solver, "_Part", no_solving)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then it is INFEASIBLE with the conflict named, and no roster
    assert solution.status == "INFEASIBLE"
    assert solution.conflicts == [Conflict("unavailable", 1, (1000,))]
    assert solution.assignments == []
    assert solution.uncovered == 0


def test_it_refuses_two_locked_shifts_too_close():
    # given p1 locked on 00–03 and 06–09 with 8 hours of rest between shifts
    shifts = shifts_at(1, hours=3)
    staff = [person(1, per_day=4), person(2)]
    the_problem = problem(staff, shifts, locked=frozenset({(1000, 1), (1002, 1)}))

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then the rest rule is the conflict, naming both shifts
    assert solution.status == "INFEASIBLE"
    assert solution.conflicts == [Conflict("rest", 1, (1000, 1002))]


def test_it_refuses_locked_shifts_over_a_day_or_a_week():
    # given p1 (1 shift a day, 8 hours a week) locked on two 3-hour shifts 12 hours apart on
    # day 1, and on 3 more shifts of days 2–4
    shifts = shifts_at(1, days=7, hours=3)
    staff = [person(1, per_day=1, hours=8), person(2)]
    locked = frozenset({(1000, 1), (1004, 1), (1008, 1), (1016, 1), (1024, 1)})
    the_problem = problem(staff, shifts, days=7, locked=locked)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then the day and the week are both named
    assert solution.status == "INFEASIBLE"
    kinds = {(c.kind, c.shifts) for c in solution.conflicts}
    assert ("day", (1000, 1004)) in kinds
    assert ("week", (1000, 1004, 1008, 1016, 1024)) in kinds


# Shortfalls ---------------------------------------------------------------------------------


def test_it_reports_a_role_nobody_has_as_a_shortfall_not_a_failure():
    # given a checkpoint needing a police officer on each of its 3 shifts, and only cadres
    shifts = shifts_at(7, needed=2, minimums=[("police", 1)])
    staff = [person(i) for i in range(1, 9)]
    the_problem = problem(staff, shifts)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then a roster is found (cadres fill the places) and the police gap is reported twice:
    # at the checkpoint and for the town, with no police to cover it
    assert solution.status in ("OPTIMAL", "FEASIBLE")
    assert len(solution.assignments) == 6
    assert Shortfall(7, "police", needed=3, covered=0, staff=0, capacity=0) in solution.shortfalls
    assert (
        Shortfall(None, "police", needed=3, covered=0, staff=0, capacity=0) in solution.shortfalls
    )
    assert solution.uncovered == 3  # a police place short on each shift, though filled


def test_it_reports_too_few_people_as_uncovered_person_shifts():
    # given 3 shifts needing 2 people and 2 people who may work one shift each
    shifts = shifts_at(3, needed=2)
    staff = [person(1, per_day=1), person(2, per_day=1)]
    the_problem = problem(staff, shifts)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then 2 of the 6 places are covered and the 4 others reported at the checkpoint
    assert solution.status in ("OPTIMAL", "FEASIBLE")
    assert len(solution.assignments) == 2
    assert solution.uncovered == 4
    (short,) = [s for s in solution.shortfalls if s.role is None]
    assert (short.checkpoint, short.needed, short.covered, short.staff) == (3, 6, 2, 2)


# Re-solving, groups, posting ----------------------------------------------------------------


def test_it_keeps_the_previous_roster_when_nothing_changed():
    # given a week's roster solved once
    shifts = shifts_at(1, days=7, needed=2, minimums=[("police", 1)])
    staff = [person(i, "police", hours=42) for i in range(1, 6)]
    staff += [person(i, hours=42) for i in range(6, 11)]
    first = solver.solve(problem(staff, shifts, days=7), time_limit=1)
    assert first.uncovered == 0

    # when the same problem is solved again with that roster as the previous one
    again = solver.solve(
        problem(staff, shifts, days=7, previous=frozenset(first.assignments)), time_limit=1
    )

    # then nothing changes
    assert again.assignments == first.assignments


def test_it_keeps_groups_together_when_asked():
    # given two groups of 2 (p1, p2 and p3, p4) and 2 loose people, shifts needing 2
    shifts = shifts_at(1, needed=2)
    staff = [person(1, group=1), person(2, group=1), person(3, group=2), person(4, group=2)]
    staff += [person(5), person(6)]
    the_problem = problem(staff, shifts, keep_groups_together=True)

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then the members of a group work the same shifts, and they do work
    worked = {p: {s.id for s in mine} for p, mine in shifts_of(solution, the_problem).items()}
    assert worked.get(1, set()) == worked.get(2, set())
    assert worked.get(3, set()) == worked.get(4, set())
    assert worked.get(1) or worked.get(3)
    assert solution.status in ("OPTIMAL", "FEASIBLE")


def test_it_posts_people_with_a_usual_checkpoint_there():
    # given two checkpoints with the same demand; p1 and p2 usually at checkpoint 2
    shifts = shifts_at(1, needed=1) + shifts_at(2, needed=1)
    staff = [person(1, post=2), person(2, post=2)] + [person(i) for i in range(3, 7)]
    the_problem = problem(staff, shifts)

    # when the staff are posted and the roster solved
    posts = solver.post_staff(the_problem)
    solution = solver.solve(the_problem, time_limit=1)

    # then both are posted at checkpoint 2 and work only there
    assert posts[1] == 2 and posts[2] == 2
    assert set(posts) == {p.id for p in staff}
    checkpoints = {s.id: s.checkpoint for s in shifts}
    assert {checkpoints[s] for s, p in solution.assignments if p in (1, 2)} <= {2}


def test_it_posts_the_same_way_for_the_same_input():
    # given two checkpoints (one in a village) and a mixed pool
    shifts = shifts_at(1, needed=2, minimums=[("police", 1)]) + shifts_at(2, needed=2)
    staff = [person(i, "police") for i in range(1, 4)]
    staff += [person(i, "volunteer", home=VILLAGE) for i in range(4, 10)]
    the_problem = problem(staff, shifts)
    shuffled = problem(list(reversed(staff)), list(reversed(shifts)))

    # when posted twice, once with the lists in another order
    posts = solver.post_staff(the_problem)

    # then the posting is the same, and police go where police are needed
    assert solver.post_staff(the_problem) == posts
    assert solver.post_staff(shuffled) == posts
    assert {posts[i] for i in (1, 2, 3)} == {1}


def test_it_covers_a_post_whose_person_is_locked_elsewhere():
    # given two checkpoints of three 8-hour shifts needing 1 person, 7 people who may each work
    # one 8-hour shift in this one-day roster (12 of 84 h), and p1, usually at checkpoint 2,
    # locked on checkpoint 1's first shift: the 6 others suffice for the 5 places left
    shifts = shifts_at(1, needed=1) + shifts_at(2, needed=1)
    staff = [person(1, post=2)] + [person(i) for i in range(2, 8)]
    the_problem = problem(staff, shifts, locked=frozenset({(1000, 1)}))

    # when it is solved
    solution = solver.solve(the_problem, time_limit=1)

    # then that shift has p1 and nobody else, and every place is covered
    assert on_shift(solution)[1000] == [1]
    assert solution.uncovered == 0
