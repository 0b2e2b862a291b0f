"""Nucleic-acid tests and the end of an order: release_problems, the doctor's release_order,
record_test (a positive one makes a case), extend_order, transfer_to_hospital, change_measure."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from fangyi.core.audit import Actor
from fangyi.core.models import QuarantineKind
from fangyi.core.roles import Role
from fangyi.ledger.models import Category
from fangyi.ledger.models import Status as LedgerStatus
from fangyi.ledger.testing import make_entry
from fangyi.quarantine import services
from fangyi.quarantine.models import (
    CheckMethod,
    CheckStatus,
    FollowUp,
    NucleicAcidResult,
    NucleicAcidTest,
    OrderEvent,
    OrderEventKind,
    OrderReason,
    OrderStatus,
    QuarantineOrder,
    RoomStatus,
)
from fangyi.quarantine.testing import (
    complete_order,
    freeze_clock,
    local_time,
    make_order,
    make_site,
    make_team,
    set_profile,
)
from fangyi.testing import make_person, make_user

FEB_1 = date(2020, 2, 1)
RELEASE_DAY = date(2020, 2, 15)  # day 15 of a 14-day order from 02-01
SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch):
    return freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))


@pytest.fixture
def doctor(town):
    return make_user("sun", Role.DOCTOR, town, "孙医生")


@pytest.fixture
def zhang(village_a):
    return make_person(village_a, "张三", current_address="东村3组12号")


@pytest.fixture
def entry(zhang):
    return make_entry(zhang, Category.RETURNEE, status=LedgerStatus.PENDING)


@pytest.fixture
def order(clock, zhang, entry):
    return make_order(zhang, reason=OrderReason.LEDGER, ledger_entry=entry)


def naat(order, day: int) -> NucleicAcidTest:
    return order.tests.get(day=day)


def release_day(clock) -> None:
    clock.at = local_time(RELEASE_DAY, 9, 0)


# release_problems ----------------------------------------------------------------------------


def test_it_lists_everything_that_stands_in_the_way_of_a_release(order):
    problems = services.release_problems(order, date(2020, 2, 10))

    assert problems == [
        "the period ends on 2020-02-15",
        "checks not recorded: day 1, check 1 (08:00)、day 1, check 2 (16:00)、"
        "day 2, check 1 (08:00)、day 2, check 2 (16:00)、day 3, check 1 (08:00)、"
        "day 3, check 2 (16:00)… (make them up or explain why)",
        "tests without a negative result: day 1、4、7、14",
    ]


def test_it_lists_a_missed_check_and_a_sampled_test(order):
    complete_order(order)
    # Given: the last check was missed after all, and the last test is only sampled.
    FollowUp.objects.filter(order=order, day=14, slot=2).update(status=CheckStatus.MISSED)
    test = naat(order, 14)
    NucleicAcidTest.objects.filter(pk=test.pk).update(result=NucleicAcidResult.SAMPLED)

    assert services.release_problems(order, RELEASE_DAY) == [
        "checks not recorded: day 14, check 2 (16:00) (make them up or explain why)",
        "tests without a negative result: day 14",
    ]


def test_it_lists_a_positive_test(order):
    complete_order(order)
    NucleicAcidTest.objects.filter(order=order, day=7).update(result=NucleicAcidResult.POSITIVE)

    assert services.release_problems(order, RELEASE_DAY) == [
        "a nucleic-acid test is positive: the person is a case, not released"
    ]


def test_it_lists_nothing_once_the_period_is_over_and_all_is_recorded(order):
    complete_order(order)

    assert services.release_problems(order, RELEASE_DAY - timedelta(days=1)) == [
        "the period ends on 2020-02-15"
    ]
    assert services.release_problems(order, RELEASE_DAY) == []
    assert services.release_problems(order, RELEASE_DAY + timedelta(days=3)) == []  # overdue


def test_it_counts_an_explained_slot_as_closed(order, clock):
    complete_order(order)
    morning = order.checks.get(day=14, slot=1)
    FollowUp.objects.filter(pk=morning.pk).update(status=CheckStatus.MISSED)
    clock.at = local_time(date(2020, 2, 14), 12)
    services.explain_check(SYSTEM, morning, "到县医院复查")

    assert services.release_problems(order, RELEASE_DAY) == []


# release_order -------------------------------------------------------------------------------


def test_it_releases_when_the_doctor_signs_off(order, clock, doctor, entry):
    complete_order(order)
    release_day(clock)

    follows = services.release_order(Actor(user=doctor), order, note="期满，体温正常")

    assert follows is None
    order.refresh_from_db()
    assert order.status == OrderStatus.RELEASED and not order.is_running
    assert order.ended_by == doctor and order.ended_at == local_time(RELEASE_DAY, 9)
    assert order.end_note == "期满，体温正常"
    event = OrderEvent.objects.get(order=order, kind=OrderEventKind.RELEASED)
    assert event.actor == doctor and event.details == {"note": "期满，体温正常"}
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.RELEASED


def test_it_stops_the_self_report_link_on_release(order, clock, doctor):
    token = order.self_report_token
    complete_order(order)
    release_day(clock)

    services.release_order(Actor(user=doctor), order)

    order.refresh_from_db()
    assert services.self_report_problem(order) == (
        "this quarantine has ended: the link no longer works"
    )
    with pytest.raises(ValidationError) as raised:
        services.submit_self_report(token, temperature="36.5")
    assert "the link no longer works" in str(raised.value)


def test_it_leaves_the_room_for_cleaning_on_release(clock, zhang, town, doctor):
    site = make_site(town, rooms="101")
    room = site.rooms.get()
    order = make_order(zhang, QuarantineKind.CENTRALIZED, site=site, room=room)
    room.refresh_from_db()
    assert (room.status, room.occupants) == (RoomStatus.OCCUPIED, 1)
    complete_order(order)
    release_day(clock)

    services.release_order(Actor(user=doctor), order)

    room.refresh_from_db()
    assert (room.status, room.occupants) == (RoomStatus.CLEANING, 0)


def test_it_refuses_a_release_by_a_town_commander(order, clock, carol):
    complete_order(order)
    release_day(clock)

    with pytest.raises(PermissionDenied) as raised:
        services.release_order(Actor(user=carol), order)

    assert str(raised.value) == "only a doctor signs a release off"
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE


def test_it_refuses_a_release_by_another_towns_doctor(order, clock, other_town):
    complete_order(order)
    release_day(clock)
    outsider = make_user("doc_baishui", Role.DOCTOR, other_town, "白水医生")

    with pytest.raises(PermissionDenied):
        services.release_order(Actor(user=outsider), order)


def test_it_refuses_a_release_while_problems_remain(order, clock, doctor, entry):
    release_day(clock)

    with pytest.raises(ValidationError) as raised:
        services.release_order(Actor(user=doctor), order)

    problems = raised.value.message_dict["order"]
    assert problems[0].startswith("checks not recorded: day 1, check 1 (08:00)")
    assert problems[1] == "tests without a negative result: day 1、4、7、14"
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE and order.ended_at is None
    assert not OrderEvent.objects.filter(kind=OrderEventKind.RELEASED).exists()
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.HOME_QUARANTINE


def test_it_refuses_a_release_before_the_period_is_over(order, clock, doctor):
    complete_order(order)
    clock.at = local_time(RELEASE_DAY - timedelta(days=1), 20)

    with pytest.raises(ValidationError) as raised:
        services.release_order(Actor(user=doctor), order)

    assert raised.value.message_dict == {"order": ["the period ends on 2020-02-15"]}


def test_it_refuses_a_second_release(order, clock, doctor):
    complete_order(order)
    release_day(clock)
    services.release_order(Actor(user=doctor), order)

    with pytest.raises(ValidationError) as raised:
        services.release_order(Actor(user=doctor), order)

    assert raised.value.message_dict == {"order": ["this order is released"]}


# record_test ---------------------------------------------------------------------------------


def test_it_records_a_sample_then_its_negative_result(order, clock, doctor):
    day_1 = naat(order, 1)
    sampled = local_time(FEB_1, 5, 30)

    services.record_test(
        Actor(user=doctor),
        day_1,
        result=NucleicAcidResult.SAMPLED,
        sampled_at=sampled,
        lab=" 县疾控 ",
    )
    day_1.refresh_from_db()
    assert day_1.result == NucleicAcidResult.SAMPLED and day_1.result_at is None
    assert day_1.sampled_at == sampled and day_1.lab == "县疾控"

    clock.advance(hours=20)
    services.record_test(Actor(user=doctor), day_1, result=NucleicAcidResult.NEGATIVE)

    day_1.refresh_from_db()
    assert day_1.result == NucleicAcidResult.NEGATIVE
    assert day_1.sampled_at == sampled and day_1.lab == "县疾控"  # kept
    assert day_1.result_at == clock.at and day_1.recorded_by == doctor
    events = OrderEvent.objects.filter(order=order, kind=OrderEventKind.TEST)
    assert [e.details["result"] for e in events] == ["sampled", "negative"]


@pytest.mark.parametrize("result", ["planned", "maybe", ""])
def test_it_refuses_a_result_that_is_not_one(order, doctor, result):
    with pytest.raises(ValidationError) as raised:
        services.record_test(Actor(user=doctor), naat(order, 1), result=result)

    assert raised.value.message_dict == {"result": ["choose the result"]}


def test_it_refuses_a_second_result(order, doctor):
    services.record_test(Actor(user=doctor), naat(order, 1), result=NucleicAcidResult.NEGATIVE)

    with pytest.raises(ValidationError) as raised:
        services.record_test(Actor(user=doctor), naat(order, 1), result=NucleicAcidResult.NEGATIVE)

    assert raised.value.message_dict == {"result": ["this test already has its result"]}


def test_it_refuses_a_sample_taken_in_the_future(order, clock, doctor):
    with pytest.raises(ValidationError) as raised:
        services.record_test(
            Actor(user=doctor),
            naat(order, 1),
            result=NucleicAcidResult.SAMPLED,
            sampled_at=clock.at + timedelta(hours=1),
        )

    assert raised.value.message_dict == {"sampled_at": ["the sample cannot be taken in the future"]}
    assert naat(order, 1).result == NucleicAcidResult.PLANNED


def test_it_does_not_let_a_town_commander_or_village_cadre_record_tests(order, carol, alice):
    for user in (carol, alice):
        with pytest.raises(PermissionDenied):
            services.record_test(
                Actor(user=user), naat(order, 1), result=NucleicAcidResult.NEGATIVE
            )


def test_it_makes_the_person_a_case_on_a_positive_test(order, clock, doctor, entry):
    from fangyi.tracing.models import Case

    clock.at = local_time(date(2020, 2, 4), 12)
    day_4 = naat(order, 4)

    services.record_test(Actor(user=doctor), day_4, result=NucleicAcidResult.POSITIVE, lab="县疾控")

    case = Case.objects.get(person=order.person)
    assert case.source_test == day_4
    assert case.classification == "asymptomatic"  # no fever or symptom recorded
    assert case.jurisdiction == order.jurisdiction
    assert services.release_problems(order, RELEASE_DAY)[1] == (
        "a nucleic-acid test is positive: the person is a case, not released"
    )
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.CONFIRMED


def test_it_makes_a_confirmed_case_after_a_fever(order, clock, doctor):
    from fangyi.tracing.models import Case

    fever = order.checks.get(day=2, slot=1)
    services.record_check(
        SYSTEM, fever, temperature="38.2", method=CheckMethod.DOOR, now=fever.due_at
    )
    clock.at = local_time(date(2020, 2, 4), 12)

    services.record_test(Actor(user=doctor), naat(order, 4), result=NucleicAcidResult.POSITIVE)

    case = Case.objects.get(person=order.person)
    assert case.classification == "confirmed" and case.onset_date == date(2020, 2, 2)


# extend_order --------------------------------------------------------------------------------


def test_it_extends_with_slots_and_tests_for_the_new_days(clock, zhang, carol):
    set_profile(home_quarantine_days=7, test_days=[1, 4, 7, 10])
    order = make_order(zhang)
    assert order.checks.count() == 14 and order.tests.count() == 3

    extended = services.extend_order(Actor(user=carol), order, days=3, reason=" 密接者复核中 ")

    assert extended.status == OrderStatus.EXTENDED and extended.is_running
    assert extended.planned_end_date == date(2020, 2, 11)
    assert order.checks.count() == 20
    assert sorted(set(order.checks.filter(day__gt=7).values_list("day", flat=True))) == [8, 9, 10]
    assert list(order.tests.values_list("day", flat=True)) == [1, 4, 7, 10]
    event = OrderEvent.objects.get(order=order, kind=OrderEventKind.EXTENDED)
    assert event.actor == carol
    assert event.details == {
        "days": 3,
        "before": "2020-02-08",
        "after": "2020-02-11",
        "reason": "密接者复核中",
    }
    assert services.release_problems(extended, date(2020, 2, 8))[0] == (
        "the period ends on 2020-02-11"
    )


def test_it_extends_an_extended_order_again(order):
    services.extend_order(SYSTEM, order, days=2, reason="复核")
    again = services.extend_order(SYSTEM, order, days=2, reason="再复核")

    assert again.planned_end_date == RELEASE_DAY + timedelta(days=4)
    assert order.checks.count() == 28 + 8
    assert set(order.checks.values_list("day", flat=True)) == set(range(1, 19))


@pytest.mark.parametrize("days", [0, -1, 31, "3", 2.5])
def test_it_refuses_an_extension_outside_1_to_30_days(order, days):
    with pytest.raises(ValidationError) as raised:
        services.extend_order(SYSTEM, order, days=days, reason="复核")

    assert raised.value.message_dict == {"days": ["extend by 1 to 30 days"]}
    order.refresh_from_db()
    assert order.planned_end_date == RELEASE_DAY and order.status == OrderStatus.ACTIVE


def test_it_refuses_an_extension_without_a_reason(order):
    with pytest.raises(ValidationError) as raised:
        services.extend_order(SYSTEM, order, days=3, reason="  ")

    assert raised.value.message_dict == {"reason": ["say why the order is extended"]}


def test_it_refuses_to_extend_an_order_that_has_ended(order):
    services.transfer_to_hospital(SYSTEM, order, hospital="县医院")

    with pytest.raises(ValidationError) as raised:
        services.extend_order(SYSTEM, order, days=3, reason="复核")

    assert raised.value.message_dict == {"order": ["this order is transferred to hospital"]}


def test_it_does_not_let_a_village_cadre_extend(order, alice):
    with pytest.raises(PermissionDenied):
        services.extend_order(Actor(user=alice), order, days=3, reason="复核")


# transfer_to_hospital ------------------------------------------------------------------------


def test_it_transfers_to_hospital_cancelling_the_slots_to_come(order, clock, carol):
    first = order.checks.get(day=1, slot=1)
    services.record_check(SYSTEM, first, temperature="38.6", method=CheckMethod.DOOR, now=clock.at)
    clock.at = local_time(date(2020, 2, 2), 9)  # day 2 08:00 is due, not recorded

    moved = services.transfer_to_hospital(
        Actor(user=carol), order, hospital=" 县人民医院发热门诊 ", note="发热38.6℃"
    )

    assert moved.status == OrderStatus.HOSPITAL and moved.hospital == "县人民医院发热门诊"
    assert moved.ended_by == carol and moved.end_note == "发热38.6℃"
    statuses = dict(
        ((c.day, c.slot), c.status) for c in order.checks.filter(day__lte=2).order_by("due_at")
    )
    assert statuses == {
        (1, 1): CheckStatus.DONE,
        (1, 2): CheckStatus.PENDING,
        (2, 1): CheckStatus.PENDING,
        (2, 2): CheckStatus.CANCELLED,
    }
    assert order.checks.filter(status=CheckStatus.CANCELLED).count() == 28 - 3
    event = OrderEvent.objects.get(order=order, kind=OrderEventKind.HOSPITAL)
    assert event.details == {"hospital": "县人民医院发热门诊", "note": "发热38.6℃"}


def test_it_frees_the_room_on_transfer(clock, zhang, town):
    site = make_site(town, rooms="101", capacity=2)
    room = site.rooms.get()
    order = make_order(zhang, QuarantineKind.CENTRALIZED, site=site, room=room)
    make_order(
        make_person(zhang.jurisdiction, "李四"), QuarantineKind.CENTRALIZED, site=site, room=room
    )

    services.transfer_to_hospital(SYSTEM, order, hospital="县医院")

    room.refresh_from_db()
    assert (room.status, room.occupants) == (RoomStatus.OCCUPIED, 1)  # the other one stays


def test_it_refuses_a_transfer_without_a_hospital(order):
    with pytest.raises(ValidationError) as raised:
        services.transfer_to_hospital(SYSTEM, order, hospital=" ")

    assert raised.value.message_dict == {"hospital": ["name the hospital"]}
    order.refresh_from_db()
    assert order.is_running


# change_measure ------------------------------------------------------------------------------


def test_it_changes_the_measure_with_the_same_team_and_a_link_back(
    order, clock, town, village_a, carol, entry
):
    for role, member in make_team(town, village_a).items():
        services.reassign_member(SYSTEM, order, role, member)
    team = {a.role: a.member for a in order.team.current()}
    site = make_site(town, rooms="101-102")
    room = site.rooms.get(number="102")
    clock.at = local_time(date(2020, 2, 3), 9)

    new = services.change_measure(
        Actor(user=carol),
        order,
        kind=QuarantineKind.CENTRALIZED,
        site=site,
        room=room,
        note="家中有老人，转集中",
    )

    order.refresh_from_db()
    assert order.status == OrderStatus.MOVED and order.ended_by == carol
    assert order.checks.filter(status=CheckStatus.CANCELLED).count() == 28 - 5
    assert OrderEvent.objects.get(order=order, kind=OrderEventKind.MOVED).details == {
        "kind": "centralized",
        "note": "家中有老人，转集中",
    }
    assert new.previous == order and order.next == new
    assert new.kind == QuarantineKind.CENTRALIZED and new.status == OrderStatus.ACTIVE
    assert new.start_date == date(2020, 2, 3)
    assert new.planned_end_date == date(2020, 2, 17)  # a full period from today
    assert new.reason == OrderReason.LEDGER and new.ledger_entry == entry
    assert new.room == room and new.site == site
    assert {a.role: a.member for a in new.team.current()} == team
    assert QuarantineOrder.objects.running().get() == new
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.CENTRALIZED


def test_it_frees_the_room_when_moving_home(clock, zhang, town):
    site = make_site(town, rooms="101")
    room = site.rooms.get()
    order = make_order(zhang, QuarantineKind.CENTRALIZED, site=site, room=room)

    new = services.change_measure(SYSTEM, order, kind=QuarantineKind.HOME_QUARANTINE)

    room.refresh_from_db()
    assert (room.status, room.occupants) == (RoomStatus.CLEANING, 0)
    assert new.room is None and new.address == "东村3组12号"


def test_it_refuses_a_change_to_the_same_measure(order):
    with pytest.raises(ValidationError) as raised:
        services.change_measure(SYSTEM, order, kind=QuarantineKind.HOME_QUARANTINE)

    assert raised.value.message_dict == {"kind": ["the person is already under this measure"]}


def test_it_keeps_the_order_running_when_the_new_measure_is_refused(order):
    with pytest.raises(ValidationError) as raised:
        services.change_measure(SYSTEM, order, kind=QuarantineKind.CENTRALIZED)  # no site

    assert raised.value.message_dict == {"site": ["choose the observation site"]}
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE and order.ended_at is None
    assert not order.checks.filter(status=CheckStatus.CANCELLED).exists()
    assert QuarantineOrder.objects.count() == 1


def test_it_does_not_let_a_village_cadre_change_the_measure(order, alice):
    with pytest.raises(PermissionDenied):
        services.change_measure(Actor(user=alice), order, kind=QuarantineKind.HOME_MONITORING)
