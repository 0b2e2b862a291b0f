"""Reads about donations: the items of each donation, the public thank-you list, and where a
donation went (`donation_trail`).

A donation's items are batches (`Batch.donation`); a batch keeps its identity through every
transfer, so following its movements tells where each unit went: which store it reached, what
was issued for use there and to whom, what was lost at a stocktake, and what is still in stock
(read from the cached levels, so that the trail adding up is a real check of the ledger).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from fangyi.core.identity import mask_phone
from fangyi.core.models import Jurisdiction
from fangyi.supplies.models import (
    Batch,
    Donation,
    Movement,
    OperationKind,
    StockLevel,
)
from fangyi.supplies.services import format_quantity

ZERO = Decimal(0)


def plain(quantity: Decimal | None) -> Decimal:
    """10000.000 → 10000, 2.500 → 2.5 (what a template prints as is; never 1E+4)."""
    return Decimal(format_quantity(quantity) or "0")


@dataclass(frozen=True)
class DonatedLine:
    """One item of a donation as received: "医用外科口罩 10000 只"."""

    item: str
    unit: str
    quantity: Decimal

    @property
    def amount(self) -> str:
        return format_quantity(self.quantity)

    @property
    def text(self) -> str:
        return f"{self.item} {self.amount} {self.unit}"


def donated_lines(donation_ids) -> dict[int, list[DonatedLine]]:
    """donation id → the items received with it (one query for all the donations given)."""
    rows = (
        Movement.objects.filter(
            batch__donation_id__in=list(donation_ids), operation__kind=OperationKind.RECEIVE
        )
        .values_list(
            "batch__donation_id", "item__name", "item__specification", "item__unit", "item_id"
        )
        .annotate(total=Sum("quantity"))
        .order_by("batch__donation_id", "item__name", "item__specification", "item_id")
    )
    lines: dict[int, list[DonatedLine]] = defaultdict(list)
    for donation_id, name, specification, unit, _item_id, total in rows:
        lines[donation_id].append(
            DonatedLine(f"{name} {specification}".strip(), unit, plain(total))
        )
    return lines


@dataclass
class DonationRow:
    """A donation as the register lists it (staff only: the donor's real name)."""

    donation: Donation
    lines: list[DonatedLine]


def register_rows(donations) -> list[DonationRow]:
    """Rows for a page of donations (already fetched with their store)."""
    donations = list(donations)
    lines = donated_lines(d.pk for d in donations)
    return [DonationRow(d, lines.get(d.pk, [])) for d in donations]


def contact_phone_masked(donation: Donation) -> str:
    """The contact's phone as staff pages show it: 138****5678 ("" when none was given)."""
    from fangyi.core import crypto

    if not donation.contact_phone_cipher:
        return ""
    return mask_phone(crypto.decrypt(bytes(donation.contact_phone_cipher), "phone"))


# The public thank-you list -------------------------------------------------------------------


def public_town(code: str) -> Jurisdiction | None:
    """The town of a public page's address, or None (an unknown code, or not a town)."""
    if len(code) != 9 or not code.isdigit():
        return None
    return Jurisdiction.objects.filter(code=code).first()


def town_donations(town: Jurisdiction):
    """The donations received into the stores of `town` (warehouse, villages, checkpoints),
    newest first. Public: never hand these rows to a template, only `thanks_rows`."""
    return (
        Donation.objects.within(town.code).select_related("store").order_by("-received_at", "-id")
    )


@dataclass(frozen=True)
class ThanksRow:
    """One line of the public thank-you list: no contact, no store, no note, no real name of a
    donor who asked not to be named."""

    external_id: str
    receipt_number: str
    name: str
    donor_kind: str
    items: list[DonatedLine]
    money: Decimal | None
    day: date


def thanks_rows(donations) -> list[ThanksRow]:
    donations = list(donations)
    lines = donated_lines(d.pk for d in donations)
    return [
        ThanksRow(
            external_id=str(d.external_id),
            receipt_number=d.receipt_number,
            name=d.public_name,
            donor_kind=d.donor_kind,
            items=lines.get(d.pk, []),
            money=d.money,
            day=timezone.localdate(d.received_at),
        )
        for d in donations
    ]


# Where it went -------------------------------------------------------------------------------


@dataclass
class Issued:
    recipient: str
    quantity: Decimal
    day: date


@dataclass
class StoreShare:
    """What one store did with one donated batch."""

    store_id: int
    store: str
    kind: str  # StoreKind value
    place: str  # the village (or town) the store belongs to
    received: Decimal = ZERO  # straight from the donor (the store it was received into)
    arrived: Decimal = ZERO  # transferred in from another store
    passed_on: Decimal = ZERO  # transferred out to another store
    issued: list[Issued] = field(default_factory=list)
    lost: Decimal = ZERO  # stocktake: counted less than the ledger said
    found: Decimal = ZERO  # stocktake: counted more
    in_stock: Decimal = ZERO  # the cached level now

    @property
    def issued_total(self) -> Decimal:
        return sum((line.quantity for line in self.issued), ZERO)

    @property
    def balanced(self) -> bool:
        came = self.received + self.arrived + self.found
        went = self.passed_on + self.issued_total + self.lost + self.in_stock
        return came == went


@dataclass
class BatchTrail:
    item: str
    unit: str
    number: str
    expires_on: date | None
    maker: str
    received: Decimal
    stores: list[StoreShare]

    @property
    def issued(self) -> Decimal:
        return sum((share.issued_total for share in self.stores), ZERO)

    @property
    def in_stock(self) -> Decimal:
        return sum((share.in_stock for share in self.stores), ZERO)

    @property
    def lost(self) -> Decimal:
        return sum((share.lost for share in self.stores), ZERO)

    @property
    def found(self) -> Decimal:
        return sum((share.found for share in self.stores), ZERO)

    @property
    def balanced(self) -> bool:
        """Everything received is accounted for: issued + in stock + lost (− found)."""
        return self.received + self.found == self.issued + self.in_stock + self.lost and all(
            share.balanced for share in self.stores
        )


@dataclass
class DonationTrail:
    donation: Donation
    batches: list[BatchTrail]

    @property
    def balanced(self) -> bool:
        return all(batch.balanced for batch in self.batches)


def donation_trail(donation: Donation) -> DonationTrail:
    """Where each batch of `donation` went, store by store (three queries whatever its size).

    The shares of a batch are listed in the order the batch reached the stores (the store it
    was received into first)."""
    batches = list(
        Batch.objects.filter(donation=donation).select_related("item").order_by("item__name", "pk")
    )
    movements = (
        Movement.objects.filter(batch__in=batches)
        .select_related("operation", "store", "store__jurisdiction")
        .order_by("at", "pk")
    )
    shares: dict[int, dict[int, StoreShare]] = {batch.pk: {} for batch in batches}

    def share_of(movement: Movement) -> StoreShare:
        by_store = shares[movement.batch_id]
        store = movement.store
        if store.pk not in by_store:
            by_store[store.pk] = StoreShare(
                store_id=store.pk,
                store=store.name,
                kind=store.kind,
                place=store.jurisdiction.name,
            )
        return by_store[store.pk]

    for movement in movements:
        share = share_of(movement)
        quantity, kind = plain(movement.quantity), movement.operation.kind
        if kind == OperationKind.RECEIVE:
            share.received += quantity
        elif kind == OperationKind.TRANSFER:
            if quantity > 0:
                share.arrived += quantity
            else:
                share.passed_on -= quantity
        elif kind == OperationKind.ISSUE:
            share.issued.append(
                Issued(movement.operation.recipient, -quantity, timezone.localdate(movement.at))
            )
        elif kind == OperationKind.ADJUST:
            if quantity < 0:
                share.lost -= quantity
            else:
                share.found += quantity
    for batch_id, store_id, quantity in StockLevel.objects.filter(batch__in=batches).values_list(
        "batch_id", "store_id", "quantity"
    ):
        if store_id in shares[batch_id]:
            shares[batch_id][store_id].in_stock = plain(quantity)
    trails = []
    for batch in batches:
        stores = list(shares[batch.pk].values())
        trails.append(
            BatchTrail(
                item=str(batch.item),
                unit=batch.item.unit,
                number=batch.number,
                expires_on=batch.expires_on,
                maker=batch.maker,
                received=sum((share.received for share in stores), ZERO),
                stores=stores,
            )
        )
    return DonationTrail(donation=donation, batches=trails)
