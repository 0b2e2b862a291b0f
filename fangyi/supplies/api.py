"""The supplies API (mounted at /api/v1/ by fangyi/api.py): stock on hand, a store's movements,
requisitions from a village or checkpoint (ask, confirm receipt), and the public thank-you list.
Quantities are decimal strings without trailing zeros ("5000", "2.5").

The same scoping (`visible_to`) and services as the pages: a store or requisition outside the
user's jurisdiction is a 404, a role that may not do something a 403, and what the service
refuses a 422 naming each field (`__all__` for the whole request), in the request's language.
The thank-you list needs no login and is rate-limited like the public page.
"""

import json
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from fangyi.core.api_pages import pages_of
from fangyi.core.audit import Actor
from fangyi.supplies import donation_selectors, public_views, selectors, services
from fangyi.supplies.donation_selectors import plain
from fangyi.supplies.models import (
    Item,
    Movement,
    Requisition,
    Store,
    StoreKind,
)
from fangyi.supplies.services import WantedLine

router = Router(tags=["supplies"])

PUBLIC_PAGE_SIZE = 50


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _field_errors(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {"detail": error.message_dict}
    return {"detail": {"__all__": error.messages}}


# Schemas -------------------------------------------------------------------------------------


class Message(Schema):
    detail: str


class FieldErrors(Schema):
    detail: dict[str, list[str]]


class StockStoreOut(Schema):
    id: int
    name: str
    kind: str
    jurisdiction: str


class StockItemOut(Schema):
    id: int
    name: str
    unit: str


class StockOut(Schema):
    """Each store and item once, then [store id, item id, quantity on hand] per figure: a
    county's 10,000 figures in about 150 KB."""

    stores: list[StockStoreOut]
    items: list[StockItemOut]
    on_hand: list[tuple[int, int, str]]


class MovementOut(Schema):
    id: int
    at: datetime
    kind: str
    kind_label: str
    item: int
    item_name: str
    unit: str
    batch: str
    expires_on: date | None
    quantity: Decimal
    other_store: str  # the store a transfer came from or went to
    recipient: str
    reason: str
    by: str

    @staticmethod
    def from_movement(movement: Movement) -> dict:
        operation = movement.operation
        other = ""
        if operation.to_store_id:
            other = (
                operation.to_store.name
                if operation.store_id == movement.store_id
                else operation.store.name
            )
        return {
            "id": movement.pk,
            "at": movement.at,
            "kind": operation.kind,
            "kind_label": str(operation.get_kind_display()),
            "item": movement.item_id,
            "item_name": str(movement.item),
            "unit": movement.item.unit,
            "batch": movement.batch.number,
            "expires_on": movement.batch.expires_on,
            "quantity": plain(movement.quantity),
            "other_store": other,
            "recipient": operation.recipient,
            "reason": operation.reason,
            "by": operation.actor_username,
        }


class WantedIn(Schema):
    item: int
    # A string or a number: "2.5" and 2.5 alike; the service says what is wrong with it.
    quantity: str | int | float


class RequisitionIn(Schema):
    store: int
    purpose: str = ""
    needed_by: date | None = None
    lines: list[WantedIn]


class RequisitionLineOut(Schema):
    id: int
    item: int
    item_name: str
    unit: str
    requested: Decimal
    approved: Decimal | None
    issued: Decimal


class RequisitionOut(Schema):
    id: int
    external_id: UUID
    store: int
    store_name: str
    status: str
    status_label: str
    purpose: str
    needed_by: date | None
    created_at: datetime
    issued_at: datetime | None
    received_at: datetime | None
    lines: list[RequisitionLineOut]

    @staticmethod
    def from_requisition(requisition: Requisition) -> dict:
        return {
            "id": requisition.pk,
            "external_id": requisition.external_id,
            "store": requisition.store_id,
            "store_name": requisition.store.name,
            "status": requisition.status,
            "status_label": str(requisition.get_status_display()),
            "purpose": requisition.purpose,
            "needed_by": requisition.needed_by,
            "created_at": requisition.created_at,
            "issued_at": requisition.issued_at,
            "received_at": requisition.received_at,
            "lines": [
                {
                    "id": line.pk,
                    "item": line.item_id,
                    "item_name": str(line.item),
                    "unit": line.item.unit,
                    "requested": plain(line.requested),
                    "approved": None if line.approved is None else plain(line.approved),
                    "issued": plain(line.issued),
                }
                for line in requisition.lines.select_related("item")
            ],
        }


class DonatedLineOut(Schema):
    item: str
    unit: str
    quantity: Decimal


class ThanksOut(Schema):
    id: UUID
    receipt_number: str
    name: str  # the donor's public name: 爱心人士 when not named in public
    donor_kind: str
    items: list[DonatedLineOut]
    money: Decimal | None
    day: date


class ThanksPageOut(Schema):
    town: str
    town_name: str
    count: int
    page: int
    pages: int
    items: list[ThanksOut]


# Stock ---------------------------------------------------------------------------------------


@router.get("/supplies/stock", response={200: StockOut, 422: FieldErrors})
def stock(request, kind: str = "", village: str = ""):
    """Stock on hand per store and item in the stores you may see; `kind` (warehouse, village,
    checkpoint) and `village` (a village or town code) narrow it. Quantities are strings
    ("5000", "2.5")."""
    _require(request, "supplies.view_store")
    if kind and kind not in StoreKind.values:
        return Status(
            422,
            {
                "detail": {
                    "kind": [_("choose one of: %(kinds)s") % {"kinds": ", ".join(StoreKind.values)}]
                }
            },
        )
    if village and not village.isdigit():
        return Status(422, {"detail": {"village": [_("give a division code (digits)")]}})
    stores = Store.objects.visible_to(request.user)
    if kind:
        stores = stores.filter(kind=kind)
    if village:
        stores = stores.within(village)
    levels = selectors.stock_on_hand(stores)
    store_rows = Store.objects.filter(pk__in={k[0] for k in levels}).order_by(
        "jurisdiction_id", "name", "pk"
    )
    item_rows = Item.objects.filter(pk__in={k[1] for k in levels}).order_by("pk")
    body = {
        "stores": [
            {"id": s.pk, "name": s.name, "kind": s.kind, "jurisdiction": s.jurisdiction_id}
            for s in store_rows
        ],
        "items": [{"id": i.pk, "name": str(i), "unit": i.unit} for i in item_rows],
        "on_hand": [
            [
                store_id,
                item_id,
                str(whole)
                if (whole := int(quantity)) == quantity
                else services.format_quantity(quantity),
            ]
            for (store_id, item_id), quantity in sorted(levels.items())
        ],
    }
    # Already the schema's shape: written out directly, since validating 10,000 figures
    # through the schema costs ten times the query (bench/supplies_stock.py).
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json")


@router.get("/supplies/stores/{int:store_id}/movements", response={200: list[MovementOut]})
@paginate(pages_of(MovementOut.from_movement), page_size=50)
def store_movements(request, store_id: int):
    """The store's ledger, newest first (50 a page): every receipt, issue, transfer in or out
    and stocktake, with its batch, recipient, reason and who did it."""
    _require(request, "supplies.view_store")
    store = Store.objects.visible_to(request.user).filter(pk=store_id).first()
    if store is None:
        raise HttpError(404, _("no such store in your jurisdiction"))
    return (
        Movement.objects.filter(store=store)
        .select_related("operation__store", "operation__to_store", "item", "batch")
        .order_by("-at", "-id")
    )


# Requisitions --------------------------------------------------------------------------------


@router.post(
    "/supplies/requisitions",
    response={201: RequisitionOut, 403: Message, 404: Message, 422: FieldErrors},
)
def create_requisition(request, payload: RequisitionIn):
    """Ask the town for items for a village or checkpoint store of yours."""
    _require(request, "supplies.add_requisition")
    store = Store.objects.visible_to(request.user).filter(pk=payload.store).first()
    if store is None:
        return Status(404, {"detail": _("no such store in your jurisdiction")})
    items = Item.objects.in_bulk({line.item for line in payload.lines})
    unknown = sorted({line.item for line in payload.lines} - set(items))
    if unknown:
        return Status(
            422,
            {"detail": {"lines": [_("no item with id %(id)s") % {"id": pk} for pk in unknown]}},
        )
    lines = [WantedLine(items[line.item], str(line.quantity)) for line in payload.lines]
    try:
        requisition = services.submit_requisition(
            Actor.from_request(request),
            store,
            lines,
            purpose=payload.purpose,
            needed_by=payload.needed_by,
        )
    except ValidationError as error:
        return Status(422, _field_errors(error))
    return Status(201, RequisitionOut.from_requisition(requisition))


@router.post(
    "/supplies/requisitions/{int:requisition_id}/receive",
    response={200: RequisitionOut, 403: Message, 404: Message, 422: FieldErrors},
)
def receive_requisition(request, requisition_id: int):
    """Confirm that the issued items arrived (twice is once); 422 when not issued yet."""
    _require(request, "supplies.change_requisition")
    requisition = (
        Requisition.objects.visible_to(request.user)
        .select_related("store")
        .filter(pk=requisition_id)
        .first()
    )
    if requisition is None:
        return Status(404, {"detail": _("no such requisition in your jurisdiction")})
    try:
        requisition = services.confirm_receipt(Actor.from_request(request), requisition)
    except ValidationError as error:
        return Status(422, _field_errors(error))
    return Status(200, RequisitionOut.from_requisition(requisition))


# The public thank-you list -------------------------------------------------------------------


@router.get(
    "/supplies/donations/public/{town}",
    auth=None,
    response={200: ThanksPageOut, 404: Message, 429: Message},
)
def public_thanks(request, town: str, page: int = 1):
    """No login: the town's donors as the public thank-you page lists them (public names,
    items, quantities, money, day; never a contact), newest first, 50 a page."""
    if public_views.limited(request):
        return Status(429, {"detail": _("too many requests from this network: try again later")})
    place = donation_selectors.public_town(town)
    if place is None:
        return Status(404, {"detail": _("not found")})
    paginator = Paginator(donation_selectors.town_donations(place), PUBLIC_PAGE_SIZE)
    shown = paginator.get_page(page)
    rows = donation_selectors.thanks_rows(shown.object_list)
    return Status(
        200,
        {
            "town": place.code,
            "town_name": place.name,
            "count": paginator.count,
            "page": shown.number,
            "pages": paginator.num_pages,
            "items": [
                {
                    "id": row.external_id,
                    "receipt_number": row.receipt_number,
                    "name": row.name,
                    "donor_kind": row.donor_kind,
                    "items": [
                        {"item": line.item, "unit": line.unit, "quantity": line.quantity}
                        for line in row.items
                    ],
                    "money": row.money,
                    "day": row.day,
                }
                for row in rows
            ],
        },
    )
