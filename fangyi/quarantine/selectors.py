"""Reads for the quarantine pages, the home panel and the CLI: "my people today", the town
board, the release and missed-check lists, an order's check grid and timeline.

Every read starts from `QuarantineOrder.objects.visible_to(user)` (the CLI, which has no
account, passes `user=None` and a jurisdiction code instead). Counts are aggregated in the
database over indexed columns: orders by (jurisdiction, status) and (status, planned end),
check slots by (status, due at) and (order, day, slot), team rows by (member, ended at), alerts
by (jurisdiction, acknowledged at). A page makes a fixed number of queries whatever its size.
"""

import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core.models import (
    LEVEL_BY_CODE_LENGTH,
    Alert,
    AlertKind,
    DiseaseProfile,
    Jurisdiction,
    JurisdictionLevel,
    QuarantineKind,
    User,
)
from fangyi.core.roles import Role
from fangyi.core.scoping import ScopedQuerySet
from fangyi.core.selectors import person_match
from fangyi.quarantine.models import (
    RUNNING,
    CheckMethod,
    CheckStatus,
    FollowUp,
    FollowUpQuerySet,
    NucleicAcidResult,
    NucleicAcidTest,
    OrderEvent,
    OrderEventKind,
    OrderQuerySet,
    OrderStatus,
    QuarantineOrder,
    Room,
    RoomStatus,
    TeamAssignment,
)
from fangyi.quarantine.services import CHECK_OPENS_BEFORE, slot_label

OPEN = (CheckStatus.PENDING, CheckStatus.MISSED)
# The alerts the quarantine board shows (a checkpoint's fever is the checkpoint pages' business).
BOARD_ALERT_KINDS = (AlertKind.FEVER, AlertKind.SYMPTOM, AlertKind.MISSED_CHECK)
# The board groups by the level below the user's: a county by town, a town by village; a
# village (or a group) sees its own unit.
CHILD_CODE_LENGTH = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}
BOARD_LIST_LENGTH = 30


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as [start, end) aware datetimes."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)


def _scoped_orders(user: User | None, within: str | None = None) -> QuerySet[QuarantineOrder]:
    """Orders the user may read; the CLI (user None) reads everything under `within`."""
    orders = (
        QuarantineOrder.objects.all() if user is None else QuarantineOrder.objects.visible_to(user)
    )
    return orders.within(within) if within else orders


def _grace(profile: DiseaseProfile) -> timedelta:
    return timedelta(minutes=profile.missed_check_grace_minutes)


def labels(choices) -> dict[str, str]:
    """value → label in the active language, once per call (a model's get_FOO_display()
    hashes every choice on every call: a millisecond a row on a long list)."""
    return {value: str(label) for value, label in choices}


_LINK_SENTINEL = uuid.UUID(int=0)


def order_path(external_id: uuid.UUID) -> str:
    """The order page's path, without a reverse() per row of a long list."""
    base = reverse("quarantine:order", kwargs={"external_id": _LINK_SENTINEL})
    return base.replace(str(_LINK_SENTINEL), str(external_id))


def order_place(order: QuarantineOrder) -> str:
    """Where the person stays: the site and room, or the address."""
    if order.site_id:
        room = f" {order.room.number}" if order.room_id else ""
        return f"{order.site.name}{room}"
    return order.address


# Check slots ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotRow:
    """One check slot as the pages show it. `state`: done, explained, cancelled, missed
    (open and past the grace, marked by the sweep or not), due (open, may be recorded now),
    later (not open yet)."""

    pk: int
    day: int
    slot: int
    due_at: datetime
    state: str
    temperature: Decimal | None = None
    symptoms: tuple[str, ...] = ()
    fever: bool = False
    late: bool = False
    method: str = ""
    checked_by: str = ""
    note: str = ""

    @property
    def label(self) -> str:
        """ "day 3, check 2 (16:00)": made when shown (a long list shows few)."""
        return slot_label(FollowUp(day=self.day, slot=self.slot, due_at=self.due_at))

    @property
    def is_open(self) -> bool:
        return self.state in ("missed", "due", "later")

    @property
    def can_record(self) -> bool:
        return self.state in ("missed", "due")


def slot_row(check: FollowUp, profile: DiseaseProfile, now: datetime) -> SlotRow:
    if check.status == CheckStatus.DONE:
        state = "done"
    elif check.status == CheckStatus.EXPLAINED:
        state = "explained"
    elif check.status == CheckStatus.CANCELLED:
        state = "cancelled"
    elif check.status == CheckStatus.MISSED or check.due_at + _grace(profile) < now:
        state = "missed"
    elif check.due_at - CHECK_OPENS_BEFORE <= now:
        state = "due"
    else:
        state = "later"
    # Callers select_related("checked_by") (a query per slot otherwise).
    member = check.checked_by
    checked_by = (member.full_name or member.username) if member is not None else ""
    return SlotRow(
        pk=check.pk,
        day=check.day,
        slot=check.slot,
        due_at=check.due_at,
        state=state,
        temperature=check.temperature,
        symptoms=tuple(check.symptoms or ()),
        fever=state == "done" and profile.is_fever(check.temperature),
        late=check.late,
        method=str(CheckMethod(check.method).label) if check.method in CheckMethod.values else "",
        checked_by=checked_by or check.reported_by,
        note=check.note,
    )


# My people today -----------------------------------------------------------------------------


@dataclass
class PersonToday:
    """A card of "my people today": one running order of the user's team."""

    order_id: int
    external_id: uuid.UUID
    name: str
    phone_masked: str
    place: str
    kind: str
    kind_label: str
    day_number: int
    days: int
    due_for_release: bool
    last_temperature: Decimal | None
    last_fever: bool
    slots: list[SlotRow] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return any(s.state == "missed" for s in self.slots)

    @property
    def open_slots(self) -> list[SlotRow]:
        return [s for s in self.slots if s.is_open]

    @property
    def all_done(self) -> bool:
        return not self.open_slots

    def sort_key(self) -> tuple:
        upcoming = [s.due_at for s in self.open_slots]
        return (not self.overdue, self.all_done, min(upcoming) if upcoming else None, self.name)


def _last_temperature() -> Subquery:
    return Subquery(
        FollowUp.objects.filter(order=OuterRef("pk"), status=CheckStatus.DONE)
        .order_by("-checked_at", "-pk")
        .values("temperature")[:1]
    )


def _one_decimal(value) -> Decimal | None:
    # SQLite hands a subquery's decimal back as a float's digits (36.4000000000000).
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


def my_orders(user: User) -> QuerySet[QuarantineOrder]:
    """Running orders on which the user is a current team member (and may read)."""
    mine = TeamAssignment.objects.current().filter(member=user).values("order_id")
    return QuarantineOrder.objects.visible_to(user).running().filter(pk__in=mine)


def due_now_for(user: User, now: datetime | None = None) -> list[PersonToday]:
    """The user's "my people today": each running order of their team with its open slots due
    today or overdue (and today's recorded ones, so a card shows what is done), overdue cards
    first, then by the next slot's time. Two queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start, end = day_bounds(today)
    profile = DiseaseProfile.current()
    orders = list(
        my_orders(user)
        .select_related("person", "site", "room")
        .annotate(last_temperature=_last_temperature())
    )
    if not orders:
        return []
    kinds = labels(QuarantineKind.choices)
    cards = {
        order.pk: PersonToday(
            order_id=order.pk,
            external_id=order.external_id,
            name=order.person.name,
            phone_masked=order.person.phone_masked,
            place=order_place(order),
            kind=order.kind,
            kind_label=kinds.get(order.kind, order.kind),
            day_number=order.day_number(today),
            days=order.days,
            due_for_release=order.planned_end_date <= today,
            last_temperature=_one_decimal(order.last_temperature),
            last_fever=profile.is_fever(order.last_temperature),
        )
        for order in orders
    }
    checks = (
        FollowUp.objects.select_related("checked_by")
        .filter(order_id__in=list(cards))
        .filter(
            Q(status__in=OPEN, due_at__lt=end)
            | Q(
                status__in=[CheckStatus.DONE, CheckStatus.EXPLAINED],
                due_at__gte=start,
                due_at__lt=end,
            )
        )
    )
    for check in checks.order_by("order_id", "due_at"):
        cards[check.order_id].slots.append(slot_row(check, profile, now))
    return sorted(cards.values(), key=PersonToday.sort_key)


@dataclass(frozen=True)
class MineSummary:
    people_now: int  # people with a check that may be recorded now
    people_overdue: int  # of whom with a missed one


def mine_summary(user: User, now: datetime | None = None) -> MineSummary:
    """For the home panel: one aggregate query."""
    now = now or timezone.now()
    cutoff = now - _grace(DiseaseProfile.current())
    overdue = Q(status=CheckStatus.MISSED) | Q(status=CheckStatus.PENDING, due_at__lt=cutoff)
    counts = FollowUp.objects.filter(
        order__in=my_orders(user), status__in=OPEN, due_at__lte=now + CHECK_OPENS_BEFORE
    ).aggregate(
        people=Count("order_id", distinct=True),
        overdue=Count("order_id", distinct=True, filter=overdue),
    )
    return MineSummary(counts["people"], counts["overdue"])


# Release and missed-check lists (the board and `fangyi quarantine-due`) ----------------------


@dataclass(frozen=True)
class ReleaseRow:
    """A running order due for release on the day (or overdue)."""

    external_id: uuid.UUID
    name: str
    village: str
    village_code: str
    kind: str
    kind_label: str
    start_date: date
    planned_end_date: date
    days_overdue: int
    open_checks: int
    tests_waiting: int
    positive: bool
    link: str

    @property
    def ready(self) -> bool:
        """Nothing in the records stands in the way (the doctor still signs off)."""
        return not (self.open_checks or self.tests_waiting or self.positive)

    def as_json(self) -> dict:
        values = asdict(self)
        values.update(
            external_id=str(self.external_id),
            start_date=self.start_date.isoformat(),
            planned_end_date=self.planned_end_date.isoformat(),
            ready=self.ready,
        )
        return values


def _count_of(queryset: QuerySet) -> Coalesce:
    """Subquery: how many rows of `queryset` (already filtered by OuterRef) there are."""
    counted = queryset.order_by().values("order_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def due_for_release(
    user: User | None, day: date, *, within: str | None = None, limit: int | None = None
) -> list[ReleaseRow]:
    """Running orders due for release on `day` or before, longest overdue first, with what
    still blocks each (open checks, tests without a result, a positive test). `user=None` with
    `within` (a jurisdiction code) is the CLI's view. One query."""
    orders = (
        _scoped_orders(user, within)
        .due_for_release_on(day)
        .select_related("person", "jurisdiction")
        .annotate(
            open_checks=_count_of(FollowUp.objects.filter(order=OuterRef("pk"), status__in=OPEN)),
            tests_waiting=_count_of(
                NucleicAcidTest.objects.filter(
                    order=OuterRef("pk"),
                    result__in=[NucleicAcidResult.PLANNED, NucleicAcidResult.SAMPLED],
                )
            ),
            positives=_count_of(
                NucleicAcidTest.objects.filter(
                    order=OuterRef("pk"), result=NucleicAcidResult.POSITIVE
                )
            ),
        )
        .order_by("planned_end_date", "jurisdiction_id", "pk")
    )
    if limit is not None:
        orders = orders[:limit]
    kinds = labels(QuarantineKind.choices)
    return [
        ReleaseRow(
            external_id=order.external_id,
            name=order.person.name,
            village=order.jurisdiction.name,
            village_code=order.jurisdiction_id,
            kind=order.kind,
            kind_label=kinds.get(order.kind, order.kind),
            start_date=order.start_date,
            planned_end_date=order.planned_end_date,
            days_overdue=(day - order.planned_end_date).days,
            open_checks=order.open_checks,
            tests_waiting=order.tests_waiting,
            positive=order.positives > 0,
            link=order_path(order.external_id),
        )
        for order in orders
    ]


@dataclass(frozen=True)
class MissedRow:
    """A running order with checks missed (past the grace, not made up or explained)."""

    external_id: uuid.UUID
    name: str
    village: str
    village_code: str
    kind: str
    kind_label: str
    missed: int
    first_due_at: datetime
    slots: tuple[str, ...]
    team: tuple[str, ...]
    link: str

    def as_json(self) -> dict:
        values = asdict(self)
        values.update(
            external_id=str(self.external_id),
            first_due_at=self.first_due_at.isoformat(),
            slots=list(self.slots),
            team=list(self.team),
        )
        return values


class _ScopedChecks(ScopedQuerySet, FollowUpQuerySet):
    """Check slots scoped by their order's jurisdiction: the orders' access rule
    (ScopedQuerySet.visible_to) applied on the slot's own join, so the planner starts from the
    (status, due at) index; an `order__in=<visible orders>` subquery made it hash every order."""

    jurisdiction_field = "order__jurisdiction"
    scope_permission = OrderQuerySet.scope_permission


def _overdue_checks(
    user: User | None, within: str | None, now: datetime, profile: DiseaseProfile
) -> QuerySet[FollowUp]:
    """Missed slots (past the grace, recorded by the sweep or not) of running orders."""
    checks = _ScopedChecks(model=FollowUp)
    checks = checks.all() if user is None else checks.visible_to(user)
    if within:
        checks = checks.within(within)
    return checks.overdue(now, profile.missed_check_grace_minutes).filter(order__status__in=RUNNING)


def missed_checks(
    user: User | None,
    now: datetime | None = None,
    *,
    within: str | None = None,
    limit: int | None = None,
) -> list[MissedRow]:
    """Running orders with missed checks, the longest waiting first, each with the slots and
    the current team (who to call). Four queries of plain values whatever the number of rows."""
    now = now or timezone.now()
    profile = DiseaseProfile.current()
    overdue = _overdue_checks(user, within, now, profile)
    ranked = (
        overdue.order_by()
        .values("order_id")
        .annotate(n=Count("pk"), first=Min("due_at"))
        .order_by("first", "order_id")
    )
    if limit is not None:
        ranked = ranked[:limit]
    ranked = list(ranked)
    if not ranked:
        return []
    ids = [row["order_id"] for row in ranked]
    orders = {
        row[0]: row[1:]
        for row in QuarantineOrder.objects.filter(pk__in=ids).values_list(
            "pk", "external_id", "person__name", "jurisdiction__name", "jurisdiction_id", "kind"
        )
    }
    slots = defaultdict(list)
    for order_id, day, number, due_at in (
        overdue.filter(order_id__in=ids)
        .order_by("order_id", "due_at")
        .values_list("order_id", "day", "slot", "due_at")
    ):
        slots[order_id].append(slot_label(FollowUp(day=day, slot=number, due_at=due_at)))
    roles = labels(Role.choices)
    team = defaultdict(list)
    for order_id, role, full_name, username in (
        TeamAssignment.objects.current()
        .filter(order_id__in=ids)
        .order_by("order_id", "role")
        .values_list("order_id", "role", "member__full_name", "member__username")
    ):
        team[order_id].append(f"{roles.get(role, role)} {full_name or username}")
    kinds = labels(QuarantineKind.choices)
    rows = []
    for row in ranked:
        external_id, name, village, village_code, kind = orders[row["order_id"]]
        rows.append(
            MissedRow(
                external_id=external_id,
                name=name,
                village=village,
                village_code=village_code,
                kind=kind,
                kind_label=kinds.get(kind, kind),
                missed=row["n"],
                first_due_at=row["first"],
                slots=tuple(slots[row["order_id"]]),
                team=tuple(team[row["order_id"]]),
                link=order_path(external_id),
            )
        )
    return rows


# The town board ------------------------------------------------------------------------------


@dataclass
class BoardRow:
    """One village (or town, for a county) of the board."""

    code: str
    name: str
    by_kind: list[int]  # in the order of Board.kinds
    due_today: int = 0
    release_overdue: int = 0
    missed_checks: int = 0
    missed_people: int = 0
    alerts: int = 0
    breakdown: list[tuple[str, int]] = field(default_factory=list)  # (measure, n) when n > 0

    @property
    def running(self) -> int:
        return sum(self.by_kind)

    @property
    def is_empty(self) -> bool:
        return not (self.running or self.missed_checks or self.alerts)


@dataclass
class Board:
    scope: Jurisdiction | None
    kinds: list[tuple[str, str]]
    rows: list[BoardRow]
    total: BoardRow
    alerts_by_kind: list[tuple[str, str, int]]
    due: list[ReleaseRow]
    missed: list[MissedRow]
    alerts: list[Alert]
    today: date
    generated_at: datetime

    @property
    def more_due(self) -> bool:
        return self.total.due_today + self.total.release_overdue > len(self.due)

    @property
    def more_missed(self) -> bool:
        return self.total.missed_people > len(self.missed)


def _group_length(user: User) -> int:
    code = user.jurisdiction_id or ""
    return CHILD_CODE_LENGTH.get(len(code), len(code))


def town_board(user: User, today: date | None = None, now: datetime | None = None) -> Board:
    """The board of the user's jurisdiction: running orders per unit and measure, due for
    release today (and overdue), missed checks and open quarantine alerts per unit, and the
    first rows of each list. At most ten queries, each an aggregate or a short list."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    profile = DiseaseProfile.current()
    length = _group_length(user)
    kinds = list(QuarantineKind.choices)
    kind_index = {value: i for i, (value, _label) in enumerate(kinds)}
    orders = _scoped_orders(user)
    scope = user.jurisdiction
    if scope is not None and length > len(scope.code):
        units = list(
            Jurisdiction.objects.within(scope.code).filter(level=LEVEL_BY_CODE_LENGTH[length])
        )
    else:
        units = [scope] if scope is not None else []
    rows: dict[str, BoardRow] = {
        unit.code: BoardRow(unit.code, unit.name, [0] * len(kinds)) for unit in units
    }

    def row_for(code: str) -> BoardRow:
        if code not in rows:
            # An order held above the unit level (a site outside villages) or a unit created
            # after the tree was read: shown under its code.
            name = scope.name if scope is not None and code == scope.code else code
            rows[code] = BoardRow(code, name, [0] * len(kinds))
        return rows[code]

    for item in (
        orders.running()
        .annotate(unit=Substr("jurisdiction_id", 1, length))
        .order_by()
        .values("unit", "kind")
        .annotate(
            n=Count("pk"),
            due_today=Count("pk", filter=Q(planned_end_date=today)),
            release_overdue=Count("pk", filter=Q(planned_end_date__lt=today)),
        )
    ):
        row = row_for(item["unit"])
        row.by_kind[kind_index.get(item["kind"], 0)] += item["n"]
        row.due_today += item["due_today"]
        row.release_overdue += item["release_overdue"]
    for item in (
        _overdue_checks(user, None, now, profile)
        .annotate(unit=Substr("order__jurisdiction_id", 1, length))
        .order_by()
        .values("unit")
        .annotate(n=Count("pk"), people=Count("order_id", distinct=True))
    ):
        row = row_for(item["unit"])
        row.missed_checks += item["n"]
        row.missed_people += item["people"]
    alerts = Alert.objects.visible_to(user).open().filter(kind__in=BOARD_ALERT_KINDS)
    alert_counts = dict.fromkeys(BOARD_ALERT_KINDS, 0)
    for item in (
        alerts.annotate(unit=Substr("jurisdiction_id", 1, length))
        .order_by()
        .values("unit", "kind")
        .annotate(n=Count("pk"))
    ):
        row_for(item["unit"]).alerts += item["n"]
        alert_counts[item["kind"]] += item["n"]
    ordered = sorted(rows.values(), key=lambda r: r.code)
    for row in ordered:
        row.breakdown = [(label, n) for (_v, label), n in zip(kinds, row.by_kind, strict=True) if n]
    total = BoardRow(
        scope.code if scope else "",
        _("total"),
        [sum(r.by_kind[i] for r in ordered) for i in range(len(kinds))],
        due_today=sum(r.due_today for r in ordered),
        release_overdue=sum(r.release_overdue for r in ordered),
        missed_checks=sum(r.missed_checks for r in ordered),
        missed_people=sum(r.missed_people for r in ordered),
        alerts=sum(r.alerts for r in ordered),
    )
    return Board(
        scope=scope,
        kinds=kinds,
        rows=ordered,
        total=total,
        alerts_by_kind=[(k, AlertKind(k).label, alert_counts[k]) for k in BOARD_ALERT_KINDS],
        # The lists only when their counts say there is something to list.
        due=due_for_release(user, today, limit=BOARD_LIST_LENGTH)
        if total.due_today or total.release_overdue
        else [],
        missed=missed_checks(user, now, limit=BOARD_LIST_LENGTH) if total.missed_people else [],
        alerts=list(alerts.select_related("person")[:10]) if total.alerts else [],
        today=today,
        generated_at=now,
    )


@dataclass(frozen=True)
class ScopeSummary:
    running: int
    due_today: int
    missed_people: int


def scope_summary(
    user: User, today: date | None = None, now: datetime | None = None
) -> ScopeSummary:
    """For the home panel: running orders, due for release today (or overdue), people with
    missed checks. One aggregate query when nobody is under quarantine, two otherwise."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    counts = (
        _scoped_orders(user)
        .running()
        .aggregate(running=Count("pk"), due=Count("pk", filter=Q(planned_end_date__lte=today)))
    )
    if not counts["running"]:
        return ScopeSummary(0, 0, 0)
    missed = _overdue_checks(user, None, now, DiseaseProfile.current()).aggregate(
        people=Count("order_id", distinct=True)
    )
    return ScopeSummary(counts["running"], counts["due"], missed["people"])


# The orders list -----------------------------------------------------------------------------

STATUS_FILTERS = ("running", *OrderStatus.values, "all")


def villages_for(user: User) -> QuerySet[Jurisdiction]:
    """Villages the user may filter the list by."""
    villages = Jurisdiction.objects.filter(level=JurisdictionLevel.VILLAGE).order_by("code")
    if user.jurisdiction_id:
        code = user.jurisdiction_id[:12]
        return villages.within(code)
    return villages if user.is_superuser else villages.none()


def filter_orders(
    user: User,
    *,
    status: str = "running",
    kind: str = "",
    village: str = "",
    query: str = "",
    due: bool = False,
    missed: bool = False,
    today: date | None = None,
    now: datetime | None = None,
) -> QuerySet[QuarantineOrder]:
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    orders = _scoped_orders(user)
    if status == "running" or due or missed:
        orders = orders.running()
    elif status in OrderStatus.values:
        orders = orders.filter(status=status)
    if kind in QuarantineKind.values:
        orders = orders.filter(kind=kind)
    if village:
        orders = orders.within(village)
    if due:
        orders = orders.filter(planned_end_date__lte=today)
    if missed:
        overdue = FollowUp.objects.overdue(now, DiseaseProfile.current().missed_check_grace_minutes)
        orders = orders.filter(pk__in=overdue.values("order_id"))
    match = person_match(query, prefix="person__")
    if match is not None:
        orders = orders.filter(match)
    order_by = ("planned_end_date", "pk") if due else ("-start_date", "-pk")
    return orders.select_related("person", "jurisdiction", "site", "room").order_by(*order_by)


@dataclass(frozen=True)
class OrderRow:
    order: QuarantineOrder
    day_number: int
    place: str
    missed: int
    due_for_release: bool


def order_rows(
    orders: list[QuarantineOrder], today: date | None = None, now: datetime | None = None
) -> list[OrderRow]:
    """The list's rows (one page): day N, place and missed checks (one query for the page)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    running = [o.pk for o in orders if o.is_running]
    missed = {}
    if running:
        overdue = FollowUp.objects.overdue(now, DiseaseProfile.current().missed_check_grace_minutes)
        missed = dict(
            overdue.filter(order_id__in=running)
            .order_by()
            .values("order_id")
            .annotate(n=Count("pk"))
            .values_list("order_id", "n")
        )
    return [
        OrderRow(
            order=o,
            day_number=o.day_number(today),
            place=order_place(o),
            missed=missed.get(o.pk, 0),
            due_for_release=o.is_running and o.planned_end_date <= today,
        )
        for o in orders
    ]


# One order ---------------------------------------------------------------------------------


def order_checks(order: QuarantineOrder) -> list[FollowUp]:
    return list(order.checks.select_related("checked_by").order_by("due_at"))


@dataclass(frozen=True)
class GridDay:
    day: int
    date: date
    cells: list[SlotRow | None]  # one per slot of the day; None: no slot (ordered after it)
    is_today: bool


def check_grid(
    order: QuarantineOrder, checks: list[FollowUp], now: datetime | None = None
) -> list[GridDay]:
    """Days × slots of the order, from day 1 to the last day with slots."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    profile = DiseaseProfile.current()
    per_day = max([profile.checks_per_day, *(c.slot for c in checks)])
    by_day: dict[int, dict[int, SlotRow]] = defaultdict(dict)
    for check in checks:
        by_day[check.day][check.slot] = slot_row(check, profile, now)
    last = max([order.days, *by_day.keys()])
    return [
        GridDay(
            day=day,
            date=order.start_date + timedelta(days=day - 1),
            cells=[by_day[day].get(slot) for slot in range(1, per_day + 1)],
            is_today=order.start_date + timedelta(days=day - 1) == today,
        )
        for day in range(1, last + 1)
    ]


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # a css hint: event, check, fever, missed, explained, test, positive
    title: str
    detail: str = ""
    by: str = ""


def _event_detail(event: OrderEvent) -> str:
    d = event.details or {}
    kind = event.kind
    if kind == OrderEventKind.CREATED:
        text = _("%(kind)s from %(start)s, due for release on %(end)s") % {
            "kind": QuarantineKind(d["kind"]).label
            if d.get("kind") in QuarantineKind.values
            else "",
            "start": d.get("start", ""),
            "end": d.get("end", ""),
        }
        return f"{text} · {d['note']}" if d.get("note") else text
    if kind == OrderEventKind.EXTENDED:
        return _("by %(days)s days, until %(end)s: %(reason)s") % {
            "days": d.get("days", ""),
            "end": d.get("after", ""),
            "reason": d.get("reason", ""),
        }
    if kind == OrderEventKind.TEAM:
        role = Role(d["role"]).label if d.get("role") in Role.values else d.get("role", "")
        return f"{role}: {d.get('before') or '—'} → {d.get('after') or '—'}"
    if kind == OrderEventKind.ROOM:
        return f"{d.get('before') or '—'} → {d.get('after') or '—'}"
    if kind == OrderEventKind.DOOR:
        return _("door sealed") if d.get("sealed") else _("door seal removed")
    if kind == OrderEventKind.TEST:
        result = d.get("result", "")
        label = NucleicAcidResult(result).label if result in NucleicAcidResult.values else result
        lab = f" · {d['lab']}" if d.get("lab") else ""
        return _("day %(day)s: %(result)s") % {"day": d.get("day", ""), "result": label} + lab
    if kind == OrderEventKind.HOSPITAL:
        return " · ".join(x for x in (d.get("hospital", ""), d.get("note", "")) if x)
    if kind == OrderEventKind.MOVED:
        new_kind = d.get("kind") or d.get("new_kind") or d.get("to")
        target = QuarantineKind(new_kind).label if new_kind in QuarantineKind.values else ""
        return " · ".join(x for x in (str(target), d.get("note", "")) if x)
    if kind == OrderEventKind.RELEASED:
        return d.get("note", "")
    return ""


def order_timeline(
    order: QuarantineOrder,
    checks: list[FollowUp] | None = None,
    now: datetime | None = None,
) -> list[TimelineItem]:
    """The order's events, its recorded (or missed, or explained) checks and its tests,
    newest first. `checks` (order_checks) saves a query when the page has them already."""
    now = now or timezone.now()
    profile = DiseaseProfile.current()
    checks = order_checks(order) if checks is None else checks
    items = [
        TimelineItem(
            at=e.at,
            kind="event",
            title=e.get_kind_display(),
            detail=_event_detail(e),
            by=e.actor_username,
        )
        for e in order.events.all()
    ]
    for check in checks:
        row = slot_row(check, profile, now)
        if row.state == "done":
            detail = f"{check.temperature} °C"
            if row.symptoms:
                detail += " · " + "、".join(row.symptoms)
            if row.method:
                detail += f" · {row.method}"
            if row.late:
                detail += " · " + _("made up late")
            items.append(
                TimelineItem(
                    at=check.checked_at or check.due_at,
                    kind="fever" if row.fever or row.symptoms else "check",
                    title=row.label,
                    detail=detail,
                    by=row.checked_by,
                )
            )
        elif row.state == "explained":
            items.append(
                TimelineItem(
                    at=check.checked_at or check.due_at,
                    kind="explained",
                    title=row.label,
                    detail=_("explained: %(note)s") % {"note": check.note},
                    by=row.checked_by,
                )
            )
        elif row.state == "missed":
            items.append(
                TimelineItem(
                    at=check.due_at + _grace(profile),
                    kind="missed",
                    title=row.label,
                    detail=_("missed: not recorded in time"),
                )
            )
    for test in order.tests.filter(sampled_at__isnull=False):
        if test.result_at:
            items.append(
                TimelineItem(
                    at=test.result_at,
                    kind="positive" if test.result == NucleicAcidResult.POSITIVE else "test",
                    title=_("nucleic-acid test, day %(day)s") % {"day": test.day},
                    detail=" · ".join(x for x in (str(test.get_result_display()), test.lab) if x),
                )
            )
        items.append(
            TimelineItem(
                at=test.sampled_at,
                kind="test",
                title=_("nucleic-acid test, day %(day)s") % {"day": test.day},
                detail=_("sampled") + (f" · {test.lab}" if test.lab else ""),
            )
        )
    return sorted(items, key=lambda item: item.at, reverse=True)


def current_team(order: QuarantineOrder) -> dict[str, TeamAssignment]:
    return {a.role: a for a in order.team.current().select_related("member")}


@dataclass(frozen=True)
class Candidate:
    user: User
    load: int

    def __str__(self) -> str:
        name = self.user.full_name or self.user.username
        where = self.user.jurisdiction.name if self.user.jurisdiction_id else ""
        return _("%(name)s · %(where)s · %(n)s people") % {
            "name": name,
            "where": where,
            "n": self.load,
        }


def team_candidates(jurisdiction_code: str, roles: list[str]) -> dict[str, list[Candidate]]:
    """Who may serve in each role for an order in `jurisdiction_code` (the services' rule: an
    active account of that role working in or above the village), with their current load.
    Two queries."""
    prefixes = {jurisdiction_code[:n] for n in (2, 4, 6, 9, 12, 15) if n <= len(jurisdiction_code)}
    users = list(
        User.objects.filter(role__in=roles, is_active=True, jurisdiction_id__in=prefixes)
        .select_related("jurisdiction")
        .order_by("-jurisdiction_id", "full_name", "pk")
    )
    load = dict(
        TeamAssignment.objects.current()
        .filter(member__in=users, order__status__in=RUNNING)
        .order_by()
        .values("member_id")
        .annotate(n=Count("pk"))
        .values_list("member_id", "n")
    )
    found: dict[str, list[Candidate]] = {role: [] for role in roles}
    for user in users:
        found[user.role].append(Candidate(user, load.get(user.pk, 0)))
    return found


def rooms_with_space(user: User, site_id: int | None = None) -> QuerySet[Room]:
    """Rooms of the user's sites a person can be put in now (not full, not being cleaned)."""
    rooms = (
        Room.objects.visible_to(user)
        .exclude(status=RoomStatus.CLEANING)
        .filter(occupants__lt=F("capacity"))
        .select_related("site")
        .order_by("site__name", "number")
    )
    return rooms.filter(site_id=site_id) if site_id else rooms


def door_methods() -> list[tuple[str, str]]:
    """How a team member records a check (the self-report link is the family's)."""
    return [
        (CheckMethod.DOOR, CheckMethod.DOOR.label),
        (CheckMethod.PHONE, CheckMethod.PHONE.label),
    ]
