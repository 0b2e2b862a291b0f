"""Ordering quarantine (open_orders / open_order): the schedule generated from the disease
profile, local days, the refused requests, all-or-nothing batches, the ledger, the timeline and
who may order."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from fangyi.core.audit import Actor
from fangyi.core.models import QuarantineKind
from fangyi.ledger.models import Category
from fangyi.ledger.models import Status as LedgerStatus
from fangyi.ledger.testing import make_entry
from fangyi.quarantine import services
from fangyi.quarantine.models import (
    CheckStatus,
    FollowUp,
    NucleicAcidResult,
    NucleicAcidTest,
    OrderEvent,
    OrderEventKind,
    OrderReason,
    OrderStatus,
    QuarantineOrder,
    TeamAssignment,
)
from fangyi.quarantine.testing import (
    freeze_clock,
    local_time,
    make_order,
    make_site,
    set_profile,
)
from fangyi.testing import make_person

FEB_1 = date(2020, 2, 1)
SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch):
    """Saturday 2020-02-01, 06:00 in the town: before the day's first check."""
    return freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))


@pytest.fixture
def zhang(village_a):
    return make_person(village_a, "张三", current_address="东村3组12号")


def request_for(person, kind=QuarantineKind.HOME_QUARANTINE, **values) -> services.OrderRequest:
    values.setdefault("reason", OrderReason.OTHER)
    return services.OrderRequest(person=person, kind=kind, **values)


def problems_of(raised: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return raised.value.message_dict


def nothing_stored() -> bool:
    return not any(
        model.objects.exists()
        for model in (QuarantineOrder, FollowUp, NucleicAcidTest, TeamAssignment, OrderEvent)
    )


# The schedule --------------------------------------------------------------------------------


def test_it_generates_days_times_checks_per_day_slots_and_the_test_days(clock, zhang):
    set_profile(
        home_quarantine_days=7,
        checks_per_day=3,
        check_times=["07:00", "12:00", "19:30"],
        test_days=[7, 1, 3, 14],
    )

    order = make_order(zhang)

    assert order.start_date == FEB_1 and order.planned_end_date == date(2020, 2, 8)
    assert order.days == 7 and order.status == OrderStatus.ACTIVE
    slots = list(order.checks.order_by("due_at"))
    assert len(slots) == 7 * 3
    assert [(c.day, c.slot) for c in slots[:4]] == [(1, 1), (1, 2), (1, 3), (2, 1)]
    assert slots[0].due_at == local_time(FEB_1, 7, 0)
    assert slots[2].due_at == local_time(FEB_1, 19, 30)
    assert slots[-1].due_at == local_time(date(2020, 2, 7), 19, 30)  # day 7, the last day
    assert {c.status for c in slots} == {CheckStatus.PENDING}
    # Test days within the 7 days only, each once, in order; day 14 is outside the period.
    assert list(order.tests.values_list("day", "result")) == [
        (1, NucleicAcidResult.PLANNED),
        (3, NucleicAcidResult.PLANNED),
        (7, NucleicAcidResult.PLANNED),
    ]


def test_it_uses_the_default_profile_of_14_days_twice_a_day(clock, zhang):
    order = make_order(zhang)

    assert order.planned_end_date == date(2020, 2, 15)
    assert order.checks.count() == 28
    assert list(order.tests.values_list("day", flat=True)) == [1, 4, 7, 14]


def test_it_takes_each_measures_length_from_the_profile(clock, zhang, village_a):
    set_profile(centralized_days=7, home_monitoring_days=3)
    site = make_site(village_a.parent)

    centralized = make_order(zhang, QuarantineKind.CENTRALIZED, site=site)
    monitored = make_order(make_person(village_a, "李四"), QuarantineKind.HOME_MONITORING)

    assert centralized.planned_end_date == FEB_1 + timedelta(days=7)
    assert monitored.planned_end_date == FEB_1 + timedelta(days=3)
    assert monitored.checks.count() == 6


def test_it_does_not_generate_slots_already_past_their_grace(monkeypatch, zhang):
    # 10:01: the 08:00 check's two hours of grace are over; nobody could make it.
    freeze_clock(monkeypatch, local_time(FEB_1, 10, 1))

    order = make_order(zhang)

    assert not order.checks.filter(day=1, slot=1).exists()
    assert order.checks.filter(day=1, slot=2).exists()
    assert order.checks.count() == 27


def test_it_still_generates_a_slot_within_its_grace(monkeypatch, zhang):
    freeze_clock(monkeypatch, local_time(FEB_1, 10, 0))  # exactly the end of the grace

    order = make_order(zhang)

    assert order.checks.filter(day=1, slot=1).exists()
    assert order.checks.count() == 28


def test_it_generates_only_the_remaining_slots_of_a_backdated_order(monkeypatch, zhang):
    freeze_clock(monkeypatch, local_time(date(2020, 2, 4), 12, 0))

    order = make_order(zhang, start_date=FEB_1)

    assert order.planned_end_date == date(2020, 2, 15)  # counted from the start, not today
    first = order.checks.order_by("due_at").first()
    assert (first.day, first.slot) == (4, 2)  # day 4 evening: the first one still possible
    assert order.checks.count() == 28 - 7


def test_it_does_not_plan_tests_on_days_already_past(monkeypatch, zhang):
    freeze_clock(monkeypatch, local_time(date(2020, 2, 6), 9, 0))  # day 6 of an order from 02-01

    order = make_order(zhang, start_date=FEB_1)

    today = order.day_number(date(2020, 2, 6))
    assert not order.tests.filter(day__lt=today, result=NucleicAcidResult.PLANNED).exists()


# Local days ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "local_day"),
    [
        (23, 30, FEB_1),  # 15:30 UTC
        (0, 30, FEB_1),  # 2020-01-31 16:30 UTC: still Feb 1 in the town
        (7, 59, FEB_1),  # 23:59 UTC the day before
    ],
)
def test_it_dates_an_order_by_the_towns_local_day(monkeypatch, zhang, hour, minute, local_day):
    freeze_clock(monkeypatch, local_time(FEB_1, hour, minute))

    order = make_order(zhang)

    assert order.start_date == local_day
    assert order.planned_end_date == local_day + timedelta(days=14)


def test_it_puts_the_slots_at_the_towns_wall_clock_times(clock, zhang):
    order = make_order(zhang)

    morning = order.checks.get(day=1, slot=1)
    assert morning.due_at.isoformat() == "2020-02-01T00:00:00+00:00"  # 08:00 in Shanghai


# Start dates ---------------------------------------------------------------------------------


def test_it_accepts_a_start_in_the_past_while_the_period_is_not_over(clock, zhang):
    order = make_order(zhang, start_date=FEB_1 - timedelta(days=13))

    assert order.planned_end_date == FEB_1 + timedelta(days=1)
    assert set(order.checks.values_list("day", flat=True)) == {14}


def test_it_refuses_a_start_whose_period_is_already_over(clock, zhang):
    with pytest.raises(ValidationError) as raised:
        make_order(zhang, start_date=FEB_1 - timedelta(days=14))

    assert problems_of(raised) == {"start_date": ["that period is already over"]}
    assert nothing_stored()


def test_it_refuses_a_start_more_than_the_backdate_limit_ago(clock, zhang):
    set_profile(home_quarantine_days=30)

    make_order(zhang, start_date=FEB_1 - timedelta(days=services.MAX_BACKDATE_DAYS))
    with pytest.raises(ValidationError) as raised:
        make_order(
            make_person(zhang.jurisdiction, "李四", current_address="东村1组"),
            start_date=FEB_1 - timedelta(days=services.MAX_BACKDATE_DAYS + 1),
        )

    assert problems_of(raised) == {"start_date": ["an order can start at most 21 days ago"]}


def test_it_refuses_a_start_in_the_future(clock, zhang):
    with pytest.raises(ValidationError) as raised:
        make_order(zhang, start_date=FEB_1 + timedelta(days=1))

    assert problems_of(raised) == {"start_date": ["an order cannot start in the future"]}
    assert nothing_stored()


def test_it_counts_today_from_the_today_argument(zhang):
    order = services.open_order(SYSTEM, request_for(zhang), today=date(2020, 3, 1))

    assert order.start_date == date(2020, 3, 1)
    with pytest.raises(ValidationError):
        services.open_order(
            SYSTEM, request_for(zhang, start_date=date(2020, 3, 2)), today=date(2020, 3, 1)
        )


# Refused requests ----------------------------------------------------------------------------


def test_it_refuses_a_second_running_order_naming_the_first_ones_end(clock, zhang):
    make_order(zhang)

    with pytest.raises(ValidationError) as raised:
        make_order(zhang, QuarantineKind.HOME_MONITORING)

    (message,) = problems_of(raised)["person"]
    assert "张三" in message and "home quarantine" in message and "2020-02-15" in message
    assert QuarantineOrder.objects.count() == 1


def test_it_refuses_an_extended_order_too_naming_its_new_end(clock, zhang):
    first = make_order(zhang)
    services.extend_order(SYSTEM, first, days=3, reason="核酸待复核")

    with pytest.raises(ValidationError) as raised:
        make_order(zhang)

    assert "2020-02-18" in problems_of(raised)["person"][0]


def test_it_orders_again_once_the_earlier_order_has_ended(clock, zhang):
    first = make_order(zhang)
    services.transfer_to_hospital(SYSTEM, first, hospital="县人民医院")

    second = make_order(zhang)

    assert second.status == OrderStatus.ACTIVE
    assert QuarantineOrder.objects.running().get() == second


def test_it_refuses_the_same_person_twice_in_one_batch(clock, zhang):
    with pytest.raises(ValidationError) as raised:
        services.open_orders(SYSTEM, [request_for(zhang), request_for(zhang)])

    assert problems_of(raised) == {"person": ["the same person is listed twice"]}
    assert nothing_stored()


def test_it_refuses_centralized_observation_without_a_site(clock, zhang):
    with pytest.raises(ValidationError) as raised:
        make_order(zhang, QuarantineKind.CENTRALIZED)

    assert problems_of(raised) == {"site": ["choose the observation site"]}
    assert nothing_stored()


def test_it_refuses_a_room_of_another_site(clock, zhang, town):
    hotel = make_site(town)
    school = services.create_site(SYSTEM, town, name="青山中学", rooms="1-3")
    school_room = school.rooms.get(number="1")

    with pytest.raises(ValidationError) as raised:
        make_order(zhang, QuarantineKind.CENTRALIZED, site=hotel, room=school_room)

    assert problems_of(raised) == {"room": ["room 1 is not at 青山宾馆"]}
    school_room.refresh_from_db()
    assert school_room.occupants == 0 and nothing_stored()


def test_it_refuses_a_room_for_home_quarantine(clock, zhang, town):
    room = make_site(town).rooms.first()

    with pytest.raises(ValidationError) as raised:
        make_order(zhang, room=room)

    assert "room" in problems_of(raised)
    room.refresh_from_db()
    assert room.occupants == 0


def test_it_refuses_home_quarantine_without_an_address(clock, village_a):
    homeless = make_person(village_a, "流动人员")

    with pytest.raises(ValidationError) as raised:
        make_order(homeless, address="")

    assert problems_of(raised) == {"address": ["give the address where the person stays"]}


def test_it_takes_the_persons_address_when_none_is_given(clock, village_a):
    person = make_person(village_a, "王五", household_address="东村5组2号")

    order = make_order(person, address="")

    assert order.address == "东村5组2号"


def test_it_refuses_an_unknown_measure_or_reason(clock, zhang):
    with pytest.raises(ValidationError) as bad_kind:
        make_order(zhang, "house_arrest")
    with pytest.raises(ValidationError) as bad_reason:
        make_order(zhang, reason="gossip")

    assert problems_of(bad_kind) == {"kind": ["choose a measure"]}
    assert problems_of(bad_reason) == {"reason": ["choose why the person is put under quarantine"]}
    assert nothing_stored()


# Batches: all or nothing ---------------------------------------------------------------------


def test_it_stores_nothing_when_one_request_of_a_batch_is_bad(clock, zhang, village_a):
    li = make_person(village_a, "李四", current_address="东村1组")
    wang = make_person(village_a, "王五", current_address="东村2组")

    with pytest.raises(ValidationError) as raised:
        services.open_orders(
            SYSTEM,
            [
                request_for(zhang),
                request_for(li, QuarantineKind.CENTRALIZED),  # no site
                request_for(wang, start_date=FEB_1 + timedelta(days=2)),
            ],
        )

    assert problems_of(raised) == {
        "1.site": ["choose the observation site"],
        "2.start_date": ["an order cannot start in the future"],
    }
    assert nothing_stored()


def test_it_stores_nothing_when_a_room_fills_up_within_the_batch(clock, zhang, village_a, town):
    room = make_site(town, rooms="101", capacity=1).rooms.get()
    li = make_person(village_a, "李四")
    site = room.site

    with pytest.raises(ValidationError) as raised:
        services.open_orders(
            SYSTEM,
            [
                request_for(zhang, QuarantineKind.CENTRALIZED, site=site, room=room),
                request_for(li, QuarantineKind.CENTRALIZED, site=site, room=room),
            ],
        )

    assert "room 101 is full" in str(raised.value)
    room.refresh_from_db()
    assert room.occupants == 0 and room.status == "free"
    assert nothing_stored()


def test_it_keys_a_full_room_in_a_batch_by_the_requests_index(clock, zhang, village_a, town):
    room = make_site(town, rooms="101", capacity=1).rooms.get()
    li = make_person(village_a, "李四")

    with pytest.raises(ValidationError) as raised:
        services.open_orders(
            SYSTEM,
            [
                request_for(zhang, QuarantineKind.CENTRALIZED, site=room.site, room=room),
                request_for(li, QuarantineKind.CENTRALIZED, site=room.site, room=room),
            ],
        )

    assert list(problems_of(raised)) == ["1.room"]


def test_it_opens_a_whole_batch(clock, village_a, village_b):
    people = [make_person(village_a, f"东{n}", current_address="东村") for n in range(3)]
    people.append(make_person(village_b, "西一", current_address="西村"))

    orders = services.open_orders(SYSTEM, [request_for(p) for p in people])

    assert [o.person for o in orders] == people
    assert all(o.pk for o in orders)
    assert [o.jurisdiction_id for o in orders] == [village_a.code] * 3 + [village_b.code]
    assert FollowUp.objects.count() == 4 * 28 and NucleicAcidTest.objects.count() == 4 * 4
    assert len({o.self_report_index for o in orders}) == 4  # one link each


# The ledger and the timeline -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (QuarantineKind.HOME_QUARANTINE, LedgerStatus.HOME_QUARANTINE),
        (QuarantineKind.CENTRALIZED, LedgerStatus.CENTRALIZED),
    ],
)
def test_it_puts_the_linked_ledger_entry_in_the_measures_status(clock, zhang, town, kind, status):
    entry = make_entry(zhang, Category.RETURNEE, status=LedgerStatus.PENDING)
    site = make_site(town) if kind == QuarantineKind.CENTRALIZED else None

    make_order(zhang, kind, site=site, reason=OrderReason.LEDGER, ledger_entry=entry)

    entry.refresh_from_db()
    assert entry.status == status
    assert entry.events.filter(kind="changed").count() == 1


def test_it_writes_the_created_event(clock, zhang, carol):
    order = make_order(
        zhang, actor=Actor(user=carol), reason=OrderReason.CONTACT, reason_note="与病例同车"
    )

    event = OrderEvent.objects.get(order=order)
    assert event.kind == OrderEventKind.CREATED
    assert event.actor == carol and event.actor_username == "carol"
    assert event.details == {
        "kind": "home_quarantine",
        "start": "2020-02-01",
        "end": "2020-02-15",
        "reason": "contact",
        "note": "与病例同车",
    }
    assert order.created_by == carol


# Who may order -------------------------------------------------------------------------------


def test_it_lets_a_town_commander_order_for_the_town(clock, zhang, carol):
    order = make_order(zhang, actor=Actor(user=carol))

    assert order.jurisdiction == zhang.jurisdiction


def test_it_does_not_let_a_village_cadre_order(clock, zhang, alice):
    with pytest.raises(PermissionDenied):
        make_order(zhang, actor=Actor(user=alice))

    assert nothing_stored()


def test_it_does_not_let_a_town_commander_order_for_another_towns_person(
    clock, carol, other_town_village
):
    outsider = make_person(other_town_village, "刘洋", current_address="白水村")

    with pytest.raises((ValidationError, PermissionDenied)) as raised:
        make_order(outsider, actor=Actor(user=carol))

    assert "outside your jurisdiction" in str(raised.value)
    assert nothing_stored()


def test_it_refuses_only_the_out_of_scope_request_of_a_batch_by_its_index(
    clock, carol, zhang, other_town_village
):
    outsider = make_person(other_town_village, "刘洋", current_address="白水村")

    with pytest.raises(ValidationError) as raised:
        services.open_orders(Actor(user=carol), [request_for(zhang), request_for(outsider)])

    assert problems_of(raised) == {"1.jurisdiction": ["this is outside your jurisdiction"]}
    assert nothing_stored()


# The door seal -------------------------------------------------------------------------------


def test_it_records_the_door_seal_and_who_applied_it(clock, zhang, alice):
    order = make_order(zhang)

    sealed = services.set_door_seal(Actor(user=alice), order, True)

    sealed.refresh_from_db()
    assert sealed.door_sealed and sealed.door_sealed_by == alice
    assert sealed.door_sealed_at == local_time(FEB_1, 6, 0)
    event = OrderEvent.objects.get(order=order, kind=OrderEventKind.DOOR)
    assert event.details == {"sealed": True} and event.actor == alice


def test_it_refuses_a_door_seal_from_another_village_or_on_an_ended_order(clock, zhang, bob):
    order = make_order(zhang)
    with pytest.raises(PermissionDenied):
        services.set_door_seal(Actor(user=bob), order, True)

    services.transfer_to_hospital(SYSTEM, order, hospital="县医院")
    order.refresh_from_db()  # set_door_seal trusts the instance it is given
    with pytest.raises(ValidationError) as raised:
        services.set_door_seal(SYSTEM, order, True)

    assert raised.value.message_dict == {"order": ["this order is transferred to hospital"]}
