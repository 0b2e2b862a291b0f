"""Benchmark: quarantine and tracing at a city's scale (issue 5), each figure with its baseline.

    .venv/bin/python bench/quarantine_scale.py                # PostgreSQL 15: the figures
    .venv/bin/python bench/quarantine_scale.py --sqlite       # the same on SQLite
    .venv/bin/python bench/quarantine_scale.py --orders 2000 --contacts 20000   # a quick try

One command does everything and cleans up after itself: a throwaway PostgreSQL 15 cluster (as
bench/checkpoint_load.py starts it: loopback, fsync off, deleted afterwards) or a temporary
SQLite file, migrated, then a city written in bulk (DATA SETUP ONLY: COPY / executemany through
fangyi.core.bulk; nothing measured is written that way): 5 counties × 10 towns × 10 villages, a
team in each town (2 doctors, 2 police officers, 2 town cadres, its commander) and a cadre in
each village; --orders running orders (home quarantine, centralized observation, home health
monitoring, started over the last two weeks, half of them of the last four days) with their
teams (四对一), their check slots twice a day (past ones recorded, 1 % missed and alerted, the
rest due) and tests; and --contacts contact links in chains (cases with 10 close contacts, each
with 3 secondary contacts) over a pool of people. PostgreSQL then gets ANALYZE (autovacuum's
job in production). Then, in one process under the production settings (FANGYI_DEBUG=0):

1. "due now" for a village cadre, `quarantine.selectors.due_now_for(user, now)`, and the town
   board for a town commander, `quarantine.selectors.town_board(user, today, now)`: --repeat
   calls each after a warm-up, p50/p95 of the wall time in the app process, its queries
   included (server time). Baselines in the same run: one primary-key query (the floor of any
   page) and the same lists computed naively (the member's orders, then each one's checks; the
   town's running orders, then each one's overdue checks). For information: a town doctor's
   list (half a town) and the city commander's board (every order).
2. `quarantine.services.open_orders(commander, [--batch OrderRequests])`: the schedule (slots,
   tests, teams by the load rule) of new orders in one batch: three batches, the median.
   Baseline: --batch calls of `services.open_order`, one by one.
3. `tracing.selectors.expand_chain([case person], hops=2)` over the --contacts links, from
   --roots case people; baseline: a recursive CTE walking the same links in SQL and fetching
   the same people's names (expand_chain also returns the edges, cases and orders).

Needs the PostgreSQL 15 server (postgresql-15) unless --sqlite.
"""

import argparse
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from common import REPO, p95, print_machine, timed_calls

COUNTIES, TOWNS, VILLAGES = 5, 10, 10
CITY = "9902"
CLOSE_PER_CASE, SECONDARY_PER_CLOSE = 10, 3
GOAL_LIST_MS = 100
GOAL_BATCH_S = 2.0
GOAL_CHAIN_MS = 100
DISTURBED = 0.10  # other processes took more of the machine than this: the figures are high
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴霞",
         "徐明", "孙丽", "马超", "朱红", "胡斌", "郭燕", "何平", "高峰", "林慧", "罗刚")  # fmt: skip


# The world -----------------------------------------------------------------------------------


@dataclass
class World:
    now: datetime
    town: str  # the measured town
    cadre: object  # a village cadre of the measured town (User)
    doctor: object
    commander: object
    city_commander: object
    free_people: list[int] = field(default_factory=list)  # measured town, under no order
    order_people: list[int] = field(default_factory=list)
    roots: list[int] = field(default_factory=list)  # case people (for expand_chain)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def build_world(args, rng: random.Random) -> World:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from fangyi.core.bulk import bulk_writing
    from fangyi.core.models import LEVEL_BY_CODE_LENGTH, PARENT_CODE_LENGTH, Jurisdiction, User
    from fangyi.core.roles import Role

    now = timezone.now()
    codes = [CITY]
    for c in range(1, COUNTIES + 1):
        county = f"{CITY}{c:02d}"
        codes.append(county)
        for t in range(101, 101 + TOWNS):
            town = f"{county}{t:03d}"
            codes.append(town)
            codes += [f"{town}{v:03d}" for v in range(201, 201 + VILLAGES)]
    towns = [c for c in codes if len(c) == 9]
    villages = [c for c in codes if len(c) == 12]
    measured_town = towns[0]
    with transaction.atomic(), bulk_writing():
        Jurisdiction.objects.bulk_create(
            Jurisdiction(
                code=code,
                name={4: "测试市", 6: "区", 9: "镇", 12: "村"}[len(code)] + code[4:],
                level=LEVEL_BY_CODE_LENGTH[len(code)],
                parent_id=code[: PARENT_CODE_LENGTH[len(code)]] if len(code) > 4 else None,
            )
            for code in codes
        )
        # Accounts: no password hashing (unusable passwords), each in its role's group.
        staff = [("city", Role.COUNTY_COMMANDER, CITY)]
        for town in towns:
            staff.append((f"commander{town}", Role.TOWN_COMMANDER, town))
            for n in (1, 2):
                staff += [
                    (f"doctor{n}-{town}", Role.DOCTOR, town),
                    (f"police{n}-{town}", Role.POLICE, town),
                    (f"cadre{n}-{town}", Role.TOWN_CADRE, town),
                ]
        staff += [(f"village{v}", Role.VILLAGE_CADRE, v) for v in villages]
        users = User.objects.bulk_create(
            User(username=u, password="!", role=r, jurisdiction_id=j, full_name=u)
            for u, r, j in staff
        )
        groups = dict(Group.objects.values_list("name", "pk"))
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=u.pk, group_id=groups[u.role]) for u in users
        )
        by_name = {u.username: u for u in users}
        world = World(
            now=now,
            town=measured_town,
            cadre=by_name[f"village{measured_town}201"],
            doctor=by_name[f"doctor1-{measured_town}"],
            commander=by_name[f"commander{measured_town}"],
            city_commander=by_name["city"],
        )
        world.counts["users"] = len(users)
        _write_quarantine(args, rng, world, villages, by_name)
        _write_contacts(args, rng, world)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return world


def _write_people(db, places: list[str], rng: random.Random) -> list[int]:
    from django.utils import timezone

    from fangyi.core.bulk import allocate_ids, insert_rows
    from fangyi.core.models import Person
    from fangyi.core.names import pinyin_keys

    keys = {name: pinyin_keys(name) for name in NAMES}
    ids = allocate_ids(Person, len(places))
    uuids = db.random_uuids(len(places))
    at = db.datetime(timezone.now())
    columns = ("id", "created_at", "updated_at", "external_id", "name", "name_pinyin",
               "name_initials", "sex", "birth_date", "id_number_cipher", "id_number_index",
               "phone_cipher", "phone_index", "phone_last4", "household_address",
               "current_address", "jurisdiction_id")  # fmt: skip

    def rows():
        for pk, uuid, place in zip(ids, uuids, places, strict=True):
            name = rng.choice(NAMES)
            address = f"{place}号{pk % 97}"
            yield (pk, at, at, uuid, name, *keys[name], "", None, None, None, None, None, "",
                   address, address, place)  # fmt: skip

    insert_rows(Person, columns, rows())
    return ids


ORDER_COLUMNS = ("id", "created_at", "updated_at", "external_id", "kind", "status", "reason",
                 "reason_note", "start_date", "planned_end_date", "address", "door_sealed",
                 "door_sealed_at", "ended_at", "end_note", "hospital", "self_report_cipher",
                 "self_report_index", "created_by_id", "door_sealed_by_id", "ended_by_id",
                 "jurisdiction_id", "ledger_entry_id", "person_id", "previous_id",
                 "registration_id", "site_id", "room_id")  # fmt: skip
TEAM_COLUMNS = ("role", "assigned_at", "ended_at", "assigned_by_id", "member_id", "order_id")
SLOT_COLUMNS = ("day", "slot", "due_at", "status", "temperature", "symptoms", "method",
                "checked_at", "reported_by", "late", "note", "client_id", "checked_by_id",
                "order_id")  # fmt: skip
TEST_COLUMNS = ("day", "result", "sampled_at", "lab", "result_at", "recorded_by_id", "order_id")
ALERT_COLUMNS = ("kind", "message", "link", "raised_at", "acknowledged_at",
                 "acknowledged_by_id", "jurisdiction_id", "person_id")  # fmt: skip
CHUNK = 5000  # orders (or cases) generated and written at a time: memory stays flat


def _write_quarantine(args, rng: random.Random, world: World, villages, users) -> None:
    """Running orders spread over the villages, with their teams, slots, tests and alerts."""
    from django.utils import timezone

    from fangyi.core.bulk import DbValues, allocate_ids, insert_rows
    from fangyi.core.models import Alert, AlertKind, DiseaseProfile, QuarantineKind
    from fangyi.core.roles import Role
    from fangyi.quarantine.models import (
        CheckStatus,
        FollowUp,
        NucleicAcidTest,
        QuarantineOrder,
        TeamAssignment,
    )

    db = DbValues()
    profile = DiseaseProfile.current()
    grace = timedelta(minutes=profile.missed_check_grace_minutes)
    times = profile.check_times_of_day()
    tz = timezone.get_current_timezone()
    now = world.now
    today = timezone.localdate(now)
    places = [villages[i % len(villages)] for i in range(args.orders)]
    world.order_people = _write_people(db, places, rng)
    measured = [v for v in villages if v.startswith(world.town)]
    free_places = [measured[i % len(measured)] for i in range(4 * args.batch)]
    world.free_people = _write_people(db, free_places, rng)
    kinds = (QuarantineKind.HOME_QUARANTINE, QuarantineKind.CENTRALIZED,
             QuarantineKind.HOME_MONITORING)  # fmt: skip
    counts = world.counts
    for first in range(0, args.orders, CHUNK):
        people = world.order_people[first : first + CHUNK]
        ids = allocate_ids(QuarantineOrder, len(people))
        uuids = db.random_uuids(len(people))
        orders, team, slots, tests, alerts = [], [], [], [], []
        for n, (pk, uuid, person) in enumerate(zip(ids, uuids, people, strict=True), first):
            place = places[n]
            kind = rng.choices(kinds, weights=(70, 10, 20))[0]
            days = profile.days_for(kind)
            # Half of them started in the last four days (the outbreak grows), the rest earlier.
            ago = rng.randrange(min(4, days)) if rng.random() < 0.5 else rng.randrange(days)
            start = today - timedelta(days=ago)
            made = db.datetime(datetime.combine(start, times[0], tzinfo=tz) - timedelta(hours=1))
            orders.append((pk, made, made, uuid, kind, "active", "other", "", db.date(start),
                           db.date(start + timedelta(days=days)), f"{place}号", False, None,
                           None, "", "", None, None, None, None, None, place, None, person, None,
                           None, None, None))  # fmt: skip
            counts[f"orders_{kind}"] += 1
            town, pair = place[:9], 1 + n % 2
            members = {
                Role.VILLAGE_CADRE: users[f"village{place}"].pk,
                Role.DOCTOR: users[f"doctor{pair}-{town}"].pk,
                Role.POLICE: users[f"police{pair}-{town}"].pk,
                Role.TOWN_CADRE: users[f"cadre{pair}-{town}"].pk,
            }
            team += [(role, made, None, None, members[role], pk)
                     for role in profile.team_roles if role in members]  # fmt: skip
            missed = 0
            for day in range(1, days + 1):
                on = start + timedelta(days=day - 1)
                for slot, at in enumerate(times, start=1):
                    due = datetime.combine(on, at, tzinfo=tz)
                    status, temperature, method, checked, by = (
                        CheckStatus.PENDING,
                        None,
                        "",
                        None,
                        None,
                    )
                    if due + grace < now:
                        if rng.random() < 0.01:
                            status = CheckStatus.MISSED
                            missed += 1
                        else:
                            status, method, by = (
                                CheckStatus.DONE,
                                "door",
                                members[Role.VILLAGE_CADRE],
                            )
                            temperature = f"{rng.randint(360, 370) / 10:.1f}"
                            checked = db.datetime(due + timedelta(minutes=rng.randint(-20, 50)))
                    slots.append((day, slot, db.datetime(due), status, temperature, "[]", method,
                                  checked, "", False, "", None, by, pk))  # fmt: skip
            for day in sorted(set(profile.test_days)):
                if day > days:
                    continue
                sampled = datetime.combine(start + timedelta(days=day - 1), times[0], tzinfo=tz)
                if sampled + timedelta(hours=6) < now:
                    tests.append((day, "negative", db.datetime(sampled), "疾控中心",
                                  db.datetime(sampled + timedelta(hours=6)),
                                  members[Role.DOCTOR], pk))  # fmt: skip
                else:
                    tests.append((day, "planned", None, "", None, None, pk))
            if missed:
                alerts.append((AlertKind.MISSED_CHECK, f"{missed} missed",
                               f"/quarantine/{uuid}/", db.datetime(now), None, None, place,
                               person))  # fmt: skip
        insert_rows(QuarantineOrder, ORDER_COLUMNS, orders)
        insert_rows(TeamAssignment, TEAM_COLUMNS, team)
        insert_rows(FollowUp, SLOT_COLUMNS, slots)
        insert_rows(NucleicAcidTest, TEST_COLUMNS, tests)
        insert_rows(Alert, ALERT_COLUMNS, alerts)
        counts["orders"] += len(orders)
        counts["team"] += len(team)
        counts["slots"] += len(slots)
        counts["missed"] += sum(1 for row in slots if row[3] == CheckStatus.MISSED)
        counts["tests"] += len(tests)
        counts["alerts"] += len(alerts)


def _write_contacts(args, rng: random.Random, world: World) -> None:
    """Cases, each with CLOSE_PER_CASE close contacts who each have SECONDARY_PER_CLOSE
    secondary contacts, drawn from a pool of people (a person may be traced from several
    cases, as in a town): a graph of --contacts links."""
    from django.utils import timezone

    from fangyi.core.bulk import DbValues
    from fangyi.core.models import Person

    db = DbValues()
    per_case = CLOSE_PER_CASE * (1 + SECONDARY_PER_CLOSE)
    cases = max(1, args.contacts // per_case)
    pool = list(world.order_people)
    wanted = max(args.contacts // 5, cases + per_case + 1)
    place_of = dict(Person.objects.values_list("pk", "jurisdiction_id"))  # all the bench's
    if len(pool) < wanted:
        places = sorted(set(place_of.values()))
        extra = [places[i % len(places)] for i in range(wanted - len(pool))]
        added = _write_people(db, extra, rng)
        pool += added
        place_of.update(zip(added, extra, strict=True))
    case_people = rng.sample(pool, cases)
    today = timezone.localdate(world.now)
    at = db.datetime(world.now)
    contacts_written = 0
    for first in range(0, cases, CHUNK):
        contacts_written += _write_cases(
            db, rng, case_people[first : first + CHUNK], pool, place_of, today, at
        )
    world.roots = case_people
    world.counts.update(cases=cases, contacts=contacts_written, pool=len(pool))


def _write_cases(db, rng, case_people, pool, place_of, today, at) -> int:
    from fangyi.core.bulk import allocate_ids, insert_rows
    from fangyi.tracing.models import Case, Contact

    per_case = CLOSE_PER_CASE * (1 + SECONDARY_PER_CLOSE)
    ids = allocate_ids(Case, len(case_people))
    uuids = db.random_uuids(len(case_people))
    case_rows, contacts = [], []
    for pk, uuid, person in zip(ids, uuids, case_people, strict=True):
        onset = today - timedelta(days=1 + rng.randrange(20))
        case_rows.append((pk, at, at, uuid, "confirmed", db.date(onset),
                          db.date(onset + timedelta(days=1)), "", "", None, place_of[person],
                          person, None))  # fmt: skip
        traced = [p for p in rng.sample(pool, per_case + 1) if p != person][:per_case]
        close, rest = traced[:CLOSE_PER_CASE], traced[CLOSE_PER_CASE:]
        exposure = db.date(onset)
        for p in close:
            contacts.append(("close", "household", exposure, "", at, pk, p, None, None, person,
                             None))  # fmt: skip
        for i, p in enumerate(rest):
            source = close[i // SECONDARY_PER_CLOSE]
            contacts.append(("secondary", "work", exposure, "", at, pk, p, None, None, source,
                             None))  # fmt: skip
    insert_rows(Case, ("id", "created_at", "updated_at", "external_id", "classification",
                "onset_date", "report_date", "hospital", "notes", "created_by_id",
                "jurisdiction_id", "person_id", "source_test_id"), case_rows)  # fmt: skip
    insert_rows(Contact, ("degree", "relation", "last_exposure_date", "note", "recorded_at",
                "case_id", "person_id", "quarantine_order_id", "recorded_by_id", "source_id",
                "trajectory_entry_id"), contacts)  # fmt: skip
    return len(contacts)


# Measuring -----------------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    seconds: list[float]
    note: str = ""
    goal_ms: float | None = None  # p95 goal
    goal_total_s: float | None = None  # median goal (a batch)

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        return p95(self.seconds)


def measure_lists(world: World, args) -> list[Figure]:
    from django.db.models import Q
    from django.utils import timezone

    from fangyi.core.models import DiseaseProfile
    from fangyi.quarantine import selectors
    from fangyi.quarantine.models import CheckStatus, QuarantineOrder

    now = timezone.now()
    today = timezone.localdate(now)
    start, end = selectors.day_bounds(today)
    grace = timedelta(minutes=DiseaseProfile.current().missed_check_grace_minutes)
    some_order = QuarantineOrder.objects.within(world.town).first().pk

    def floor() -> None:
        QuarantineOrder.objects.filter(pk=some_order).values_list("status", flat=True).get()

    def naive_due_now(user) -> list:
        cards = []
        for order in selectors.my_orders(user).select_related("person"):
            checks = order.checks.filter(
                Q(status__in=selectors.OPEN, due_at__lt=end)
                | Q(status=CheckStatus.DONE, due_at__gte=start, due_at__lt=end)
            )
            cards.append((order.person.name, list(checks.order_by("due_at"))))
        return cards

    def naive_board(user) -> dict:
        figures = defaultdict(lambda: defaultdict(int))
        for order in QuarantineOrder.objects.visible_to(user).running():
            row = figures[order.jurisdiction_id[:12]]
            row[order.kind] += 1
            row["due"] += order.planned_end_date <= today
            row["missed"] += order.checks.filter(
                Q(status=CheckStatus.MISSED) | Q(status=CheckStatus.PENDING, due_at__lt=now - grace)
            ).count()
        return figures

    cadre_people = len(selectors.due_now_for(world.cadre, now))
    doctor_people = len(selectors.due_now_for(world.doctor, now))
    town_orders = QuarantineOrder.objects.within(world.town).count()
    repeat, naive_repeat = args.repeat, max(3, args.repeat // 6)
    return [
        Figure("floor: one primary-key query", timed_calls(floor, repeat)),
        Figure(f"due_now_for, village cadre ({cadre_people} people)",
               timed_calls(lambda: selectors.due_now_for(world.cadre, now), repeat),
               goal_ms=GOAL_LIST_MS),
        Figure("  baseline: naive loop (each order's checks)",
               timed_calls(lambda: naive_due_now(world.cadre), naive_repeat, warmup=1)),
        Figure(f"due_now_for, town doctor ({doctor_people} people)",
               timed_calls(lambda: selectors.due_now_for(world.doctor, now), repeat),
               note="for information"),
        Figure(f"town_board, town commander ({town_orders:,} orders)",
               timed_calls(lambda: selectors.town_board(world.commander, today, now), repeat),
               goal_ms=GOAL_LIST_MS),
        Figure("  baseline: naive loop (each order's missed checks)",
               timed_calls(lambda: naive_board(world.commander), naive_repeat, warmup=1)),
        Figure(f"town_board, city commander ({world.counts['orders']:,} orders)",
               timed_calls(lambda: selectors.town_board(world.city_commander, today, now),
                           max(3, repeat // 3), warmup=1),
               note="for information"),
    ]  # fmt: skip


def measure_open_orders(world: World, args) -> list[Figure]:
    from fangyi.core.audit import Actor
    from fangyi.core.models import Person, QuarantineKind
    from fangyi.quarantine import services
    from fangyi.quarantine.models import OrderReason

    actor = Actor(user=world.commander, label="bench")
    people = Person.objects.select_related("jurisdiction").in_bulk(world.free_people)
    chunks = [world.free_people[i * args.batch : (i + 1) * args.batch] for i in range(4)]

    def requests(ids: list[int]) -> list:
        return [
            services.OrderRequest(
                person=people[pk],
                kind=QuarantineKind.HOME_QUARANTINE,
                reason=OrderReason.OTHER,
                reason_note="bench",
            )
            for pk in ids
        ]

    batches = []
    for chunk in chunks[:3]:
        prepared = requests(chunk)
        started = time.perf_counter()
        services.open_orders(actor, prepared)
        batches.append(time.perf_counter() - started)
    prepared = requests(chunks[3])
    started = time.perf_counter()
    for request in prepared:
        services.open_order(actor, request)
    one_by_one = time.perf_counter() - started
    return [
        Figure(f"open_orders, {args.batch:,} in one batch", batches, goal_total_s=GOAL_BATCH_S),
        Figure(f"  baseline: open_order × {args.batch:,}, one by one", [one_by_one]),
    ]


CTE = """
WITH RECURSIVE walk(person_id, hop) AS (
    SELECT CAST(%s AS bigint), 0
    UNION
    SELECT c.person_id, w.hop + 1
    FROM tracing_contact c JOIN walk w ON c.source_id = w.person_id
    WHERE w.hop < %s
)
SELECT p.id, p.name, MIN(w.hop) FROM walk w JOIN core_person p ON p.id = w.person_id
GROUP BY p.id, p.name
"""


def measure_chains(world: World, args, rng: random.Random) -> list[Figure]:
    from django.db import connection

    from fangyi.tracing.selectors import expand_chain

    roots = rng.sample(world.roots, min(args.roots + 5, len(world.roots)))
    warm, roots = roots[:5], roots[5:]
    for root in warm:
        expand_chain([root], hops=2)
    sizes, seconds = [], []
    for root in roots:
        started = time.perf_counter()
        chain = expand_chain([root], hops=2)
        seconds.append(time.perf_counter() - started)
        sizes.append((len(chain.nodes), len(chain.edges)))
    cte, cte_sizes = [], []
    with connection.cursor() as cursor:
        for root in warm:
            cursor.execute(CTE, [root, 2])
            cursor.fetchall()
        for root in roots:
            started = time.perf_counter()
            cursor.execute(CTE, [root, 2])
            rows = cursor.fetchall()
            cte.append(time.perf_counter() - started)
            cte_sizes.append(len(rows))
    nodes = statistics.mean(n for n, _e in sizes)
    edges = statistics.mean(e for _n, e in sizes)
    if [n for n, _e in sizes] != cte_sizes:
        print("WARNING   expand_chain and the CTE found different people for some roots")
    return [
        Figure(f"expand_chain, 2 hops ({nodes:.0f} people, {edges:.0f} links on average)",
               seconds, goal_ms=GOAL_CHAIN_MS),
        Figure("  baseline: recursive CTE (people and names)", cte),
    ]  # fmt: skip


def report(figures: list[Figure]) -> None:
    print(f"\n{'figure':<58} {'calls':>5} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}  × next")
    for index, figure in enumerate(figures):
        ratio = ""
        following = figures[index + 1] if index + 1 < len(figures) else None
        if following is not None and following.label.startswith("  baseline"):
            ratio = f"{figure.p50 / following.p50:6.2f}"
        ms = [v * 1e3 for v in (figure.p50, figure.p95, max(figure.seconds))]
        print(f"{figure.label:<58} {len(figure.seconds):>5} {ms[0]:>9.1f} {ms[1]:>9.1f}"
              f" {ms[2]:>9.1f}  {ratio}{'  ' + figure.note if figure.note else ''}")  # fmt: skip
    print("(× next: p50 of the figure over p50 of its baseline, the line below it)")
    for figure in figures:
        if figure.goal_ms is not None:
            met = figure.p95 * 1e3 < figure.goal_ms
            print(f"goal      {figure.label}: p95 under {figure.goal_ms:.0f} ms:"
                  f" {'met' if met else 'MISSED'} ({figure.p95 * 1e3:.1f} ms)")  # fmt: skip
        if figure.goal_total_s is not None:
            met = figure.p50 < figure.goal_total_s
            print(f"goal      {figure.label}: under {figure.goal_total_s:.0f} s:"
                  f" {'met' if met else 'MISSED'} (median {figure.p50:.2f} s,"
                  f" slowest {max(figure.seconds):.2f} s)")  # fmt: skip


def inner(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    rng = random.Random(args.seed)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    started = time.perf_counter()
    world = build_world(args, rng)
    built = time.perf_counter() - started
    c = world.counts
    print_machine()
    version = (
        f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
        " (throwaway, fsync off; ANALYZE after the load)"
        if connection.vendor == "postgresql"
        else f"SQLite {connection.Database.sqlite_version} (WAL, a temporary file)"
    )
    print(f"database  {version}; migrated in {migrated:.1f} s")
    print(f"world     {c['orders']:,} running orders ({c.get('orders_home_quarantine', 0):,} home"
          f" quarantine, {c.get('orders_centralized', 0):,} centralized,"
          f" {c.get('orders_home_monitoring', 0):,} home monitoring) in"
          f" {COUNTIES * TOWNS * VILLAGES} villages; {c['slots']:,} check slots"
          f" ({c['missed']:,} missed), {c['team']:,} team assignments, {c['tests']:,} tests,"
          f" {c['alerts']:,} alerts; {c['contacts']:,} contact links of {c['cases']:,} cases"
          f" over {c['pool']:,} people; {c['users']:,} accounts; built in {built:.0f} s")  # fmt: skip
    print(
        f"now       {timezone.localtime():%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})"
    )
    cpu_before, wall_before = _cpu(args.pg_pid), time.perf_counter()
    figures = measure_lists(world, args)
    figures += measure_open_orders(world, args)
    figures += measure_chains(world, args, rng)
    cpu_after, wall = _cpu(args.pg_pid), time.perf_counter() - wall_before
    report(figures)
    ours = (cpu_after["self"] - cpu_before["self"]) + (cpu_after["db"] - cpu_before["db"])
    others = (cpu_after["machine"] - cpu_before["machine"] - ours) / (wall * (os.cpu_count() or 1))
    print(f"machine   other processes took {max(others, 0):.0%} of the machine while measuring"
          f" ({wall:.0f} s)")  # fmt: skip
    if others > DISTURBED:
        print(
            f"WARNING   more than {DISTURBED:.0%}: the figures are high; run again when it is quiet"
        )


def _cpu(pg_pid: int) -> dict[str, float]:
    """CPU seconds so far: this process, the PostgreSQL cluster, the whole machine."""
    from load_servers import machine_busy_seconds, tree_cpu_seconds

    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "self": own.ru_utime + own.ru_stime,
        "db": tree_cpu_seconds(pg_pid) if pg_pid else 0.0,
        "machine": machine_busy_seconds(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=50_000, help="running orders")
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contact links")
    parser.add_argument("--batch", type=int, default=1_000, help="orders opened in one batch")
    parser.add_argument("--repeat", type=int, default=30, help="measured calls per list")
    parser.add_argument("--roots", type=int, default=100, help="chains expanded")
    parser.add_argument("--seed", type=int, default=20200131)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument(
        "--time-limit", type=int, default=3600, help="abort after this many seconds"
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pg-pid", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args)
        return
    from load_servers import app_environment, throwaway_postgres

    def abort(signum, _frame):
        raise SystemExit(f"stopped by signal {signum}: cleaning up")

    signal.signal(signal.SIGTERM, abort)
    signal.signal(signal.SIGALRM, abort)
    signal.alarm(args.time_limit)
    command = [sys.executable, __file__, "--inner", *sys.argv[1:]]
    work = Path(tempfile.mkdtemp(prefix="fangyi-bench-quarantine-"))
    try:
        if args.sqlite:
            env = app_environment(f"sqlite:///{work / 'bench.sqlite3'}", str(work / "data"))
            subprocess.run(command, env=env, cwd=REPO, check=True)
        else:
            with throwaway_postgres() as pg:
                env = app_environment(pg.url, str(work / "data"))
                subprocess.run([*command, "--pg-pid", str(pg.pid)], env=env, cwd=REPO, check=True)
    except subprocess.CalledProcessError as failed:
        sys.exit(f"the benchmark failed (exit code {failed.returncode})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
