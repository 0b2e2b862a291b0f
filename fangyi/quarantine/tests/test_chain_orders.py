"""A profile that chains a measure after centralized observation (2022: 7 days centralized,
then 3 days home health monitoring): the doctor's release opens the next order."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from fangyi.core.audit import Actor
from fangyi.core.models import QuarantineKind
from fangyi.core.roles import Role
from fangyi.ledger.models import Category
from fangyi.ledger.models import Status as LedgerStatus
from fangyi.ledger.testing import make_entry
from fangyi.quarantine import services
from fangyi.quarantine.models import (
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
RELEASE_DAY = date(2020, 2, 8)  # day 8 of 7 days of centralized observation from 02-01


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch):
    return freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))


@pytest.fixture
def chain_profile(db):
    return set_profile(
        centralized_days=7,
        after_centralized_kind=QuarantineKind.HOME_MONITORING,
        after_centralized_days=3,
    )


@pytest.fixture
def team(town, village_a):
    return make_team(town, village_a)


@pytest.fixture
def room(town):
    return make_site(town, rooms="101").rooms.get()


@pytest.fixture
def zhang(village_a):
    return make_person(village_a, "张三", current_address="东村3组12号")


@pytest.fixture
def entry(zhang):
    return make_entry(zhang, Category.CLOSE_CONTACT, status=LedgerStatus.PENDING)


@pytest.fixture
def centralized(clock, chain_profile, team, zhang, room, entry):
    order = make_order(
        zhang,
        QuarantineKind.CENTRALIZED,
        site=room.site,
        room=room,
        reason=OrderReason.LEDGER,
        ledger_entry=entry,
    )
    complete_order(order)
    clock.at = local_time(RELEASE_DAY, 9, 0)
    return order


def test_it_opens_the_home_monitoring_that_follows_on_the_release_day(centralized, team):
    doctor = team[Role.DOCTOR]

    follows = services.release_order(Actor(user=doctor), centralized, note="集中隔离期满")

    assert follows is not None and follows.pk
    assert follows.kind == QuarantineKind.HOME_MONITORING
    assert follows.status == OrderStatus.ACTIVE
    assert follows.start_date == RELEASE_DAY and follows.planned_end_date == date(2020, 2, 11)
    assert follows.previous == centralized
    assert follows.reason == OrderReason.PREVIOUS
    assert follows.ledger_entry == centralized.ledger_entry
    assert follows.jurisdiction == centralized.person.jurisdiction
    assert follows.address == "东村3组12号"  # the person's own address
    assert follows.room is None and follows.site is None
    assert {a.role: a.member for a in follows.team.current()} == team
    assert follows.checks.count() == 3 * 2 and follows.tests.count() == 1  # test day 1
    assert OrderEvent.objects.get(order=follows, kind=OrderEventKind.CREATED).actor == doctor
    assert QuarantineOrder.objects.running().get() == follows


def test_it_ends_the_centralized_order_as_moved_and_frees_its_room(centralized, team, room):
    doctor = team[Role.DOCTOR]

    services.release_order(Actor(user=doctor), centralized, note="集中隔离期满")

    centralized.refresh_from_db()
    assert centralized.status == OrderStatus.MOVED
    assert centralized.ended_by == doctor and centralized.end_note == "集中隔离期满"
    assert OrderEvent.objects.filter(order=centralized, kind=OrderEventKind.RELEASED).exists()
    room.refresh_from_db()
    assert (room.status, room.occupants) == (RoomStatus.CLEANING, 0)


def test_it_keeps_the_hand_picked_team_even_when_the_rule_would_pick_others(
    centralized, team, town
):
    make_user("qian", Role.DOCTOR, town, "钱医生")  # idle: the rule alone would choose her

    follows = services.release_order(Actor(user=team[Role.DOCTOR]), centralized)

    assert follows.team.current().get(role=Role.DOCTOR).member == team[Role.DOCTOR]


def test_it_releases_for_good_at_the_end_of_the_chain(centralized, team, clock, entry):
    doctor = Actor(user=team[Role.DOCTOR])
    follows = services.release_order(doctor, centralized)
    complete_order(follows)
    clock.at = local_time(date(2020, 2, 11), 9, 0)

    assert services.release_order(doctor, follows) is None

    follows.refresh_from_db()
    assert follows.status == OrderStatus.RELEASED
    assert not QuarantineOrder.objects.running().exists()
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.RELEASED


def test_it_does_not_chain_after_home_quarantine(clock, chain_profile, team, village_a):
    person = make_person(village_a, "李四", current_address="东村1组")
    order = complete_order(make_order(person))
    clock.at = local_time(date(2020, 2, 15), 9)

    assert services.release_order(Actor(user=team[Role.DOCTOR]), order) is None
    order.refresh_from_db()
    assert order.status == OrderStatus.RELEASED


def test_it_does_not_chain_without_a_chain_in_the_profile(clock, team, zhang, room):
    order = complete_order(make_order(zhang, QuarantineKind.CENTRALIZED, site=room.site, room=room))
    clock.at = local_time(date(2020, 2, 15), 9)

    assert services.release_order(Actor(user=team[Role.DOCTOR]), order) is None
    order.refresh_from_db()
    assert order.status == OrderStatus.RELEASED


def test_it_refuses_the_release_cleanly_when_the_person_has_no_home_address(
    clock, chain_profile, team, village_a, room
):
    traveller = make_person(village_a, "外地旅客")  # no address: why they were centralized
    order = complete_order(
        make_order(traveller, QuarantineKind.CENTRALIZED, site=room.site, room=room)
    )
    clock.at = local_time(RELEASE_DAY, 9, 0)

    with pytest.raises(ValidationError) as raised:
        services.release_order(Actor(user=team[Role.DOCTOR]), order)

    assert "address" in str(raised.value)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE and order.ended_at is None  # nothing half-done
    room.refresh_from_db()
    assert room.occupants == 1
    assert QuarantineOrder.objects.count() == 1
