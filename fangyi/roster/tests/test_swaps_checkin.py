"""Swaps between staff (asked by the staff member, approved by the town), check-in and
check-out from the phone, the no-show sweep and hours worked."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from fangyi.core.audit import Actor
from fangyi.core.models import Alert, AlertKind
from fangyi.core.roles import Role
from fangyi.roster import services
from fangyi.roster.models import (
    Assignment,
    AssignmentSource,
    DutyRole,
    RosterEventKind,
    SwapRequest,
    SwapStatus,
)
from fangyi.roster.testing import SYSTEM, make_small_town, make_staff_member
from fangyi.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def first_day():
    return timezone.localdate() + timedelta(days=2)


def at(day, hour: float):
    return services.local_midnight(day) + timedelta(hours=hour)


def messages(error) -> str:
    return " | ".join(error.value.messages)


class World:
    """The small town's week with two cadres who have accounts: 小王 (wang) and 小李 (li)."""

    def __init__(self, town, village, first_day):
        self.small = make_small_town(town, village)
        self.day = first_day
        self.wang_user = make_user("wang", Role.CHECKPOINT_STAFF, town, "王小")
        self.li_user = make_user("li", Role.CHECKPOINT_STAFF, town, "李小")
        self.wang = make_staff_member(town, "小王", DutyRole.CADRE, user=self.wang_user)
        self.li = make_staff_member(town, "小李", DutyRole.CADRE, user=self.li_user)
        self.roster = self.small.roster(first_day, 7)

    def shift(self, checkpoint, hour: float, day: int = 0):
        return self.roster.shifts.select_related("roster", "checkpoint").get(
            checkpoint=checkpoint, starts_at=at(self.day + timedelta(days=day), hour)
        )

    def assign(self, checkpoint, hour, staff, day=0) -> Assignment:
        return services.assign_staff(SYSTEM, self.shift(checkpoint, hour, day), staff)


@pytest.fixture
def world(town, village_a, first_day):
    return World(town, village_a, first_day)


@pytest.fixture
def before(first_day):
    """A moment before the roster starts."""
    return at(first_day, -12)


# Swaps -------------------------------------------------------------------------------------


def test_it_moves_a_shift_a_staff_member_gives_when_the_town_approves(world, carol, before):
    # given 小王 on the entrance's 08:00 shift
    given = world.assign(world.small.entrance, 8, world.wang)

    # when 小王 asks (from his phone) to give it to 小李, and carol approves
    swap = services.request_swap(
        Actor(user=world.wang_user), given, world.li, reason="家里有事", now=before
    )
    assert swap.status == SwapStatus.REQUESTED
    assert swap.requested_by == world.wang_user
    decided = services.decide_swap(Actor(user=carol), swap, approve=True, note="同意", now=before)

    # then the shift is 小李's, locked, by swap; the history says so
    given.refresh_from_db()
    assert given.staff == world.li
    assert given.locked and given.source == AssignmentSource.SWAP
    assert decided.status == SwapStatus.APPROVED
    assert decided.decided_by == carol and decided.decision_note == "同意"
    event = world.roster.events.get(kind=RosterEventKind.SWAPPED)
    assert event.message.startswith("小王 gives 青山镇东入口 ")
    assert event.message.endswith(" to 小李")
    assert not Assignment.objects.filter(staff=world.wang).exists()


def test_it_moves_both_shifts_of_an_approved_exchange(world, carol, before):
    # given 小王 on day 1 08:00 and 小李 on day 2 08:00
    given = world.assign(world.small.entrance, 8, world.wang)
    theirs = world.assign(world.small.entrance, 8, world.li, day=1)

    # when 小王 asks to exchange them and carol approves
    swap = services.request_swap(
        Actor(user=world.wang_user), given, world.li, their_assignment=theirs, now=before
    )
    services.decide_swap(Actor(user=carol), swap, approve=True, now=before)

    # then 小李 works day 1 and 小王 day 2, both locked
    day1, day2 = world.shift(world.small.entrance, 8), world.shift(world.small.entrance, 8, 1)
    assert list(day1.assignments.values_list("staff_id", "locked")) == [(world.li.pk, True)]
    assert list(day2.assignments.values_list("staff_id", "locked")) == [(world.wang.pk, True)]
    assert "and takes" in world.roster.events.get(kind=RosterEventKind.SWAPPED).message


def test_it_refuses_a_swap_with_someone_on_shift_then(world, before):
    # given 小王 at the entrance 08:00–16:00 and 小李 at the gate at the same time
    given = world.assign(world.small.entrance, 8, world.wang)
    world.assign(world.small.gate, 8, world.li)

    # when 小王 asks to give his shift to 小李
    with pytest.raises(ValidationError) as error:
        services.request_swap(Actor(user=world.wang_user), given, world.li, now=before)

    # then it is refused: 小李 is on the gate then; no request is stored
    assert "小李 is on 东村村口 " in messages(error)
    assert "at the same time" in messages(error)
    assert not SwapRequest.objects.exists()


def test_it_refuses_a_swap_leaving_too_little_rest(world, before):
    # given 小王 on 08:00–16:00 and 小李 on 16:00–24:00
    given = world.assign(world.small.entrance, 8, world.wang)
    world.assign(world.small.gate, 16, world.li)
    with pytest.raises(ValidationError) as error:
        services.request_swap(Actor(user=world.wang_user), given, world.li, now=before)
    assert "less than 8 hours of rest" in messages(error)


def test_it_refuses_at_approval_a_swap_the_roster_no_longer_allows(world, carol, before):
    # given a swap request to 小李, who is then put on the gate at the same time
    given = world.assign(world.small.entrance, 8, world.wang)
    swap = services.request_swap(Actor(user=world.wang_user), given, world.li, now=before)
    world.assign(world.small.gate, 8, world.li)

    # when carol approves it
    with pytest.raises(ValidationError) as error:
        services.decide_swap(Actor(user=carol), swap, approve=True, now=before)

    # then it is refused and nothing moved; it can still be rejected
    assert "at the same time" in messages(error)
    given.refresh_from_db()
    assert given.staff == world.wang
    swap.refresh_from_db()
    assert swap.status == SwapStatus.REQUESTED
    services.decide_swap(Actor(user=carol), swap, approve=False, now=before)
    swap.refresh_from_db()
    assert swap.status == SwapStatus.REJECTED
    given.refresh_from_db()
    assert given.staff == world.wang


def test_it_refuses_approving_a_swap_once_the_shift_started(world, carol, before, first_day):
    given = world.assign(world.small.entrance, 8, world.wang)
    swap = services.request_swap(Actor(user=world.wang_user), given, world.li, now=before)
    with pytest.raises(ValidationError) as error:
        services.decide_swap(Actor(user=carol), swap, approve=True, now=at(first_day, 8.5))
    assert "the shift has started" in messages(error)


def test_it_refuses_a_swap_leaving_a_shift_without_its_police_officer(world, carol, before):
    # given the entrance's 08:00 shift (at least one police officer) with 赵秀英, its only one
    police = world.small.staff[0]
    given = world.assign(world.small.entrance, 8, police)
    world.assign(world.small.entrance, 8, world.wang)

    # when the town asks for her shift to go to 小李, a cadre
    with pytest.raises(ValidationError) as error:
        services.request_swap(Actor(user=carol), given, world.li, now=before)

    # then it is refused, naming the shift and the role; no request is stored
    assert "青山镇东入口 " in messages(error)
    assert "needs at least 1 police; after the swap it would have 0" in messages(error)
    assert not SwapRequest.objects.exists()


def test_it_refuses_at_approval_a_swap_below_a_role_minimum(world, carol, before):
    # given two police officers on the entrance's 08:00 shift, one asking to give hers to 小李
    first, second = world.small.staff[0], world.small.staff[1]
    given = world.assign(world.small.entrance, 8, first)
    other = world.assign(world.small.entrance, 8, second)
    swap = services.request_swap(Actor(user=carol), given, world.li, now=before)
    # and then the other officer is taken off the shift
    services.unassign_staff(SYSTEM, other)

    # when carol approves
    with pytest.raises(ValidationError) as error:
        services.decide_swap(Actor(user=carol), swap, approve=True, now=before)

    # then it is refused: the shift would have no police officer; nothing moved
    assert "needs at least 1 police; after the swap it would have 0" in messages(error)
    given.refresh_from_db()
    assert given.staff == first
    swap.refresh_from_db()
    assert swap.status == SwapStatus.REQUESTED


def test_it_refuses_an_exchange_leaving_the_other_shift_below_its_minimum(world, carol, before):
    # given 小王 and another cadre on day 1 08:00, and a police officer alone on day 2 08:00
    police = world.small.staff[0]
    given = world.assign(world.small.entrance, 8, world.wang)
    world.assign(world.small.entrance, 8, world.small.staff[5])
    theirs = world.assign(world.small.entrance, 8, police, day=1)

    # when 小王 asks to exchange with the officer
    with pytest.raises(ValidationError) as error:
        services.request_swap(
            Actor(user=world.wang_user), given, police, their_assignment=theirs, now=before
        )

    # then day 2's shift would lose its only police officer: refused
    label = services.shift_label(world.shift(world.small.entrance, 8, 1))
    assert f"{label} needs at least 1 police" in messages(error)


def test_it_allows_a_swap_that_keeps_the_role_minimum(world, carol, before):
    # given two police officers on the shift: one may give hers to a cadre
    given = world.assign(world.small.entrance, 8, world.small.staff[0])
    world.assign(world.small.entrance, 8, world.small.staff[1])
    swap = services.request_swap(Actor(user=carol), given, world.li, now=before)
    services.decide_swap(Actor(user=carol), swap, approve=True, now=before)
    given.refresh_from_db()
    assert given.staff == world.li


def test_it_refuses_a_swap_of_a_started_shift_or_with_oneself(world, first_day, before):
    given = world.assign(world.small.entrance, 8, world.wang)
    with pytest.raises(ValidationError) as error:
        services.request_swap(Actor(user=world.wang_user), given, world.li, now=at(first_day, 8))
    assert "this shift has started" in messages(error)
    with pytest.raises(ValidationError) as error:
        services.request_swap(Actor(user=world.wang_user), given, world.wang, now=before)
    assert "choose someone else to swap with" in messages(error)


def test_it_refuses_an_exchange_of_someone_elses_shift(world, before):
    # given 小王's shift, and a shift of a police officer (not 小李's)
    given = world.assign(world.small.entrance, 8, world.wang)
    not_theirs = world.assign(world.small.entrance, 8, world.small.staff[0], day=1)
    with pytest.raises(ValidationError) as error:
        services.request_swap(
            Actor(user=world.wang_user), given, world.li, their_assignment=not_theirs, now=before
        )
    assert "the shift taken in exchange must be 小李's" in messages(error)


def test_it_refuses_a_second_request_for_one_shift(world, before):
    given = world.assign(world.small.entrance, 8, world.wang)
    services.request_swap(Actor(user=world.wang_user), given, world.li, now=before)
    with pytest.raises(ValidationError) as error:
        services.request_swap(Actor(user=world.wang_user), given, world.small.staff[6], now=before)
    assert "waiting for the town already" in messages(error)


def test_it_refuses_a_swap_with_someone_of_another_town(world, before, other_town):
    given = world.assign(world.small.entrance, 8, world.wang)
    stranger = make_staff_member(other_town, "外镇人", DutyRole.CADRE)
    with pytest.raises(ValidationError) as error:
        services.request_swap(Actor(user=world.wang_user), given, stranger, now=before)
    assert "外镇人 is not on the duty list of this town" in messages(error)


def test_it_lets_only_the_person_or_the_town_ask_and_only_the_town_decide(
    world, carol, frank, before
):
    # given 小王's shift
    given = world.assign(world.small.entrance, 8, world.wang)

    # then 小李 may not give it away, nor frank (another town)
    with pytest.raises(PermissionDenied):
        services.request_swap(Actor(user=world.li_user), given, world.li, now=before)
    with pytest.raises(PermissionDenied):
        services.request_swap(Actor(user=frank), given, world.li, now=before)

    # and carol may ask for him; 小王 and frank may not decide it
    swap = services.request_swap(Actor(user=carol), given, world.li, now=before)
    with pytest.raises(PermissionDenied):
        services.decide_swap(Actor(user=world.wang_user), swap, approve=True, now=before)
    with pytest.raises(PermissionDenied):
        services.decide_swap(Actor(user=frank), swap, approve=True, now=before)
    swap.refresh_from_db()
    assert swap.status == SwapStatus.REQUESTED


def test_it_holds_a_shift_with_a_pending_swap_when_the_roster_is_solved_again(world, carol, before):
    # given a solved roster and the town asking to hand one solver-made assignment to someone
    services.solve_roster(SYSTEM, world.roster, time_limit=1, now=before)
    given = (
        Assignment.objects.filter(shift__roster=world.roster, locked=False)
        .select_related("shift__roster", "staff")
        .order_by("pk")
        .first()
    )
    taker = next(
        p
        for p in world.small.staff
        if p != given.staff
        and not services.assignment_problems(given.shift, p, ignoring=[given.pk])
    )
    services.request_swap(Actor(user=carol), given, taker, now=before)

    # when the roster is seen by the solver again
    problem = services.build_problem(world.roster, now=before)

    # then that assignment is held like a locked one, the others are only the previous roster
    assert (given.shift_id, given.staff_id) in problem.locked
    assert (given.shift_id, given.staff_id) not in problem.previous
    assert len(problem.locked) == 1


def test_it_lets_a_staff_member_withdraw_their_request(world, carol, before):
    # given 小王's request
    given = world.assign(world.small.entrance, 8, world.wang)
    swap = services.request_swap(Actor(user=world.wang_user), given, world.li, now=before)

    # when he withdraws it
    services.withdraw_swap(Actor(user=world.wang_user), swap)

    # then it is withdrawn: it cannot be withdrawn again nor approved, and the shift is his
    swap.refresh_from_db()
    assert swap.status == SwapStatus.WITHDRAWN
    with pytest.raises(ValidationError) as error:
        services.withdraw_swap(Actor(user=world.wang_user), swap)
    assert "this swap was withdrawn already" in messages(error)
    with pytest.raises(ValidationError):
        services.decide_swap(Actor(user=carol), swap, approve=True, now=before)
    given.refresh_from_db()
    assert given.staff == world.wang
    # and 小李 may not withdraw someone else's request
    again = services.request_swap(Actor(user=world.wang_user), given, world.li, now=before)
    with pytest.raises(PermissionDenied):
        services.withdraw_swap(Actor(user=world.li_user), again)


# Check-in ------------------------------------------------------------------------------------


@pytest.fixture
def on_duty(world):
    """小王 on the entrance's day-1 08:00–16:00 shift, the roster published."""
    assignment = world.assign(world.small.entrance, 8, world.wang)
    services.publish_roster(SYSTEM, world.roster)
    return assignment


def test_it_checks_in_from_30_minutes_before_until_the_end(world, on_duty, first_day):
    me = Actor(user=world.wang_user)
    # when 小王 checks in 31 minutes early
    with pytest.raises(ValidationError) as error:
        services.check_in(me, on_duty, now=at(first_day, 8) - timedelta(minutes=31))
    # then it is not open yet, saying when it opens
    assert messages(error) == "check-in opens 30 minutes before the shift, at 07:30"

    # and at 07:30 it is
    checked = services.check_in(me, on_duty, now=at(first_day, 7.5))
    assert checked.checked_in_at == at(first_day, 7.5)


def test_it_refuses_check_in_once_the_shift_is_over(world, on_duty, first_day):
    with pytest.raises(ValidationError) as error:
        services.check_in(Actor(user=world.wang_user), on_duty, now=at(first_day, 16))
    assert messages(error) == "this shift is over"
    services.check_in(Actor(user=world.wang_user), on_duty, now=at(first_day, 15.9))


def test_it_counts_checking_in_twice_as_once(world, on_duty, first_day):
    me = Actor(user=world.wang_user)
    services.check_in(me, on_duty, now=at(first_day, 8))
    again = services.check_in(me, on_duty, now=at(first_day, 9))
    assert again.checked_in_at == at(first_day, 8)
    on_duty.refresh_from_db()
    assert on_duty.checked_in_at == at(first_day, 8)


def test_it_refuses_check_out_before_check_in(world, on_duty, first_day):
    with pytest.raises(ValidationError) as error:
        services.check_out(Actor(user=world.wang_user), on_duty, now=at(first_day, 9))
    assert messages(error) == "check in first"
    on_duty.refresh_from_db()
    assert on_duty.checked_out_at is None


def test_it_counts_checking_out_twice_as_once_and_the_hours_worked(world, on_duty, first_day):
    # given 小王 checked in at 07:50 and out at 16:05, then (by mistake) again at 17:00
    me = Actor(user=world.wang_user)
    services.check_in(me, on_duty, now=at(first_day, 8) - timedelta(minutes=10))
    services.check_out(me, on_duty, now=at(first_day, 16) + timedelta(minutes=5))
    services.check_out(me, on_duty, now=at(first_day, 17))

    # then he worked 8 h 15 min
    on_duty.refresh_from_db()
    assert on_duty.hours_worked == pytest.approx(8.25)


def test_it_totals_the_hours_worked_per_person(world, first_day):
    # given 小王 on two shifts of the week who checks in and out of both, one partly
    first = world.assign(world.small.entrance, 8, world.wang)
    second = world.assign(world.small.entrance, 8, world.wang, day=2)
    unworked = world.assign(world.small.entrance, 8, world.wang, day=4)
    services.publish_roster(SYSTEM, world.roster)
    me = Actor(user=world.wang_user)
    services.check_in(me, first, now=at(first_day, 8))
    services.check_out(me, first, now=at(first_day, 16))
    services.check_in(me, second, now=at(first_day, 48 + 9))
    services.check_out(me, second, now=at(first_day, 48 + 12.5))

    # then his hours are 8 + 3.5, and a shift not checked into counts nothing
    mine = Assignment.objects.filter(staff=world.wang)
    assert sum(a.hours_worked for a in mine) == pytest.approx(11.5)
    assert unworked.hours_worked == 0


def test_it_refuses_check_in_by_someone_else(world, on_duty, first_day, frank, alice):
    # given 小王's shift: 小李 (another staff member), frank and alice may not check him in
    for user in (world.li_user, frank, alice):
        with pytest.raises(PermissionDenied):
            services.check_in(Actor(user=user), on_duty, now=at(first_day, 8))
    on_duty.refresh_from_db()
    assert on_duty.checked_in_at is None


def test_it_lets_the_town_check_in_someone_whose_phone_is_dead(world, on_duty, first_day, carol):
    services.check_in(Actor(user=carol), on_duty, now=at(first_day, 8))
    on_duty.refresh_from_db()
    assert on_duty.checked_in_at == at(first_day, 8)


def test_it_refuses_check_in_on_an_unpublished_roster(world, first_day):
    assignment = world.assign(world.small.entrance, 8, world.wang)
    with pytest.raises(ValidationError) as error:
        services.check_in(Actor(user=world.wang_user), assignment, now=at(first_day, 8))
    assert messages(error) == "this roster is not published yet"


def test_it_keeps_a_checked_in_shift_when_its_person_is_removed(world, on_duty, first_day, carol):
    # given 小王 checked in 20 minutes before his shift
    services.check_in(
        Actor(user=world.wang_user), on_duty, now=at(first_day, 8) - timedelta(minutes=20)
    )

    # when he is taken off the duty list 10 minutes before it starts
    services.remove_staff(
        Actor(user=carol), world.wang, reason="调走", now=at(first_day, 8) - timedelta(minutes=10)
    )

    # then his check-in (he is at the checkpoint) is not thrown away
    assert Assignment.objects.filter(pk=on_duty.pk, checked_in_at__isnull=False).exists()


# No-show sweep -------------------------------------------------------------------------------


def no_shows():
    return Alert.objects.filter(kind=AlertKind.NO_SHOW)


def test_it_alerts_once_per_shift_nobody_checked_in_to(world, on_duty, first_day):
    # given the published roster: 小王 on the entrance 08:00, nobody on the gate 08:00

    # when the sweep runs 14 minutes after the start
    # then it is too early
    assert services.sweep_no_shows(now=at(first_day, 8) + timedelta(minutes=14)) == 0

    # when it runs at 15 minutes
    raised = services.sweep_no_shows(now=at(first_day, 8) + timedelta(minutes=15))

    # then both 08:00 shifts are alerted, once each, naming who should be there
    assert raised == 2
    messages_by_place = {a.jurisdiction_id: a.message for a in no_shows()}
    assert set(messages_by_place) == {
        world.small.entrance.jurisdiction_id,
        world.small.gate.jurisdiction_id,
    }
    assert messages_by_place[world.small.entrance.jurisdiction_id].endswith(
        "nobody has checked in (小王)"
    )
    assert "nobody assigned" in messages_by_place[world.small.gate.jurisdiction_id]
    alert = no_shows().get(jurisdiction=world.small.entrance.jurisdiction)
    assert alert.link == (f"/roster/{world.roster.pk}/?checkpoint={world.small.entrance.pk}")

    # and when it runs again, nothing new
    assert services.sweep_no_shows(now=at(first_day, 8) + timedelta(minutes=16)) == 0
    assert no_shows().count() == 2


def test_it_does_not_alert_a_shift_someone_checked_in_to(world, on_duty, first_day):
    # given a second person at the entrance, who checks in; 小王 does not
    other = world.assign(world.small.entrance, 8, world.small.staff[0])
    services.check_in(SYSTEM, other, now=at(first_day, 8))
    # when the sweep runs
    services.sweep_no_shows(now=at(first_day, 8.5))
    # then only the gate (nobody checked in) is alerted
    assert list(no_shows().values_list("jurisdiction_id", flat=True)) == [
        world.small.gate.jurisdiction_id
    ]


def test_it_does_not_alert_an_unpublished_roster(world, first_day):
    world.assign(world.small.entrance, 8, world.wang)
    assert services.sweep_no_shows(now=at(first_day, 8.5)) == 0
    assert not no_shows().exists()


def test_it_does_not_alert_a_shift_that_is_over(world, on_duty, first_day):
    # a sweep that did not run during the 00:00–08:00 shifts does not alert them afterwards
    raised = services.sweep_no_shows(now=at(first_day, 8.5))
    assert raised == 2  # the 08:00 ones only
    night = world.shift(world.small.entrance, 0)
    assert night.no_show_alerted_at is None
