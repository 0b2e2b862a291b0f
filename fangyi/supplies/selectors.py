"""Reads of the supplies domain, always scoped: stock on hand, days of cover, where a
donation went."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from fangyi.supplies.models import Movement, OperationKind, StockLevel


def stock_on_hand(stores) -> dict[tuple[int, int], Decimal]:
    """(store id, item id) → quantity on hand, for the stores of the queryset `stores`, from
    the cached levels (one indexed GROUP BY)."""
    rows = (
        StockLevel.objects.filter(store__in=stores)
        .values_list("store_id", "item_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {(store_id, item_id): total for store_id, item_id, total in rows if total}


def stock_from_ledger(stores) -> dict[tuple[int, int], Decimal]:
    """The same figures summed from the movements themselves: what the cache must equal
    (`fangyi supplies-reconcile`) and the baseline the benchmark compares with."""
    rows = (
        Movement.objects.filter(store__in=stores)
        .values_list("store_id", "item_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {(store_id, item_id): total for store_id, item_id, total in rows if total}


@dataclass
class Cover:
    on_hand: Decimal
    used: Decimal  # in the last COVER_WINDOW_DAYS days
    days: Decimal | None  # None: nothing used, so no figure

    @property
    def understocked(self) -> bool:
        """DHIS2's commodities rule: under 30 days of average use."""
        return self.days is not None and self.days < 30


# Days of cover are counted from this many days of use.
COVER_WINDOW_DAYS = 7


def days_of_cover(
    stores, today: date | None = None, window: int = COVER_WINDOW_DAYS
) -> dict[tuple[int, int], Cover]:
    """(store id, item id) → usable stock (expired batches left out) and the days it lasts at
    the last `window` days' use (stock issued for use or transferred out of the store;
    stocktake losses do not count)."""
    today = today or timezone.localdate()
    since = timezone.make_aware(datetime.combine(today - timedelta(days=window - 1), time.min))
    used: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for store_id, item_id, total in (
        Movement.objects.filter(store__in=stores, at__gte=since, quantity__lt=0)
        .filter(Q(operation__kind=OperationKind.ISSUE) | Q(operation__kind=OperationKind.TRANSFER))
        .values_list("store_id", "item_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    ):
        used[(store_id, item_id)] = -total
    covers = {}
    usable = (
        StockLevel.objects.filter(store__in=stores, quantity__gt=0)
        .exclude(batch__expires_on__lt=today)
        .values_list("store_id", "item_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    for store_id, item_id, on_hand in usable:
        key = (store_id, item_id)
        per_day = used.get(key, Decimal(0)) / window
        days = (on_hand / per_day).quantize(Decimal("0.1")) if per_day else None
        covers[key] = Cover(on_hand, used.get(key, Decimal(0)), days)
    for key, amount in used.items():
        covers.setdefault(key, Cover(Decimal(0), amount, Decimal(0)))
    return covers
