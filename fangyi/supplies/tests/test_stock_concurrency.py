"""Concurrent takers of the same last units never take stock below zero (issue 7): exactly the
affordable ones succeed, the others get a clear message, and the ledger equals the cache.

The thread tests need connections that really wait on each other's row locks, so they run on
PostgreSQL (CI's second pass) and are skipped on SQLite, where one writer at a time makes the
race impossible. The database's own guards are tested on both."""

import contextlib
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from fangyi.core.audit import Actor
from fangyi.supplies import services
from fangyi.supplies.models import (
    Donation,
    DonorKind,
    Movement,
    OperationKind,
    RequisitionStatus,
    StockLevel,
    StockOperation,
    Store,
    Unit,
)
from fangyi.supplies.selectors import stock_from_ledger, stock_on_hand
from fangyi.supplies.services import WantedLine
from fangyi.supplies.testing import SYSTEM, make_item, make_store, stock
from fangyi.testing import Worker, all_at_once, create_jurisdiction

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs connections waiting on each other's row locks (PostgreSQL)",
)
# Each thread commits on its own connection: the thread tests need real transactions.
committing = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _english_in_every_thread(settings):
    """The threads run outside the test's translation.override: make English their default."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def masks(db):
    return make_item("医用外科口罩", Unit.PIECE)


@pytest.fixture
def warehouse(town):
    return make_store(town)


def assert_cache_matches_ledger():
    stores = Store.objects.all()
    assert stock_on_hand(stores) == stock_from_ledger(stores)
    assert not StockLevel.objects.filter(quantity__lt=0).exists()


def on_hand(store, item) -> Decimal:
    return stock_on_hand(Store.objects.filter(pk=store.pk)).get((store.pk, item.pk), Decimal(0))


def outcome(workers) -> tuple[list[Worker], list[Exception]]:
    won = [w for w in workers if w.error is None]
    lost = [w.error for w in workers if w.error is not None]
    for error in lost:
        assert isinstance(error, ValidationError), repr(error)
    return won, lost


# Issues for use ------------------------------------------------------------------------------


@on_postgres
@committing
def test_it_gives_the_last_units_to_exactly_as_many_issuers_as_they_cover(carol, warehouse, masks):
    stock(warehouse, masks, 5)
    actor = Actor(carol)

    workers = all_at_once(
        [
            lambda n=n: services.issue_stock(
                actor, warehouse, [WantedLine(masks, 1)], recipient=f"卡点{n}"
            )
            for n in range(8)
        ]
    )

    won, lost = outcome(workers)
    assert (len(won), len(lost)) == (5, 3)
    for error in lost:
        assert error.messages == ["医用外科口罩: 1 只 asked for, only 0 in 青山镇物资仓库"]
    assert on_hand(warehouse, masks) == 0
    assert StockOperation.objects.filter(kind=OperationKind.ISSUE).count() == 5
    assert_cache_matches_ledger()


@on_postgres
@committing
def test_it_takes_across_batches_for_concurrent_issuers_and_stops_at_zero(carol, warehouse, masks):
    today = timezone.localdate()
    for days in (10, 20, 30):
        stock(warehouse, masks, 4, expires_on=today + timedelta(days=days))
    actor = Actor(carol)

    workers = all_at_once(
        [
            lambda: services.issue_stock(actor, warehouse, [WantedLine(masks, 3)], recipient="队")
            for _ in range(6)
        ]
    )

    won, lost = outcome(workers)
    assert (len(won), len(lost)) == (4, 2)  # 12 units, 3 each
    for error in lost:
        assert error.messages == ["医用外科口罩: 3 只 asked for, only 0 in 青山镇物资仓库"]
    assert list(StockLevel.objects.values_list("quantity", flat=True)) == [0, 0, 0]
    assert sum(Movement.objects.filter(quantity__lt=0).values_list("quantity", flat=True)) == -12
    assert_cache_matches_ledger()


@on_postgres
@committing
def test_it_refuses_the_issuers_the_remainder_cannot_cover(carol, warehouse, masks):
    stock(warehouse, masks, 10)
    actor = Actor(carol)

    workers = all_at_once(
        [
            lambda q=q: services.issue_stock(
                actor, warehouse, [WantedLine(masks, q)], recipient="队"
            )
            for q in (6, 6, 6, 4)
        ]
    )

    # Whoever comes first, a 6 and the 4 fit in 10 and nothing else does.
    won, lost = outcome(workers)
    assert sorted(-w.result.movements.get().quantity for w in won) == [4, 6]
    assert len(lost) == 2
    assert on_hand(warehouse, masks) == 0
    assert_cache_matches_ledger()


# Requisitions --------------------------------------------------------------------------------


@on_postgres
@committing
def test_it_issues_only_the_requisitions_the_warehouse_still_covers(carol, town, warehouse, masks):
    stock(warehouse, masks, 100)
    villages = [create_jurisdiction(f"9999011002{n:02d}", f"村{n}") for n in range(11, 16)]
    requisitions = []
    for village in villages:
        store = make_store(village)
        requisition = services.submit_requisition(
            SYSTEM, store, [WantedLine(masks, 40)], purpose="卡点防护"
        )
        line = requisition.lines.get()
        services.decide_requisition(
            Actor(carol), requisition, approved={line.pk: 40}, from_store=warehouse
        )
        requisitions.append(requisition)
    actor = Actor(carol)

    workers = all_at_once([lambda r=r: services.issue_requisition(actor, r) for r in requisitions])

    won, lost = outcome(workers)
    assert (len(won), len(lost)) == (2, 3)  # 100 covers two of 40
    for error in lost:
        assert error.messages == ["医用外科口罩: 40 只 asked for, only 20 in 青山镇物资仓库"]
    statuses = sorted(type(r).objects.get(pk=r.pk).status for r in requisitions)
    assert statuses == sorted([RequisitionStatus.ISSUED] * 2 + [RequisitionStatus.APPROVED] * 3)
    assert on_hand(warehouse, masks) == 20
    assert_cache_matches_ledger()


@on_postgres
@committing
def test_it_lets_a_requisition_an_issue_and_a_transfer_race_for_the_same_units(
    alice, carol, warehouse, village_a, village_b, masks
):
    stock(warehouse, masks, 30)
    east, west = make_store(village_a), make_store(village_b)
    requisition = services.submit_requisition(
        Actor(alice), east, [WantedLine(masks, 20)], purpose="卡点防护"
    )
    services.decide_requisition(
        Actor(carol), requisition, approved={requisition.lines.get().pk: 20}, from_store=warehouse
    )
    actor = Actor(carol)

    workers = all_at_once(
        [
            lambda: services.issue_requisition(actor, requisition),
            lambda: services.issue_stock(actor, warehouse, [WantedLine(masks, 20)], recipient="队"),
            lambda: services.transfer_stock(actor, warehouse, west, [WantedLine(masks, 20)]),
        ]
    )

    won, lost = outcome(workers)
    assert (len(won), len(lost)) == (1, 2)
    assert on_hand(warehouse, masks) == 10
    assert on_hand(east, masks) + on_hand(west, masks) in (0, 20)
    assert_cache_matches_ledger()


# Transfers both ways -------------------------------------------------------------------------


@on_postgres
@committing
def test_it_does_not_deadlock_two_transfers_in_opposite_directions(
    carol, warehouse, village_a, masks, monkeypatch
):
    """Each transfer locks its source store's rows, then adds to the other store's rows of the
    same batch. Two at once in opposite directions must not wait on each other for ever (the
    database would kill one with "deadlock detected": a server error, not a message)."""
    east = make_store(village_a)
    stock(warehouse, masks, 100)
    services.transfer_stock(SYSTEM, warehouse, east, [WantedLine(masks, 50)])
    both_locked = threading.Barrier(2)
    add = services._add_to_level

    def add_once_both_have_locked(store, batch, quantity):
        # A fixed service makes the other transfer wait on a lock before it gets here.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_locked.wait(timeout=3)
        return add(store, batch, quantity)

    monkeypatch.setattr(services, "_add_to_level", add_once_both_have_locked)
    actor = Actor(carol)

    workers = all_at_once(
        [
            lambda: services.transfer_stock(actor, warehouse, east, [WantedLine(masks, 10)]),
            lambda: services.transfer_stock(actor, east, warehouse, [WantedLine(masks, 10)]),
        ]
    )

    assert [w.error for w in workers] == [None, None]
    assert (on_hand(warehouse, masks), on_hand(east, masks)) == (50, 50)
    assert_cache_matches_ledger()


# Donations -----------------------------------------------------------------------------------


@on_postgres
@committing
def test_it_numbers_two_donations_received_at_once_apart(carol, warehouse):
    """The first receipt of a day: there is no row yet for _next_receipt_number to lock."""
    actor = Actor(carol)

    workers = all_at_once(
        [
            lambda n=n: services.receive_donation(
                actor,
                warehouse,
                donor_name=f"商会{n}",
                donor_kind=DonorKind.COMPANY,
                lines=[],
                money=100,
            )
            for n in range(3)
        ]
    )

    assert [w.error for w in workers] == [None, None, None]
    day = timezone.localdate().strftime("%Y%m%d")
    assert sorted(Donation.objects.values_list("receipt_number", flat=True)) == [
        f"JZ{day}-001",
        f"JZ{day}-002",
        f"JZ{day}-003",
    ]


# The database's own guards (both databases) --------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_a_negative_stock_level(warehouse, masks):
    stock(warehouse, masks, 5)
    row = StockLevel.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=row.pk).update(quantity=Decimal(-1))
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.create(
            store=warehouse,
            item=masks,
            batch=row.batch,
            jurisdiction_id=warehouse.jurisdiction_id,
            quantity=Decimal(-3),
        )

    row.refresh_from_db()
    assert row.quantity == 5


@pytest.mark.django_db
def test_it_refuses_a_decrement_below_zero_even_without_the_lock(warehouse, masks):
    """The guarded UPDATE ... WHERE quantity >= n: what a missing lock would let through."""
    stock(warehouse, masks, 5)
    row = StockLevel.objects.get()

    with pytest.raises(ValidationError) as raised, transaction.atomic():
        services._take_from(row, Decimal(6))

    assert raised.value.messages == ["the stock changed while this was being issued: try again"]
    row.refresh_from_db()
    assert row.quantity == 5
