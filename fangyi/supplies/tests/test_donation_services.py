"""Donations (fangyi.supplies.services.receive_donation): the donor, the receipt number, the
contact kept encrypted, the items received as donated batches, the anonymous donor."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from fangyi.core import crypto
from fangyi.core.audit import Actor
from fangyi.supplies import services
from fangyi.supplies.models import (
    Batch,
    Donation,
    DonorKind,
    Movement,
    OperationKind,
    Source,
    StockOperation,
    Store,
    Unit,
)
from fangyi.supplies.selectors import stock_from_ledger, stock_on_hand
from fangyi.supplies.services import ReceivedLine
from fangyi.supplies.testing import make_item, make_store

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


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


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def donate(user, store, **values):
    values.setdefault("donor_name", "青山商会")
    values.setdefault("donor_kind", DonorKind.COMPANY)
    values.setdefault("lines", [])
    return services.receive_donation(Actor(user), store, **values)


FEB_3 = date(2020, 2, 3)


def test_it_receives_donated_items_as_batches_of_the_donation(carol, warehouse, masks, bleach):
    expiry = date(2022, 1, 31)

    donation = donate(
        carol,
        warehouse,
        donor_name="  青山  商会 ",
        lines=[
            ReceivedLine(masks, "10000", batch_number="KZ01", expires_on=expiry, maker="稳健"),
            ReceivedLine(bleach, "50.5"),
        ],
        contact_name="周经理",
        contact_phone="138-0013-8000",
        note="春节前送到",
        received_at=at(FEB_3, 10),
    )

    assert donation.receipt_number == "JZ20200203-001"
    assert (donation.donor_name, donation.public_name, donation.received_by) == (
        "青山 商会",
        "青山 商会",
        carol,
    )
    assert donation.store == warehouse and donation.money is None
    batches = Batch.objects.filter(donation=donation).order_by("item__name")
    assert [(b.item.name, b.source, b.number) for b in batches] == [
        ("84消毒液", Source.DONATED, ""),
        ("医用外科口罩", Source.DONATED, "KZ01"),
    ]
    operation = StockOperation.objects.get(donation=donation)
    assert (operation.kind, operation.source, operation.at) == (
        OperationKind.RECEIVE,
        Source.DONATED,
        at(FEB_3, 10),
    )
    assert operation.reason == "donation JZ20200203-001 from 青山 商会"
    on_hand = stock_on_hand(Store.objects.filter(pk=warehouse.pk))
    assert on_hand == {
        (warehouse.pk, masks.pk): 10000,
        (warehouse.pk, bleach.pk): Decimal("50.5"),
    }
    assert on_hand == stock_from_ledger(Store.objects.all())


def test_it_keeps_the_contact_phone_encrypted(carol, warehouse, masks):
    donation = donate(
        carol, warehouse, lines=[ReceivedLine(masks, 10)], contact_phone="+86 138 0013 8000"
    )

    stored = Donation.objects.get(pk=donation.pk).contact_phone_cipher
    assert b"13800138000" not in bytes(stored)
    assert crypto.decrypt(stored, "phone") == "13800138000"
    assert not any(
        "13800138000" in str(getattr(donation, f.attname))
        for f in Donation._meta.fields
        if f.attname != "contact_phone_cipher"
    )


def test_it_stores_no_cipher_without_a_phone(carol, warehouse, masks):
    donation = donate(carol, warehouse, lines=[ReceivedLine(masks, 10)])

    assert Donation.objects.get(pk=donation.pk).contact_phone_cipher is None


def test_it_shows_an_anonymous_donor_as_a_kind_person(carol, warehouse, masks):
    donation = donate(
        carol,
        warehouse,
        donor_name="王金水",
        donor_kind=DonorKind.PERSON,
        anonymous=True,
        lines=[ReceivedLine(masks, 100)],
    )

    assert donation.donor_name == "王金水"  # on the receipt
    assert donation.public_name == "爱心人士"
    operation = StockOperation.objects.get(donation=donation)
    assert "王金水" not in operation.reason  # the ledger others read keeps the name out
    assert operation.reason.endswith("from 爱心人士")


@pytest.mark.parametrize("name", ["", "   ", "\u3000"])
def test_it_refuses_a_donation_without_a_donor_name(carol, warehouse, masks, name):
    with pytest.raises(ValidationError) as raised:
        donate(carol, warehouse, donor_name=name, lines=[ReceivedLine(masks, 10)])

    assert raised.value.message_dict == {
        "donor_name": [
            "give the donor's name: it goes on the receipt (tick 'not named in public' to"
            " keep it off the thank-you list)"
        ]
    }
    assert not Donation.objects.exists() and not Movement.objects.exists()


def test_it_reports_every_problem_of_a_donation_at_once(carol, warehouse, masks):
    with pytest.raises(ValidationError) as raised:
        donate(
            carol,
            warehouse,
            donor_name="",
            donor_kind="alien",
            contact_phone="12345",
            money="lots",
            lines=[ReceivedLine(masks, "1.5")],
        )

    assert raised.value.message_dict == {
        "donor_name": [
            "give the donor's name: it goes on the receipt (tick 'not named in public' to"
            " keep it off the thank-you list)"
        ],
        "donor_kind": ["say whether the donor is a person or a company"],
        "contact_phone": ["a mobile number has 11 digits; this one has 5"],
        "money": ["lots is not an amount of money"],
        "__all__": ["医用外科口罩 is counted in whole 只: 1.5 is not a whole number"],
    }


def test_it_refuses_a_donation_of_nothing(carol, warehouse):
    with pytest.raises(ValidationError) as raised:
        donate(carol, warehouse)

    assert raised.value.message_dict == {
        "__all__": ["a donation is of items or money: add at least one"]
    }


def test_it_takes_a_gift_of_money_alone(carol, warehouse):
    donation = donate(carol, warehouse, money=" 5000.50 ")

    assert donation.money == Decimal("5000.50")
    assert not StockOperation.objects.exists()


@pytest.mark.parametrize("money", ["0", "-10", "1.234", "NaN", "Infinity"])
def test_it_refuses_a_bad_amount_of_money(carol, warehouse, money):
    with pytest.raises(ValidationError) as raised:
        donate(carol, warehouse, money=money)

    assert raised.value.message_dict == {
        "money": ["give the amount in yuan, more than 0, to the fen"]
    }


@pytest.mark.parametrize("money", ["10000000000", "1e20"])
def test_it_refuses_more_money_than_the_field_holds(carol, warehouse, money):
    # Donation.money is max_digits=12, decimal_places=2 (under 10,000,000,000 yuan); a larger
    # amount passes receive_donation's checks and fails in the database (PostgreSQL: numeric
    # field overflow; SQLite: decimal.InvalidOperation when the row is read back).
    with pytest.raises(ValidationError) as raised:
        donate(carol, warehouse, money=money)
        Donation.objects.get()

    assert list(raised.value.message_dict) == ["money"]


def test_it_numbers_the_receipts_of_each_day_in_order(carol, warehouse):
    feb_4 = FEB_3 + timedelta(days=1)
    numbers = [
        donate(carol, warehouse, money=100, received_at=when).receipt_number
        for when in (
            at(FEB_3, 9),
            at(FEB_3, 15),
            at(feb_4, 0, 30),  # 16:30 UTC on the 3rd: the 4th in the town
            at(FEB_3, 23, 59),
            at(feb_4, 8),
        )
    ]

    assert numbers == [
        "JZ20200203-001",
        "JZ20200203-002",
        "JZ20200204-001",
        "JZ20200203-003",
        "JZ20200204-002",
    ]


def test_it_numbers_a_receipt_by_the_towns_day_not_utc(carol, warehouse):
    when = datetime(2020, 2, 3, 16, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on the 4th in Shanghai

    assert donate(carol, warehouse, money=1, received_at=when).receipt_number == "JZ20200204-001"


def test_it_numbers_past_the_thousandth_receipt_of_a_day(carol, warehouse):
    # Receipt numbers are ordered as strings: after JZ…-999 comes JZ…-1000, which sorts before
    # it, so _next_receipt_number finds 999 as the last one again and hands out 1000 twice
    # (IntegrityError on the unique receipt_number).
    Donation.objects.create(
        receipt_number="JZ20200203-999",
        donor_name="x",
        donor_kind=DonorKind.PERSON,
        store=warehouse,
        received_at=at(FEB_3, 8),
    )

    first = donate(carol, warehouse, money=1, received_at=at(FEB_3, 9))
    second = donate(carol, warehouse, money=1, received_at=at(FEB_3, 10))

    assert (first.receipt_number, second.receipt_number) == ("JZ20200203-1000", "JZ20200203-1001")


def test_it_lets_only_the_town_receive_donations(alice, frank, carol, warehouse, village_a):
    east_store = make_store(village_a)

    with pytest.raises(PermissionDenied):
        donate(alice, east_store, money=100)
    with pytest.raises(PermissionDenied):
        donate(frank, warehouse, money=100)
    assert donate(carol, east_store, money=100).store == east_store


def test_it_writes_nothing_when_a_donated_line_is_refused(carol, warehouse, masks):
    with pytest.raises(ValidationError):
        donate(
            carol,
            warehouse,
            lines=[
                ReceivedLine(masks, 5, batch_number="A"),
                ReceivedLine(masks, 5, batch_number="A"),
            ],
        )

    assert not Donation.objects.exists() and not Batch.objects.exists()
    assert timezone.now()  # the clock is real here
