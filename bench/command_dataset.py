"""The county of the command-post benchmark (issue 8), generated in PostgreSQL by set-based SQL.

    DATABASE_URL=postgres://fangyi:fangyi@127.0.0.1:54330/fangyi_bench \\
        .venv/bin/python bench/command_dataset.py --scale 0.01      # a smoke run
    DATABASE_URL=... .venv/bin/python bench/command_dataset.py        # the full county
    DATABASE_URL=... .venv/bin/python bench/command_dataset.py --wipe --scale 0.1

DATA SETUP ONLY: nothing measured is written this way. County 999902 (the demo is 999901):
10 towns × 38 villages, 1,000 checkpoints (24 at each town, 2 at each village), a county
commander, a town commander and a village cadre, and over the 60 local days ending now, at
--scale 1.0:

- 10,000,000 checkpoint registrations (vehicles with plates, people, fevers, persuaded back,
  sent to quarantine), rising over the outbreak; a few received late (offline phones);
- 1,000,000 people, each with a ledger entry; 60 % came on a push list (one list per town and
  day, deadline 24 h) and have a verification task (most verified, some late, some never);
- 50,000 quarantine orders (home quarantine, centralized observation, home health monitoring)
  with their follow-up checks, two a day (~1.3 M: done, a few missed, fevers, cancelled after
  a transfer to hospital), cases (500) with close and secondary contacts (30 each), alerts
  (20,000), service requests with their events (20,000), enterprises with filings and events
  (2,000), a published roster per town and 20 days (two 12-hour shifts a day at every
  checkpoint, their assignments and check-ins), and stock at a store in every village.

Everything is INSERT … SELECT generate_series, in one transaction, with foreign-key triggers
off (session_replication_role = replica: the rows are consistent by construction) and the
secondary indexes of the big tables dropped before the load and rebuilt after it (the schema
is left as migrations made it). Then ANALYZE. `--reuse` keeps a county already there.
"""

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COUNTY = "999902"
TOWNS, VILLAGES_PER_TOWN = 10, 38
TOWN_CHECKPOINTS, VILLAGE_CHECKPOINTS = 24, 2
DAYS = 60
STAFF_PER_TOWN = 100
ROSTER_DAYS = 20
ITEMS = 8
USERNAMES = {
    "county": "bench-county",
    "town": "bench-town",
    "village": "bench-village",
}
# Rows at --scale 1.0.
FULL = {
    "registrations": 10_000_000,
    "people": 1_000_000,
    "orders": 50_000,
    "cases": 500,
    "alerts": 20_000,
    "requests": 20_000,
    "enterprises": 2_000,
}
CONTACTS_PER_CASE = 30  # 10 close, each with 2 secondary
BIG_TABLES = (
    "checkpoints_registration",
    "core_person",
    "ledger_ledgerentry",
    "ledger_verificationtask",
    "quarantine_followup",
    "quarantine_quarantineorder",
)
# What --wipe empties (and every table pointing at these, by CASCADE).
FILLED_TABLES = (
    "command_dailyfigure",
    "command_rolluprun",
    "command_briefing",
    "checkpoints_registration",
    "checkpoints_checkpoint",
    "ledger_verificationtask",
    "ledger_ledgerentry",
    "ledger_pushlist",
    "quarantine_followup",
    "quarantine_quarantineorder",
    "tracing_contact",
    "tracing_case",
    "core_alert",
    "roster_assignment",
    "roster_shift",
    "roster_roster",
    "roster_staffmember",
    "volunteers_requestevent",
    "volunteers_servicerequest",
    "enterprises_filingevent",
    "enterprises_filing",
    "enterprises_enterprise",
    "supplies_movement",
    "supplies_stocklevel",
    "supplies_stockoperation",
    "supplies_batch",
    "supplies_store",
    "supplies_item",
    "core_person",
)


@dataclass
class Dataset:
    now: datetime
    counts: dict[str, int]
    generated: bool
    seconds: float


def setup_django() -> None:
    os.environ.setdefault("FANGYI_DATA_DIR", "/tmp/bench-data")
    os.environ.setdefault("FANGYI_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangyi.settings")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://… (this benchmark needs PostgreSQL)")
    sys.path.insert(0, str(REPO))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)  # a fresh database, or one from before a migration


def sizes(scale: float) -> dict[str, int]:
    return {key: max(5, round(value * scale)) for key, value in FULL.items()}


def counts_now() -> dict[str, int]:
    from django.db import connection

    tables = {
        "registrations": "checkpoints_registration",
        "people": "core_person",
        "ledger entries": "ledger_ledgerentry",
        "verification tasks": "ledger_verificationtask",
        "push lists": "ledger_pushlist",
        "quarantine orders": "quarantine_quarantineorder",
        "follow-up checks": "quarantine_followup",
        "cases": "tracing_case",
        "contacts": "tracing_contact",
        "alerts": "core_alert",
        "shifts": "roster_shift",
        "assignments": "roster_assignment",
        "service requests": "volunteers_servicerequest",
        "filings": "enterprises_filing",
        "filing events": "enterprises_filingevent",
        "stock movements": "supplies_movement",
    }
    with connection.cursor() as cursor:
        result = {}
        for label, table in tables.items():
            # The planner's estimate after ANALYZE: counting 10 M rows takes seconds.
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            estimate = cursor.fetchone()[0]
            if estimate < 0 or estimate < 100_000:
                cursor.execute(f'SELECT count(*) FROM "{table}"')
                estimate = cursor.fetchone()[0]
            result[label] = estimate
        return result


def exists() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM core_jurisdiction WHERE code = %s)"
            " AND EXISTS (SELECT 1 FROM checkpoints_registration WHERE jurisdiction_id >= %s"
            " AND jurisdiction_id < %s)",
            [COUNTY, COUNTY, f"{int(COUNTY) + 1}"],
        )
        return bool(cursor.fetchone()[0])


def wipe() -> float:
    """Empty the tables this fills (TRUNCATE … CASCADE: for a database kept for this
    benchmark) and remove the county and its users."""
    from django.db import connection

    from fangyi.core.models import User

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(FILLED_TABLES)} RESTART IDENTITY CASCADE")
    User.objects.filter(username__in=USERNAMES.values()).delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_jurisdiction WHERE code LIKE %s", [f"{COUNTY}%"])
    return time.perf_counter() - started


class Loader:
    """Runs the generation steps, timing each."""

    def __init__(self, cursor, now: datetime, scale: float):
        from django.utils import timezone

        self.cursor = cursor
        self.now = now
        self.n = sizes(scale)
        self.today = timezone.localtime(now).date()
        self.first = self.today - timedelta(days=DAYS - 1)
        self.timings: list[tuple[str, float, int]] = []

    def sql(self, statement: str, params: dict | None = None) -> int:
        params = {"now": self.now, "first": self.first, "today": self.today, **(params or {})}
        self.cursor.execute(statement, params)
        return max(self.cursor.rowcount, 0)

    def step(self, label: str, work: Callable[[], int]) -> None:
        started = time.perf_counter()
        rows = work()
        seconds = time.perf_counter() - started
        self.timings.append((label, seconds, rows))
        print(f"  {label:<44} {rows:>11,} rows {seconds:>8.1f} s", flush=True)

    def reserve(self, table: str, count: int) -> int:
        """The first of `count` fresh ids of `table` (its identity sequence moved past them)."""
        self.cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
            " nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [table, table, count],
        )
        return self.cursor.fetchone()[0] - count + 1


# SQL fragments: the local day `first + d` as a moment, and how long it lasts up to now.
DAY_START = "(((%(first)s::date + ({d})::int) + time '00:00') AT TIME ZONE 'Asia/Shanghai')"
SPAN = "(LEAST(86400, extract(epoch FROM %(now)s::timestamptz - " + DAY_START + ")) - 60)"


def moment(d: str, fraction: str) -> str:
    """A moment in local day `first + d`, at `fraction` (0..1) of the part already past."""
    return f"({DAY_START.format(d=d)} + ({fraction}) * {SPAN.format(d=d)} * interval '1 second')"


def _structure(load: Loader) -> int:
    rows = [(COUNTY, "基准县", "county", None)]
    for t in range(TOWNS):
        town = f"{COUNTY}{101 + t:03d}"
        rows.append((town, f"基准{t + 1}镇", "town", COUNTY))
        for v in range(VILLAGES_PER_TOWN):
            rows.append((f"{town}{201 + v:03d}", f"{t + 1}镇{v + 1}村", "village", town))
    load.cursor.executemany(
        "INSERT INTO core_jurisdiction (code, name, level, parent_id) VALUES (%s, %s, %s, %s)",
        rows,
    )
    # Index tables the other steps join on (temporary: gone at the end of the session).
    load.sql(
        """
        CREATE TEMP TABLE bench_village ON COMMIT DROP AS
        SELECT (row_number() OVER (ORDER BY code) - 1)::int AS n, code, parent_id AS town,
               (dense_rank() OVER (ORDER BY parent_id) - 1)::int AS t
        FROM core_jurisdiction WHERE level = 'village' AND code LIKE %(county)s;
        CREATE TEMP TABLE bench_town ON COMMIT DROP AS
        SELECT (row_number() OVER (ORDER BY code) - 1)::int AS t, code
        FROM core_jurisdiction WHERE level = 'town' AND code LIKE %(county)s;
        """,
        {"county": f"{COUNTY}%"},
    )
    return len(rows)


def _checkpoints(load: Loader) -> int:
    load.sql(
        """
        INSERT INTO checkpoints_checkpoint (created_at, updated_at, code, name, kind, location,
            responsible_unit, responsible_person, responsible_phone, status, jurisdiction_id)
        SELECT %(now)s - interval '61 days', %(now)s, 'B' || right(w.code, 6) || '-' || k, w.code || '卡口' || k,
               CASE WHEN w.level = 'town' THEN 'town_entrance' ELSE 'village_entrance' END,
               '', '', '', '',
               CASE WHEN k %% 17 = 3 THEN 'closed' WHEN k %% 29 = 5 THEN 'sealed_exit'
                    ELSE 'open' END,
               w.code
        FROM core_jurisdiction w,
             generate_series(1, CASE WHEN w.level = 'town' THEN %(town)s ELSE %(village)s END) k
        WHERE w.code LIKE %(county)s AND w.level IN ('town', 'village');
        CREATE TEMP TABLE bench_cp ON COMMIT DROP AS
        SELECT (row_number() OVER (ORDER BY id) - 1)::int AS n, id, jurisdiction_id
        FROM checkpoints_checkpoint WHERE jurisdiction_id LIKE %(county)s;
        """,
        {"county": f"{COUNTY}%", "town": TOWN_CHECKPOINTS, "village": VILLAGE_CHECKPOINTS},
    )
    load.cursor.execute("SELECT count(*) FROM bench_cp")
    return load.cursor.fetchone()[0]


def _users(load: Loader) -> int:
    from django.contrib.auth.models import Group

    from fangyi.core.models import User
    from fangyi.core.roles import Role

    town, village = f"{COUNTY}101", f"{COUNTY}101201"
    users = [
        User(username=USERNAMES["county"], password="!", role=Role.COUNTY_COMMANDER,
             jurisdiction_id=COUNTY, full_name="基准县指挥长"),
        User(username=USERNAMES["town"], password="!", role=Role.TOWN_COMMANDER,
             jurisdiction_id=town, full_name="基准镇指挥长"),
        User(username=USERNAMES["village"], password="!", role=Role.VILLAGE_CADRE,
             jurisdiction_id=village, full_name="基准村干部"),
    ]  # fmt: skip
    users = User.objects.bulk_create(users)
    groups = dict(Group.objects.values_list("name", "pk"))
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=user.pk, group_id=groups[user.role]) for user in users
    )
    return len(users)


def _registrations(load: Loader) -> int:
    """Per day, rising from half to one and a half times the mean over the 60 days."""
    total = load.n["registrations"]
    weights = [0.5 + d / (DAYS - 1) for d in range(DAYS)]
    per_day = [round(total * w / sum(weights)) for w in weights]
    per_day[-1] += total - sum(per_day)
    rows = 0
    for d, count in enumerate(per_day):
        if d == DAYS - 1:
            # Today: only the part of the day already past.
            elapsed = (load.now - _local_midnight(load.today)).total_seconds() / 86400
            count = round(count * min(1.0, elapsed))
        rows += load.sql(
            f"""
            INSERT INTO checkpoints_registration (external_id, occurred_at, local_date,
                received_at, direction, plate, from_place, to_place, reason, result,
                people_count, fever_count, persuaded_count, quarantined_count, conflict, notes,
                checkpoint_id, jurisdiction_id)
            SELECT gen_random_uuid(), r.at, %(first)s::date + %(d)s,
                   LEAST(r.at + CASE WHEN r.u4 < 0.98 THEN r.u4 * 60 ELSE r.u4 * 7200 END
                         * interval '1 second', %(now)s),
                   CASE WHEN r.u1 < 0.5 THEN 'in' ELSE 'out' END,
                   CASE WHEN r.u2 < 0.7
                        THEN '鄂' || chr(65 + (r.g %% 26)) || lpad(((r.g * 7919) %% 100000)::text, 5, '0')
                        ELSE '' END,
                   '', '', '', r.result, r.people,
                   CASE WHEN r.result = 'fever_clinic' THEN 1 ELSE 0 END,
                   CASE WHEN r.result = 'persuaded_back' THEN r.people ELSE 0 END,
                   CASE WHEN r.result IN ('home_quarantine', 'centralized') THEN 1 ELSE 0 END,
                   '', '', c.id, c.jurisdiction_id
            FROM (
                SELECT g, u1, u2, u4, {moment("%(d)s", "u1")} AS at,
                       (floor(u3 * (SELECT count(*) FROM bench_cp)))::int AS cp,
                       1 + floor(u2 * u2 * 5)::int AS people,
                       CASE WHEN u5 < 0.90 THEN 'passed' WHEN u5 < 0.97 THEN 'persuaded_back'
                            WHEN u5 < 0.985 THEN 'refused' WHEN u5 < 0.99 THEN 'fever_clinic'
                            WHEN u5 < 0.998 THEN 'home_quarantine' ELSE 'centralized' END AS result
                FROM (SELECT g, random() u1, random() u2, random() u3, random() u4, random() u5
                      FROM generate_series(1, %(count)s) g) u
            ) r JOIN bench_cp c ON c.n = r.cp
            """,
            {"d": d, "count": count},
        )
        if d % 10 == 9:
            print(f"    … day {d + 1}/{DAYS}: {rows:,} registrations", flush=True)
    return rows


def _local_midnight(day: date) -> datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _people(load: Loader) -> int:
    people = load.n["people"]
    load.base_person = load.reserve("core_person", people)
    return load.sql(
        f"""
        INSERT INTO core_person (id, created_at, updated_at, external_id, name, name_pinyin,
            name_initials, sex, birth_date, phone_last4, household_address, current_address,
            jurisdiction_id)
        SELECT %(base)s + g, {moment(f"(g * {DAYS}::bigint / %(n)s)", "0.1")}, %(now)s, gen_random_uuid(),
               (ARRAY['张','王','李','刘','陈','杨','赵','黄'])[1 + g %% 8] || '某' || g,
               (ARRAY['zhang','wang','li','liu','chen','yang','zhao','huang'])[1 + g %% 8]
                   || 'mou' || g,
               (ARRAY['z','w','l','l','c','y','z','h'])[1 + g %% 8] || 'm',
               CASE WHEN g %% 2 = 0 THEN 'M' ELSE 'F' END,
               date '1950-01-01' + (g %% 20000), '', '', '', v.code
        FROM generate_series(0, %(n)s - 1) g JOIN bench_village v ON v.n = g %% 380
        """,
        {"base": load.base_person, "n": people},
    )


def _push_lists(load: Loader) -> int:
    load.base_list = load.reserve("ledger_pushlist", TOWNS * DAYS)
    # Received at 09:00 (or halfway through today if it is not 09:00 yet), 24 h to verify.
    received = (
        f"({DAY_START.format(d='d')} + LEAST(32400, {SPAN.format(d='d')} / 2)"
        " * interval '1 second')"
    )
    return load.sql(
        f"""
        INSERT INTO ledger_pushlist (id, created_at, updated_at, external_id, name, source,
            category, received_at, deadline_at, original_filename, stored_file, file_sha256,
            status, header_row, header_cells, mapping, progress_stage, progress_done,
            progress_total, started_at, finished_at, failure_reason, rows, imported, matched,
            merged, errors, error_rows, error_cells, merged_rows, town_id)
        SELECT %(base)s + t.t * {DAYS} + d, x.at, x.at, gen_random_uuid(),
               to_char(%(first)s::date + d, 'MM月DD日') || '大数据推送', 'county', 'returnee',
               x.at, x.at + interval '24 hours', 'push.xlsx', '', '', 'done', 1, '[]', '{{}}',
               '', 0, 0, x.at, x.at, '', 0, 0, 0, 0, 0, '[]', '[]', '[]', t.code
        FROM bench_town t, generate_series(0, {DAYS - 1}) d,
             LATERAL (SELECT {received} AS at) x
        """,
        {"base": load.base_list},
    )


def _ledger(load: Loader) -> int:
    """One entry per person; 60 % came on their town's push list of the day."""
    people = load.n["people"]
    load.base_entry = load.reserve("ledger_ledgerentry", people)
    load.sql(
        f"""
        CREATE TEMP TABLE bench_entry ON COMMIT DROP AS
        SELECT g, %(base)s + g AS id, v.code AS village, e.d, e.pushed, e.u,
               CASE WHEN e.pushed THEN %(lists)s + v.t * {DAYS} + e.d END AS list_id,
               CASE WHEN e.pushed THEN LEAST(pl.received_at + (g %% 3600) * interval '1 second',
                                              %(now)s - interval '1 minute')
                    ELSE {moment("e.d", "e.u")} END AS created_at,
               pl.received_at, pl.deadline_at
        FROM generate_series(0, %(n)s - 1) g
             JOIN bench_village v ON v.n = g %% 380
             CROSS JOIN LATERAL (SELECT (g * {DAYS}::bigint / %(n)s)::int AS d, g %% 10 < 6 AS pushed,
                                        random() AS u) e
             LEFT JOIN ledger_pushlist pl ON pl.id = %(lists)s + v.t * {DAYS} + e.d;
        ALTER TABLE bench_entry ADD COLUMN verified_at timestamptz;
        UPDATE bench_entry SET verified_at = received_at + u * u * interval '36 hours'
        WHERE pushed AND u < 0.97 AND received_at + u * u * interval '36 hours' < %(now)s;
        """,
        {"base": load.base_entry, "n": people, "lists": load.base_list},
    )
    return load.sql(
        """
        INSERT INTO ledger_ledgerentry (id, created_at, updated_at, external_id, category, status,
            status_changed_at, source_area, source_area_code, risk_level, arrival_date,
            transport, trip_number, symptoms, local_address, local_contact, notes,
            jurisdiction_id, person_id, push_list_id, proposed_measure)
        SELECT e.id, e.created_at, COALESCE(e.verified_at, e.created_at), gen_random_uuid(),
               'returnee',
               CASE WHEN e.pushed AND e.verified_at IS NULL THEN 'pending'
                    WHEN NOT e.pushed AND e.u < 0.05 THEN 'pending'
                    ELSE (ARRAY['verified_home','verified_home','verified_home','verified_home',
                                'verified_home','home_quarantine','centralized','not_local',
                                'wrong_info','left','released','released'])[1 + e.g %% 12] END,
               COALESCE(e.verified_at, e.created_at), '湖北省武汉市', '420100', 'high',
               (e.created_at AT TIME ZONE 'Asia/Shanghai')::date - 1,
               (ARRAY['rail','air','coach','self_drive'])[1 + e.g %% 4], '', '', '', '', '',
               e.village, %(people)s + e.g, e.list_id, ''
        FROM bench_entry e
        """,
        {"people": load.base_person},
    )


def _verification_tasks(load: Loader) -> int:
    return load.sql(
        """
        INSERT INTO ledger_verificationtask (source_row, result, verified_at, note, entry_id,
            push_list_id)
        SELECT 2 + e.g %% 5000,
               CASE WHEN e.verified_at IS NULL THEN ''
                    ELSE (ARRAY['already_screened','already_screened','already_screened',
                                'newly_found','wrong_info','not_local','past_window',
                                'passing_through'])[1 + e.g %% 8] END,
               e.verified_at, '', e.id, e.list_id
        FROM bench_entry e WHERE e.pushed
        """
    )


def _orders(load: Loader) -> int:
    """Orders for the first people (each has a ledger entry), started evenly over the days;
    released at the end of their period, 3 % sent to hospital halfway."""
    orders = load.n["orders"]
    load.base_order = load.reserve("quarantine_quarantineorder", orders)
    load.sql(
        f"""
        CREATE TEMP TABLE bench_order ON COMMIT DROP AS
        SELECT g, %(base)s + g AS id, v.code AS village, o.kind, o.d,
               %(first)s::date + o.d AS start_date,
               %(first)s::date + o.d + o.length AS planned_end,
               {moment("o.d", "0.3")} AS created_at, o.length, o.u
        FROM generate_series(0, %(n)s - 1) g
             JOIN bench_village v ON v.n = g %% 380
             CROSS JOIN LATERAL (
                 SELECT CASE WHEN g %% 20 < 12 THEN 'home_quarantine'
                             WHEN g %% 20 < 17 THEN 'centralized'
                             ELSE 'home_monitoring' END AS kind,
                        (g * 7) %% {DAYS} AS d, random() AS u,
                        CASE WHEN g %% 20 < 17 THEN 14 ELSE 7 END AS length) o;
        ALTER TABLE bench_order ADD COLUMN ended_at timestamptz, ADD COLUMN status text;
        -- Sent to hospital: halfway through, at 15:00; released: the planned day, 10:00.
        UPDATE bench_order SET status = 'hospital',
               ended_at = ((start_date + length / 2) + time '15:00') AT TIME ZONE 'Asia/Shanghai'
        WHERE u < 0.03;
        UPDATE bench_order SET status = 'released',
               ended_at = (planned_end + time '10:00') AT TIME ZONE 'Asia/Shanghai'
        WHERE status IS NULL;
        UPDATE bench_order SET status = 'active', ended_at = NULL WHERE ended_at >= %(now)s;
        """,
        {"base": load.base_order, "n": orders},
    )
    return load.sql(
        """
        INSERT INTO quarantine_quarantineorder (id, created_at, updated_at, external_id, kind,
            status, reason, reason_note, start_date, planned_end_date, address, door_sealed,
            ended_at, end_note, hospital, jurisdiction_id, ledger_entry_id, person_id)
        SELECT o.id, o.created_at, COALESCE(o.ended_at, o.created_at), gen_random_uuid(), o.kind,
               o.status, 'ledger', '', o.start_date, o.planned_end, '', false, o.ended_at, '',
               CASE WHEN o.status = 'hospital' THEN '县人民医院' ELSE '' END, o.village,
               %(entries)s + o.g, %(people)s + o.g
        FROM bench_order o
        """,
        {"entries": load.base_entry, "people": load.base_person},
    )


def _follow_ups(load: Loader) -> int:
    """Two checks a day (08:00, 18:00) for each day of the period: done within half an hour
    (0.3 % fevers), 1 % missed, a few still pending past the grace; cancelled after a transfer."""
    return load.sql(
        """
        INSERT INTO quarantine_followup (day, slot, due_at, status, temperature, symptoms,
            method, checked_at, reported_by, late, note, order_id)
        SELECT c.day, c.slot, c.due_at, c.status,
               CASE WHEN c.status = 'done' THEN
                   CASE WHEN c.u < 0.003 THEN 37.5 + round((c.u * 300)::numeric, 1)
                        ELSE 36.2 + round((c.u * 0.9)::numeric, 1) END END,
               '[]', CASE WHEN c.slot = 0 THEN 'door' ELSE 'phone' END,
               CASE WHEN c.status = 'done'
                    THEN LEAST(c.due_at + c.u * interval '30 minutes', %(now)s) END,
               '', false, '', c.order_id
        FROM (
            SELECT o.id AS order_id, k.day, s.slot, x.due_at, x.u,
                   CASE WHEN o.ended_at IS NOT NULL AND x.due_at >= o.ended_at THEN 'cancelled'
                        WHEN x.due_at > %(now)s - interval '30 minutes' THEN 'pending'
                        WHEN x.u > 0.995 THEN 'pending'
                        WHEN x.u > 0.985 THEN 'missed'
                        ELSE 'done' END AS status
            FROM bench_order o
                 CROSS JOIN LATERAL generate_series(1, o.length) k(day)
                 CROSS JOIN generate_series(0, 1) s(slot)
                 CROSS JOIN LATERAL (
                     SELECT (((o.start_date + k.day - 1)
                              + CASE WHEN s.slot = 0 THEN time '08:00' ELSE time '18:00' END)
                             AT TIME ZONE 'Asia/Shanghai') AS due_at, random() AS u) x
        ) c
        """
    )


def _tracing(load: Loader) -> int:
    cases, orders = load.n["cases"], load.n["orders"]
    contacts_from = orders  # people [orders, orders + contacts) are contacts
    cases_from = orders + cases * CONTACTS_PER_CASE
    base_case = load.reserve("tracing_case", cases)
    load.sql(
        f"""
        INSERT INTO tracing_case (id, created_at, updated_at, external_id, classification,
            report_date, hospital, notes, jurisdiction_id, person_id)
        SELECT %(base)s + k, {moment("(k * 11) %% 60", "0.4")}, %(now)s, gen_random_uuid(),
               'confirmed', %(first)s::date + (k * 11) %% 60, '县人民医院', '', v.code,
               %(people)s + %(cases_from)s + k
        FROM generate_series(0, %(n)s - 1) k
             JOIN bench_village v ON v.n = (%(cases_from)s + k) %% 380
        """,
        {"base": base_case, "n": cases, "people": load.base_person, "cases_from": cases_from},
    )
    # j < 10: close contacts of the case; j >= 10: secondary, of close contact (j - 10) / 2.
    return cases + load.sql(
        f"""
        INSERT INTO tracing_contact (degree, relation, note, recorded_at, case_id, person_id,
            source_id)
        SELECT CASE WHEN j < 10 THEN 'close' ELSE 'secondary' END,
               CASE WHEN j < 4 THEN 'household' ELSE 'other' END, '',
               LEAST(c.created_at + (1 + j) * interval '10 minutes', %(now)s), c.id,
               %(people)s + %(contacts_from)s + (c.id - %(base)s) * {CONTACTS_PER_CASE} + j,
               CASE WHEN j < 10 THEN c.person_id
                    ELSE %(people)s + %(contacts_from)s + (c.id - %(base)s) * {CONTACTS_PER_CASE}
                         + (j - 10) / 2 END
        FROM tracing_case c CROSS JOIN generate_series(0, {CONTACTS_PER_CASE - 1}) j
        WHERE c.id >= %(base)s
        """,
        {"people": load.base_person, "contacts_from": contacts_from, "base": base_case},
    )


def _alerts(load: Loader) -> int:
    return load.sql(
        f"""
        INSERT INTO core_alert (kind, message, link, raised_at, acknowledged_at, jurisdiction_id)
        SELECT a.kind, a.kind || ' #' || g, '/quarantine/', a.at,
               CASE WHEN a.u < 0.92 AND a.at + a.u * interval '3 hours' < %(now)s
                    THEN a.at + a.u * interval '3 hours' END, v.code
        FROM generate_series(0, %(n)s - 1) g
             JOIN bench_village v ON v.n = (g * 13) %% 380
             CROSS JOIN LATERAL (
                 SELECT (ARRAY['fever','missed_check','symptom','quarantine_leaving','no_pass',
                               'no_show'])[1 + g %% 6] AS kind,
                        {moment("g %% 60", "random()")} AS at, random() AS u) a
        """,
        {"n": load.n["alerts"]},
    )


def _rosters(load: Loader) -> int:
    """Per town, a published roster for each 20 days; two 12-hour shifts a day at each
    checkpoint needing two people; 2 % of shifts staffed with one, 1 % with none; 98 % of the
    assignments checked in."""
    base_staff = load.reserve("roster_staffmember", TOWNS * STAFF_PER_TOWN)
    load.sql(
        f"""
        INSERT INTO roster_staffmember (id, created_at, updated_at, name, role,
            max_hours_per_week, max_shifts_per_day, active, jurisdiction_id)
        SELECT %(base)s + t.t * {STAFF_PER_TOWN} + k, %(now)s, %(now)s, '值守' || t.t || '-' || k,
               'cadre', 60, 1, true, t.code
        FROM bench_town t, generate_series(0, {STAFF_PER_TOWN - 1}) k
        """,
        {"base": base_staff},
    )
    load.sql(
        f"""
        INSERT INTO roster_roster (created_at, updated_at, starts_on, days, min_rest_hours,
            keep_groups_together, status, published_at, solve_state, solve_progress,
            time_limit_seconds, result, uncovered, explanation, town_id)
        SELECT x.at, x.at, %(first)s::date + r * {ROSTER_DAYS}, {ROSTER_DAYS}, 12, false,
               'published', x.at, 'done', '', 30, 'OPTIMAL', 0, '{{}}', t.code
        FROM bench_town t, generate_series(0, {DAYS // ROSTER_DAYS - 1}) r,
             LATERAL (SELECT {DAY_START.format(d=f"r * {ROSTER_DAYS} - 2")} AS at) x
        """
    )
    shifts = load.sql(
        f"""
        INSERT INTO roster_shift (starts_at, ends_at, needed, role_minimums, is_night,
            checkpoint_id, roster_id)
        SELECT x.at, x.at + interval '12 hours', 2, '{{}}', s = 1, c.id, r.id
        FROM bench_cp c
             JOIN bench_town t ON t.code = left(c.jurisdiction_id, 9)
             JOIN roster_roster r ON r.town_id = t.code
             CROSS JOIN generate_series(0, {ROSTER_DAYS - 1}) d
             CROSS JOIN generate_series(0, 1) s
             CROSS JOIN LATERAL (
                 SELECT ((r.starts_on + d) + CASE WHEN s = 0 THEN time '08:00'
                                                  ELSE time '20:00' END)
                        AT TIME ZONE 'Asia/Shanghai' AS at) x
        WHERE t.code LIKE %(county)s
        """,
        {"county": f"{COUNTY}%"},
    )
    assignments = load.sql(
        f"""
        INSERT INTO roster_assignment (locked, source, assigned_at, checked_in_at, shift_id,
            staff_id)
        SELECT false, 'solver', r.published_at,
               CASE WHEN sh.starts_at + interval '5 minutes' < %(now)s
                         AND (sh.id * 31 + a) %% 50 <> 0
                    THEN sh.starts_at + interval '5 minutes' END,
               sh.id,
               %(base)s + t.t * {STAFF_PER_TOWN} + (sh.id * 2 + a) %% {STAFF_PER_TOWN}
        FROM roster_shift sh
             JOIN roster_roster r ON r.id = sh.roster_id
             JOIN bench_town t ON t.code = r.town_id
             CROSS JOIN generate_series(0, 1) a
        WHERE t.code LIKE %(county)s
          AND NOT (sh.id %% 100 = 7 OR (a = 1 AND sh.id %% 50 = 3))
        """,
        {"base": base_staff, "county": f"{COUNTY}%"},
    )
    return shifts + assignments


def _service_requests(load: Loader) -> int:
    requests = load.n["requests"]
    base = load.reserve("volunteers_servicerequest", requests)
    load.sql(
        f"""
        CREATE TEMP TABLE bench_request ON COMMIT DROP AS
        SELECT %(base)s + g AS id, v.code AS village, x.at, x.u,
               x.at + (0.5 + x.u) * interval '20 hours' AS closed_at
        FROM generate_series(0, %(n)s - 1) g
             JOIN bench_village v ON v.n = (g * 7) %% 380
             CROSS JOIN LATERAL (SELECT {moment("g %% 60", "random()")} AS at,
                                        random() AS u) x;
        ALTER TABLE bench_request ADD COLUMN status text;
        UPDATE bench_request SET status = CASE WHEN closed_at >= %(now)s OR u > 0.97
                                                    THEN CASE WHEN u > 0.5 THEN 'accepted'
                                                              ELSE 'new' END
                                               WHEN u < 0.03 THEN 'cancelled'
                                               WHEN u < 0.7 OR closed_at > %(now)s - interval '1 hour'
                                                    THEN 'done'
                                               ELSE 'confirmed' END;
        """,
        {"base": base, "n": requests},
    )
    rows = load.sql(
        """
        INSERT INTO volunteers_servicerequest (id, created_at, updated_at, external_id,
            requester_kind, household_name, address, kind, details, needed_by, status, channel,
            done_at, delivery_note, delivery_photo, hours, confirmed_via, jurisdiction_id)
        SELECT r.id, r.at, r.at, gen_random_uuid(), 'elderly', '住户' || r.id, '',
               (ARRAY['groceries','medicine','rubbish','escort'])[1 + r.id %% 4], '',
               r.at + interval '24 hours', r.status, 'staff',
               CASE WHEN r.status IN ('done', 'confirmed') THEN r.closed_at END, '', '', 0, '',
               r.village
        FROM bench_request r
        """
    )
    return rows + load.sql(
        """
        INSERT INTO volunteers_requestevent (at, actor_username, status, note, request_id)
        SELECT r.at, 'bench', 'new', '', r.id FROM bench_request r
        UNION ALL
        SELECT r.closed_at, 'bench', CASE WHEN r.status = 'confirmed' THEN 'done' ELSE r.status END,
               '', r.id
        FROM bench_request r WHERE r.status IN ('done', 'confirmed', 'cancelled')
        UNION ALL
        SELECT r.closed_at + interval '1 hour', 'bench', 'confirmed', '', r.id
        FROM bench_request r WHERE r.status = 'confirmed'
        """
    )


def _enterprises(load: Loader) -> int:
    """Filings submitted over the days; approved the next day (70 %, 5 % of them reopened two
    days later), rejected (5 %), or still waiting."""
    enterprises = load.n["enterprises"]
    base = load.reserve("enterprises_enterprise", enterprises)
    load.sql(
        """
        INSERT INTO enterprises_enterprise (id, created_at, updated_at, external_id, name,
            credit_code, address, industry, size, staff_count, contact_name, jurisdiction_id)
        SELECT %(base)s + g, %(now)s - interval '61 days', %(now)s, gen_random_uuid(),
               '企业' || g, '91' || lpad(g::text, 16, '0'), '',
               (ARRAY['manufacturing','retail','catering','logistics'])[1 + g %% 4], 'small',
               20 + g %% 80, '联系人', v.code
        FROM generate_series(0, %(n)s - 1) g JOIN bench_village v ON v.n = (g * 3) %% 380
        """,
        {"base": base, "n": enterprises},
    )
    load.sql(
        f"""
        CREATE TEMP TABLE bench_filing ON COMMIT DROP AS
        SELECT %(base)s + g AS enterprise_id, x.at AS submitted_at, x.u,
               x.at + interval '1 day' AS decided_at, x.at + interval '3 days' AS reopened_at
        FROM generate_series(0, %(n)s - 1) g
             CROSS JOIN LATERAL (SELECT {moment("g %% 60", "random()")} AS at,
                                        random() AS u) x;
        ALTER TABLE bench_filing ADD COLUMN status text, ADD COLUMN id bigint;
        UPDATE bench_filing SET status = CASE
            WHEN u < 0.7 AND reopened_at < %(now)s AND u < 0.035 THEN 'reopened'
            WHEN u < 0.7 AND decided_at < %(now)s THEN 'approved'
            WHEN u < 0.75 AND decided_at < %(now)s THEN 'rejected'
            ELSE 'submitted' END;
        """,
        {"base": base, "n": enterprises},
    )
    filing_base = load.reserve("enterprises_filing", enterprises)
    load.sql(
        "UPDATE bench_filing SET id = %(base)s + (enterprise_id - %(e)s)",
        {"base": filing_base, "e": base},
    )
    rows = load.sql(
        """
        INSERT INTO enterprises_filing (id, created_at, updated_at, external_id, status,
            commitment_signed_by, plan_file, plan_filename, mask_days, thermometer_days,
            disinfectant_days, isolation_rooms, roster_filename, employee_count, flagged_count,
            roster_errors, warnings, submitted_at, decided_at, decision_reason, enterprise_id)
        SELECT f.id, f.submitted_at, f.submitted_at, gen_random_uuid(), f.status, '法人', '', '',
               14, 14, 14, 1, '', 20, 0, '[]', '[]', f.submitted_at,
               CASE WHEN f.status IN ('approved', 'rejected', 'reopened') THEN f.decided_at END,
               '', f.enterprise_id
        FROM bench_filing f
        """
    )
    return rows + load.sql(
        """
        INSERT INTO enterprises_filingevent (at, actor_username, status, message, filing_id)
        SELECT submitted_at, 'bench', 'submitted', '', id FROM bench_filing
        UNION ALL
        SELECT decided_at, 'bench', CASE WHEN status = 'reopened' THEN 'approved' ELSE status END,
               '', id
        FROM bench_filing WHERE status IN ('approved', 'rejected', 'reopened')
        UNION ALL
        SELECT reopened_at, 'bench', 'reopened', '', id FROM bench_filing WHERE status = 'reopened'
        """
    )


def _supplies(load: Loader) -> int:
    """A store in every village with ITEMS items from one batch each, received on the first
    day and issued daily: the dashboard's stock panel (days of cover)."""
    load.sql(
        """
        INSERT INTO supplies_item (created_at, updated_at, name, category, specification, unit,
            warning_threshold, active)
        SELECT %(now)s, %(now)s, '基准物资' || k, 'protection', '', '只', 200, true
        FROM generate_series(1, %(items)s) k;
        INSERT INTO supplies_store (created_at, updated_at, name, kind, keeper, active,
            jurisdiction_id)
        SELECT %(now)s, %(now)s, v.code || '物资点', 'village', '', true, v.code
        FROM bench_village v;
        CREATE TEMP TABLE bench_stock ON COMMIT DROP AS
        SELECT s.id AS store_id, s.jurisdiction_id, i.id AS item_id
        FROM supplies_store s JOIN bench_village v ON v.code = s.jurisdiction_id
             CROSS JOIN supplies_item i WHERE i.name LIKE '基准物资%%';
        INSERT INTO supplies_batch (item_id, number, maker, source, received_at)
        SELECT id, 'B1', '', 'allocated', %(now)s - interval '61 days'
        FROM supplies_item WHERE name LIKE '基准物资%%';
        INSERT INTO supplies_stockoperation (external_id, kind, at, store_id, jurisdiction_id,
            source, recipient, reason, actor_username)
        SELECT gen_random_uuid(), CASE WHEN d = 0 THEN 'transfer' ELSE 'issue' END,
               (((%(first)s::date + d) + time '07:00') AT TIME ZONE 'Asia/Shanghai'),
               s.id, s.jurisdiction_id, '', '', '', 'bench'
        FROM supplies_store s JOIN bench_village v ON v.code = s.jurisdiction_id
             CROSS JOIN generate_series(0, %(days)s - 2) d;
        """,
        {"items": ITEMS, "days": DAYS},
    )
    rows = load.sql(
        """
        INSERT INTO supplies_movement (operation_id, store_id, item_id, batch_id, jurisdiction_id,
            quantity, at)
        SELECT o.id, o.store_id, b.item_id, b.id, o.jurisdiction_id,
               CASE WHEN o.kind = 'transfer' THEN 3000 ELSE -(10 + (o.id + b.id) %% 30) END, o.at
        FROM supplies_stockoperation o
             JOIN bench_village v ON v.code = o.jurisdiction_id
             CROSS JOIN supplies_batch b JOIN supplies_item i ON i.id = b.item_id
        WHERE i.name LIKE '基准物资%%'
        """
    )
    return rows + load.sql(
        """
        INSERT INTO supplies_stocklevel (store_id, item_id, batch_id, jurisdiction_id, quantity)
        SELECT m.store_id, m.item_id, m.batch_id, m.jurisdiction_id, sum(m.quantity)
        FROM supplies_movement m JOIN bench_village v ON v.code = m.jurisdiction_id
        GROUP BY m.store_id, m.item_id, m.batch_id, m.jurisdiction_id
        """
    )


STEPS: list[tuple[str, Callable[[Loader], int]]] = [
    ("jurisdictions", _structure),
    ("checkpoints", _checkpoints),
    ("users", _users),
    ("registrations", _registrations),
    ("people", _people),
    ("push lists", _push_lists),
    ("ledger entries", _ledger),
    ("verification tasks", _verification_tasks),
    ("quarantine orders", _orders),
    ("follow-up checks", _follow_ups),
    ("cases and contacts", _tracing),
    ("alerts", _alerts),
    ("rosters: shifts and assignments", _rosters),
    ("service requests and events", _service_requests),
    ("enterprises: filings and events", _enterprises),
    ("supplies: stores, movements, levels", _supplies),
]


def _secondary_indexes(cursor) -> list[tuple[str, str, str]]:
    """(table, name, how to recreate) of the big tables' indexes other than the primary keys:
    unique constraints as ALTER TABLE … ADD CONSTRAINT, the rest as CREATE INDEX."""
    cursor.execute(
        """
        SELECT t.relname, i.relname,
               CASE WHEN c.contype = 'u'
                    THEN format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', t.relname, c.conname,
                                pg_get_constraintdef(c.oid))
                    ELSE pg_get_indexdef(i.oid) END,
               c.contype
        FROM pg_index x
             JOIN pg_class i ON i.oid = x.indexrelid
             JOIN pg_class t ON t.oid = x.indrelid
             LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.conrelid = t.oid
        WHERE t.relname = ANY(%s) AND NOT x.indisprimary
        ORDER BY t.relname, i.relname
        """,
        [list(BIG_TABLES)],
    )
    rows = cursor.fetchall()
    return [(table, name, sql, kind) for table, name, sql, kind in rows]


def generate(scale: float) -> Dataset:
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    started = time.perf_counter()
    print(f"generating county {COUNTY} at scale {scale} ({DAYS} days to {now:%Y-%m-%d %H:%M} UTC)")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # no FK triggers
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        load = Loader(cursor, now, scale)
        indexes = _secondary_indexes(cursor)

        def drop() -> int:
            for table, name, _sql, kind in indexes:
                if kind == "u":
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                else:
                    cursor.execute(f'DROP INDEX "{name}"')
            return len(indexes)

        load.step("drop secondary indexes of the big tables", drop)
        for label, work in STEPS:
            load.step(label, lambda work=work: work(load))

        def rebuild() -> int:
            for table, name, sql, _kind in indexes:
                one = time.perf_counter()
                cursor.execute(sql)
                if time.perf_counter() - one > 5:
                    print(f"    … {table}.{name}: {time.perf_counter() - one:.0f} s", flush=True)
            return len(indexes)

        load.step("rebuild the secondary indexes", rebuild)
    analyse_started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {'ANALYZE':<44} {'':>16} {time.perf_counter() - analyse_started:>8.1f} s")
    seconds = time.perf_counter() - started
    print(f"  {'generated in':<44} {'':>16} {seconds:>8.1f} s")
    return Dataset(now=now, counts=counts_now(), generated=True, seconds=seconds)


def ensure(scale: float, *, reuse: bool, wipe_first: bool = False) -> Dataset:
    """The county: generated, or the one already there with --reuse."""
    from django.db.models import Max
    from django.utils import timezone

    from fangyi.checkpoints.models import Registration

    if wipe_first:
        print(f"wiped the benchmark's tables in {wipe():.1f} s")
    if exists():
        if not reuse:
            sys.exit(
                f"county {COUNTY} is already in the database: pass --reuse to measure it, or"
                " --wipe to empty the benchmark's tables and generate it again"
            )
        last = Registration.objects.aggregate(last=Max("received_at"))["last"]
        return Dataset(now=last or timezone.now(), counts=counts_now(), generated=False, seconds=0)
    return generate(scale)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 10 M registrations")
    parser.add_argument("--reuse", action="store_true", help="keep the county already there")
    parser.add_argument(
        "--wipe", action="store_true", help="TRUNCATE the tables this fills, then generate"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args()
    setup_django()
    dataset = ensure(args.scale, reuse=args.reuse, wipe_first=args.wipe)
    for label, count in dataset.counts.items():
        print(f"  {label:<24} {count:>12,}")


if __name__ == "__main__":
    main()
