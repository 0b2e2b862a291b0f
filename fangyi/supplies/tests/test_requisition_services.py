"""Requisitions (fangyi.supplies.services): a village asks, the town approves fully or partly or
rejects with a reason, issues from its warehouse into the village store, the village confirms."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from fangyi.checkpoints.models import Checkpoint
from fangyi.core.audit import Actor
from fangyi.core.roles import Role
from fangyi.supplies import services
from fangyi.supplies.models import (
    OperationKind,
    RequisitionStatus,
    StockLevel,
    StockOperation,
    Store,
    Unit,
)
from fangyi.supplies.selectors import stock_from_ledger, stock_on_hand
from fangyi.supplies.services import WantedLine
from fangyi.supplies.testing import make_item, make_store, stock
from fangyi.testing import make_user

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


def level(store, item) -> Decimal:
    return stock_on_hand(Store.objects.filter(pk=store.pk)).get((store.pk, item.pk), Decimal(0))


def ask(user, store, *lines, purpose="卡点防护"):
    return services.submit_requisition(
        Actor(user), store, [WantedLine(item, q) for item, q in lines], purpose=purpose
    )


def approve(user, requisition, amounts, from_store, note=""):
    """amounts: {item: quantity}"""
    by_item = {line.item_id: line.pk for line in requisition.lines.all()}
    return services.decide_requisition(
        Actor(user),
        requisition,
        approved={by_item[item.pk]: q for item, q in amounts.items()},
        from_store=from_store,
        note=note,
    )


# Asking --------------------------------------------------------------------------------------


def test_it_records_a_villages_request(alice, east_store, masks, bleach):
    needed = timezone.localdate() + timedelta(days=2)

    requisition = services.submit_requisition(
        Actor(alice),
        east_store,
        [WantedLine(masks, "500"), WantedLine(bleach, "2.5"), WantedLine(masks, 100)],
        purpose=" 东村卡点一周用量 ",
        needed_by=needed,
    )

    assert requisition.status == RequisitionStatus.SUBMITTED
    assert (requisition.purpose, requisition.needed_by, requisition.requested_by) == (
        "东村卡点一周用量",
        needed,
        alice,
    )
    assert sorted(requisition.lines.values_list("item__name", "requested")) == [
        ("84消毒液", Decimal("2.5")),
        ("医用外科口罩", 600),  # the two lines of masks added up
    ]


def test_it_reports_every_problem_of_a_request_at_once(alice, east_store, masks):
    with pytest.raises(ValidationError) as raised:
        services.submit_requisition(
            Actor(alice),
            east_store,
            [WantedLine(masks, "1.5")],
            purpose=" ",
            needed_by=timezone.localdate() - timedelta(days=1),
        )

    assert raised.value.messages == [
        "say what the items are for",
        "医用外科口罩 is counted in whole 只: 1.5 is not a whole number",
        "the date needed by is in the past",
    ]


@pytest.mark.parametrize("quantity", ["0", "-3", "many", "2.5"])
def test_it_refuses_bad_quantities_in_a_request(alice, east_store, masks, quantity):
    with pytest.raises(ValidationError):
        ask(alice, east_store, (masks, quantity))


def test_it_refuses_a_request_without_lines(alice, east_store):
    with pytest.raises(ValidationError) as raised:
        services.submit_requisition(Actor(alice), east_store, [], purpose="x")

    assert raised.value.messages == ["add at least one item"]


def test_it_keeps_villages_to_their_own_stores(
    alice, bob, east_store, west_store, warehouse, masks
):
    with pytest.raises(PermissionDenied):
        ask(alice, west_store, (masks, 10))
    with pytest.raises(PermissionDenied):
        ask(bob, east_store, (masks, 10))
    with pytest.raises(PermissionDenied):
        ask(alice, warehouse, (masks, 10))


def test_it_refuses_a_request_from_the_warehouse_itself(carol, warehouse, masks):
    with pytest.raises(ValidationError) as raised:
        ask(carol, warehouse, (masks, 10))

    assert raised.value.message_dict == {
        "store": ["the town warehouse does not ask itself for items"]
    }


def test_it_lets_checkpoint_staff_ask_for_their_checkpoint(village_a, warehouse, masks):
    checkpoint = Checkpoint.objects.create(name="东村路口", jurisdiction=village_a)
    store = make_store(village_a, checkpoint=checkpoint)
    staff = make_user("staff1", Role.CHECKPOINT_STAFF, village_a, "卡点员")

    requisition = ask(staff, store, (masks, 50))

    assert requisition.store == store and store.jurisdiction_id == village_a.code


# Deciding ------------------------------------------------------------------------------------


def test_it_approves_a_request_in_part(alice, carol, warehouse, east_store, masks, bleach):
    stock(warehouse, masks, 1000)
    stock(warehouse, bleach, 10)
    requisition = ask(alice, east_store, (masks, 500), (bleach, 4))

    approve(carol, requisition, {masks: 300, bleach: 0}, warehouse, note="口罩先给300")

    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.APPROVED
    assert (requisition.from_store, requisition.decided_by) == (warehouse, carol)
    assert requisition.decision_note == "口罩先给300"
    assert dict(requisition.lines.values_list("item__name", "approved")) == {
        "医用外科口罩": 300,
        "84消毒液": 0,
    }
    assert level(warehouse, masks) == 1000  # nothing moves before the issue


def test_it_refuses_an_approval_above_the_warehouses_stock(
    alice, carol, warehouse, east_store, masks
):
    stock(warehouse, masks, 100)
    stock(warehouse, masks, 50, expires_on=timezone.localdate() - timedelta(days=1))
    requisition = ask(alice, east_store, (masks, 500))

    with pytest.raises(ValidationError) as raised:
        approve(carol, requisition, {masks: 120}, warehouse)

    assert raised.value.messages == [
        "医用外科口罩: 120 approved, only 100 can be issued from 青山镇物资仓库"
    ]
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.SUBMITTED


def test_it_refuses_an_approval_above_what_was_asked(alice, carol, warehouse, east_store, masks):
    stock(warehouse, masks, 1000)
    requisition = ask(alice, east_store, (masks, 100))

    with pytest.raises(ValidationError) as raised:
        approve(carol, requisition, {masks: 101}, warehouse)

    assert raised.value.messages == ["医用外科口罩: 101 approved is more than the 100 asked for"]


@pytest.mark.parametrize("amount", ["-1", "2.5", "abc"])
def test_it_refuses_bad_approved_quantities(alice, carol, warehouse, east_store, masks, amount):
    stock(warehouse, masks, 1000)
    requisition = ask(alice, east_store, (masks, 100))

    with pytest.raises(ValidationError):
        approve(carol, requisition, {masks: amount}, warehouse)


def test_it_needs_a_reason_to_reject(alice, carol, warehouse, east_store, masks):
    requisition = ask(alice, east_store, (masks, 100))

    with pytest.raises(ValidationError) as raised:
        approve(carol, requisition, {masks: 0}, warehouse, note="  ")
    assert raised.value.messages == ["give the reason for rejecting the requisition"]

    approve(carol, requisition, {masks: 0}, warehouse, note="库存不足，下周再领")
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.REJECTED
    assert requisition.decision_note == "库存不足，下周再领"
    with pytest.raises(ValidationError) as raised:
        approve(carol, requisition, {masks: 0}, warehouse, note="再拒一次")
    assert raised.value.messages == ["this requisition is rejected already"]


def test_it_issues_only_from_the_towns_own_warehouse(
    alice, carol, town, other_town, warehouse, east_store, west_store, masks
):
    stock(west_store, masks, 100)
    other_warehouse = make_store(other_town)
    stock(other_warehouse, masks, 100)
    requisition = ask(alice, east_store, (masks, 10))

    for store in (west_store, other_warehouse):
        with pytest.raises(ValidationError) as raised:
            approve(carol, requisition, {masks: 10}, store)
        assert raised.value.message_dict == {"from_store": ["issue from the town's own warehouse"]}


def test_it_lets_only_the_town_decide(
    alice, bob, dave, frank, warehouse, east_store, masks, village_a
):
    stock(warehouse, masks, 100)
    requisition = ask(alice, east_store, (masks, 10))
    village_commander = make_user("vcmd", Role.TOWN_COMMANDER, village_a, "村里的指挥长")

    for user in (alice, bob, dave, frank, village_commander):
        with pytest.raises(PermissionDenied):
            approve(user, requisition, {masks: 10}, warehouse)
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.SUBMITTED


# Issuing and receiving -----------------------------------------------------------------------


def test_it_moves_the_approved_batches_into_the_village_store(
    alice, carol, warehouse, east_store, masks, bleach
):
    soon = timezone.localdate() + timedelta(days=40)
    stock(warehouse, masks, 200, expires_on=soon, batch_number="S")
    stock(warehouse, masks, 500, batch_number="N")
    stock(warehouse, bleach, 10)
    requisition = ask(alice, east_store, (masks, 400), (bleach, 5))
    approve(carol, requisition, {masks: 300, bleach: 0}, warehouse)

    operation = services.issue_requisition(Actor(carol), requisition)

    assert (operation.kind, operation.store, operation.to_store) == (
        OperationKind.TRANSFER,
        warehouse,
        east_store,
    )
    assert operation.requisition == requisition
    arrived = dict(
        StockLevel.objects.filter(store=east_store).values_list("batch__number", "quantity")
    )
    assert arrived == {"S": 200, "N": 100}  # first expiring first
    assert (level(warehouse, masks), level(warehouse, bleach)) == (400, 10)
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.ISSUED and requisition.issued_at
    assert dict(requisition.lines.values_list("item__name", "issued")) == {
        "医用外科口罩": 300,
        "84消毒液": 0,
    }
    stores = Store.objects.all()
    assert stock_on_hand(stores) == stock_from_ledger(stores)

    services.confirm_receipt(Actor(alice), requisition)
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.RECEIVED
    assert requisition.received_by == alice and requisition.received_at
    services.confirm_receipt(Actor(alice), requisition)  # twice: nothing changes
    assert StockOperation.objects.filter(kind=OperationKind.TRANSFER).count() == 1


def test_it_refuses_to_issue_when_the_stock_went_meanwhile(
    alice, bob, carol, warehouse, east_store, west_store, masks
):
    stock(warehouse, masks, 100)
    first = ask(alice, east_store, (masks, 80))
    second = ask(bob, west_store, (masks, 80))
    approve(carol, first, {masks: 80}, warehouse)
    approve(carol, second, {masks: 80}, warehouse)  # each fits alone
    services.issue_requisition(Actor(carol), first)

    with pytest.raises(ValidationError) as raised:
        services.issue_requisition(Actor(carol), second)

    assert raised.value.messages == ["医用外科口罩: 80 只 asked for, only 20 in 青山镇物资仓库"]
    second.refresh_from_db()
    assert second.status == RequisitionStatus.APPROVED
    assert level(warehouse, masks) == 20 and level(west_store, masks) == 0


def test_it_issues_a_requisition_once(alice, carol, warehouse, east_store, masks):
    stock(warehouse, masks, 100)
    requisition = ask(alice, east_store, (masks, 10))
    approve(carol, requisition, {masks: 10}, warehouse)
    services.issue_requisition(Actor(carol), requisition)

    with pytest.raises(ValidationError) as raised:
        services.issue_requisition(Actor(carol), requisition)

    assert raised.value.messages == ["only an approved requisition is issued (this one is issued)"]
    assert level(east_store, masks) == 10


def test_it_issues_nothing_before_approval(alice, carol, warehouse, east_store, masks):
    stock(warehouse, masks, 100)
    requisition = ask(alice, east_store, (masks, 10))

    with pytest.raises(ValidationError) as raised:
        services.issue_requisition(Actor(carol), requisition)

    assert raised.value.messages == [
        "only an approved requisition is issued (this one is awaiting approval)"
    ]


def test_it_lets_only_the_town_issue_a_requisition(
    alice, frank, carol, warehouse, east_store, masks
):
    stock(warehouse, masks, 100)
    requisition = ask(alice, east_store, (masks, 10))
    approve(carol, requisition, {masks: 10}, warehouse)

    for user in (alice, frank):
        with pytest.raises(PermissionDenied):
            services.issue_requisition(Actor(user), requisition)
    assert level(warehouse, masks) == 100


def test_it_lets_only_the_asking_village_confirm(
    alice, bob, frank, carol, warehouse, east_store, masks
):
    stock(warehouse, masks, 100)
    requisition = ask(alice, east_store, (masks, 10))

    with pytest.raises(ValidationError) as raised:
        services.confirm_receipt(Actor(alice), requisition)
    assert raised.value.messages == ["the items have not been issued yet"]

    approve(carol, requisition, {masks: 10}, warehouse)
    services.issue_requisition(Actor(carol), requisition)
    for user in (bob, frank):
        with pytest.raises(PermissionDenied):
            services.confirm_receipt(Actor(user), requisition)
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.ISSUED


# Withdrawing ---------------------------------------------------------------------------------


def test_it_withdraws_an_open_request(alice, carol, warehouse, east_store, masks):
    stock(warehouse, masks, 100)
    waiting = ask(alice, east_store, (masks, 10))
    approved = ask(alice, east_store, (masks, 20), purpose="第二次")
    approve(carol, approved, {masks: 20}, warehouse)

    for requisition in (waiting, approved):
        services.withdraw_requisition(Actor(alice), requisition)
        requisition.refresh_from_db()
        assert requisition.status == RequisitionStatus.CANCELLED

    with pytest.raises(ValidationError) as raised:
        services.issue_requisition(Actor(carol), approved)
    assert raised.value.messages == [
        "only an approved requisition is issued (this one is withdrawn)"
    ]
    assert level(warehouse, masks) == 100


def test_it_refuses_to_withdraw_what_was_issued(alice, bob, carol, warehouse, east_store, masks):
    stock(warehouse, masks, 100)
    requisition = ask(alice, east_store, (masks, 10))

    with pytest.raises(PermissionDenied):
        services.withdraw_requisition(Actor(bob), requisition)

    approve(carol, requisition, {masks: 10}, warehouse)
    services.issue_requisition(Actor(carol), requisition)
    with pytest.raises(ValidationError) as raised:
        services.withdraw_requisition(Actor(alice), requisition)
    assert raised.value.messages == ["this requisition is issued: it can no longer be withdrawn"]


def test_it_refuses_to_decide_a_withdrawn_request(alice, carol, warehouse, east_store, masks):
    stock(warehouse, masks, 100)
    requisition = ask(alice, east_store, (masks, 10))
    services.withdraw_requisition(Actor(alice), requisition)

    with pytest.raises(ValidationError) as raised:
        approve(carol, requisition, {masks: 10}, warehouse)

    assert raised.value.messages == ["this requisition is withdrawn already"]


def test_it_records_a_requisition_entered_afterwards_at_its_own_times(
    alice, carol, warehouse, masks, east_store
):
    stock(warehouse, masks, 500)
    asked = timezone.now() - timedelta(days=3)
    requisition = services.submit_requisition(
        Actor(user=alice), east_store, [WantedLine(masks, 200)], purpose="卡口值守", at=asked
    )
    line = requisition.lines.get()
    services.decide_requisition(
        Actor(user=carol),
        requisition,
        approved={line.pk: 200},
        from_store=warehouse,
        at=asked + timedelta(hours=2),
    )
    operation = services.issue_requisition(
        Actor(user=carol), requisition, at=asked + timedelta(hours=4)
    )
    services.confirm_receipt(Actor(user=alice), requisition, at=asked + timedelta(hours=6))

    requisition.refresh_from_db()
    assert requisition.created_at == asked
    assert requisition.decided_at == asked + timedelta(hours=2)
    assert requisition.issued_at == operation.at == asked + timedelta(hours=4)
    assert {m.at for m in operation.movements.all()} == {asked + timedelta(hours=4)}
    assert requisition.received_at == asked + timedelta(hours=6)
