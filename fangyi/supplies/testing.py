"""Test-data builders for supplies: an item, stores, stock received."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from fangyi.checkpoints.models import Checkpoint
from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction
from fangyi.supplies import services
from fangyi.supplies.models import (
    Item,
    ItemCategory,
    Source,
    StockOperation,
    Store,
    StoreKind,
    Unit,
)

SYSTEM = Actor.system("test")


def make_item(
    name: str = "医用外科口罩",
    unit: str = Unit.PIECE,
    category: str = ItemCategory.PROTECTION,
    threshold: int | str = 0,
    specification: str = "",
) -> Item:
    return services.save_item(
        SYSTEM,
        Item(
            name=name,
            unit=unit,
            category=category,
            specification=specification,
            warning_threshold=Decimal(threshold),
        ),
    )


def make_store(
    jurisdiction: Jurisdiction, name: str = "", checkpoint: Checkpoint | None = None
) -> Store:
    """The town's warehouse for a town, a village store for a village, a checkpoint's store
    when `checkpoint` is given."""
    if checkpoint is not None:
        kind = StoreKind.CHECKPOINT
    else:
        kind = StoreKind.WAREHOUSE if len(jurisdiction.code) == 9 else StoreKind.VILLAGE
    default = {StoreKind.WAREHOUSE: "物资仓库", StoreKind.VILLAGE: "物资点"}.get(kind, "卡点")
    return services.save_store(
        SYSTEM,
        Store(
            name=name or f"{jurisdiction.name}{default}",
            kind=kind,
            jurisdiction=jurisdiction,
            checkpoint=checkpoint,
        ),
    )


def stock(
    store: Store,
    item: Item,
    quantity: int | str,
    expires_on: date | None = None,
    batch_number: str = "",
    source: str = Source.BOUGHT,
    actor: Actor = SYSTEM,
) -> StockOperation:
    at = None
    if expires_on and expires_on < timezone.localdate():
        # Stock cannot be received expired: this batch came in before it expired.
        at = timezone.make_aware(datetime.combine(expires_on - timedelta(days=30), time(9)))
    return services.receive_stock(
        actor,
        store,
        [services.ReceivedLine(item, quantity, batch_number=batch_number, expires_on=expires_on)],
        source=source,
        at=at,
    )
