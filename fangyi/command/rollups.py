"""Rollups: every figure of `figures.FIGURES`, per local day and per jurisdiction, computed from
the raw tables and stored in `DailyFigure` so the dashboard never scans the raw tables.

Each figure's day cell is a pure function of the raw rows as they stood at a moment `as_of`
(rows entered later are left out), so `check_rollups` can recompute any day and compare.
`refresh_rollups` recomputes a window of recent days (today and yesterday by default, every
minute from `fangyi command-sweep`) and, once a night and before each briefing, every day:
corrections to older records reach the figures then.

Cells are computed at the jurisdiction of the raw row (a group's rows count for its village)
and then added to every ancestor, so a town's or a county's figures are single rows too.
"""

import time as clock
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from fangyi.checkpoints.models import Registration
from fangyi.command.figures import FIGURE_BY_KEY, FIGURES, FigureKind
from fangyi.command.models import DailyFigure, RollupRun
from fangyi.core.models import PARENT_CODE_LENGTH, Alert, DiseaseProfile, Jurisdiction
from fangyi.enterprises.models import Filing, FilingEvent, FilingStatus
from fangyi.ledger.models import LedgerEntry, PushList, VerificationTask
from fangyi.quarantine.models import RUNNING, CheckStatus, FollowUp, OrderStatus, QuarantineOrder
from fangyi.roster.models import Assignment, RosterStatus, Shift
from fangyi.roster.services import NO_SHOW_MINUTES
from fangyi.tracing.models import Case, Contact, Degree
from fangyi.volunteers.models import RequestEvent, RequestStatus, ServiceRequest

# (day, jurisdiction code, metric) -> value
Cells = Counter
SNAPSHOT_KEYS = frozenset(f.key for f in FIGURES if f.kind == FigureKind.SNAPSHOT)
CLOSED_REQUEST = (RequestStatus.DONE, RequestStatus.CONFIRMED, RequestStatus.CANCELLED)
WINDOW_DAYS = 2


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _local_date(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=timezone.get_default_timezone())


class _Span:
    """The moments [start, end) covering the local days first..last, cut at `as_of`."""

    def __init__(self, first: date, last: date, as_of: datetime):
        self.first, self.last, self.as_of = first, last, as_of
        self.start = day_start(first)
        self.end = min(day_start(last + timedelta(days=1)), as_of)

    def moments(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})

    def whole_days(self, field: str) -> Q:
        """Moments anywhere in the local days first..last, not cut at `as_of`: for what is
        scheduled on a day (a check slot, a shift) and counts for the day from its start."""
        return Q(
            **{
                f"{field}__gte": self.start,
                f"{field}__lt": day_start(self.last + timedelta(days=1)),
            }
        )

    def days(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.first, f"{field}__lte": self.last})


def _add(cells: Cells, rows: Iterable[dict], metrics: dict[str, str], sign: int = 1) -> None:
    """Add grouped rows (each with `figure_day`, `figure_code` and the aggregates named in `metrics`'s
    values) to the cells under `metrics`'s keys."""
    for row in rows:
        for metric, column in metrics.items():
            value = row[column]
            if value:
                cells[(row["figure_day"], row["figure_code"], metric)] += sign * int(value)


def _grouped(queryset, code_field: str, *, day=None, moment=None, by=(), **aggregates):
    """Rows of `queryset` counted (or aggregated) per local day and jurisdiction code, the day
    read from the date field `day` or the local date of the time field `moment`."""
    day_expression = F(day) if day else _local_date(moment)
    return (
        queryset.order_by()
        .annotate(figure_day=day_expression, figure_code=F(code_field))
        .values("figure_day", "figure_code", *by)
        .annotate(**(aggregates or {"n": Count("pk")}))
    )


# The sources, one function per raw table -----------------------------------------------------


def _ledger(cells: Cells, span: _Span) -> None:
    entries = LedgerEntry.objects.filter(span.moments("created_at"))
    _add(cells, _grouped(entries, "jurisdiction_id", moment="created_at"), {"ledger.new": "n"})


def _push_lists(cells: Cells, span: _Span) -> None:
    tasks = VerificationTask.objects.filter(push_list__received_at__lt=span.as_of)
    code = "entry__jurisdiction_id"
    received = tasks.filter(span.moments("push_list__received_at"))
    _add(
        cells,
        _grouped(received, code, moment="push_list__received_at"),
        {"push.received": "n", "push.pending": "n"},
    )
    verified = tasks.exclude(result="").filter(span.moments("verified_at"))
    _add(cells, _grouped(verified, code, moment="verified_at"), {"push.verified": "n"})
    _add(cells, _grouped(verified, code, moment="verified_at"), {"push.pending": "n"}, sign=-1)
    # Overdue from the deadline until verified: +1 on the deadline's day, -1 on the day verified.
    late = Q(verified_at__isnull=True) | Q(verified_at__gte=span.as_of)
    late |= Q(verified_at__gt=F("push_list__deadline_at"))
    went_overdue = tasks.filter(span.moments("push_list__deadline_at")).filter(late)
    _add(
        cells, _grouped(went_overdue, code, moment="push_list__deadline_at"), {"push.overdue": "n"}
    )
    verified_late = verified.filter(verified_at__gt=F("push_list__deadline_at"))
    _add(
        cells,
        _grouped(verified_late, code, moment="verified_at"),
        {"push.overdue": "n"},
        sign=-1,
    )


def _quarantine(cells: Cells, span: _Span) -> None:
    orders = QuarantineOrder.objects.filter(created_at__lt=span.as_of)
    code = "jurisdiction_id"
    started = orders.filter(span.days("start_date"))
    for row in _grouped(started, code, day="start_date", by=("kind",)):
        cells[(row["figure_day"], row["figure_code"], "quarantine.started")] += row["n"]
        cells[(row["figure_day"], row["figure_code"], f"quarantine.active.{row['kind']}")] += row[
            "n"
        ]
    ended = orders.filter(span.moments("ended_at"))
    for row in _grouped(ended, code, moment="ended_at", by=("kind", "status")):
        cells[(row["figure_day"], row["figure_code"], f"quarantine.active.{row['kind']}")] -= row[
            "n"
        ]
        if row["status"] == OrderStatus.RELEASED:
            cells[(row["figure_day"], row["figure_code"], "quarantine.released")] += row["n"]
    # Due for release on a day: planned to end that day and not ended before that day.
    due = (
        orders.filter(span.days("planned_end_date"))
        .annotate(ended_on=_local_date("ended_at"))
        .filter(
            Q(ended_at__isnull=True)
            | Q(ended_at__gte=span.as_of)
            | Q(ended_on__gte=F("planned_end_date"))
        )
    )
    _add(cells, _grouped(due, code, day="planned_end_date"), {"quarantine.due": "n"})


def _follow_ups(cells: Cells, span: _Span) -> None:
    profile = DiseaseProfile.current()
    checks = FollowUp.objects.filter(order__created_at__lt=span.as_of)
    code = "order__jurisdiction_id"
    # Every slot of the day is due that day, including those later than `as_of`.
    due = checks.filter(span.whole_days("due_at")).exclude(status=CheckStatus.CANCELLED)
    _add(cells, _grouped(due, code, moment="due_at"), {"checks.due": "n"})
    grace = profile.missed_check_grace_minutes
    # Missed as of `as_of`: overdue then, including a slot recorded (made up) only since.
    recorded_since = Q(due_at__lt=span.as_of - timedelta(minutes=grace), checked_at__gte=span.as_of)
    missed = checks.filter(span.moments("due_at")).filter(
        Q(pk__in=checks.overdue(span.as_of, grace).values("pk")) | recorded_since
    )
    _add(cells, _grouped(missed, code, moment="due_at"), {"checks.missed": "n"})
    fevers = checks.filter(span.moments("checked_at"), temperature__gte=profile.fever_threshold)
    _add(cells, _grouped(fevers, code, moment="checked_at"), {"checks.fever": "n"})


def _tracing(cells: Cells, span: _Span) -> None:
    cases = Case.objects.filter(span.days("report_date"), created_at__lt=span.as_of)
    _add(cells, _grouped(cases, "jurisdiction_id", day="report_date"), {"cases.new": "n"})
    contacts = Contact.objects.filter(span.moments("recorded_at"))
    _add(
        cells,
        _grouped(
            contacts,
            "case__jurisdiction_id",
            moment="recorded_at",
            close=Count("pk", filter=Q(degree=Degree.CLOSE)),
            secondary=Count("pk", filter=Q(degree=Degree.SECONDARY)),
        ),
        {"contacts.close": "close", "contacts.secondary": "secondary"},
    )


def _checkpoints(cells: Cells, span: _Span) -> None:
    registrations = Registration.objects.filter(span.days("local_date"), received_at__lt=span.as_of)
    rows = _grouped(
        registrations,
        "jurisdiction_id",
        day="local_date",
        n=Count("pk"),
        vehicles=Count("pk", filter=~Q(plate="")),
        people=Sum("people_count"),
        persuaded=Sum("persuaded_count"),
        fevers=Sum("fever_count"),
        quarantined=Sum("quarantined_count"),
    )
    _add(
        cells,
        rows,
        {
            "checkpoint.registrations": "n",
            "checkpoint.vehicles": "vehicles",
            "checkpoint.people": "people",
            "checkpoint.persuaded": "persuaded",
            "checkpoint.fevers": "fevers",
            "checkpoint.quarantined": "quarantined",
        },
    )


def _alerts(cells: Cells, span: _Span) -> None:
    raised = Alert.objects.filter(span.moments("raised_at"))
    _add(
        cells,
        _grouped(raised, "jurisdiction_id", moment="raised_at"),
        {"alerts.raised": "n", "alerts.open": "n"},
    )
    handled = Alert.objects.filter(span.moments("acknowledged_at"), raised_at__lt=span.as_of)
    _add(
        cells,
        _grouped(handled, "jurisdiction_id", moment="acknowledged_at"),
        {"alerts.open": "n"},
        -1,
    )


def _shifts(cells: Cells, span: _Span) -> None:
    # Every published shift of the day counts (tonight's shift short of staff is news now).
    shifts = Shift.objects.filter(
        span.whole_days("starts_at"), roster__status=RosterStatus.PUBLISHED
    ).annotate(
        staffed=Subquery(
            Assignment.objects.filter(shift=OuterRef("pk"), assigned_at__lt=span.as_of)
            .order_by()
            .values("shift")
            .annotate(n=Count("pk"))
            .values("n")
        )
    )
    code = "checkpoint__jurisdiction_id"
    rows = _grouped(
        shifts,
        code,
        moment="starts_at",
        n=Count("pk"),
        short=Count("pk", filter=Q(staffed__isnull=True) | Q(staffed__lt=F("needed"))),
    )
    _add(cells, rows, {"shifts.planned": "n", "shifts.uncovered": "short"})
    checked_in = Assignment.objects.filter(shift=OuterRef("pk"), checked_in_at__lt=span.as_of)
    no_show = Shift.objects.filter(
        span.moments("starts_at"),
        ~Exists(checked_in),
        roster__status=RosterStatus.PUBLISHED,
        starts_at__lte=span.as_of - timedelta(minutes=NO_SHOW_MINUTES),
    )
    _add(cells, _grouped(no_show, code, moment="starts_at"), {"shifts.no_show": "n"})


def _service_requests(cells: Cells, span: _Span) -> None:
    closed_at = Subquery(
        RequestEvent.objects.filter(
            request=OuterRef("pk"), status__in=CLOSED_REQUEST, at__lt=span.as_of
        )
        .order_by("at")
        .values("at")[:1]
    )
    requests = ServiceRequest.objects.filter(created_at__lt=span.as_of).annotate(
        closed_at=closed_at
    )
    code = "jurisdiction_id"
    raised = requests.filter(span.moments("created_at"))
    _add(
        cells,
        _grouped(raised, code, moment="created_at"),
        {"requests.new": "n", "requests.open": "n"},
    )
    closed = requests.filter(span.moments("closed_at"))
    _add(cells, _grouped(closed, code, moment="closed_at"), {"requests.open": "n"}, -1)
    # Overdue from the time needed until closed.
    went_overdue = requests.filter(span.moments("needed_by")).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gt=F("needed_by"))
    )
    _add(cells, _grouped(went_overdue, code, moment="needed_by"), {"requests.overdue": "n"})
    closed_late = closed.filter(closed_at__gt=F("needed_by"))
    _add(cells, _grouped(closed_late, code, moment="closed_at"), {"requests.overdue": "n"}, -1)


def _filings(cells: Cells, span: _Span) -> None:
    events = FilingEvent.objects.filter(at__lt=span.as_of)
    code = "filing__enterprise__jurisdiction_id"
    submitted = events.filter(span.moments("at"), status=FilingStatus.SUBMITTED)
    _add(cells, _grouped(submitted, code, moment="at"), {"enterprises.submitted": "n"})
    # Approved from an approval until the filing's next change of status (reopened...).
    approved_ids = events.filter(status=FilingStatus.APPROVED).values("filing_id")
    history = (
        events.filter(filing_id__in=approved_ids)
        .order_by("filing_id", "at", "pk")
        .values_list("filing_id", "at", "status", code)
    )
    previous: dict[int, str] = {}
    for filing_id, at, status, jurisdiction in history:
        was = previous.get(filing_id)
        previous[filing_id] = status
        if was == status or not (span.start <= at < span.end):
            continue
        day = local_day(at)
        if status == FilingStatus.APPROVED:
            cells[(day, jurisdiction, "enterprises.approved")] += 1
        elif was == FilingStatus.APPROVED:
            cells[(day, jurisdiction, "enterprises.approved")] -= 1


def _ledger_status_now(cells: Cells, day: date, as_of: datetime) -> None:
    """The snapshot figures, as they stand now, for today's cell."""
    rows = (
        LedgerEntry.objects.filter(created_at__lt=as_of)
        .order_by()
        .values("jurisdiction_id", "status")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        cells[(day, row["jurisdiction_id"], f"ledger.status.{row['status']}")] += row["n"]


SOURCES = (
    _ledger,
    _push_lists,
    _quarantine,
    _follow_ups,
    _tracing,
    _checkpoints,
    _alerts,
    _shifts,
    _service_requests,
    _filings,
)


# Computing, rolling up and storing ----------------------------------------------------------


def compute_cells(first: date, last: date, as_of: datetime, *, snapshot: bool) -> Cells:
    """Every figure of the days first..last as of `as_of`, rolled up to every ancestor that
    exists. With `snapshot`, also the snapshot figures, on the local day of `as_of`."""
    span = _Span(first, last, as_of)
    raw: Cells = Counter()
    for source in SOURCES:
        source(raw, span)
    if snapshot:
        _ledger_status_now(raw, local_day(as_of), as_of)
    return _rolled_up(raw)


def _rolled_up(raw: Cells) -> Cells:
    known = set(Jurisdiction.objects.values_list("code", flat=True))
    chains: dict[str, list[str]] = {}
    cells: Cells = Counter()
    for (day, code, metric), value in raw.items():
        if not value:
            continue
        chain = chains.get(code)
        if chain is None:
            chain = chains[code] = _ancestry(code[:12], known)
        for ancestor in chain:
            cells[(day, ancestor, metric)] += value
    return Counter({key: value for key, value in cells.items() if value})


def _ancestry(code: str, known: set[str]) -> list[str]:
    chain = []
    while code:
        if code in known:
            chain.append(code)
        code = code[: PARENT_CODE_LENGTH[len(code)]] if len(code) in PARENT_CODE_LENGTH else ""
    return chain


def first_day_of_data() -> date | None:
    """The earliest local day any figure has data for."""
    candidates = [
        Registration.objects.order_by("local_date").values_list("local_date", flat=True).first(),
        QuarantineOrder.objects.order_by("start_date").values_list("start_date", flat=True).first(),
        Case.objects.order_by("report_date").values_list("report_date", flat=True).first(),
    ]
    for model, field in (
        (LedgerEntry, "created_at"),
        (PushList, "received_at"),
        (FollowUp, "due_at"),
        (Contact, "recorded_at"),
        (Shift, "starts_at"),
        (Alert, "raised_at"),
        (ServiceRequest, "created_at"),
        (FilingEvent, "at"),
    ):
        moment = model.objects.order_by(field).values_list(field, flat=True).first()
        candidates.append(local_day(moment) if moment else None)
    days = [day for day in candidates if day is not None]
    return min(days) if days else None


@dataclass(frozen=True)
class RefreshOutcome:
    first_day: date
    last_day: date
    cells: int
    seconds: float


def refresh_rollups(
    *, now: datetime | None = None, first: date | None = None, everything: bool = False
) -> RefreshOutcome:
    """Recompute the stored figures of the days from `first` (default: yesterday; with
    `everything`, the first day with data) to today, as of `now`. One transaction: the
    dashboard sees the old figures or the new ones, never a mixture."""
    now = now or timezone.now()
    started = clock.perf_counter()
    today = local_day(now)
    if everything:
        first = first_day_of_data() or today
    first = min(first or today - timedelta(days=WINDOW_DAYS - 1), today)
    cells = compute_cells(first, today, now, snapshot=True)
    with transaction.atomic():
        _lock_rollups()
        stale = DailyFigure.objects.filter(day__gte=first, day__lte=today)
        stale.exclude(metric__in=SNAPSHOT_KEYS).delete()
        stale.filter(day=today, metric__in=SNAPSHOT_KEYS).delete()
        DailyFigure.objects.bulk_create(
            (
                DailyFigure(day=day, jurisdiction_id=code, metric=metric, value=value)
                for (day, code, metric), value in cells.items()
                if metric not in SNAPSHOT_KEYS or day == today
            ),
            batch_size=2000,
        )
        seconds = clock.perf_counter() - started
        RollupRun.objects.create(
            started_at=now,
            finished_at=timezone.now(),
            first_day=first,
            last_day=today,
            cells=len(cells),
            seconds=seconds,
        )
    return RefreshOutcome(first, today, len(cells), seconds)


def _lock_rollups() -> None:
    """Two passes at once would insert the same cells: the second waits for the first."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x524F4C4C])  # "ROLL"


def last_run() -> RollupRun | None:
    return RollupRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()


# Checking -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    day: date
    jurisdiction: str
    metric: str
    stored: int
    recomputed: int


def check_rollups(*, as_of: datetime | None = None) -> list[Difference]:
    """Recompute every day's figures from the raw tables as of the last pass (or `as_of`) and
    list every stored cell that differs, then check each running count against the rows'
    present state counted directly (the two must agree whatever the daily changes say)."""
    run = last_run()
    if as_of is None:
        as_of = run.started_at if run else timezone.now()
    today = local_day(as_of)
    first = first_day_of_data() or today
    stored: Cells = Counter(
        {
            (day, code, metric): value
            for day, code, metric, value in DailyFigure.objects.filter(
                day__gte=first, day__lte=today
            ).values_list("day", "jurisdiction_id", "metric", "value")
            if metric not in SNAPSHOT_KEYS or day == today
        }
    )
    recomputed = compute_cells(first, today, as_of, snapshot=True)
    differences = [
        Difference(day, code, metric, stored.get(key, 0), recomputed.get(key, 0))
        for key in sorted(set(stored) | set(recomputed))
        for day, code, metric in [key]
        if stored.get(key, 0) != recomputed.get(key, 0)
    ]
    differences += _check_levels_against_state(stored, today, as_of)
    return differences


def _check_levels_against_state(stored: Cells, today: date, as_of: datetime) -> list[Difference]:
    totals: Cells = Counter()
    for (_day, code, metric), value in stored.items():
        if FIGURE_BY_KEY[metric].kind == FigureKind.LEVEL:
            totals[(code, metric)] += value
    state = _rolled_up(_levels_counted_directly(today, as_of))
    return [
        Difference(today, code, metric, totals.get((code, metric), 0), state.get(key, 0))
        for key in sorted(set(state) | {(today, c, m) for c, m in totals})
        for _day, code, metric in [key]
        if totals.get((code, metric), 0) != state.get(key, 0)
    ]


def _levels_counted_directly(today: date, as_of: datetime) -> Cells:
    """The present value of every level figure, counted from the rows' current state."""
    cells: Cells = Counter()

    def add(rows, metric_of):
        for row in rows:
            cells[(today, row["code"], metric_of(row))] += row["n"]

    def counted(queryset, code_field, *fields):
        return (
            queryset.order_by()
            .annotate(code=F(code_field))
            .values("code", *fields)
            .annotate(n=Count("pk"))
        )

    tasks = VerificationTask.objects.filter(push_list__received_at__lt=as_of).filter(
        Q(result="") | Q(verified_at__gte=as_of)
    )
    add(counted(tasks, "entry__jurisdiction_id"), lambda row: "push.pending")
    overdue = tasks.filter(push_list__deadline_at__lt=as_of)
    add(counted(overdue, "entry__jurisdiction_id"), lambda row: "push.overdue")
    running = QuarantineOrder.objects.filter(created_at__lt=as_of, start_date__lte=today).filter(
        Q(status__in=RUNNING) | Q(ended_at__gte=as_of)
    )
    add(counted(running, "jurisdiction_id", "kind"), lambda row: f"quarantine.active.{row['kind']}")
    alerts = Alert.objects.filter(raised_at__lt=as_of).filter(
        Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=as_of)
    )
    add(counted(alerts, "jurisdiction_id"), lambda row: "alerts.open")
    # Open as of `as_of`: no closing event before it (a request closed since still counts).
    closed_before = RequestEvent.objects.filter(
        request=OuterRef("pk"), status__in=CLOSED_REQUEST, at__lt=as_of
    )
    requests = ServiceRequest.objects.filter(created_at__lt=as_of).filter(~Exists(closed_before))
    add(counted(requests, "jurisdiction_id"), lambda row: "requests.open")
    add(
        counted(requests.filter(needed_by__lt=as_of), "jurisdiction_id"),
        lambda row: "requests.overdue",
    )
    # Approved as of `as_of`: the filing's last event before it is an approval.
    status_then = Subquery(
        FilingEvent.objects.filter(filing=OuterRef("pk"), at__lt=as_of)
        .order_by("-at", "-pk")
        .values("status")[:1]
    )
    approved = Filing.objects.annotate(status_then=status_then).filter(
        status_then=FilingStatus.APPROVED
    )
    add(counted(approved, "enterprise__jurisdiction_id"), lambda row: "enterprises.approved")
    return cells
