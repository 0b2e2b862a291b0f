"""Benchmark: the command dashboard and the daily briefing at a county's scale (issue 8).

    export DATABASE_URL=postgres://fangyi:fangyi@127.0.0.1:54330/fangyi_bench
    .venv/bin/python bench/command_dashboard.py --scale 0.01          # a smoke run
    .venv/bin/python bench/command_dashboard.py                       # the full county
    .venv/bin/python bench/command_dashboard.py --reuse               # measure it again
    .venv/bin/python bench/command_dashboard.py --wipe --scale 0.1    # generate it afresh

The county comes from bench/command_dataset.py (10 M registrations, 1 M ledger entries, 50 k
quarantine orders with 1.3 M checks… over 60 days at --scale 1.0; generated unless --reuse
finds it). Then, in one process under the production settings (FANGYI_DEBUG=0):

1. `rollups.refresh_rollups(everything=True)` (the nightly pass and the one before each
   briefing) once, and the window pass `refresh_rollups()` (every minute) --passes times.
2. `rollups.check_rollups()`: the number of differences (must be 0) and its time.
3. The dashboard's server time for the county commander, the town commander and the village
   cadre: GET /command/?j=<their code> through Django's test client (middleware, session,
   template included) when the page exists, else the selectors it calls (figures_for,
   children_table, checkpoints_open, key_stock, latest_open_alerts): --repeat requests each
   after 5 warm-ups, p50/p95. Goal: p95 under 300 ms.
4. Baseline in the same run: the same key figures of the same jurisdiction and day computed by
   direct aggregate queries on the raw tables (the ORM, as a naive dashboard would), with the
   60-day trend of people checked: p50/p95 over --baseline-repeat runs, and the ratio.
5. `documents.briefing_pdf(services.generate_briefing(...))` for the county. Goal: under 5 s.
"""

import argparse
import base64
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import command_dataset
from common import p95, timed_calls

GOAL_PAGE_MS = 300
GOAL_PDF_S = 5.0


@dataclass
class Timing:
    label: str
    seconds: list[float]
    goal_ms: float | None = None
    note: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        return p95(self.seconds)


def once(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


# The baseline: the dashboard's key figures straight from the raw tables ----------------------


def direct_figures(code: str, day: date, now: datetime) -> dict[str, object]:
    """What a naive dashboard would run on each page load: one aggregate query per figure
    group over the raw rows of the jurisdiction (`within`: the code's range), plus the trends."""
    from django.db.models import Count, Exists, OuterRef, Q, Sum
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from fangyi.checkpoints.models import Checkpoint, Registration
    from fangyi.core.models import Alert, DiseaseProfile
    from fangyi.core.scoping import code_upper_bound
    from fangyi.enterprises.models import Filing, FilingEvent, FilingStatus
    from fangyi.ledger.models import LedgerEntry, VerificationTask
    from fangyi.quarantine.models import RUNNING, FollowUp, OrderStatus, QuarantineOrder
    from fangyi.roster.models import Assignment, RosterStatus, Shift
    from fangyi.tracing.models import Case, Contact
    from fangyi.volunteers.models import OPEN_REQUEST, ServiceRequest

    def scoped(field: str) -> Q:
        return Q(**{f"{field}__gte": code, f"{field}__lt": code_upper_bound(code)})

    tz = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    end = start + timedelta(days=1)
    first = day - timedelta(days=command_dataset.DAYS - 1)
    today = Q(created_at__gte=start, created_at__lt=end)
    profile = DiseaseProfile.current()
    figures: dict[str, object] = {}
    entries = LedgerEntry.objects.within(code)
    figures["ledger.status"] = dict(
        entries.order_by().values_list("status").annotate(n=Count("pk"))
    )
    figures["ledger.new"] = entries.filter(today).count()
    tasks = VerificationTask.objects.filter(
        entry__in=LedgerEntry.objects.within(code).values("pk"), result=""
    )
    figures["push.pending"] = tasks.count()
    figures["push.overdue"] = tasks.filter(push_list__deadline_at__lt=now).count()
    orders = QuarantineOrder.objects.within(code)
    figures["quarantine.active"] = dict(
        orders.filter(status__in=RUNNING).order_by().values_list("kind").annotate(n=Count("pk"))
    )
    figures["quarantine.due"] = orders.filter(status__in=RUNNING, planned_end_date=day).count()
    figures["quarantine.started"] = orders.filter(start_date=day).count()
    figures["quarantine.released"] = orders.filter(
        status=OrderStatus.RELEASED, ended_at__gte=start, ended_at__lt=end
    ).count()
    checks = FollowUp.objects.filter(
        order__in=QuarantineOrder.objects.within(code).values("pk"),
        due_at__gte=start,
        due_at__lt=end,
    )
    figures["checks"] = checks.aggregate(
        due=Count("pk"),
        missed=Count("pk", filter=Q(status="missed")),
        fever=Count("pk", filter=Q(temperature__gte=profile.fever_threshold)),
    )
    figures["cases.new"] = Case.objects.within(code).filter(report_date=day).count()
    figures["contacts"] = dict(
        Contact.objects.filter(scoped("case__jurisdiction_id"), recorded_at__gte=start,
                               recorded_at__lt=end)
        .order_by().values_list("degree").annotate(n=Count("pk"))
    )  # fmt: skip
    registrations = Registration.objects.within(code)
    figures["checkpoint"] = registrations.filter(local_date=day).aggregate(
        registrations=Count("pk"),
        vehicles=Count("pk", filter=~Q(plate="")),
        people=Sum("people_count"),
        persuaded=Sum("persuaded_count"),
        fevers=Sum("fever_count"),
        quarantined=Sum("quarantined_count"),
    )
    figures["checkpoint.by_child"] = list(
        registrations.filter(local_date=day)
        .order_by()
        .values("jurisdiction_id")
        .annotate(people=Sum("people_count"), persuaded=Sum("persuaded_count"))
    )
    alerts = Alert.objects.within(code)
    figures["alerts.open"] = alerts.filter(acknowledged_at__isnull=True).count()
    figures["alerts.raised"] = alerts.filter(raised_at__gte=start, raised_at__lt=end).count()
    shifts = Shift.objects.filter(
        scoped("checkpoint__jurisdiction_id"),
        roster__status=RosterStatus.PUBLISHED,
        starts_at__gte=start,
        starts_at__lt=end,
    )
    figures["shifts"] = shifts.annotate(staffed=Count("assignments")).aggregate(
        planned=Count("pk"), short=Count("pk", filter=Q(staffed__lt=2))
    )
    figures["shifts.no_show"] = (
        shifts.filter(starts_at__lte=now - timedelta(minutes=30))
        .exclude(Exists(Assignment.objects.filter(shift=OuterRef("pk"), checked_in_at__isnull=False)))
        .count()
    )  # fmt: skip
    requests = ServiceRequest.objects.within(code)
    figures["requests"] = requests.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_REQUEST)),
        overdue=Count("pk", filter=Q(status__in=OPEN_REQUEST, needed_by__lt=now)),
        new=Count("pk", filter=today),
    )
    figures["enterprises"] = {
        "approved": Filing.objects.filter(
            scoped("enterprise__jurisdiction_id"), status=FilingStatus.APPROVED
        ).count(),
        "submitted": FilingEvent.objects.filter(
            scoped("filing__enterprise__jurisdiction_id"),
            status=FilingStatus.SUBMITTED,
            at__gte=start,
            at__lt=end,
        ).count(),
    }
    figures["checkpoints"] = dict(
        Checkpoint.objects.within(code).order_by().values_list("status").annotate(n=Count("pk"))
    )
    # The trends over the outbreak: people checked, persuaded back, new ledger entries.
    figures["trend.checkpoint"] = list(
        registrations.filter(local_date__gte=first, local_date__lte=day)
        .order_by("local_date")
        .values("local_date")
        .annotate(people=Sum("people_count"), persuaded=Sum("persuaded_count"))
    )
    figures["trend.ledger"] = list(
        entries.filter(created_at__gte=timezone.make_aware(datetime.combine(first, datetime.min.time())))
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .order_by("day").values("day").annotate(n=Count("pk"))
    )  # fmt: skip
    return figures


# The measured parts ---------------------------------------------------------------------------


def users():
    from fangyi.core.models import User

    names = command_dataset.USERNAMES
    found = {u.username: u for u in User.objects.filter(username__in=names.values())}
    return [(level, found[names[level]]) for level in ("county", "town", "village")]


def dashboard_exists() -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve("/command/")
    except Resolver404:
        return False
    return True


def dashboard_timings(args, day: date) -> tuple[list[Timing], list[Timing]]:
    """The page (if there) and the selectors it calls, for each of the three users."""
    from django.test import Client

    from fangyi.command import selectors

    pages, parts = [], []
    has_page = dashboard_exists()
    for level, user in users():
        jurisdiction = selectors.dashboard_jurisdiction(user, user.jurisdiction_id)

        def the_selectors(jurisdiction=jurisdiction, user=user):
            selectors.figures_for(jurisdiction, day)
            selectors.children_table(jurisdiction, day)
            selectors.checkpoints_open(jurisdiction)
            selectors.key_stock(jurisdiction)
            selectors.latest_open_alerts(jurisdiction, user)

        parts.append(
            Timing(f"selectors, {level} {jurisdiction.code}",
                   timed_calls(the_selectors, args.repeat, 5), goal_ms=None if has_page else GOAL_PAGE_MS)
        )  # fmt: skip
        if not has_page:
            continue
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        url = f"/command/?j={jurisdiction.code}"
        response = client.get(url)
        if response.status_code != 200:
            print(f"WARNING   GET {url} as {user.username}: {response.status_code}")
        size = len(response.content)
        pages.append(
            Timing(f"GET {url} ({level}, {size / 1024:.0f} KiB)",
                   timed_calls(lambda client=client, url=url: client.get(url), args.repeat, 5),
                   goal_ms=GOAL_PAGE_MS)
        )  # fmt: skip
    if not has_page:
        print("note      /command/ is not there (yet): the selectors it calls are timed instead")
    return pages, parts


def baseline_timings(args, day: date, now: datetime) -> list[Timing]:
    result = []
    for level, user in users():
        code = user.jurisdiction_id
        result.append(
            Timing(f"  baseline: raw aggregates, {level} {code}",
                   timed_calls(lambda code=code: direct_figures(code, day, now),
                         args.baseline_repeat, 1))
        )  # fmt: skip
    return result


def briefing_timing(day: date) -> list[Timing]:
    try:
        from fangyi.command.services import generate_briefing
    except ImportError as missing:
        print(f"SKIPPED   the briefing: fangyi.command.services.generate_briefing ({missing})")
        return []
    try:
        from fangyi.command.documents import briefing_pdf
    except ImportError as missing:
        briefing_pdf = None
        print(f"SKIPPED   the briefing PDF: fangyi.command.documents.briefing_pdf ({missing})")
    from fangyi.core.audit import Actor
    from fangyi.core.models import Jurisdiction

    county = Jurisdiction.objects.get(code=command_dataset.COUNTY)
    commander = users()[0][1]
    # The briefing of the day before (what the morning meeting reviews).
    reported = day - timedelta(days=1)
    seconds, briefing = once(lambda: generate_briefing(Actor(user=commander), county, reported))
    result = [Timing(f"generate_briefing, county, {reported}", [seconds])]
    if briefing_pdf is not None:
        seconds, pdf = once(lambda: briefing_pdf(briefing))
        result.append(
            Timing(f"briefing_pdf, county ({len(pdf) / 1024:.0f} KiB)", [seconds],
                   goal_ms=GOAL_PDF_S * 1000)
        )  # fmt: skip
        seconds, _pdf = once(lambda: briefing_pdf(briefing))
        result.append(Timing("briefing_pdf again (fonts loaded)", [seconds]))
    return result


def print_table(title: str, timings: list[Timing]) -> None:
    print(f"\n{title}")
    print(f"  {'':<58} {'runs':>5} {'p50 ms':>10} {'p95 ms':>10} {'max ms':>10}")
    for t in timings:
        ms = [v * 1e3 for v in (t.p50, t.p95, max(t.seconds))]
        print(f"  {t.label:<58} {len(t.seconds):>5} {ms[0]:>10.1f} {ms[1]:>10.1f}"
              f" {ms[2]:>10.1f}{'  ' + t.note if t.note else ''}")  # fmt: skip


def inner(args) -> None:
    command_dataset.setup_django()
    from django.db import connection
    from django.utils import timezone

    from fangyi.command import rollups, selectors

    print(f"machine   {os.cpu_count()} CPUs; PostgreSQL {connection.pg_version // 10000}."
          f"{connection.pg_version % 10000}; {timezone.now():%Y-%m-%d %H:%M} UTC")  # fmt: skip
    dataset = command_dataset.ensure(args.scale, reuse=args.reuse, wipe_first=args.wipe)
    print("dataset   " + ", ".join(f"{label} {n:,}" for label, n in dataset.counts.items()))
    if dataset.generated:
        print(f"generated in {dataset.seconds:.0f} s")

    # 1. Rollups.
    everything_s, outcome = once(lambda: rollups.refresh_rollups(everything=True))
    window = [once(rollups.refresh_rollups)[0] for _ in range(args.passes)]
    now = timezone.now()
    day = selectors.today()
    # 2. The check.
    check_s, differences = once(rollups.check_rollups)
    # 3. The dashboard, and 4. its baseline.
    pages, parts = dashboard_timings(args, day)
    baselines = baseline_timings(args, day, now)
    # 5. The briefing.
    briefing = briefing_timing(day)

    print("\n" + "=" * 96)
    print(f"refresh_rollups(everything=True)   {everything_s:8.1f} s   ({outcome.first_day} to"
          f" {outcome.last_day}, {outcome.cells:,} cells)")  # fmt: skip
    print(f"refresh_rollups() window pass      {statistics.median(window):8.1f} s   (median of"
          f" {len(window)}: {', '.join(f'{s:.1f}' for s in window)} s)")  # fmt: skip
    print(f"check_rollups()                    {check_s:8.1f} s   differences: {len(differences)}"
          f" {'(agrees exactly)' if not differences else '(MUST BE 0)'}")  # fmt: skip
    for difference in differences[:10]:
        print(f"    {difference}")
    print_table("dashboard (server time)", pages + parts)
    print_table("baseline: the same figures by direct aggregate queries", baselines)
    if briefing:
        print_table("briefing (county)", briefing)
    print()
    shown = pages or parts
    for measured, baseline in zip(shown, baselines, strict=True):
        met = measured.p95 * 1e3 < GOAL_PAGE_MS
        print(f"goal      {measured.label}: p95 under {GOAL_PAGE_MS} ms:"
              f" {'met' if met else 'MISSED'} ({measured.p95 * 1e3:.1f} ms); the baseline's p50 is"
              f" {baseline.p50 / measured.p50:.1f}× its p50")  # fmt: skip
    for t in briefing:
        if t.goal_ms:
            print(
                f"goal      {t.label}: under {GOAL_PDF_S:.0f} s:"
                f" {'met' if t.p95 * 1e3 < t.goal_ms else 'MISSED'} ({t.p95:.1f} s)"
            )
    print(f"goal      check_rollups agrees exactly: {'met' if not differences else 'MISSED'}")
    print_markdown(args, dataset, everything_s, window, check_s, differences, shown, baselines,
                   briefing)  # fmt: skip


def print_markdown(args, dataset, everything_s, window, check_s, differences, shown, baselines,
                   briefing) -> None:  # fmt: skip
    c = dataset.counts
    print("\n---- markdown for docs/benchmarks.md ----")
    print(f"""
## Command dashboard and daily briefing at county scale (issue 8)

What: a county generated by `bench/command_dataset.py` (set-based SQL in PostgreSQL, `--scale
{args.scale}`): 10 towns × 38 villages, 1,000 checkpoints, over 60 days
{c["registrations"]:,} checkpoint registrations, {c["ledger entries"]:,} ledger entries (with
their people; {c["verification tasks"]:,} push-list verification tasks),
{c["quarantine orders"]:,} quarantine orders with {c["follow-up checks"]:,} follow-up checks,
{c["cases"]:,} cases with {c["contacts"]:,} contacts, {c["alerts"]:,} alerts,
{c["shifts"]:,} published shifts ({c["assignments"]:,} assignments), {c["service requests"]:,}
service requests, {c["filings"]:,} enterprise filings and {c["stock movements"]:,} stock
movements. Measured in one process under the production settings: the rollups (a full pass and
the every-minute window pass), `check_rollups`, the dashboard's server time for the county
commander, a town commander and a village cadre ({args.repeat} requests each after 5
warm-ups), and the briefing PDF. Baseline in the same run: the same figures computed by direct
aggregate queries on the raw tables.

Commands (from the repository root; the database must be empty of county 999902 or hold it):

```
export DATABASE_URL=postgres://fangyi:fangyi@127.0.0.1:54330/fangyi_bench
.venv/bin/python bench/command_dashboard.py --wipe --scale {args.scale}   # generates, then measures
.venv/bin/python bench/command_dashboard.py --reuse              # measures it again
```

| figure | p50 | p95 | goal |
| --- | ---: | ---: | --- |
| generation (once) | {f"{dataset.seconds:.0f} s" if dataset.generated else "reused"} | | under 15 min |
| `refresh_rollups(everything=True)` | {everything_s:.1f} s | | |
| `refresh_rollups()` window pass | {statistics.median(window):.2f} s | | every minute |
| `check_rollups()` | {check_s:.1f} s | | {len(differences)} differences (must be 0) |""")
    for measured, baseline in zip(shown, baselines, strict=True):
        print(f"| {measured.label} | {measured.p50 * 1e3:.0f} ms | {measured.p95 * 1e3:.0f} ms"
              f" | p95 < {GOAL_PAGE_MS} ms |")  # fmt: skip
        print(
            f"| {baseline.label.strip()} | {baseline.p50 * 1e3:.0f} ms |"
            f" {baseline.p95 * 1e3:.0f} ms | {baseline.p50 / measured.p50:.0f}× slower |"
        )
    for t in briefing:
        print(f"| {t.label} | {t.p50:.2f} s | | {'< 5 s' if t.goal_ms else ''} |")
    print("\n---- end of markdown ----")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    command_dataset.add_arguments(parser)
    parser.add_argument("--repeat", type=int, default=50, help="requests per dashboard figure")
    parser.add_argument("--baseline-repeat", type=int, default=5)
    parser.add_argument("--passes", type=int, default=3, help="window passes to time")
    args = parser.parse_args()
    # Production settings (as bench/load_servers.py's app_environment), throwaway secrets.
    os.environ["FANGYI_DEBUG"] = "0"
    os.environ.setdefault("FANGYI_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault(
        "FANGYI_ENCRYPTION_KEY", base64.b64encode(secrets.token_bytes(32)).decode()
    )
    os.environ.setdefault("FANGYI_ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("FANGYI_SSL_REDIRECT", "0")
    inner(args)


if __name__ == "__main__":
    main()
