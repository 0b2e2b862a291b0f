"""Reads for the command post: a jurisdiction's figures on a day, their trend, the table by
sub-jurisdiction, and the few live figures kept in small tables (checkpoints open, stock).
Every figure comes from the rollups (`DailyFigure`), never from the raw tables."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from fangyi.checkpoints.models import Checkpoint, CheckpointStatus
from fangyi.command.figures import FIGURE_BY_KEY, FIGURES, Figure, FigureKind
from fangyi.command.models import DailyFigure, RollupRun
from fangyi.core.models import Alert, Jurisdiction, User
from fangyi.supplies.models import Item, Store
from fangyi.supplies.selectors import COVER_WINDOW_DAYS, days_of_cover

VILLAGE_CODE_LENGTH = 12  # county 6, town 9, village 12 digits; a group has 15


@dataclass(frozen=True)
class FigureValue:
    """A figure of one jurisdiction on one day.

    `value`: a flow's count that day, a level's or snapshot's count at the end of the day.
    `change`: against the day before (for a flow, the day's count minus the day before's).
    `total`: a flow's count from the first day up to this one (None for the others)."""

    figure: Figure
    value: int
    previous: int
    total: int | None

    @property
    def change(self) -> int:
        return self.value - self.previous

    @property
    def key(self) -> str:
        return self.figure.key


@dataclass
class Figures:
    """All figures of a jurisdiction on a day, with the series for the trend charts."""

    jurisdiction: Jurisdiction
    day: date
    values: dict[str, FigureValue]
    days: list[date]
    series: dict[str, list[int]]  # metric -> value on each of `days` (as read for its kind)

    def __getitem__(self, key: str) -> FigureValue:
        return self.values[key]

    def value(self, key: str) -> int:
        return self.values[key].value


def snapshot_day(day: date) -> date | None:
    """The day whose snapshot cells stand for `day`: the last day a rollup pass ran on, up to
    `day` (a pass writes the snapshot figures of its own day only)."""
    return (
        RollupRun.objects.filter(last_day__lte=day, finished_at__isnull=False)
        .order_by("-last_day")
        .values_list("last_day", flat=True)
        .first()
    )


def figures_for(jurisdiction: Jurisdiction, day: date, *, first: date | None = None) -> Figures:
    """Every figure of `jurisdiction` on `day` and the day before, and each one's series from
    `first` (default: the first day with figures) to `day`. One query."""
    cells: dict[str, dict[date, int]] = defaultdict(dict)
    for cell_day, metric, value in DailyFigure.objects.filter(
        jurisdiction=jurisdiction, day__lte=day
    ).values_list("day", "metric", "value"):
        cells[metric][cell_day] = value
    start = first or min((d for by_day in cells.values() for d in by_day), default=day)
    days = [start + timedelta(days=n) for n in range((day - start).days + 1)]
    snapshot_days = _snapshot_days(days)
    values: dict[str, FigureValue] = {}
    series: dict[str, list[int]] = {}
    for figure in FIGURES:
        by_day = cells.get(figure.key, {})
        line = _series(figure, by_day, days, snapshot_days)
        series[figure.key] = line
        previous_day = day - timedelta(days=1)
        values[figure.key] = FigureValue(
            figure=figure,
            value=line[-1] if line else 0,
            previous=_previous(figure, by_day, previous_day, snapshot_days, line),
            total=sum(by_day.values()) if figure.kind == FigureKind.FLOW else None,
        )
    return Figures(jurisdiction, day, values, days, series)


def _snapshot_days(days: list[date]) -> dict[date, date | None]:
    """For each day (and the day before the first), the pass day whose snapshot stands for it."""
    if not days:
        return {}
    runs = sorted(
        set(
            RollupRun.objects.filter(last_day__lte=days[-1], finished_at__isnull=False).values_list(
                "last_day", flat=True
            )
        )
    )
    mapping: dict[date, date | None] = {}
    latest: date | None = None
    index = 0
    for day in [days[0] - timedelta(days=1), *days]:
        while index < len(runs) and runs[index] <= day:
            latest = runs[index]
            index += 1
        mapping[day] = latest
    return mapping


def _series(
    figure: Figure,
    by_day: dict[date, int],
    days: list[date],
    snapshot_days: dict[date, date | None],
) -> list[int]:
    if figure.kind == FigureKind.FLOW:
        return [by_day.get(day, 0) for day in days]
    if figure.kind == FigureKind.SNAPSHOT:
        return [by_day.get(snapshot_days.get(day), 0) for day in days]
    running = sum(value for cell_day, value in by_day.items() if days and cell_day < days[0])
    line = []
    for day in days:
        running += by_day.get(day, 0)
        line.append(running)
    return line


def _previous(
    figure: Figure,
    by_day: dict[date, int],
    day: date,
    snapshot_days: dict[date, date | None],
    line: list[int],
) -> int:
    """The figure the day before. A snapshot with no pass before that day has no earlier value:
    it counts as unchanged rather than as risen from nothing."""
    if figure.kind == FigureKind.SNAPSHOT and snapshot_days.get(day) is None:
        return line[-1] if line else 0
    return _read(figure, by_day, day, snapshot_days)


def _read(
    figure: Figure, by_day: dict[date, int], day: date, snapshot_days: dict[date, date | None]
) -> int:
    if figure.kind == FigureKind.FLOW:
        return by_day.get(day, 0)
    if figure.kind == FigureKind.SNAPSHOT:
        return by_day.get(snapshot_days.get(day), 0)
    return sum(value for cell_day, value in by_day.items() if cell_day <= day)


@dataclass
class ChildRow:
    """One sub-jurisdiction's figures on the day, for the table by sub-jurisdiction."""

    jurisdiction: Jurisdiction | None  # None: rows held at the parent itself, in no child
    values: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)  # a flow's cumulative through the day


def children_table(jurisdiction: Jurisdiction, day: date) -> list[ChildRow]:
    """Each child of `jurisdiction` with every figure on `day` and its change against the day
    before; a last row for what is held at the parent itself (a town's own checkpoints), if
    any. One grouped query over the children's cells."""
    children = list(Jurisdiction.objects.filter(parent=jurisdiction).order_by("code"))
    yesterday = day - timedelta(days=1)
    snapshot_today, snapshot_yesterday = snapshot_day(day), snapshot_day(yesterday)
    codes = [child.code for child in children] + [jurisdiction.code]
    rows = (
        DailyFigure.objects.filter(jurisdiction_id__in=codes, day__lte=day)
        .values("jurisdiction_id", "metric")
        .annotate(
            total=Sum("value"),
            through_yesterday=Sum("value", filter=Q(day__lte=yesterday)),
            today=Sum("value", filter=Q(day=day)),
            yesterday=Sum("value", filter=Q(day=yesterday)),
            snapshot=Sum("value", filter=Q(day=snapshot_today)),
            snapshot_before=Sum("value", filter=Q(day=snapshot_yesterday)),
        )
        .order_by()
    )
    now: dict[str, dict[str, int]] = defaultdict(dict)
    before: dict[str, dict[str, int]] = defaultdict(dict)
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        figure = FIGURE_BY_KEY.get(row["metric"])
        if figure is None:
            continue
        if figure.kind == FigureKind.FLOW:
            value, previous = row["today"], row["yesterday"]
            totals[row["jurisdiction_id"]][figure.key] = row["total"] or 0
        elif figure.kind == FigureKind.LEVEL:
            value, previous = row["total"], row["through_yesterday"]
        else:
            value = row["snapshot"]
            # No pass before yesterday: no earlier snapshot, so unchanged (not risen from 0).
            previous = row["snapshot_before"] if snapshot_yesterday else value
        now[row["jurisdiction_id"]][figure.key] = value or 0
        before[row["jurisdiction_id"]][figure.key] = previous or 0
    table = []
    table = [
        _child_row(child, now[child.code], before[child.code], totals[child.code])
        for child in children
    ]

    def held_at_parent(by_code: dict[str, dict[str, int]]) -> dict[str, int]:
        return {
            key: value - sum(by_code[c.code].get(key, 0) for c in children)
            for key, value in by_code[jurisdiction.code].items()
        }

    own_now, own_before = held_at_parent(now), held_at_parent(before)
    if any(own_now.values()) or any(own_before.values()):
        table.append(_child_row(None, own_now, own_before, held_at_parent(totals)))
    return table


def _child_row(
    child: Jurisdiction | None,
    now: dict[str, int],
    before: dict[str, int],
    totals: dict[str, int],
) -> ChildRow:
    keys = set(now) | set(before)
    return ChildRow(
        jurisdiction=child,
        values={key: now.get(key, 0) for key in FIGURE_BY_KEY},
        changes={key: now.get(key, 0) - before.get(key, 0) for key in keys},
        totals={f.key: totals.get(f.key, 0) for f in FIGURES if f.kind == FigureKind.FLOW},
    )


# Live figures: small tables, read directly ---------------------------------------------------


def checkpoints_open(jurisdiction: Jurisdiction) -> dict[str, int]:
    """How many checkpoints in the jurisdiction are in each status (a few hundred rows at most)."""
    counts = dict(
        Checkpoint.objects.within(jurisdiction.code)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return {status.value: counts.get(status.value, 0) for status in CheckpointStatus}


@dataclass(frozen=True)
class StockLine:
    item: Item
    on_hand: Decimal
    used_per_day: Decimal
    days_of_cover: Decimal | None

    @property
    def low(self) -> bool:
        """Under the item's warning threshold (the rule of the supplies' low-stock alert)."""
        threshold = self.item.warning_threshold
        return threshold is not None and self.on_hand < threshold

    @property
    def understocked(self) -> bool:
        """Under 30 days of cover (supplies.selectors.Cover.understocked)."""
        return self.days_of_cover is not None and self.days_of_cover < 30


def key_stock(jurisdiction: Jurisdiction, today: date | None = None) -> list[StockLine]:
    """Usable stock of each item in use across the jurisdiction's stores, with its days of
    cover at the last week's use (supplies.selectors.days_of_cover)."""
    stores = Store.objects.within(jurisdiction.code).filter(active=True)
    on_hand: dict[int, Decimal] = defaultdict(Decimal)
    used: dict[int, Decimal] = defaultdict(Decimal)
    for (_store, item_id), cover in days_of_cover(stores, today).items():
        on_hand[item_id] += cover.on_hand
        used[item_id] += cover.used
    lines = []
    for item in Item.objects.filter(active=True, pk__in=set(on_hand) | set(used)).order_by("name"):
        per_day = used[item.pk] / COVER_WINDOW_DAYS
        days = (on_hand[item.pk] / per_day).quantize(Decimal("0.1")) if per_day else None
        lines.append(StockLine(item, on_hand[item.pk], per_day.quantize(Decimal("0.1")), days))
    return lines


def latest_open_alerts(jurisdiction: Jurisdiction, user: User, limit: int = 10) -> list[Alert]:
    """The newest open alerts in the jurisdiction that the user may see, each with its link."""
    return list(
        Alert.objects.visible_to(user)
        .within(jurisdiction.code)
        .open()
        .select_related("jurisdiction")
        .order_by("-raised_at", "-id")[:limit]
    )


def open_alert_count(jurisdiction: Jurisdiction, user: User) -> int:
    return Alert.objects.visible_to(user).within(jurisdiction.code).open().count()


def last_refreshed() -> RollupRun | None:
    return RollupRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()


def dashboard_jurisdiction(user: User, code: str | None) -> Jurisdiction | None:
    """The jurisdiction a user asked to see: their own, or one below it (drill-down), down to a
    village: the rollups fold groups into their village, so a group has no figures of its own."""
    if code is not None and len(code) > VILLAGE_CODE_LENGTH:
        return None
    own = user.jurisdiction_id
    if own is None and user.is_superuser:
        if code is None:
            return Jurisdiction.objects.filter(parent=None).order_by("code").first()
        return Jurisdiction.objects.filter(code=code).first()
    if own is None:
        return None
    if code is None or code == own:
        return Jurisdiction.objects.filter(code=own).first()
    if not code.startswith(own):
        return None
    return Jurisdiction.objects.filter(code=code).first()


def today() -> date:
    return timezone.localdate()
