"""Every write the supplies domain does: the catalogue and stores, receipts, issues, transfers,
stocktakes, requisitions, donations and the stock alerts. Pages, API and CLI call these.

Stock is taken from a store batch by batch, first expiring first out, never from an expired
batch. Every write that takes stock locks the store's stock rows of the items it takes, in one
order (item, then row id), before reading them, and decrements with a guarded `UPDATE ... WHERE
quantity >= n`; the table's check constraint is the last word. Two requisitions racing for the
last boxes: one gets them, the other a clear message, and stock never goes below zero.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core import crypto
from fangyi.core.audit import Actor
from fangyi.core.identity import IdentityError, normalize_phone
from fangyi.core.models import Alert, AlertKind
from fangyi.core.services import raise_alert, require_in_jurisdiction, require_permission
from fangyi.supplies.models import (
    OPEN_REQUISITION,
    Batch,
    Donation,
    DonorKind,
    Item,
    Movement,
    OperationKind,
    Requisition,
    RequisitionLine,
    RequisitionStatus,
    Source,
    StockLevel,
    StockOperation,
    Store,
    StoreKind,
)

# A batch expiring within this many days is warned about (and shown first when issuing).
EXPIRY_WARNING_DAYS = 30


# Quantities ---------------------------------------------------------------------------------


def parse_quantity(item: Item, value: object, *, allow_zero: bool = False) -> Decimal:
    """A quantity of `item` as typed ("200", "1.5"): positive, whole for countable items."""
    text = str(value if value is not None else "").strip()
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        raise ValidationError(
            _("%(item)s: %(value)s is not a quantity") % {"item": item, "value": text or "—"}
        ) from None
    if not quantity.is_finite():
        raise ValidationError(
            _("%(item)s: %(value)s is not a quantity") % {"item": item, "value": text}
        )
    if quantity < 0 or (quantity == 0 and not allow_zero):
        raise ValidationError(
            _("%(item)s: the quantity must be more than 0 (it is %(value)s)")
            % {"item": item, "value": text}
        )
    if quantity >= Decimal("1e11"):
        raise ValidationError(_("%(item)s: %(value)s is too large") % {"item": item, "value": text})
    if item.countable and quantity != quantity.to_integral_value():
        raise ValidationError(
            _("%(item)s is counted in whole %(unit)s: %(value)s is not a whole number")
            % {"item": item, "unit": item.unit, "value": text}
        )
    if quantity != quantity.quantize(Decimal("0.001")):
        raise ValidationError(
            _("%(item)s: give at most 3 decimal places (%(value)s)") % {"item": item, "value": text}
        )
    return quantity


def format_quantity(quantity: Decimal | None) -> str:
    """ "1200", "2.5": no trailing zeros."""
    if quantity is None:
        return ""
    normal = quantity.normalize()
    return f"{normal:f}" if normal == normal.to_integral_value() else f"{normal:f}".rstrip("0")


# The catalogue and the stores ---------------------------------------------------------------


@transaction.atomic
def save_item(actor: Actor, item: Item) -> Item:
    """Add an item to the catalogue or change one (the catalogue is the county's)."""
    require_permission(actor, "supplies.change_item" if item.pk else "supplies.add_item")
    if item.pk and Movement.objects.filter(item=item).exists():
        stored = Item.objects.get(pk=item.pk)
        if stored.unit != item.unit:
            raise ValidationError(
                {
                    "unit": _("stock has been counted in %(unit)s: the unit cannot change")
                    % {"unit": stored.unit}
                }
            )
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def save_store(actor: Actor, store: Store) -> Store:
    require_permission(actor, "supplies.change_store" if store.pk else "supplies.add_store")
    if store.kind == StoreKind.CHECKPOINT:
        if store.checkpoint is None:
            raise ValidationError({"checkpoint": _("choose the checkpoint")})
        store.jurisdiction_id = store.checkpoint.jurisdiction_id
    require_in_jurisdiction(actor, store.jurisdiction_id)
    if store.pk:  # and it was ours before the change
        stored = Store.objects.filter(pk=store.pk).values_list("jurisdiction_id", flat=True).first()
        require_in_jurisdiction(actor, stored or store.jurisdiction_id)
    level = len(store.jurisdiction_id)
    if store.kind == StoreKind.WAREHOUSE and level != 9:
        raise ValidationError({"jurisdiction": _("a town warehouse belongs to a town")})
    if store.kind == StoreKind.VILLAGE and level != 12:
        raise ValidationError({"jurisdiction": _("a village store belongs to a village")})
    store.full_clean()
    store.save()
    return store


# Receiving ----------------------------------------------------------------------------------


@dataclass
class ReceivedLine:
    item: Item
    quantity: object  # as typed; checked by parse_quantity
    batch_number: str = ""
    expires_on: date | None = None
    maker: str = ""


def _operation(actor: Actor, kind: str, store: Store, **fields) -> StockOperation:
    return StockOperation.objects.create(
        kind=kind,
        store=store,
        jurisdiction_id=store.jurisdiction_id,
        actor=actor.user,
        actor_username=actor.username,
        **fields,
    )


def _add_to_level(store: Store, batch: Batch, quantity: Decimal) -> None:
    """Add stock of a batch to a store, creating its row the first time (safely when another
    transaction creates it at the same moment)."""
    for _attempt in range(2):
        if StockLevel.objects.filter(store=store, batch=batch).update(
            quantity=F("quantity") + quantity
        ):
            return
        try:
            with transaction.atomic():
                StockLevel.objects.create(
                    store=store,
                    batch=batch,
                    item_id=batch.item_id,
                    jurisdiction_id=store.jurisdiction_id,
                    quantity=quantity,
                )
            return
        except IntegrityError:
            continue  # created meanwhile: add to it
    raise IntegrityError(f"stock level for {store.pk}/{batch.pk}")


def _check_lines(lines: Iterable, problems: list[str]) -> list:
    checked = []
    for line in lines:
        try:
            line.quantity = parse_quantity(line.item, line.quantity)
        except ValidationError as error:
            problems.extend(error.messages)
        else:
            checked.append(line)
    return checked


@transaction.atomic
def receive_stock(
    actor: Actor,
    store: Store,
    lines: list[ReceivedLine],
    *,
    source: str,
    reason: str = "",
    donation: Donation | None = None,
    at: datetime | None = None,
) -> StockOperation:
    """Stock in: each line becomes a batch received into `store`. Every problem is reported
    at once and nothing is written unless all lines are good."""
    require_permission(actor, "supplies.receive_stock")
    require_in_jurisdiction(actor, store.jurisdiction_id)
    if source not in Source.values:
        raise ValidationError(_("say where the stock comes from"))
    if not lines:
        raise ValidationError(_("add at least one item"))
    problems: list[str] = []
    good = _check_lines(lines, problems)
    at = at or timezone.now()
    seen_items = defaultdict(int)
    for line in good:
        seen_items[(line.item.pk, line.batch_number)] += 1
        if not line.item.active:
            problems.append(_("%(item)s is no longer in use") % {"item": line.item})
        if line.expires_on and line.expires_on < timezone.localdate(at):
            problems.append(
                _("%(item)s: the batch expired on %(day)s and cannot be taken into stock")
                % {"item": line.item, "day": line.expires_on.isoformat()}
            )
    if any(count > 1 for count in seen_items.values()):
        problems.append(
            _("the same item and batch number is listed twice: add them up in one line")
        )
    if problems:
        raise ValidationError(problems)
    operation = _operation(
        actor,
        OperationKind.RECEIVE,
        store,
        source=source,
        reason=reason[:200],
        donation=donation,
        at=at,
    )
    for line in good:
        batch = Batch.objects.create(
            item=line.item,
            number=line.batch_number[:40],
            expires_on=line.expires_on,
            maker=line.maker[:100],
            source=source,
            donation=donation,
            received_at=at,
        )
        Movement.objects.create(
            operation=operation,
            store=store,
            item=line.item,
            batch=batch,
            jurisdiction_id=store.jurisdiction_id,
            quantity=line.quantity,
            at=at,
        )
        _add_to_level(store, batch, line.quantity)
    return operation


# Taking stock out ---------------------------------------------------------------------------


@dataclass
class WantedLine:
    item: Item
    quantity: object


def available(store: Store, item: Item, on: date | None = None) -> Decimal:
    """What can be issued of `item` from `store` now: stock in batches not expired."""
    on = on or timezone.localdate()
    total = (
        StockLevel.objects.filter(store=store, item=item, quantity__gt=0)
        .exclude(batch__expires_on__lt=on)
        .aggregate(total=Sum("quantity"))["total"]
    )
    return total or Decimal(0)


def _take(store: Store, wanted: list[WantedLine], on: date) -> list[tuple[StockLevel, Decimal]]:
    """Lock the store's stock of the wanted items (in the lock order: store, item, row) and choose
    the batches to take from, first expiring first. Raises ValidationError naming every item
    short, expired stock said apart."""
    items = sorted({line.item.pk for line in wanted})
    levels = list(
        StockLevel.objects.select_for_update()
        .filter(store=store, item_id__in=items, quantity__gt=0)
        .select_related("batch", "item")
        .order_by("store_id", "item_id", "pk")
    )
    by_item: dict[int, list[StockLevel]] = defaultdict(list)
    for level in levels:
        by_item[level.item_id].append(level)
    taken: list[tuple[StockLevel, Decimal]] = []
    problems: list[str] = []
    for line in wanted:
        usable = [
            lv
            for lv in by_item[line.item.pk]
            if not (lv.batch.expires_on and lv.batch.expires_on < on)
        ]
        expired = sum((lv.quantity for lv in by_item[line.item.pk] if lv not in usable), Decimal(0))
        usable.sort(key=lambda lv: (lv.batch.expires_on or date.max, lv.batch.received_at, lv.pk))
        have = sum((lv.quantity for lv in usable), Decimal(0))
        if have < line.quantity:
            message = _("%(item)s: %(wanted)s %(unit)s asked for, only %(have)s in %(store)s") % {
                "item": line.item,
                "wanted": format_quantity(line.quantity),
                "unit": line.item.unit,
                "have": format_quantity(have),
                "store": store,
            }
            if expired:
                message += _(" (%(expired)s more are expired and may not be issued)") % {
                    "expired": format_quantity(expired)
                }
            problems.append(message)
            continue
        left = line.quantity
        for level in usable:
            if left <= 0:
                break
            part = min(left, level.quantity)
            taken.append((level, part))
            level.quantity -= part  # a second line of the same item sees what is left
            left -= part
    if problems:
        raise ValidationError(problems)
    return taken


def _take_from(level: StockLevel, quantity: Decimal) -> None:
    """The guarded decrement: never below zero, even if the lock were missing."""
    if not StockLevel.objects.filter(pk=level.pk, quantity__gte=quantity).update(
        quantity=F("quantity") - quantity
    ):
        raise ValidationError(_("the stock changed while this was being issued: try again"))


def _merged_lines(lines: list[WantedLine]) -> list[WantedLine]:
    problems: list[str] = []
    good = _check_lines(lines, problems)
    if problems:
        raise ValidationError(problems)
    if not good:
        raise ValidationError(_("add at least one item"))
    merged: dict[int, WantedLine] = {}
    for line in good:
        if line.item.pk in merged:
            merged[line.item.pk].quantity += line.quantity
        else:
            merged[line.item.pk] = WantedLine(line.item, line.quantity)
    return list(merged.values())


def _move_out(
    operation: StockOperation, store: Store, taken: list[tuple[StockLevel, Decimal]]
) -> None:
    for level, quantity in taken:
        _take_from(level, quantity)
        Movement.objects.create(
            operation=operation,
            store=store,
            item_id=level.item_id,
            batch_id=level.batch_id,
            jurisdiction_id=store.jurisdiction_id,
            quantity=-quantity,
            at=operation.at,
        )


@transaction.atomic
def issue_stock(
    actor: Actor,
    store: Store,
    lines: list[WantedLine],
    *,
    recipient: str,
    reason: str = "",
    at: datetime | None = None,
) -> StockOperation:
    """Stock out for use (领用): to a team or a person, out of the stock system."""
    require_permission(actor, "supplies.issue_stock")
    require_in_jurisdiction(actor, store.jurisdiction_id)
    recipient = recipient.strip()
    if not recipient:
        raise ValidationError({"recipient": _("say who receives the items (a team or a person)")})
    wanted = _merged_lines(lines)
    at = at or timezone.now()
    taken = _take(store, wanted, timezone.localdate(at))
    operation = _operation(
        actor, OperationKind.ISSUE, store, recipient=recipient[:100], reason=reason[:200], at=at
    )
    _move_out(operation, store, taken)
    _alert_if_low(store, [line.item for line in wanted])
    return operation


def _transfer(
    actor: Actor,
    from_store: Store,
    to_store: Store,
    wanted: list[WantedLine],
    *,
    reason: str,
    requisition: Requisition | None,
    at: datetime,
) -> StockOperation:
    if from_store.pk == to_store.pk:
        raise ValidationError({"to_store": _("a transfer goes to another store")})
    if not to_store.active:
        raise ValidationError({"to_store": _("%(store)s is closed") % {"store": to_store}})
    # Both stores' rows of these items, in the one lock order (store, item, row): two transfers
    # in opposite directions then wait for each other instead of deadlocking.
    list(
        StockLevel.objects.select_for_update()
        .filter(store__in=[from_store, to_store], item_id__in=[line.item.pk for line in wanted])
        .order_by("store_id", "item_id", "pk")
        .values_list("pk", flat=True)
    )
    taken = _take(from_store, wanted, timezone.localdate(at))
    operation = _operation(
        actor,
        OperationKind.TRANSFER,
        from_store,
        to_store=to_store,
        reason=reason[:200],
        requisition=requisition,
        at=at,
    )
    _move_out(operation, from_store, taken)
    for level, quantity in taken:
        Movement.objects.create(
            operation=operation,
            store=to_store,
            item_id=level.item_id,
            batch_id=level.batch_id,
            jurisdiction_id=to_store.jurisdiction_id,
            quantity=quantity,
            at=at,
        )
        _add_to_level(to_store, level.batch, quantity)
    _alert_if_low(from_store, [line.item for line in wanted])
    return operation


@transaction.atomic
def transfer_stock(
    actor: Actor,
    from_store: Store,
    to_store: Store,
    lines: list[WantedLine],
    *,
    reason: str = "",
    at: datetime | None = None,
) -> StockOperation:
    """Move stock between two stores of the actor's jurisdiction (batches keep their identity)."""
    require_permission(actor, "supplies.issue_stock")
    require_in_jurisdiction(actor, from_store.jurisdiction_id)
    require_in_jurisdiction(actor, to_store.jurisdiction_id)
    return _transfer(
        actor,
        from_store,
        to_store,
        _merged_lines(lines),
        reason=reason,
        requisition=None,
        at=at or timezone.now(),
    )


@transaction.atomic
def adjust_stock(
    actor: Actor,
    store: Store,
    batch: Batch,
    counted: object,
    *,
    reason: str,
    at: datetime | None = None,
) -> StockOperation | None:
    """A stocktake of one batch in one store: the ledger gets the difference to what was
    counted, with the reason. Nothing is written when the count matches. `at` (default now)
    is when it was counted, for a stocktake entered afterwards."""
    require_permission(actor, "supplies.adjust_stock")
    require_in_jurisdiction(actor, store.jurisdiction_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("give the reason for the difference")})
    counted_quantity = parse_quantity(batch.item, counted, allow_zero=True)
    level = StockLevel.objects.select_for_update().filter(store=store, batch=batch).first()
    current = level.quantity if level else Decimal(0)
    difference = counted_quantity - current
    if difference == 0:
        return None
    operation = _operation(
        actor, OperationKind.ADJUST, store, reason=reason[:200], at=at or timezone.now()
    )
    Movement.objects.create(
        operation=operation,
        store=store,
        item_id=batch.item_id,
        batch=batch,
        jurisdiction_id=store.jurisdiction_id,
        quantity=difference,
        at=operation.at,
    )
    if difference > 0:
        _add_to_level(store, batch, difference)
    else:
        _take_from(level, -difference)
    _alert_if_low(store, [batch.item])
    return operation


# Requisitions -------------------------------------------------------------------------------


@transaction.atomic
def submit_requisition(
    actor: Actor,
    store: Store,
    lines: list[WantedLine],
    *,
    purpose: str,
    needed_by: date | None = None,
    at: datetime | None = None,
) -> Requisition:
    """A village or checkpoint store asks the town for items (at `at`, default now: the
    requisition steps take `at` for what is entered afterwards from paper)."""
    require_permission(actor, "supplies.add_requisition")
    require_in_jurisdiction(actor, store.jurisdiction_id)
    if store.kind == StoreKind.WAREHOUSE:
        raise ValidationError({"store": _("the town warehouse does not ask itself for items")})
    purpose = purpose.strip()
    problems = [] if purpose else [_("say what the items are for")]
    try:
        wanted = _merged_lines(lines)
    except ValidationError as error:
        problems.extend(error.messages)
        wanted = []
    at = at or timezone.now()
    if needed_by and needed_by < timezone.localdate(at):
        problems.append(_("the date needed by is in the past"))
    if problems:
        raise ValidationError(problems)
    requisition = Requisition.objects.create(
        store=store,
        purpose=purpose[:200],
        needed_by=needed_by,
        requested_by=actor.user,
        created_at=at,
    )
    RequisitionLine.objects.bulk_create(
        RequisitionLine(requisition=requisition, item=line.item, requested=line.quantity)
        for line in wanted
    )
    return requisition


def _locked_requisition(requisition: Requisition) -> Requisition:
    return Requisition.objects.select_for_update().select_related("store").get(pk=requisition.pk)


def _require_town_of(actor: Actor, requisition: Requisition) -> None:
    require_permission(actor, "supplies.approve_requisition")
    require_in_jurisdiction(actor, requisition.store.town_code)
    user = actor.user
    if user is not None and user.jurisdiction_id and len(user.jurisdiction_id) > 9:
        raise PermissionDenied(_("the town decides on requisitions"))


@transaction.atomic
def decide_requisition(
    actor: Actor,
    requisition: Requisition,
    *,
    approved: dict[int, object],
    from_store: Store,
    note: str = "",
    at: datetime | None = None,
) -> Requisition:
    """The town approves each line fully, partly or not at all (`approved`: line id → quantity).

    Nothing approved is a rejection and needs a reason. An approval above what `from_store`
    can issue now is refused, line by line."""
    requisition = _locked_requisition(requisition)
    _require_town_of(actor, requisition)
    if requisition.status != RequisitionStatus.SUBMITTED:
        raise ValidationError(
            _("this requisition is %(status)s already")
            % {"status": requisition.get_status_display()}
        )
    if (
        from_store.kind != StoreKind.WAREHOUSE
        or from_store.town_code != requisition.store.town_code
    ):
        raise ValidationError({"from_store": _("issue from the town's own warehouse")})
    at = at or timezone.now()
    on_day = timezone.localdate(at)
    lines = list(requisition.lines.select_related("item").order_by("item_id"))
    problems: list[str] = []
    amounts: dict[int, Decimal] = {}
    for line in lines:
        raw = approved.get(line.pk, 0)
        try:
            amount = parse_quantity(line.item, raw, allow_zero=True)
        except ValidationError as error:
            problems.extend(error.messages)
            continue
        if amount > line.requested:
            problems.append(
                _("%(item)s: %(approved)s approved is more than the %(asked)s asked for")
                % {
                    "item": line.item,
                    "approved": format_quantity(amount),
                    "asked": format_quantity(line.requested),
                }
            )
        elif amount and amount > (have := available(from_store, line.item, on_day)):
            problems.append(
                _("%(item)s: %(approved)s approved, only %(have)s can be issued from %(store)s")
                % {
                    "item": line.item,
                    "approved": format_quantity(amount),
                    "have": format_quantity(have),
                    "store": from_store,
                }
            )
        amounts[line.pk] = amount
    note = note.strip()
    if not problems and not any(amounts.values()) and not note:
        problems.append(_("give the reason for rejecting the requisition"))
    if problems:
        raise ValidationError(problems)
    for line in lines:
        line.approved = amounts[line.pk]
        line.save(update_fields=["approved"])
    requisition.status = (
        RequisitionStatus.APPROVED if any(amounts.values()) else RequisitionStatus.REJECTED
    )
    requisition.from_store = from_store
    requisition.decided_by, requisition.decided_at = actor.user, at
    requisition.decision_note = note[:200]
    requisition.save(
        update_fields=[
            "status",
            "from_store",
            "decided_by",
            "decided_at",
            "decision_note",
            "updated_at",
        ]
    )
    return requisition


@transaction.atomic
def issue_requisition(
    actor: Actor, requisition: Requisition, *, at: datetime | None = None
) -> StockOperation:
    """Issue what was approved: a transfer from the town warehouse into the asking store."""
    requisition = _locked_requisition(requisition)
    _require_town_of(actor, requisition)
    if requisition.status != RequisitionStatus.APPROVED:
        raise ValidationError(
            _("only an approved requisition is issued (this one is %(status)s)")
            % {"status": requisition.get_status_display()}
        )
    lines = [line for line in requisition.lines.select_related("item") if line.approved]
    operation = _transfer(
        actor,
        requisition.from_store,
        requisition.store,
        [WantedLine(line.item, line.approved) for line in lines],
        reason=_("requisition: %(purpose)s") % {"purpose": requisition.purpose},
        requisition=requisition,
        at=at or timezone.now(),
    )
    for line in lines:
        line.issued = line.approved
        line.save(update_fields=["issued"])
    requisition.status = RequisitionStatus.ISSUED
    requisition.issued_at = operation.at
    requisition.save(update_fields=["status", "issued_at", "updated_at"])
    return operation


@transaction.atomic
def confirm_receipt(
    actor: Actor, requisition: Requisition, *, at: datetime | None = None
) -> Requisition:
    """The asking store confirms the issued items arrived."""
    requisition = _locked_requisition(requisition)
    require_permission(actor, "supplies.change_requisition")
    require_in_jurisdiction(actor, requisition.store.jurisdiction_id)
    if requisition.status == RequisitionStatus.RECEIVED:
        return requisition
    if requisition.status != RequisitionStatus.ISSUED:
        raise ValidationError(_("the items have not been issued yet"))
    requisition.status = RequisitionStatus.RECEIVED
    requisition.received_at, requisition.received_by = at or timezone.now(), actor.user
    requisition.save(update_fields=["status", "received_at", "received_by", "updated_at"])
    return requisition


@transaction.atomic
def withdraw_requisition(actor: Actor, requisition: Requisition) -> Requisition:
    requisition = _locked_requisition(requisition)
    require_permission(actor, "supplies.change_requisition")
    require_in_jurisdiction(actor, requisition.store.jurisdiction_id)
    if requisition.status not in OPEN_REQUISITION:
        raise ValidationError(
            _("this requisition is %(status)s: it can no longer be withdrawn")
            % {"status": requisition.get_status_display()}
        )
    requisition.status = RequisitionStatus.CANCELLED
    requisition.save(update_fields=["status", "updated_at"])
    return requisition


# Donations ----------------------------------------------------------------------------------


def _next_receipt_number(received_at: datetime) -> str:
    """JZ20200203-007: the day's receipts numbered in order (numbers, not text: -1000 follows
    -999)."""
    prefix = f"JZ{timezone.localtime(received_at):%Y%m%d}-"
    numbers = Donation.objects.filter(receipt_number__startswith=prefix).values_list(
        "receipt_number", flat=True
    )
    return f"{prefix}{max((int(n.rsplit('-', 1)[1]) for n in numbers), default=0) + 1:03d}"


def _create_donation(**fields) -> Donation:
    """Insert with the next receipt number; two donations received at the same moment collide
    on the unique number, and the second takes the one after."""
    for _attempt in range(5):
        fields["receipt_number"] = _next_receipt_number(fields["received_at"])
        try:
            with transaction.atomic():
                return Donation.objects.create(**fields)
        except IntegrityError:
            continue
    raise ValidationError(_("too many donations are being received at once: try again"))


@transaction.atomic
def receive_donation(
    actor: Actor,
    store: Store,
    *,
    donor_name: str,
    donor_kind: str,
    lines: list[ReceivedLine],
    contact_name: str = "",
    contact_phone: str = "",
    anonymous: bool = False,
    money: object = None,
    note: str = "",
    received_at: datetime | None = None,
) -> Donation:
    """A gift of items and/or money: items are received into `store` as donated batches."""
    require_permission(actor, "supplies.add_donation")
    require_in_jurisdiction(actor, store.jurisdiction_id)
    problems: dict[str, list[str]] = defaultdict(list)
    donor_name = " ".join(donor_name.split())
    if not donor_name:
        problems["donor_name"].append(
            _(
                "give the donor's name: it goes on the receipt (tick 'not named in public'"
                " to keep it off the thank-you list)"
            )
        )
    if donor_kind not in DonorKind.values:
        problems["donor_kind"].append(_("say whether the donor is a person or a company"))
    phone = ""
    if contact_phone.strip():
        try:
            phone = normalize_phone(contact_phone)
        except IdentityError as error:
            problems["contact_phone"].append(str(error))
    amount = None
    if money not in (None, ""):
        try:
            amount = Decimal(str(money).strip())
        except InvalidOperation:
            amount = None
            problems["money"].append(_("%(value)s is not an amount of money") % {"value": money})
        else:
            if amount.is_finite() and amount >= Decimal("1e10"):
                problems["money"].append(_("the amount is too large: check it"))
            elif (
                not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01"))
            ):
                problems["money"].append(_("give the amount in yuan, more than 0, to the fen"))
    if not lines and amount is None and not problems["money"]:
        problems["__all__"].append(_("a donation is of items or money: add at least one"))
    _check_lines(lines, problems["__all__"])  # receive_stock checks them again, all good then
    if any(problems.values()):
        raise ValidationError({key: value for key, value in problems.items() if value})
    received_at = received_at or timezone.now()
    donation = _create_donation(
        donor_name=donor_name[:100],
        donor_kind=donor_kind,
        contact_name=contact_name.strip()[:50],
        contact_phone_cipher=crypto.encrypt(phone, "phone") if phone else None,
        anonymous=anonymous,
        money=amount,
        store=store,
        received_at=received_at,
        note=note.strip()[:200],
        received_by=actor.user,
    )
    if lines:
        receive_stock(
            actor,
            store,
            lines,
            source=Source.DONATED,
            reason=_("donation %(number)s from %(donor)s")
            % {"number": donation.receipt_number, "donor": donation.public_name},
            donation=donation,
            at=received_at,
        )
    return donation


# Alerts -------------------------------------------------------------------------------------


def _open_alert_links(kind: str) -> set[str]:
    return set(Alert.objects.open().filter(kind=kind).values_list("link", flat=True))


def store_link(store: Store, item: Item | None = None) -> str:
    link = f"/supplies/stores/{store.pk}/"
    return f"{link}?item={item.pk}" if item else link


def _raise_if_low(store: Store, item: Item, have: Decimal, open_links: set[str]) -> int:
    """Raise a low-stock alert when `have` is under the item's threshold, unless one is open."""
    link = store_link(store, item)
    if item.warning_threshold <= 0 or have >= item.warning_threshold or link in open_links:
        return 0
    raise_alert(
        AlertKind.LOW_STOCK,
        jurisdiction=store.jurisdiction,
        message=_("%(store)s: %(item)s down to %(have)s %(unit)s (warning at %(threshold)s)")
        % {
            "store": store,
            "item": item,
            "have": format_quantity(have),
            "unit": item.unit,
            "threshold": format_quantity(item.warning_threshold),
        },
        link=link,
    )
    open_links.add(link)
    return 1


def _alert_if_low(store: Store, items: Iterable[Item]) -> int:
    """After a write took stock: a low-stock alert for each item now under its threshold in
    `store` (one open alert per store and item)."""
    items = [item for item in items if item.warning_threshold > 0]
    if not items:
        return 0
    open_links = _open_alert_links(AlertKind.LOW_STOCK)
    return sum(_raise_if_low(store, item, available(store, item), open_links) for item in items)


def sweep_supplies(now: datetime | None = None) -> int:
    """Raise the alerts nobody's write raised: stock under threshold and batches near expiry.
    Returns how many alerts were raised. Run by `fangyi supplies-sweep`. A fixed number of
    queries, whatever the number of stores (plus one insert per alert raised)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    raised = 0
    levels = (
        StockLevel.objects.filter(quantity__gt=0, batch__expires_on__isnull=False)
        .filter(batch__expires_on__lte=today + timedelta(days=EXPIRY_WARNING_DAYS))
        .select_related("store", "store__jurisdiction", "batch", "item")
    )
    with transaction.atomic():
        open_links = _open_alert_links(AlertKind.EXPIRING)
        for level in levels:
            link = f"{store_link(level.store)}?batch={level.batch_id}"
            if link in open_links:
                continue
            expired = level.batch.expires_on < today
            template = (
                _(
                    "%(store)s: %(quantity)s %(unit)s of %(item)s (batch %(batch)s) expired on"
                    " %(day)s"
                )
                if expired
                else _(
                    "%(store)s: %(quantity)s %(unit)s of %(item)s (batch %(batch)s) expire on"
                    " %(day)s"
                )
            )
            raise_alert(
                AlertKind.EXPIRING,
                jurisdiction=level.store.jurisdiction,
                message=template
                % {
                    "store": level.store,
                    "quantity": format_quantity(level.quantity),
                    "unit": level.item.unit,
                    "item": level.item,
                    "batch": level.batch.number or "—",
                    "day": level.batch.expires_on.isoformat(),
                },
                link=link,
            )
            open_links.add(link)
            raised += 1
        thresholds = {
            item.pk: item for item in Item.objects.filter(warning_threshold__gt=0, active=True)
        }
        usable: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        for store_id, item_id, total in (
            StockLevel.objects.filter(item_id__in=thresholds, store__active=True)
            .exclude(batch__expires_on__lt=today)
            .values_list("store_id", "item_id")
            .annotate(total=Sum("quantity"))
            .order_by()
        ):
            usable[(store_id, item_id)] = total
        stocked = {store_id for store_id, _item in usable}
        # A store that held an item once and has none usable now (all used or expired) is low.
        for store_id, item_id in (
            StockLevel.objects.filter(item_id__in=thresholds, store__active=True)
            .values_list("store_id", "item_id")
            .distinct()
        ):
            usable.setdefault((store_id, item_id), Decimal(0))
            stocked.add(store_id)
        stores = Store.objects.filter(pk__in=stocked).select_related("jurisdiction").in_bulk()
        low_links = _open_alert_links(AlertKind.LOW_STOCK)
        for (store_id, item_id), have in sorted(usable.items()):
            raised += _raise_if_low(stores[store_id], thresholds[item_id], have, low_links)
    return raised
