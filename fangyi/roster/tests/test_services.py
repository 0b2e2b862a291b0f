"""The roster services on the database: making rosters and their shifts, solving and storing,
what survives a failed solve, removing staff, hand edits, demand, unavailability, permissions."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from fangyi.checkpoints.testing import make_checkpoint
from fangyi.core.audit import Actor
from fangyi.roster import services, solver
from fangyi.roster.models import (
    Assignment,
    DutyRole,
    Roster,
    RosterEvent,
    RosterEventKind,
    Shift,
    SolveState,
    Unavailability,
)
from fangyi.roster.testing import SYSTEM, make_demand, make_small_town, make_staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def small(town, village_a):
    return make_small_town(town, village_a)


@pytest.fixture
def first_day():
    return timezone.localdate() + timedelta(days=2)


def messages(error: ValidationError) -> str:
    return " | ".join(error.value.messages)


def at(day, hour: int):
    return services.local_midnight(day) + timedelta(hours=hour)


def shift_of(roster, checkpoint, starts_at) -> Shift:
    return roster.shifts.select_related("roster", "checkpoint").get(
        checkpoint=checkpoint, starts_at=starts_at
    )


def roster_assignments(roster) -> set[tuple[int, int, bool]]:
    return set(
        Assignment.objects.filter(shift__roster=roster).values_list(
            "shift_id", "staff_id", "locked"
        )
    )


def assert_covered(roster):
    for shift in roster.shifts.all():
        assert shift.assignments.count() == shift.needed, shift


# create_roster ------------------------------------------------------------------------------


@pytest.mark.parametrize("rest", [-1, 25])
def test_it_refuses_a_rest_out_of_range(small, carol, first_day, rest):
    with pytest.raises(ValidationError) as error:
        services.create_roster(
            Actor(user=carol), town=small.town, starts_on=first_day, days=7, min_rest_hours=rest
        )
    assert error.value.message_dict == {
        "min_rest_hours": ["the rest between shifts is 0 to 24 hours"]
    }


@pytest.mark.parametrize("days", [0, 29, -1])
def test_it_refuses_a_roster_of_no_days_or_over_four_weeks(small, carol, first_day, days):
    # given a town with demand
    # when a roster of `days` days is asked for
    with pytest.raises(ValidationError) as error:
        services.create_roster(Actor(user=carol), town=small.town, starts_on=first_day, days=days)

    # then the days are refused, saying the range, and nothing is made
    assert error.value.message_dict == {"days": ["a roster covers 1 to 28 days"]}
    assert not Roster.objects.exists()


def test_it_accepts_one_day_and_four_weeks(small, carol, first_day):
    # given a town with demand
    # when rosters of 1 day and of 28 days (after it) are made
    one = services.create_roster(Actor(user=carol), town=small.town, starts_on=first_day, days=1)
    four = services.create_roster(
        Actor(user=carol), town=small.town, starts_on=first_day + timedelta(days=1), days=28
    )

    # then both exist, with 3 shifts a day at each of the two checkpoints
    assert one.shifts.count() == 6
    assert four.shifts.count() == 6 * 28
    assert four.ends_on == first_day + timedelta(days=28)


def test_it_refuses_a_roster_overlapping_another(small, carol, first_day):
    # given a week's roster
    small.roster(first_day, 7)

    # when another starts on its last day
    with pytest.raises(ValidationError) as error:
        services.create_roster(
            Actor(user=carol), town=small.town, starts_on=first_day + timedelta(days=6), days=3
        )

    # then it is refused, naming the other roster's days; the next day is fine
    text = messages(error)
    assert "covers some of these days" in text
    assert f"{first_day:%-m/%-d}" in text
    assert Roster.objects.count() == 1
    small.roster(first_day + timedelta(days=7), 3)
    assert Roster.objects.count() == 2


def test_it_refuses_a_roster_ending_inside_another(small, carol, first_day):
    # given a week's roster
    small.roster(first_day, 7)

    # when another starts 2 days earlier and runs into it
    with pytest.raises(ValidationError) as error:
        services.create_roster(
            Actor(user=carol), town=small.town, starts_on=first_day - timedelta(days=2), days=3
        )

    # then it is refused
    assert "starts_on" in error.value.message_dict


def test_it_refuses_a_roster_for_a_town_with_no_demand(other_town, first_day):
    # given a town with a checkpoint but no staffing set
    make_checkpoint(other_town, "白水镇入口")

    # when a roster is asked for
    with pytest.raises(ValidationError) as error:
        services.create_roster(SYSTEM, town=other_town, starts_on=first_day, days=7)

    # then it says no checkpoint has its staffing set
    assert error.value.message_dict == {"town": ["no checkpoint of 白水镇 has its staffing set"]}
    assert not Roster.objects.exists()


def test_it_refuses_a_roster_for_a_village(small, village_a, first_day):
    # when a roster is asked for a village
    with pytest.raises(ValidationError) as error:
        services.create_roster(SYSTEM, town=village_a, starts_on=first_day, days=7)
    # then a roster belongs to a town
    assert "town" in error.value.message_dict


# Shifts from demand ----------------------------------------------------------------------------


def test_it_makes_eight_shifts_a_day_for_a_3_hour_pattern(town, first_day):
    # given a checkpoint of 3-hour shifts from midnight with a police officer always and a
    # doctor at night
    entrance = make_checkpoint(town, "青山镇南入口")
    make_demand(
        entrance,
        shift_hours=3,
        people_per_shift=3,
        role_minimums={"police": 1},
        night_role_minimums={"doctor": 1},
    )

    # when a 2-day roster is made
    roster = services.create_roster(SYSTEM, town=town, starts_on=first_day, days=2)

    # then it has 8 shifts a day at 00, 03 ... 21 local, the night ones those whose middle is
    # in 22:00–06:00 (00–03, 03–06, 21–24), with the doctor added at night only
    shifts = list(roster.shifts.order_by("starts_at"))
    assert len(shifts) == 16
    first = [timezone.localtime(s.starts_at) for s in shifts[:8]]
    assert [t.hour for t in first] == [0, 3, 6, 9, 12, 15, 18, 21]
    assert all(t.date() == first_day for t in first)
    assert all(s.hours == 3 and s.needed == 3 for s in shifts)
    assert [s.is_night for s in shifts[:8]] == [True, True] + [False] * 5 + [True]
    for shift in shifts:
        wanted = {"police": 1, "doctor": 1} if shift.is_night else {"police": 1}
        assert shift.role_minimums == wanted


def test_it_starts_the_shifts_at_the_first_shift_hour(town, first_day):
    # given 8-hour shifts from 07:00 and 3-hour shifts from 01:00
    east = make_checkpoint(town, "东入口")
    west = make_checkpoint(town, "西入口")
    make_demand(east, shift_hours=8, first_shift_hour=7)
    make_demand(west, shift_hours=3, first_shift_hour=1)

    # when a 1-day roster is made
    roster = services.create_roster(SYSTEM, town=town, starts_on=first_day, days=1)

    # then east's shifts start 07, 15, 23 (the last into the next day), west's 01, 04 ... 22;
    # 23:00–07:00 is a night shift (its middle 03:00), 15:00–23:00 is not (19:00)
    east_shifts = list(roster.shifts.filter(checkpoint=east).order_by("starts_at"))
    assert [timezone.localtime(s.starts_at).hour for s in east_shifts] == [7, 15, 23]
    assert timezone.localtime(east_shifts[-1].ends_at) == at(first_day + timedelta(days=1), 7)
    assert [s.is_night for s in east_shifts] == [False, False, True]
    west_hours = [
        timezone.localtime(s.starts_at).hour
        for s in roster.shifts.filter(checkpoint=west).order_by("starts_at")
    ]
    assert west_hours == [1, 4, 7, 10, 13, 16, 19, 22]


def test_it_tells_night_shifts_by_their_middle():
    # given shifts as local times
    day = timezone.localdate()
    # then the middle decides: 21–24 (22:30) and 04–08 (06:00 is day) and 20–23 (21:30)
    assert services.is_night(at(day, 21), at(day, 24))
    assert not services.is_night(at(day, 4), at(day, 8))
    assert services.is_night(at(day, 3), at(day, 8))
    assert not services.is_night(at(day, 20), at(day, 23))
    assert services.is_night(at(day, 16), at(day, 28))  # 16:00–04:00, middle 22:00


def test_it_leaves_out_checkpoints_whose_demand_is_inactive(small, first_day):
    # given the gate's staffing switched off
    services.set_demand(SYSTEM, small.gate, shift_hours=8, people_per_shift=2, active=False)

    # when a roster is made
    roster = small.roster(first_day, 1)

    # then only the entrance has shifts
    assert set(roster.shifts.values_list("checkpoint_id", flat=True)) == {small.entrance.pk}


# Solving ---------------------------------------------------------------------------------------


def test_it_solves_and_stores_the_assignments_and_figures(small, carol, first_day):
    # given the small town's week
    roster = small.roster(first_day, 7)

    # when carol solves it
    solution = services.solve_roster(Actor(user=carol), roster, time_limit=1)

    # then every shift has its people (a police officer and a cadre at the entrance, a
    # village cadre at the gate) and the figures are stored
    assert solution.status in ("OPTIMAL", "FEASIBLE")
    assert_covered(roster)
    stored = {(a, b) for a, b, _locked in roster_assignments(roster)}
    assert stored == set(solution.assignments)
    for shift in roster.shifts.prefetch_related("assignments__staff"):
        roles = [a.staff.role for a in shift.assignments.all()]
        for role, at_least in shift.role_minimums.items():
            assert roles.count(role) >= at_least, shift
    roster.refresh_from_db()
    assert roster.result == solution.status
    assert roster.solve_state == SolveState.DONE
    assert roster.uncovered == 0
    assert roster.objective == pytest.approx(solution.objective)
    assert roster.bound == pytest.approx(solution.bound)
    assert roster.gap is not None and roster.solve_seconds is not None
    assert roster.explanation == []
    assert roster.events.filter(kind=RosterEventKind.SOLVED).count() == 1
    assert not Assignment.objects.filter(shift__roster=roster, locked=True).exists()


def test_it_refuses_a_time_limit_out_of_range(small, carol, first_day):
    roster = small.roster(first_day, 1)
    with pytest.raises(ValidationError) as error:
        services.solve_roster(Actor(user=carol), roster, time_limit=0)
    assert "time_limit" in error.value.message_dict


def test_it_refuses_to_solve_a_roster_whose_days_are_over(small, carol, first_day):
    roster = small.roster(first_day, 1)
    with pytest.raises(ValidationError) as error:
        services.solve_roster(
            Actor(user=carol), roster, time_limit=1, now=at(first_day, 24) + timedelta(minutes=1)
        )
    assert error.value.message_dict == {"roster": ["this roster's days are over"]}


def test_it_explains_a_role_with_nobody_on_the_duty_list(town, carol, first_day):
    # given a checkpoint needing a doctor on every shift and only cadres on the duty list
    entrance = make_checkpoint(town, "青山镇北入口")
    make_demand(entrance, people_per_shift=2, role_minimums={"doctor": 1})
    for name in ("赵一", "钱二", "孙三", "李四", "周五", "吴六"):
        make_staff_member(town, name, DutyRole.CADRE, max_hours_per_week=84)
    roster = services.create_roster(SYSTEM, town=town, starts_on=first_day, days=1)

    # when it is solved
    solution = services.solve_roster(Actor(user=carol), roster, time_limit=1)

    # then a roster is stored (the places are filled) and the explanation names the doctor gap
    # at the checkpoint and in the town
    assert solution.status in ("OPTIMAL", "FEASIBLE")
    assert_covered(roster)
    roster.refresh_from_db()
    texts = [item["message"] for item in roster.explanation]
    assert "青山镇北入口 needs 3 doctor shifts in this period; only 0 doctor are available" in (
        " ".join(texts)
    )
    assert "青山镇 needs 3 doctor shifts, and no doctor is on its duty list" in texts
    assert roster.uncovered == 3  # the doctor's place on each shift


def test_it_keeps_the_last_valid_roster_when_a_solve_is_infeasible(small, carol, first_day):
    # given a solved roster with one assignment locked, and then (however it came about) its
    # person recorded as away during that shift
    roster = small.roster(first_day, 7)
    services.solve_roster(Actor(user=carol), roster, time_limit=1)
    assignment = Assignment.objects.filter(shift__roster=roster).select_related("staff", "shift")[3]
    services.set_locked(Actor(user=carol), assignment, True)
    Unavailability.objects.create(
        staff=assignment.staff,
        starts_at=assignment.shift.starts_at - timedelta(hours=1),
        ends_at=assignment.shift.ends_at,
        reason="发烧",
    )
    before = roster_assignments(roster)

    # when it is solved again
    solution = services.solve_roster(Actor(user=carol), roster, time_limit=1)

    # then no roster is found, every assignment is as it was, and the explanation names them
    assert solution.status == "INFEASIBLE"
    assert roster_assignments(roster) == before
    roster.refresh_from_db()
    assert roster.result == "INFEASIBLE"
    assert roster.uncovered == 0
    (item,) = roster.explanation
    assert item["kind"] == "locked_unavailable"
    assert item["message"].startswith(f"{assignment.staff.name} is locked on ")
    assert "but is unavailable then" in item["message"]
    assert "no roster found" in roster.events.filter(kind=RosterEventKind.SOLVED).last().message


def test_it_keeps_the_uncovered_count_of_the_roster_kept_when_infeasible(town, carol, first_day):
    # given a day of three 8-hour shifts needing 2 people and 2 cadres who may each work one
    # (8 hours a week): solved, 4 person-shifts are uncovered
    entrance = make_checkpoint(town, "青山镇北入口")
    make_demand(entrance, people_per_shift=2)
    for name in ("赵一", "钱二"):
        make_staff_member(town, name, DutyRole.CADRE, max_hours_per_week=8)
    roster = services.create_roster(SYSTEM, town=town, starts_on=first_day, days=1)
    services.solve_roster(Actor(user=carol), roster, time_limit=1)
    assert roster.uncovered == 4
    # and then one assignment locked while its person is recorded away
    assignment = Assignment.objects.filter(shift__roster=roster).select_related("shift").first()
    services.set_locked(Actor(user=carol), assignment, True)
    Unavailability.objects.create(
        staff_id=assignment.staff_id,
        starts_at=assignment.shift.starts_at,
        ends_at=assignment.shift.ends_at,
    )

    # when it is solved again and no roster is found
    solution = services.solve_roster(Actor(user=carol), roster, time_limit=1)

    # then the roster kept still says it leaves 4 person-shifts uncovered (not 0)
    assert solution.status == "INFEASIBLE"
    assert Assignment.objects.filter(shift__roster=roster).count() == 2
    assert roster.uncovered == 4


def test_it_frees_only_future_shifts_of_someone_removed_and_a_resolve_refills_them(
    small, carol, first_day
):
    # given a solved week, and the third day begun
    roster = small.roster(first_day, 7)
    services.solve_roster(Actor(user=carol), roster, time_limit=1)
    now = at(first_day, 48 + 1)
    leaving = small.staff[0]  # a police officer
    mine = Assignment.objects.filter(shift__roster=roster, staff=leaving)
    past = set(mine.filter(shift__starts_at__lt=now).values_list("pk", flat=True))
    future = mine.filter(shift__starts_at__gte=now).count()
    assert past and future

    # when they leave the duty list
    freed = services.remove_staff(Actor(user=carol), leaving, reason="生病", now=now)

    # then only their future shifts are freed, and the roster says so
    assert freed == future
    assert set(mine.values_list("pk", flat=True)) == past
    leaving.refresh_from_db()
    assert not leaving.active
    event = roster.events.get(kind=RosterEventKind.STAFF)
    assert f"{leaving.name} left the duty list (生病): {future} shifts freed" == event.message

    # and when it is solved again, the freed places are filled by others
    services.solve_roster(Actor(user=carol), roster, time_limit=1, now=now)
    for shift in roster.shifts.filter(starts_at__gte=now):
        assert shift.assignments.count() == shift.needed, shift
    assert not mine.filter(shift__starts_at__gte=now).exists()


def test_it_keeps_the_shifts_someone_worked_before_leaving_after_a_resolve(small, carol, first_day):
    # given a solved week; on day 3 a police officer who worked days 1–2 leaves
    roster = small.roster(first_day, 7)
    services.solve_roster(Actor(user=carol), roster, time_limit=1)
    now = at(first_day, 48 + 1)
    leaving = small.staff[0]
    mine = Assignment.objects.filter(shift__roster=roster, staff=leaving)
    worked = set(mine.filter(shift__starts_at__lt=now).values_list("pk", flat=True))
    assert worked
    services.remove_staff(Actor(user=carol), leaving, reason="生病", now=now)

    # when the roster is solved again to refill the places
    services.solve_roster(Actor(user=carol), roster, time_limit=1, now=now)

    # then the shifts they worked (the roster's history, their hours) are still theirs
    assert set(mine.values_list("pk", flat=True)) == worked


def test_it_keeps_locked_and_started_shifts_when_solving_again(small, carol, first_day):
    # given a solved week with one assignment locked
    roster = small.roster(first_day, 7)
    services.solve_roster(Actor(user=carol), roster, time_limit=1)
    locked = Assignment.objects.filter(
        shift__roster=roster, shift__starts_at__gte=at(first_day, 96)
    )
    locked = locked.order_by("shift__starts_at", "pk").first()
    services.set_locked(Actor(user=carol), locked, True)
    now = at(first_day, 24 + 9)  # day 2, 09:00: the 08:00 shifts have begun
    started = {
        (a, b) for a, b, _ in roster_assignments(roster) if Shift.objects.get(pk=a).starts_at < now
    }
    assert started
    # and a village cadre is away on days 4–5, so the re-solve has something to change
    services.add_unavailability(
        Actor(user=carol), small.staff[11], at(first_day, 72), at(first_day, 120), "探亲"
    )

    # when it is solved again
    services.solve_roster(Actor(user=carol), roster, time_limit=1, now=now)

    # then the locked one and everyone on shifts already begun are still there
    after = {(a, b) for a, b, _ in roster_assignments(roster)}
    assert (locked.shift_id, locked.staff_id) in after
    assert started <= after
    assert Assignment.objects.get(pk=locked.pk).locked


def test_it_solves_again_after_someone_falls_ill_during_their_shift(small, carol, first_day):
    # given a solved week; on day 2 someone falls ill one hour into their shift and is away
    # from then for two days
    roster = small.roster(first_day, 7)
    services.solve_roster(Actor(user=carol), roster, time_limit=1)
    assignment = (
        Assignment.objects.filter(shift__roster=roster, shift__starts_at__gte=at(first_day, 24))
        .select_related("staff", "shift")
        .order_by("shift__starts_at", "pk")
        .first()
    )
    now = assignment.shift.starts_at + timedelta(hours=1)
    services.add_unavailability(
        Actor(user=carol), assignment.staff, now, now + timedelta(days=2), "发烧"
    )

    # when the roster is solved again (to replace them from now on)
    solution = services.solve_roster(Actor(user=carol), roster, time_limit=1, now=now)

    # then a roster is found, and they are on no later shift while away
    assert solution.status in ("OPTIMAL", "FEASIBLE"), solution.conflicts
    later = Assignment.objects.filter(
        staff=assignment.staff,
        shift__starts_at__gte=now,
        shift__starts_at__lt=now + timedelta(days=2),
    )
    assert not later.exists()


def test_it_solves_again_after_lowering_someones_hours_mid_week(small, carol, first_day):
    # given a solved week; on day 4 someone who has worked 16 hours or more is allowed only 8
    roster = small.roster(first_day, 7)
    services.solve_roster(Actor(user=carol), roster, time_limit=1)
    now = at(first_day, 72 + 9)
    worked = Assignment.objects.filter(shift__roster=roster, shift__starts_at__lt=now)
    staff = next(p for p in small.staff if worked.filter(staff=p).count() >= 2)
    services.update_staff(Actor(user=carol), staff, max_hours_per_week=8)

    # when the roster is solved again (the past cannot change: only the days to come)
    solution = services.solve_roster(Actor(user=carol), roster, time_limit=1, now=now)

    # then a roster is found, with them on no further shift this week
    assert solution.status in ("OPTIMAL", "FEASIBLE"), solution.conflicts
    assert not Assignment.objects.filter(
        shift__roster=roster, staff=staff, shift__starts_at__gte=now
    ).exists()


def test_it_keeps_groups_together_when_the_roster_asks(town, carol, first_day):
    # given a checkpoint needing 2 people per 8-hour shift and two groups of 2 cadres
    entrance = make_checkpoint(town, "青山镇北入口")
    make_demand(entrance, people_per_shift=2)
    groups = [services.create_group(Actor(user=carol), town, name) for name in ("一班", "二班")]
    members = {}
    for number, name in enumerate(("赵一", "钱二", "孙三", "李四", "周五", "吴六")):
        group = groups[number // 2] if number < 4 else None
        members[name] = make_staff_member(
            town, name, DutyRole.CADRE, group=group, max_hours_per_week=84
        )
    roster = services.create_roster(
        SYSTEM, town=town, starts_on=first_day, days=2, keep_groups_together=True
    )

    # when it is solved
    services.solve_roster(Actor(user=carol), roster, time_limit=1)

    # then each group's members work the same shifts
    def shifts(name):
        return set(
            Assignment.objects.filter(staff=members[name]).values_list("shift_id", flat=True)
        )

    assert shifts("赵一") == shifts("钱二")
    assert shifts("孙三") == shifts("李四")
    assert shifts("赵一") or shifts("孙三")


def test_it_drops_the_solution_when_the_roster_is_edited_by_hand_meanwhile(
    small, carol, first_day, monkeypatch
):
    # given a solved roster, and a solve during which someone edits it by hand
    roster = small.roster(first_day, 2)
    services.solve_roster(Actor(user=carol), roster, time_limit=1)
    before = roster_assignments(roster)
    real_solve = solver.solve

    def solve_while_editing(problem, time_limit, **kwargs):
        solution = real_solve(problem, time_limit, **kwargs)
        shift = roster.shifts.select_related("roster", "checkpoint").first()
        gone = shift.assignments.first()
        services.unassign_staff(Actor(user=carol), gone)
        solution.assignments = []  # a solution that would empty the roster if stored
        return solution

    monkeypatch.setattr(solver, "solve", solve_while_editing)

    # when the solve ends
    with pytest.raises(ValidationError) as error:
        services.solve_roster(Actor(user=carol), roster, time_limit=1)

    # then its result is dropped: only the hand edit changed the roster, and the page is told
    assert error.value.message_dict == {
        "roster": ["the roster was changed by hand while solving; solve again"]
    }
    assert len(roster_assignments(roster)) == len(before) - 1
    roster.refresh_from_db()
    assert roster.solve_state == SolveState.FAILED
    assert "changed by hand" in roster.solve_progress
    assert roster.events.filter(kind=RosterEventKind.SOLVED).count() == 1


def test_it_detects_a_hand_edit_event_added_between_build_and_store(
    small, carol, first_day, monkeypatch
):
    # given a roster, and an ASSIGNED event written while the solver runs
    roster = small.roster(first_day, 1)
    real_solve = solver.solve

    def solve_then_event(problem, time_limit, **kwargs):
        solution = real_solve(problem, time_limit, **kwargs)
        RosterEvent.objects.create(
            roster=roster, actor=carol, actor_username="carol", kind=RosterEventKind.ASSIGNED
        )
        return solution

    monkeypatch.setattr(solver, "solve", solve_then_event)

    # when the solve ends
    with pytest.raises(ValidationError):
        services.solve_roster(Actor(user=carol), roster, time_limit=1)

    # then nothing was stored
    assert not Assignment.objects.filter(shift__roster=roster).exists()


def test_it_keeps_rest_after_the_previous_rosters_last_shift(town, carol, first_day):
    # given one checkpoint of 6-hour shifts needing one person and one police officer (two
    # shifts a day at most); on yesterday's roster they work its last shift, 18:00–24:00
    entrance = make_checkpoint(town, "青山镇西入口")
    make_demand(entrance, shift_hours=6, people_per_shift=1)
    officer = make_staff_member(town, "王警官", DutyRole.POLICE, max_hours_per_week=84)
    yesterday = services.create_roster(SYSTEM, town=town, starts_on=first_day, days=1)
    services.assign_staff(
        Actor(user=carol), shift_of(yesterday, entrance, at(first_day, 18)), officer
    )
    today = services.create_roster(
        SYSTEM, town=town, starts_on=first_day + timedelta(days=1), days=1
    )

    # when today's roster is solved
    services.solve_roster(Actor(user=carol), today, time_limit=1)

    # then they are not put on 00:00–06:00 right after their 18:00–24:00 (8 hours of rest),
    # which a hand edit would be refused for too
    night = shift_of(today, entrance, at(first_day + timedelta(days=1), 0))
    assert services.assignment_problems(night, officer, ignoring=()) != []
    assert not night.assignments.filter(staff=officer).exists()


# Hand edits ------------------------------------------------------------------------------------


@pytest.fixture
def day_roster(small, first_day):
    """The small town's first day, nobody on it yet."""
    return small.roster(first_day, 7)


def test_it_assigns_by_hand_locked(small, carol, day_roster, first_day):
    # given an empty roster
    shift = shift_of(day_roster, small.entrance, at(first_day, 0))

    # when carol puts a police officer on the first shift
    assignment = services.assign_staff(Actor(user=carol), shift, small.staff[0])

    # then the assignment is locked, by hand, and the history says so
    assert assignment.locked and assignment.source == "manual"
    event = day_roster.events.get(kind=RosterEventKind.ASSIGNED)
    assert event.message.startswith(small.staff[0].name + " on 青山镇东入口 ")
    assert event.actor == carol


def test_it_refuses_someone_in_two_places_at_once(small, carol, day_roster, first_day):
    # given a police officer on the entrance's first shift
    officer = small.staff[0]
    services.assign_staff(
        Actor(user=carol), shift_of(day_roster, small.entrance, at(first_day, 0)), officer
    )

    # when they are put on the gate's shift at the same time
    with pytest.raises(ValidationError) as error:
        services.assign_staff(
            Actor(user=carol), shift_of(day_roster, small.gate, at(first_day, 0)), officer
        )

    # then it is refused, naming the other shift
    assert f"{officer.name} is on 青山镇东入口 " in messages(error)
    assert "at the same time" in messages(error)
    assert Assignment.objects.filter(staff=officer).count() == 1


def test_it_refuses_someone_twice_on_one_shift(small, carol, day_roster, first_day):
    shift = shift_of(day_roster, small.entrance, at(first_day, 0))
    services.assign_staff(Actor(user=carol), shift, small.staff[0])
    with pytest.raises(ValidationError) as error:
        services.assign_staff(Actor(user=carol), shift, small.staff[0])
    assert "is on this shift already" in messages(error)


def test_it_refuses_too_little_rest(small, carol, day_roster, first_day):
    # given a police officer on 00:00–08:00
    officer = small.staff[0]
    services.assign_staff(
        Actor(user=carol), shift_of(day_roster, small.entrance, at(first_day, 0)), officer
    )

    # when they are put on the gate's 08:00–16:00 (no rest)
    with pytest.raises(ValidationError) as error:
        services.assign_staff(
            Actor(user=carol), shift_of(day_roster, small.gate, at(first_day, 8)), officer
        )

    # then the rest is the reason; 16:00–24:00 (8 hours later) is fine
    assert "less than 8 hours of rest between" in messages(error)
    services.assign_staff(
        Actor(user=carol), shift_of(day_roster, small.gate, at(first_day, 16)), officer
    )


def test_it_refuses_someone_unavailable(small, carol, day_roster, first_day):
    # given a cadre away on the first day
    cadre = small.staff[5]
    services.add_unavailability(
        Actor(user=carol), cadre, at(first_day, 6), at(first_day, 10), "体检"
    )

    # when they are put on 08:00–16:00
    with pytest.raises(ValidationError) as error:
        services.assign_staff(
            Actor(user=carol), shift_of(day_roster, small.entrance, at(first_day, 8)), cadre
        )

    # then the reason names the unavailability
    assert messages(error) == f"{cadre.name} is unavailable then (体检)"


def test_it_refuses_someone_off_the_duty_list(small, carol, day_roster, first_day):
    cadre = small.staff[5]
    services.remove_staff(Actor(user=carol), cadre)
    with pytest.raises(ValidationError) as error:
        services.assign_staff(
            Actor(user=carol), shift_of(day_roster, small.entrance, at(first_day, 8)), cadre
        )
    assert messages(error) == f"{cadre.name} is not on the duty list"


def test_it_refuses_someone_of_another_town(small, carol, day_roster, first_day, other_town):
    stranger = make_staff_member(other_town, "外镇人", DutyRole.CADRE)
    with pytest.raises(ValidationError) as error:
        services.assign_staff(
            Actor(user=carol), shift_of(day_roster, small.entrance, at(first_day, 8)), stranger
        )
    assert messages(error) == "外镇人 is not on the duty list of this town"


def test_it_refuses_a_full_shift(small, carol, day_roster, first_day):
    # given the entrance's shift with its 2 people
    shift = shift_of(day_roster, small.entrance, at(first_day, 8))
    services.assign_staff(Actor(user=carol), shift, small.staff[0])
    services.assign_staff(Actor(user=carol), shift, small.staff[5])

    # when a third is put on
    with pytest.raises(ValidationError) as error:
        services.assign_staff(Actor(user=carol), shift, small.staff[1])

    # then it is full
    assert messages(error) == "this shift has all the 2 people it needs; remove someone first"


def test_it_refuses_more_shifts_a_day_than_allowed(small, carol, day_roster, first_day):
    # given a cadre allowed one shift a day, on 00:00–08:00
    cadre = small.staff[5]
    services.update_staff(Actor(user=carol), cadre, max_shifts_per_day=1)
    services.assign_staff(
        Actor(user=carol), shift_of(day_roster, small.entrance, at(first_day, 0)), cadre
    )
    # when they are put on 16:00–24:00
    with pytest.raises(ValidationError) as error:
        services.assign_staff(
            Actor(user=carol), shift_of(day_roster, small.entrance, at(first_day, 16)), cadre
        )
    # then the day is full
    assert "has 1 shifts on" in messages(error)
    assert "the most a day" in messages(error)


def test_it_refuses_more_hours_a_week_than_allowed(small, carol, day_roster, first_day):
    # given a cadre allowed 16 hours a week, on two 8-hour shifts of the week
    cadre = small.staff[5]
    services.update_staff(Actor(user=carol), cadre, max_hours_per_week=16)
    for day in (0, 2):
        shift = shift_of(day_roster, small.entrance, at(first_day + timedelta(days=day), 8))
        services.assign_staff(Actor(user=carol), shift, cadre)

    # when they are put on a third
    third = shift_of(day_roster, small.entrance, at(first_day + timedelta(days=4), 8))
    with pytest.raises(ValidationError) as error:
        services.assign_staff(Actor(user=carol), third, cadre)

    # then the week is over their hours
    assert f"{cadre.name} would work 24 hours in the week from {first_day:%-m/%-d}" in (
        messages(error)
    )
    assert "more than 16" in messages(error)


def test_it_gives_every_reason_at_once(small, carol, day_roster, first_day, other_town):
    # given someone of another town, away, put on a full shift
    stranger = make_staff_member(other_town, "外镇人", DutyRole.CADRE)
    services.add_unavailability(SYSTEM, stranger, at(first_day, 0), at(first_day, 24))
    shift = shift_of(day_roster, small.entrance, at(first_day, 8))
    services.assign_staff(Actor(user=carol), shift, small.staff[0])
    services.assign_staff(Actor(user=carol), shift, small.staff[5])
    with pytest.raises(ValidationError) as error:
        services.assign_staff(Actor(user=carol), shift, stranger)
    assert len(error.value.messages) == 3


# Demand ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"shift_hours": 5}, "shift_hours", "a shift lasts 2、3、4、6、8、12 hours"),
        ({"shift_hours": 0}, "shift_hours", "a shift lasts"),
        ({"first_shift_hour": 24}, "first_shift_hour", "from 0 to 23"),
        ({"first_shift_hour": -1}, "first_shift_hour", "from 0 to 23"),
        ({"people_per_shift": 0}, "people_per_shift", "a shift takes 1 to 30 people"),
        ({"people_per_shift": 31}, "people_per_shift", "a shift takes 1 to 30 people"),
        ({"role_minimums": {"police": -1}}, "role_minimums", "cannot be negative"),
        ({"role_minimums": {"pilot": 1}}, "role_minimums", "unknown duty role: pilot"),
        ({"role_minimums": {"police": "x"}}, "role_minimums", "whole numbers"),
        ({"night_role_minimums": {"doctor": -2}}, "night_role_minimums", "cannot be negative"),
        ({"night_role_minimums": {"nurse": 1}}, "night_role_minimums", "unknown duty role"),
        (
            {"role_minimums": {"police": 2, "cadre": 1}},
            "role_minimums",
            "the role minimums add up to 3 people, more than the 2 a shift takes",
        ),
        (
            {"role_minimums": {"police": 1}, "night_role_minimums": {"doctor": 2}},
            "night_role_minimums",
            "add up to 3 people, more than the 2",
        ),
    ],
)
def test_it_refuses_bad_demand(town, carol, values, field, text):
    # given a checkpoint with a demand of 2 people per 8-hour shift
    checkpoint = make_checkpoint(town, "青山镇入口")
    make_demand(checkpoint, people_per_shift=2)
    arguments = {"shift_hours": 8, "people_per_shift": 2, **values}

    # when bad demand is set
    with pytest.raises(ValidationError) as error:
        services.set_demand(Actor(user=carol), checkpoint, **arguments)

    # then the field says why and the demand is as it was
    assert field in error.value.message_dict
    assert text in error.value.message_dict[field][0]
    checkpoint.demand.refresh_from_db()
    assert (checkpoint.demand.shift_hours, checkpoint.demand.people_per_shift) == (8, 2)
    assert checkpoint.demand.role_minimums == {}


def test_it_accepts_night_minimums_over_the_day_ones(town, carol):
    # given a checkpoint
    checkpoint = make_checkpoint(town, "青山镇入口")
    # when the night asks 2 police where the day asks 1, in shifts of 2
    demand = services.set_demand(
        Actor(user=carol),
        checkpoint,
        shift_hours=3,
        people_per_shift=2,
        role_minimums={"police": 1, "cadre": 0},
        night_role_minimums={"police": 2},
    )
    # then the larger wins at night and zeros are dropped
    assert demand.role_minimums == {"police": 1}
    assert demand.minimums_at(night=True) == {"police": 2}
    assert demand.minimums_at(night=False) == {"police": 1}


# Unavailability ------------------------------------------------------------------------------


def test_it_refuses_unavailability_over_a_locked_assignment(small, carol, day_roster, first_day):
    # given a police officer locked on 08:00–16:00
    officer = small.staff[0]
    shift = shift_of(day_roster, small.entrance, at(first_day, 8))
    services.assign_staff(Actor(user=carol), shift, officer)

    # when they are said to be away 15:00–18:00
    with pytest.raises(ValidationError) as error:
        services.add_unavailability(
            Actor(user=carol), officer, at(first_day, 15), at(first_day, 18), "请假"
        )

    # then it is refused, naming the shift; after it ends, it is fine
    text = error.value.message_dict["starts_at"][0]
    assert text.startswith(f"{officer.name} is locked on 青山镇东入口 ")
    assert "unlock or remove it first" in text
    assert not Unavailability.objects.exists()
    services.add_unavailability(
        Actor(user=carol), officer, at(first_day, 16), at(first_day, 18), "请假"
    )


def test_it_refuses_an_unavailability_ending_before_it_starts(small, carol, first_day):
    with pytest.raises(ValidationError) as error:
        services.add_unavailability(
            Actor(user=carol), small.staff[0], at(first_day, 8), at(first_day, 8)
        )
    assert error.value.message_dict == {"ends_at": ["the end must be after the start"]}


def test_it_refuses_to_lock_an_assignment_while_its_person_is_away(small, carol, first_day):
    # given a solved roster and someone away over one of their (unlocked) shifts
    roster = small.roster(first_day, 2)
    services.solve_roster(Actor(user=carol), roster, time_limit=1)
    assignment = Assignment.objects.filter(shift__roster=roster).select_related("staff", "shift")[0]
    services.add_unavailability(
        Actor(user=carol), assignment.staff, assignment.shift.starts_at, assignment.shift.ends_at
    )

    # when the assignment is locked
    # then it is refused, as the unavailability would have been had it been locked first
    with pytest.raises(ValidationError):
        services.set_locked(Actor(user=carol), assignment, True)


# Permissions ---------------------------------------------------------------------------------


def test_it_forbids_a_village_cadre_to_solve_or_assign(small, alice, day_roster, first_day):
    # given alice, village cadre of 东村 (the gate's village)
    shift = shift_of(day_roster, small.gate, at(first_day, 8))
    # then she may neither solve, nor assign, nor make a roster, nor publish
    with pytest.raises(PermissionDenied):
        services.solve_roster(Actor(user=alice), day_roster, time_limit=1)
    with pytest.raises(PermissionDenied):
        services.assign_staff(Actor(user=alice), shift, small.staff[10])
    with pytest.raises(PermissionDenied):
        services.create_roster(
            Actor(user=alice), town=small.town, starts_on=first_day + timedelta(days=7), days=1
        )
    with pytest.raises(PermissionDenied):
        services.set_demand(Actor(user=alice), small.gate, shift_hours=3, people_per_shift=2)
    assert not Assignment.objects.exists()
    day_roster.refresh_from_db()
    assert day_roster.solve_state == SolveState.IDLE


def test_it_forbids_another_towns_commander_the_roster(small, frank, day_roster, first_day):
    # given frank, commander of 白水镇
    shift = shift_of(day_roster, small.entrance, at(first_day, 8))
    # then carol's town's roster, staff and demand are out of his reach
    with pytest.raises(PermissionDenied):
        services.solve_roster(Actor(user=frank), day_roster, time_limit=1)
    with pytest.raises(PermissionDenied):
        services.assign_staff(Actor(user=frank), shift, small.staff[0])
    with pytest.raises(PermissionDenied):
        services.publish_roster(Actor(user=frank), day_roster)
    with pytest.raises(PermissionDenied):
        services.remove_staff(Actor(user=frank), small.staff[0])
    with pytest.raises(PermissionDenied):
        services.set_demand(Actor(user=frank), small.entrance, shift_hours=3, people_per_shift=2)
    with pytest.raises(PermissionDenied):
        services.create_roster(
            Actor(user=frank), town=small.town, starts_on=first_day + timedelta(days=7), days=1
        )
    assert not Assignment.objects.exists()
    assert small.staff[0].__class__.objects.get(pk=small.staff[0].pk).active
