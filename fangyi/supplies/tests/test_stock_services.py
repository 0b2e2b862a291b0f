"""Receiving, issuing, transferring and counting stock (fangyi.supplies.services): the ledger,
the cached levels, first expiring first out, and the bad quantities the issue lists."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangyi.checkpoints.models import Checkpoint, CheckpointKind
from fangyi.core.audit import Actor
from fangyi.supplies import services
from fangyi.supplies.models import (
    Batch,
    Movement,
    OperationKind,
    Source,
    StockLevel,
    StockOperation,
    Store,
    StoreKind,
    Unit,
)
from fangyi.supplies.selectors import stock_from_ledger, stock_on_hand
from fangyi.supplies.services import ReceivedLine, WantedLine
from fangyi.supplies.testing import SYSTEM, make_item, make_store, stock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def masks(db):
    return make_item("医用外科口罩", Unit.PIECE)


@pytest.fixture
def bleach(db):
    return make_item("84消毒液", Unit.LITRE, category="disinfection")


@pytest.fixture
def warehouse(town):
    return make_store(town)


@pytest.fixture
def east_store(village_a):
    return make_store(village_a)


@pytest.fixture
def west_store(village_b):
    return make_store(village_b)


def today() -> date:
    return timezone.localdate()


def assert_cache_matches_ledger():
    stores = Store.objects.all()
    assert stock_on_hand(stores) == stock_from_ledger(stores)
    assert not StockLevel.objects.filter(quantity__lt=0).exists()


def level(store, item) -> Decimal:
    return stock_on_hand(Store.objects.filter(pk=store.pk)).get((store.pk, item.pk), Decimal(0))


def messages(raised) -> list[str]:
    return raised.value.messages


# Quantities ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, expected", [("200", 200), (" 12 ", 12), (7, 7), ("1e2", 100)])
def test_it_parses_whole_quantities_of_countable_items(masks, typed, expected):
    assert services.parse_quantity(masks, typed) == expected


@pytest.mark.parametrize("typed", ["1.5", "0.5", "2.25"])
def test_it_refuses_a_fractional_quantity_of_a_countable_item(masks, typed):
    with pytest.raises(ValidationError) as raised:
        services.parse_quantity(masks, typed)

    assert messages(raised) == [
        f"医用外科口罩 is counted in whole 只: {typed} is not a whole number"
    ]


@pytest.mark.parametrize("typed", ["1.5", "0.25", "2.125"])
def test_it_allows_fractional_litres(bleach, typed):
    assert services.parse_quantity(bleach, typed) == Decimal(typed)


def test_it_refuses_more_than_three_decimals_of_litres(bleach):
    with pytest.raises(ValidationError) as raised:
        services.parse_quantity(bleach, "0.0001")

    assert messages(raised) == ["84消毒液: give at most 3 decimal places (0.0001)"]


@pytest.mark.parametrize(
    "typed, message",
    [
        ("-5", "医用外科口罩: the quantity must be more than 0 (it is -5)"),
        ("0", "医用外科口罩: the quantity must be more than 0 (it is 0)"),
        ("-0", "医用外科口罩: the quantity must be more than 0 (it is -0)"),
        ("", "医用外科口罩: — is not a quantity"),
        (None, "医用外科口罩: — is not a quantity"),
        ("abc", "医用外科口罩: abc is not a quantity"),
        ("1,000", "医用外科口罩: 1,000 is not a quantity"),
        ("NaN", "医用外科口罩: NaN is not a quantity"),
        ("Infinity", "医用外科口罩: Infinity is not a quantity"),
        ("100000000000", "医用外科口罩: 100000000000 is too large"),
    ],
)
def test_it_refuses_bad_quantities_with_a_clear_message(masks, typed, message):
    with pytest.raises(ValidationError) as raised:
        services.parse_quantity(masks, typed)

    assert messages(raised) == [message]


@pytest.mark.parametrize("typed", ["1e30", "1e1000", "123456789012345678901234567890"])
def test_it_refuses_a_huge_quantity_as_too_large_not_with_a_crash(masks, bleach, typed):
    # parse_quantity quantizes before the size check: Decimal.quantize of 1e30 to 0.001 needs
    # more digits than the context's 28 and raises decimal.InvalidOperation (a server error).
    for item in (masks, bleach):
        with pytest.raises(ValidationError) as raised:
            services.parse_quantity(item, typed)

        assert messages(raised) == [f"{item}: {typed} is too large"]


def test_it_formats_quantities_without_trailing_zeros():
    assert services.format_quantity(Decimal("1200.000")) == "1200"
    assert services.format_quantity(Decimal("2.500")) == "2.5"
    assert services.format_quantity(Decimal("1E+3")) == "1000"
    assert services.format_quantity(None) == ""


# Receiving -----------------------------------------------------------------------------------


def test_it_receives_each_line_as_a_batch_with_its_movement_and_level(carol, warehouse, masks):
    expiry = today() + timedelta(days=365)

    operation = services.receive_stock(
        Actor(carol),
        warehouse,
        [ReceivedLine(masks, "1000", batch_number="B1", expires_on=expiry, maker="稳健")],
        source=Source.ALLOCATED,
        reason="县里调拨",
    )

    assert (operation.kind, operation.source, operation.actor_username) == (
        OperationKind.RECEIVE,
        Source.ALLOCATED,
        "carol",
    )
    batch = Batch.objects.get()
    assert (batch.number, batch.expires_on, batch.maker, batch.source) == (
        "B1",
        expiry,
        "稳健",
        Source.ALLOCATED,
    )
    movement = Movement.objects.get()
    assert (movement.store, movement.batch, movement.quantity) == (warehouse, batch, 1000)
    assert movement.jurisdiction_id == warehouse.jurisdiction_id
    assert level(warehouse, masks) == 1000
    assert_cache_matches_ledger()


def test_it_reports_every_bad_line_at_once_and_writes_nothing(carol, warehouse, masks, bleach):
    with pytest.raises(ValidationError) as raised:
        services.receive_stock(
            Actor(carol),
            warehouse,
            [ReceivedLine(masks, "1.5"), ReceivedLine(bleach, "-2"), ReceivedLine(masks, "x")],
            source=Source.BOUGHT,
        )

    assert messages(raised) == [
        "医用外科口罩 is counted in whole 只: 1.5 is not a whole number",
        "84消毒液: the quantity must be more than 0 (it is -2)",
        "医用外科口罩: x is not a quantity",
    ]
    assert not StockOperation.objects.exists() and not Batch.objects.exists()


def test_it_refuses_a_receipt_without_lines_or_source(carol, warehouse, masks):
    with pytest.raises(ValidationError) as raised:
        services.receive_stock(Actor(carol), warehouse, [], source=Source.BOUGHT)
    assert messages(raised) == ["add at least one item"]

    with pytest.raises(ValidationError) as raised:
        services.receive_stock(Actor(carol), warehouse, [ReceivedLine(masks, 1)], source="stolen")
    assert messages(raised) == ["say where the stock comes from"]


def test_it_refuses_the_same_item_and_batch_twice_in_one_receipt(carol, warehouse, masks):
    with pytest.raises(ValidationError) as raised:
        services.receive_stock(
            Actor(carol),
            warehouse,
            [ReceivedLine(masks, 1, batch_number="B1"), ReceivedLine(masks, 2, batch_number="B1")],
            source=Source.BOUGHT,
        )

    assert messages(raised) == [
        "the same item and batch number is listed twice: add them up in one line"
    ]


def test_it_refuses_an_item_no_longer_in_use(carol, warehouse, masks):
    masks.active = False
    services.save_item(SYSTEM, masks)

    with pytest.raises(ValidationError) as raised:
        stock(warehouse, masks, 10, actor=Actor(carol))

    assert messages(raised) == ["医用外科口罩 is no longer in use"]


def test_it_lets_only_the_town_receive_stock(alice, carol, frank, warehouse, east_store, masks):
    with pytest.raises(PermissionDenied):
        stock(east_store, masks, 10, actor=Actor(alice))  # a village cadre: no receive_stock
    with pytest.raises(PermissionDenied):
        stock(warehouse, masks, 10, actor=Actor(frank))  # another town's commander
    stock(east_store, masks, 10, actor=Actor(carol))  # the town into one of its villages
    assert level(east_store, masks) == 10


def test_it_refuses_to_change_the_unit_of_an_item_with_stock(warehouse, masks):
    stock(warehouse, masks, 10)
    masks.unit = Unit.BOX

    with pytest.raises(ValidationError) as raised:
        services.save_item(SYSTEM, masks)

    assert raised.value.message_dict == {
        "unit": ["stock has been counted in 只: the unit cannot change"]
    }


# Stores --------------------------------------------------------------------------------------


def test_it_lets_the_town_open_its_stores(alice, carol, town, village_a):
    store = services.save_store(
        Actor(carol), Store(name="东村物资点", kind=StoreKind.VILLAGE, jurisdiction=village_a)
    )
    assert store.pk and store.town_code == town.code

    with pytest.raises(PermissionDenied):
        services.save_store(
            Actor(alice), Store(name="东村二号点", kind=StoreKind.VILLAGE, jurisdiction=village_a)
        )


def test_it_puts_each_kind_of_store_at_its_level(carol, town, village_a):
    with pytest.raises(ValidationError) as raised:
        services.save_store(
            Actor(carol), Store(name="仓库", kind=StoreKind.WAREHOUSE, jurisdiction=village_a)
        )
    assert raised.value.message_dict == {"jurisdiction": ["a town warehouse belongs to a town"]}

    with pytest.raises(ValidationError) as raised:
        services.save_store(
            Actor(carol), Store(name="村点", kind=StoreKind.VILLAGE, jurisdiction=town)
        )
    assert raised.value.message_dict == {"jurisdiction": ["a village store belongs to a village"]}

    with pytest.raises(ValidationError) as raised:
        services.save_store(
            Actor(carol), Store(name="卡点", kind=StoreKind.CHECKPOINT, jurisdiction=village_a)
        )
    assert raised.value.message_dict == {"checkpoint": ["choose the checkpoint"]}


def test_it_keeps_another_town_from_opening_a_store_at_this_towns_checkpoint(
    frank, other_town, village_a
):
    """save_store checks the jurisdiction given, then replaces it with the checkpoint's: frank
    (白水镇) names his own town and a 青山镇 checkpoint, and gets a store in 东村."""
    checkpoint = Checkpoint.objects.create(
        name="东村路口", kind=CheckpointKind.VILLAGE_ENTRANCE, jurisdiction=village_a
    )

    with pytest.raises(PermissionDenied):
        services.save_store(
            Actor(frank),
            Store(
                name="白水镇的卡点库",
                kind=StoreKind.CHECKPOINT,
                jurisdiction=other_town,
                checkpoint=checkpoint,
            ),
        )

    assert not Store.objects.filter(checkpoint=checkpoint).exists()


# Issuing -------------------------------------------------------------------------------------


def test_it_issues_first_expiring_first(carol, warehouse, masks):
    late = stock(warehouse, masks, 100, expires_on=today() + timedelta(days=300), batch_number="L")
    none = stock(warehouse, masks, 100, batch_number="N")
    soon = stock(warehouse, masks, 100, expires_on=today() + timedelta(days=10), batch_number="S")

    services.issue_stock(Actor(carol), warehouse, [WantedLine(masks, "150")], recipient="卡点一组")

    left = dict(StockLevel.objects.filter(store=warehouse).values_list("batch__number", "quantity"))
    assert left == {"S": 0, "L": 50, "N": 100}
    issue = StockOperation.objects.get(kind=OperationKind.ISSUE)
    assert sorted(issue.movements.values_list("batch__number", "quantity")) == [
        ("L", -50),
        ("S", -100),
    ]
    assert issue.recipient == "卡点一组"
    assert {late.pk, none.pk, soon.pk}  # three receipts
    assert_cache_matches_ledger()


def test_it_never_issues_from_an_expired_batch(carol, warehouse, masks):
    stock(warehouse, masks, 100, expires_on=today() - timedelta(days=1), batch_number="OLD")
    stock(warehouse, masks, 30, expires_on=today() + timedelta(days=5), batch_number="NEW")

    assert services.available(warehouse, masks) == 30
    with pytest.raises(ValidationError) as raised:
        services.issue_stock(Actor(carol), warehouse, [WantedLine(masks, 50)], recipient="卡点一组")

    assert messages(raised) == [
        "医用外科口罩: 50 只 asked for, only 30 in 青山镇物资仓库"
        " (100 more are expired and may not be issued)"
    ]
    services.issue_stock(Actor(carol), warehouse, [WantedLine(masks, 30)], recipient="卡点一组")
    left = dict(StockLevel.objects.filter(store=warehouse).values_list("batch__number", "quantity"))
    assert left == {"OLD": 100, "NEW": 0}


def test_it_issues_a_batch_on_its_expiry_day(carol, warehouse, masks):
    stock(warehouse, masks, 10, expires_on=today())

    services.issue_stock(Actor(carol), warehouse, [WantedLine(masks, 10)], recipient="张三")

    assert level(warehouse, masks) == 0


def test_it_refuses_to_issue_more_than_the_store_holds(carol, warehouse, masks, bleach):
    stock(warehouse, masks, 5)

    with pytest.raises(ValidationError) as raised:
        services.issue_stock(
            Actor(carol),
            warehouse,
            [WantedLine(masks, 6), WantedLine(bleach, "1.5")],
            recipient="卡点一组",
        )

    assert messages(raised) == [
        "医用外科口罩: 6 只 asked for, only 5 in 青山镇物资仓库",
        "84消毒液: 1.5 升 asked for, only 0 in 青山镇物资仓库",
    ]
    assert level(warehouse, masks) == 5
    assert not StockOperation.objects.filter(kind=OperationKind.ISSUE).exists()


def test_it_adds_up_two_lines_of_one_item_before_checking_the_stock(carol, warehouse, masks):
    stock(warehouse, masks, 10)

    with pytest.raises(ValidationError) as raised:
        services.issue_stock(
            Actor(carol),
            warehouse,
            [WantedLine(masks, 6), WantedLine(masks, 6)],
            recipient="卡点一组",
        )
    assert messages(raised) == ["医用外科口罩: 12 只 asked for, only 10 in 青山镇物资仓库"]

    services.issue_stock(
        Actor(carol), warehouse, [WantedLine(masks, 4), WantedLine(masks, 6)], recipient="卡点"
    )
    assert level(warehouse, masks) == 0
    assert_cache_matches_ledger()


def test_it_issues_fractional_litres(carol, warehouse, bleach):
    stock(warehouse, bleach, "2.5")

    services.issue_stock(Actor(carol), warehouse, [WantedLine(bleach, "0.75")], recipient="消杀队")

    assert level(warehouse, bleach) == Decimal("1.75")


@pytest.mark.parametrize("quantity", ["0", "-1", "1.5", "lots", "1e30"])
def test_it_refuses_bad_quantities_when_issuing(carol, warehouse, masks, quantity):
    stock(warehouse, masks, 10)

    with pytest.raises(ValidationError):
        services.issue_stock(
            Actor(carol), warehouse, [WantedLine(masks, quantity)], recipient="卡点一组"
        )

    assert level(warehouse, masks) == 10


def test_it_needs_a_recipient_and_a_line_to_issue(carol, warehouse, masks):
    stock(warehouse, masks, 10)

    with pytest.raises(ValidationError) as raised:
        services.issue_stock(Actor(carol), warehouse, [WantedLine(masks, 1)], recipient="  ")
    assert raised.value.message_dict == {
        "recipient": ["say who receives the items (a team or a person)"]
    }
    with pytest.raises(ValidationError) as raised:
        services.issue_stock(Actor(carol), warehouse, [], recipient="张三")
    assert messages(raised) == ["add at least one item"]


def test_it_lets_a_village_cadre_issue_only_from_their_own_village(
    alice, bob, warehouse, east_store, west_store, masks
):
    for store in (warehouse, east_store, west_store):
        stock(store, masks, 10)

    services.issue_stock(Actor(alice), east_store, [WantedLine(masks, 2)], recipient="东村卡点")
    with pytest.raises(PermissionDenied):
        services.issue_stock(Actor(alice), west_store, [WantedLine(masks, 2)], recipient="x")
    with pytest.raises(PermissionDenied):
        services.issue_stock(Actor(alice), warehouse, [WantedLine(masks, 2)], recipient="x")
    with pytest.raises(PermissionDenied):
        services.issue_stock(Actor(bob), east_store, [WantedLine(masks, 2)], recipient="x")

    assert [level(s, masks) for s in (warehouse, east_store, west_store)] == [10, 8, 10]


def test_it_keeps_another_towns_commander_away_from_the_stores(frank, warehouse, east_store, masks):
    stock(warehouse, masks, 10)
    stock(east_store, masks, 10)

    for store in (warehouse, east_store):
        with pytest.raises(PermissionDenied):
            services.issue_stock(Actor(frank), store, [WantedLine(masks, 1)], recipient="x")
    with pytest.raises(PermissionDenied):
        services.transfer_stock(Actor(frank), warehouse, east_store, [WantedLine(masks, 1)])
    with pytest.raises(PermissionDenied):
        services.adjust_stock(Actor(frank), warehouse, Batch.objects.first(), 0, reason="盘点")


def test_it_keeps_an_auditor_and_a_volunteer_from_issuing(dave, erin, east_store, masks):
    stock(east_store, masks, 10)

    for user in (dave, erin):
        with pytest.raises(PermissionDenied):
            services.issue_stock(Actor(user), east_store, [WantedLine(masks, 1)], recipient="x")


# Transfers -----------------------------------------------------------------------------------


def test_it_transfers_batches_keeping_their_identity(carol, warehouse, east_store, masks):
    stock(warehouse, masks, 60, expires_on=today() + timedelta(days=20), batch_number="A")
    stock(warehouse, masks, 60, expires_on=today() + timedelta(days=90), batch_number="B")

    operation = services.transfer_stock(
        Actor(carol), warehouse, east_store, [WantedLine(masks, 100)], reason="补充"
    )

    assert operation.kind == OperationKind.TRANSFER and operation.to_store == east_store
    arrived = dict(
        StockLevel.objects.filter(store=east_store).values_list("batch__number", "quantity")
    )
    assert arrived == {"A": 60, "B": 40}
    assert level(warehouse, masks) == 20
    assert sorted(operation.movements.values_list("store_id", "quantity")) == sorted(
        [(warehouse.pk, -60), (warehouse.pk, -40), (east_store.pk, 60), (east_store.pk, 40)]
    )
    assert_cache_matches_ledger()


def test_it_refuses_a_transfer_to_the_same_or_a_closed_store(carol, warehouse, east_store, masks):
    stock(warehouse, masks, 10)

    with pytest.raises(ValidationError) as raised:
        services.transfer_stock(Actor(carol), warehouse, warehouse, [WantedLine(masks, 1)])
    assert raised.value.message_dict == {"to_store": ["a transfer goes to another store"]}

    east_store.active = False
    services.save_store(SYSTEM, east_store)
    with pytest.raises(ValidationError) as raised:
        services.transfer_stock(Actor(carol), warehouse, east_store, [WantedLine(masks, 1)])
    assert raised.value.message_dict == {"to_store": ["东村物资点 is closed"]}
    assert level(warehouse, masks) == 10


def test_it_refuses_a_transfer_of_more_than_the_store_holds(carol, warehouse, east_store, masks):
    stock(warehouse, masks, 10)

    with pytest.raises(ValidationError) as raised:
        services.transfer_stock(Actor(carol), warehouse, east_store, [WantedLine(masks, 11)])

    assert messages(raised) == ["医用外科口罩: 11 只 asked for, only 10 in 青山镇物资仓库"]
    assert not StockLevel.objects.filter(store=east_store).exists()


def test_it_keeps_a_village_cadres_transfers_inside_their_village(
    alice, east_store, west_store, village_a, masks
):
    stock(east_store, masks, 10)

    with pytest.raises(PermissionDenied):
        services.transfer_stock(Actor(alice), east_store, west_store, [WantedLine(masks, 1)])

    assert level(east_store, masks) == 10


# Stocktakes ----------------------------------------------------------------------------------


def test_it_records_the_difference_a_stocktake_found(carol, warehouse, masks):
    stock(warehouse, masks, 100)
    batch = Batch.objects.get()

    loss = services.adjust_stock(Actor(carol), warehouse, batch, "93", reason="受潮报损")
    found = services.adjust_stock(Actor(carol), warehouse, batch, 95, reason="复盘找到")
    same = services.adjust_stock(Actor(carol), warehouse, batch, 95, reason="复盘")

    assert loss.kind == OperationKind.ADJUST and loss.reason == "受潮报损"
    assert list(loss.movements.values_list("quantity", flat=True)) == [-7]
    assert list(found.movements.values_list("quantity", flat=True)) == [2]
    assert same is None
    assert level(warehouse, masks) == 95
    assert_cache_matches_ledger()


def test_it_counts_a_batch_down_to_zero(carol, warehouse, masks):
    stock(warehouse, masks, 10)

    services.adjust_stock(Actor(carol), warehouse, Batch.objects.get(), "0", reason="全部过期销毁")

    assert level(warehouse, masks) == 0
    assert_cache_matches_ledger()


def test_it_counts_a_batch_found_in_a_store_it_was_never_in(carol, warehouse, east_store, masks):
    stock(warehouse, masks, 10)

    services.adjust_stock(Actor(carol), east_store, Batch.objects.get(), 3, reason="盘点多出")

    assert level(east_store, masks) == 3
    assert_cache_matches_ledger()


@pytest.mark.parametrize(
    "counted, reason, expected",
    [
        ("-1", "盘点", ["医用外科口罩: the quantity must be more than 0 (it is -1)"]),
        ("2.5", "盘点", ["医用外科口罩 is counted in whole 只: 2.5 is not a whole number"]),
        ("ten", "盘点", ["医用外科口罩: ten is not a quantity"]),
        ("5", "  ", ["give the reason for the difference"]),
    ],
)
def test_it_refuses_a_bad_stocktake(carol, warehouse, masks, counted, reason, expected):
    stock(warehouse, masks, 10)

    with pytest.raises(ValidationError) as raised:
        services.adjust_stock(Actor(carol), warehouse, Batch.objects.get(), counted, reason=reason)

    assert messages(raised) == expected
    assert level(warehouse, masks) == 10


def test_it_lets_only_the_town_count_stock(alice, east_store, masks):
    stock(east_store, masks, 10)

    with pytest.raises(PermissionDenied):
        services.adjust_stock(Actor(alice), east_store, Batch.objects.get(), 9, reason="盘点")


# The cache is the ledger's sum, whatever happens -------------------------------------------

operations = st.lists(
    st.tuples(
        st.sampled_from(["receive", "issue", "transfer", "adjust"]),
        st.integers(min_value=0, max_value=2),  # store
        st.integers(min_value=0, max_value=1),  # item
        st.integers(min_value=-3, max_value=40),  # quantity (bad ones included)
        st.integers(min_value=-5, max_value=60),  # days to expiry (past ones included)
    ),
    min_size=1,
    max_size=25,
)


class _Rollback(Exception):
    pass


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_it_keeps_the_cache_equal_to_the_ledger_and_never_negative(
    carol, warehouse, east_store, west_store, masks, bleach, steps
):
    stores, items, actor = [warehouse, east_store, west_store], [masks, bleach], Actor(carol)
    try:
        with transaction.atomic():
            for kind, s, i, quantity, days in steps:
                store, item = stores[s], items[i]
                try:
                    with transaction.atomic():
                        if kind == "receive":
                            services.receive_stock(
                                actor,
                                store,
                                [
                                    ReceivedLine(
                                        item, quantity, expires_on=today() + timedelta(days)
                                    )
                                ],
                                source=Source.BOUGHT,
                            )
                        elif kind == "issue":
                            services.issue_stock(
                                actor, store, [WantedLine(item, quantity)], recipient="队"
                            )
                        elif kind == "transfer":
                            services.transfer_stock(
                                actor, store, stores[(s + 1) % 3], [WantedLine(item, quantity)]
                            )
                        else:
                            batch = Batch.objects.filter(item=item).order_by("-pk").first()
                            if batch is not None:
                                services.adjust_stock(actor, store, batch, quantity, reason="盘点")
                except ValidationError:
                    pass  # refused: nothing written, checked below
                assert_cache_matches_ledger()
                for st_ in stores:
                    for it in items:
                        assert services.available(st_, it) >= 0
            raise _Rollback
    except _Rollback:
        pass


def test_it_refuses_to_take_an_expired_batch_into_stock(warehouse, masks):
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ValidationError) as raised:
        services.receive_stock(
            SYSTEM,
            warehouse,
            [
                ReceivedLine(masks, "100", batch_number="OLD", expires_on=yesterday),
                ReceivedLine(masks, "50", batch_number="NEW"),
            ],
            source=Source.BOUGHT,
        )
    assert raised.value.messages == [
        f"医用外科口罩: the batch expired on {yesterday.isoformat()} and cannot be taken into stock"
    ]
    assert not StockLevel.objects.exists()  # nothing from the good line either
    # Entered afterwards from paper: received before it expired, it is stock (expired now).
    services.receive_stock(
        SYSTEM,
        warehouse,
        [ReceivedLine(masks, "100", batch_number="OLD", expires_on=yesterday)],
        source=Source.BOUGHT,
        at=timezone.now() - timedelta(days=10),
    )
    assert services.available(warehouse, masks) == 0
    assert stock_on_hand(Store.objects.all()) == {(warehouse.pk, masks.pk): Decimal(100)}


def test_it_dates_a_stocktake_entered_afterwards(warehouse, masks):
    stock(warehouse, masks, 100)
    batch = StockLevel.objects.get().batch
    counted_at = timezone.now() - timedelta(hours=5)

    operation = services.adjust_stock(
        SYSTEM, warehouse, batch, "90", reason="盘点：破损10只", at=counted_at
    )

    assert operation.at == counted_at
    assert [m.at for m in operation.movements.all()] == [counted_at]
