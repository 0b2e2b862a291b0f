"""Reads for the stock and requisition pages: the stock overview (every store × item of the
user's jurisdiction in a fixed handful of queries, whatever the size), what a store can issue
now, a store's batches on hand. Always scoped through `visible_to`."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from django.db.models import Q, Sum

from fangyi.supplies.models import Item, StockLevel, Store
from fangyi.supplies.selectors import COVER_WINDOW_DAYS, days_of_cover
from fangyi.supplies.services import EXPIRY_WARNING_DAYS, format_quantity

# Under this many days of cover a store is understocked (DHIS2's commodities rule).
UNDERSTOCK_DAYS = 30


@dataclass
class StockCell:
    """One item in one store, as the overview shows it."""

    item: Item
    on_hand: Decimal  # usable: not expired
    expired: Decimal
    expiring: Decimal  # usable, but expiring within EXPIRY_WARNING_DAYS
    used: Decimal  # in the last COVER_WINDOW_DAYS days
    days: Decimal | None  # days of cover; None when nothing was used

    @cached_property
    def shown(self) -> dict[str, str]:
        """The quantities as the page prints them ("1200", "2.5")."""
        return {
            "on_hand": format_quantity(self.on_hand),
            "expired": format_quantity(self.expired),
            "expiring": format_quantity(self.expiring),
            "used": format_quantity(self.used),
            "days": "" if self.days is None else format_quantity(self.days),
        }

    @property
    def below_threshold(self) -> bool:
        return self.item.warning_threshold > 0 and self.on_hand < self.item.warning_threshold

    @property
    def understocked(self) -> bool:
        return self.days is not None and self.days < UNDERSTOCK_DAYS

    @property
    def problem(self) -> bool:
        return bool(self.below_threshold or self.understocked or self.expired or self.expiring)


@dataclass
class StoreStock:
    store: Store
    cells: list[StockCell] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return sum(1 for cell in self.cells if cell.problem)


def _levels_by_key(stores, today: date) -> dict[tuple[int, int], tuple[Decimal, Decimal, Decimal]]:
    """(store, item) → (total, expired, expiring soon) from the cached levels: one GROUP BY.
    Pairs that were ever stocked are present, even when nothing is left."""
    soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    rows = (
        StockLevel.objects.filter(store__in=stores)
        .values_list("store_id", "item_id")
        .annotate(
            total=Sum("quantity"),
            expired=Sum("quantity", filter=Q(batch__expires_on__lt=today)),
            expiring=Sum(
                "quantity",
                filter=Q(batch__expires_on__gte=today, batch__expires_on__lte=soon),
            ),
        )
        .order_by()
    )
    return {
        (store_id, item_id): (total or Decimal(0), expired or Decimal(0), expiring or Decimal(0))
        for store_id, item_id, total, expired, expiring in rows
    }


def stock_overview(
    stores, *, category: str = "", only_problems: bool = False, today: date
) -> list[StoreStock]:
    """Each store of the queryset `stores` with its items: usable stock, expired stock apart,
    stock expiring soon, use over the last week and days of cover. Five queries."""
    store_list = list(
        stores.select_related("jurisdiction").order_by("jurisdiction_id", "kind", "name", "pk")
    )
    items = Item.objects.all()
    if category:
        items = items.filter(category=category)
    items_by_id = {item.pk: item for item in items}
    levels = _levels_by_key(stores, today)
    covers = days_of_cover(stores, today=today)
    per_store: dict[int, list[StockCell]] = defaultdict(list)
    for key in levels.keys() | covers.keys():
        store_id, item_id = key
        item = items_by_id.get(item_id)
        if item is None:
            continue
        total, expired, expiring = levels.get(key, (Decimal(0), Decimal(0), Decimal(0)))
        cover = covers.get(key)
        used = cover.used if cover else Decimal(0)
        usable = total - expired
        per_day = used / COVER_WINDOW_DAYS
        days = (usable / per_day).quantize(Decimal("0.1")) if per_day else None
        cell = StockCell(item, usable, expired, expiring, used, days)
        if only_problems and not cell.problem:
            continue
        per_store[store_id].append(cell)
    overview = []
    for store in store_list:
        cells = per_store.get(store.pk, [])
        if only_problems and not cells:
            continue
        cells.sort(key=lambda c: (c.item.category, c.item.name, c.item.specification))
        overview.append(StoreStock(store, cells))
    return overview


def issuable(store: Store, items, today: date) -> dict[int, Decimal]:
    """item id → what `store` can issue now (stock in batches not expired), for `items`: one
    query, where services.available would take one per item."""
    rows = (
        StockLevel.objects.filter(store=store, item__in=items, quantity__gt=0)
        .exclude(batch__expires_on__lt=today)
        .values_list("item_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {item_id: total for item_id, total in rows}


def stock_by_item(store: Store, today: date) -> list[tuple[Item, Decimal, Decimal]]:
    """The items `store` holds any of: (item, usable, expired), for the issue forms' choices."""
    rows = (
        StockLevel.objects.filter(store=store, quantity__gt=0)
        .values_list("item_id")
        .annotate(
            total=Sum("quantity"),
            expired=Sum("quantity", filter=Q(batch__expires_on__lt=today)),
        )
        .order_by()
    )
    totals = {item_id: (total, expired or Decimal(0)) for item_id, total, expired in rows}
    items = Item.objects.filter(pk__in=totals)
    return [(item, totals[item.pk][0] - totals[item.pk][1], totals[item.pk][1]) for item in items]


def batches_on_hand(store: Store):
    """The store's batches with stock, first expiring first, with their item and donation."""
    return (
        StockLevel.objects.filter(store=store, quantity__gt=0)
        .select_related("batch", "item", "batch__donation")
        .order_by("item__category", "item__name", "batch__expires_on", "pk")
    )
