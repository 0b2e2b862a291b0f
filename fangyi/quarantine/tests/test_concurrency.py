"""Two cadres at the same moment: one running order per person, one person per bed, one record
per slot. The thread tests need two connections that really wait on each other's locks, so
they run on PostgreSQL (CI's second pass) and are skipped on SQLite; the test of the
"ordered meanwhile" handler runs on both."""

import threading
import time
import uuid
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from fangyi.core.audit import Actor
from fangyi.core.models import QuarantineKind
from fangyi.quarantine import services
from fangyi.quarantine.models import (
    CheckMethod,
    CheckStatus,
    FollowUp,
    OrderReason,
    QuarantineOrder,
    Room,
    RoomStatus,
)
from fangyi.quarantine.testing import freeze_clock, local_time, make_order, make_site
from fangyi.testing import Worker, all_at_once, make_person

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _english_in_every_thread(settings):
    """The threads run outside the test's translation.override: make English their default."""
    settings.LANGUAGE_CODE = "en"


FEB_1 = date(2020, 2, 1)
SYSTEM = Actor.system("test")
# How long a thread is given to reach a lock it must then be waiting on.
SETTLE = 0.5


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))


@pytest.fixture
def postgres(db_vendor):
    if db_vendor != "postgresql":
        pytest.skip("needs two connections waiting on each other's row locks (PostgreSQL)")


@pytest.fixture
def zhang(village_a):
    return make_person(village_a, "张三", current_address="东村3组12号")


def held_open(work, done: threading.Event, release: threading.Event):
    """`work` inside a transaction kept open until `release` is set (the first cadre's
    request, still being written when the second one arrives)."""

    def run():
        with transaction.atomic():
            result = work()
            done.set()
            assert release.wait(timeout=10)
        return result

    return run


def interleaved(first, second) -> tuple[Worker, Worker, bool]:
    """Run `first` up to its commit, start `second`, check `second` waits for `first`, then let
    `first` commit. Returns both workers and whether `second` was seen waiting."""
    done, release = threading.Event(), threading.Event()
    a = Worker(held_open(first, done, release))
    a.start()
    assert done.wait(timeout=10), a.error
    b = Worker(second)
    b.start()
    time.sleep(SETTLE)
    waited = b.is_alive()
    release.set()
    return a.finish(), b.finish(), waited


def order_request(person, **values):
    values.setdefault("kind", QuarantineKind.HOME_QUARANTINE)
    return services.OrderRequest(person=person, reason=OrderReason.OTHER, **values)


# One running order per person ----------------------------------------------------------------


def test_it_opens_one_order_when_four_cadres_order_the_same_person_at_once(postgres, zhang):
    workers = all_at_once([lambda: services.open_order(SYSTEM, order_request(zhang))] * 4)

    succeeded = [w for w in workers if w.error is None]
    assert len(succeeded) == 1
    for worker in workers:
        if worker.error is not None:
            assert isinstance(worker.error, ValidationError), worker.error
            assert "person" in worker.error.message_dict
    assert QuarantineOrder.objects.running().filter(person=zhang).count() == 1
    order = QuarantineOrder.objects.get()
    assert order.checks.count() == 28  # the loser's slots rolled back with it
    assert FollowUp.objects.count() == 28


def test_it_refuses_the_second_order_that_was_waiting_on_the_first(postgres, zhang):
    first, second, waited = interleaved(
        lambda: services.open_order(SYSTEM, order_request(zhang)),
        lambda: services.open_order(SYSTEM, order_request(zhang, kind="home_monitoring")),
    )

    assert waited, "the second insert should wait on the first one's unique index entry"
    assert first.error is None
    assert isinstance(second.error, ValidationError)
    assert second.error.message_dict == {
        "person": ["one of these people was put under quarantine meanwhile: reload"]
    }
    assert QuarantineOrder.objects.get().kind == QuarantineKind.HOME_QUARANTINE
    assert FollowUp.objects.count() == 28


def test_it_turns_an_order_made_meanwhile_into_a_clear_refusal(monkeypatch, zhang, village_a):
    """Another cadre's order lands between this request's check and its insert (no threads:
    the competing order is written from inside the check)."""
    validate = services._validate_request
    raced = []

    def validate_then_lose_the_race(request, profile, today, running):
        validate(request, profile, today, running)
        if not raced:
            raced.append(True)
            make_order(zhang, QuarantineKind.HOME_MONITORING)

    monkeypatch.setattr(services, "_validate_request", validate_then_lose_the_race)

    with pytest.raises(ValidationError) as raised:
        services.open_orders(
            SYSTEM,
            [
                order_request(make_person(village_a, "李四", current_address="东村1组")),
                order_request(zhang),
            ],
        )

    assert raised.value.message_dict == {
        "person": ["one of these people was put under quarantine meanwhile: reload"]
    }
    # Nothing of the batch stays, 李四 included (the stand-in competitor shares the batch's
    # transaction here, so it goes too; the PostgreSQL tests above keep a real one).
    assert not QuarantineOrder.objects.exists() and not FollowUp.objects.exists()


# The last bed --------------------------------------------------------------------------------


def test_it_gives_the_last_bed_to_one_of_two_cadres_at_once(postgres, town, village_a):
    room = make_site(town, rooms="101", capacity=2).rooms.get()
    make_order(
        make_person(village_a, "已入住"), QuarantineKind.CENTRALIZED, site=room.site, room=room
    )
    people = [make_person(village_a, "张三"), make_person(village_a, "李四")]

    workers = all_at_once(
        [
            lambda p=p: services.open_order(
                SYSTEM,
                order_request(p, kind=QuarantineKind.CENTRALIZED, site=room.site, room=room),
            )
            for p in people
        ]
    )

    errors = [w.error for w in workers if w.error is not None]
    assert len(errors) == 1
    assert errors[0].message_dict == {"room": ["room 101 is full"]}
    room.refresh_from_db()
    assert (room.occupants, room.status) == (2, RoomStatus.OCCUPIED)
    assert QuarantineOrder.objects.filter(room=room).count() == 2


def test_it_makes_the_second_cadre_wait_for_the_room_and_then_refuses(postgres, town, village_a):
    room = make_site(town, rooms="101").rooms.get()
    zhang, li = make_person(village_a, "张三"), make_person(village_a, "李四")

    def put(person):
        return lambda: services.open_order(
            SYSTEM,
            order_request(person, kind=QuarantineKind.CENTRALIZED, site=room.site, room=room),
        )

    first, second, waited = interleaved(put(zhang), put(li))

    assert waited, "the second _occupy should wait on the room's row lock"
    assert first.error is None
    assert second.error.message_dict == {"room": ["room 101 is full"]}
    room.refresh_from_db()
    assert room.occupants == 1
    assert list(QuarantineOrder.objects.values_list("person__name", flat=True)) == ["张三"]


def test_it_moves_only_one_person_into_the_last_bed(postgres, town, village_a):
    site = make_site(town, rooms="101-103")
    target = site.rooms.get(number="103")
    orders = [
        make_order(make_person(village_a, name), QuarantineKind.CENTRALIZED, site=site, room=room)
        for name, room in zip(["张三", "李四"], site.rooms.exclude(pk=target.pk), strict=True)
    ]

    rooms_before = [o.room for o in orders]

    workers = all_at_once([lambda o=o: services.assign_room(SYSTEM, o, target) for o in orders])

    assert sorted(w.error is None for w in workers) == [False, True]
    winner = 0 if workers[0].error is None else 1
    assert workers[1 - winner].error.message_dict == {"room": ["room 103 is full"]}
    occupants = dict(Room.objects.values_list("number", "occupants"))
    assert occupants == {
        rooms_before[winner].number: 0,
        rooms_before[1 - winner].number: 1,  # the loser stays where they were
        "103": 1,
    }


# One record per slot -------------------------------------------------------------------------


def test_it_records_a_slot_once_when_two_members_record_it_at_once(postgres, zhang):
    order = make_order(zhang)
    morning = order.checks.get(day=1, slot=1)

    def record(temperature):
        return lambda: services.record_check(
            SYSTEM,
            morning,
            temperature=temperature,
            method=CheckMethod.DOOR,
            client_id=uuid.uuid4(),
            now=local_time(FEB_1, 8),
        )

    workers = all_at_once([record("36.5"), record("36.9")])

    errors = [w.error for w in workers if w.error is not None]
    assert len(errors) == 1
    assert errors[0].message_dict == {"check": ["day 1, check 1 (08:00) is already done"]}
    morning.refresh_from_db()
    assert morning.status == CheckStatus.DONE


def test_it_answers_a_retry_racing_its_first_attempt_as_a_duplicate(postgres, zhang):
    order = make_order(zhang)
    morning = order.checks.get(day=1, slot=1)
    client_id = uuid.uuid4()

    def attempt():
        return services.record_check(
            SYSTEM,
            morning,
            temperature="36.5",
            method=CheckMethod.DOOR,
            client_id=client_id,
            now=local_time(FEB_1, 8),
        )

    first, retry, waited = interleaved(attempt, attempt)

    assert waited and first.error is None
    assert retry.error is None, retry.error
    assert retry.result.duplicate is True


def test_it_does_not_sweep_a_slot_being_made_up(postgres, zhang):
    order = make_order(zhang)
    morning = order.checks.get(day=1, slot=1)

    make_up, sweep, waited = interleaved(
        lambda: services.record_check(
            SYSTEM, morning, temperature="36.5", method=CheckMethod.DOOR, now=local_time(FEB_1, 11)
        ),
        lambda: services.sweep_missed_checks(now=local_time(FEB_1, 11)),
    )

    assert waited, "the sweep should wait on the slot's row lock"
    assert make_up.error is None and sweep.error is None
    assert sweep.result == 0
    morning.refresh_from_db()
    assert morning.status == CheckStatus.DONE and morning.late is True
