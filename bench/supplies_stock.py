"""Benchmark: stock on hand for all items in all stores of a county (issue 7), with its baseline.

    .venv/bin/python bench/supplies_stock.py                 # SQLite, a temporary file
    .venv/bin/python bench/supplies_stock.py --postgres      # a throwaway PostgreSQL 15 cluster
    DATABASE_URL=postgres://fangyi:fangyi@127.0.0.1:54339/fangyi \\
        .venv/bin/python bench/supplies_stock.py             # that (empty) database, left seeded
    DATABASE_URL=... .venv/bin/python bench/supplies_stock.py --reuse   # measure it again
    .venv/bin/python bench/supplies_stock.py --movements 100000   # a quick try

The county (DATA SETUP ONLY, written through fangyi.core.bulk's allocate_ids/insert_rows; nothing
measured is written that way): 10 towns, each with its warehouse and 19 village stores (200
stores), 50 items, 5 batches of each item per town (2,500 batches). Every store holds every
batch of its town: the first movement brings it in (a receipt at the warehouse, a transfer in at
a village), then issues take it down, never below zero; --movements in all (1,000,000: 20 per
store and batch, over 100 days, grouped in one stock operation per store and day) and the
matching StockLevel rows (50,000: the cache the services keep). The script checks that the
cache equals the ledger before measuring. PostgreSQL then gets ANALYZE (autovacuum's job).

Then, under the production settings (FANGYI_DEBUG=0), in one process, --repeat calls of each
after a warm-up, wall time in the app process with its queries (server time):

1. `selectors.stock_on_hand(Store.objects.visible_to(county commander))`: every item of every
   store of the county, from the cache. Goal: p95 under 100 ms.
2. The same through GET /api/v1/supplies/stock with the test client (a logged-in session;
   middleware, auth, serialisation included), when the endpoint exists.
3. Baseline: `selectors.stock_from_ledger(...)` for the same stores, summing the movements.
For information: a town commander's stores, and one primary-key query (the floor).
"""

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from common import REPO, p95, print_machine

COUNTY = "990201"
TOWNS, VILLAGES_PER_TOWN, ITEMS, BATCHES_PER_TOWN_ITEM = 10, 19, 50, 5
DAYS = 100
GOAL_MS = 100


@dataclass
class World:
    county_user: object
    town_user: object
    movements: int = 0
    levels: int = 0
    stores: int = 0
    batches: int = 0
    operations: int = 0


def build_world(args, rng: random.Random) -> World:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from fangyi.core.bulk import DbValues, allocate_ids, bulk_writing, insert_rows
    from fangyi.core.models import LEVEL_BY_CODE_LENGTH, PARENT_CODE_LENGTH, Jurisdiction, User
    from fangyi.core.roles import Role
    from fangyi.supplies.models import (
        Batch,
        Item,
        ItemCategory,
        Movement,
        OperationKind,
        Source,
        StockLevel,
        StockOperation,
        Store,
        StoreKind,
        Unit,
    )

    db = DbValues()
    now = timezone.now()
    towns = [f"{COUNTY}{101 + t:03d}" for t in range(TOWNS)]
    villages = {town: [f"{town}{201 + v:03d}" for v in range(VILLAGES_PER_TOWN)] for town in towns}
    codes = [COUNTY, *towns, *(v for town in towns for v in villages[town])]
    if Movement.objects.exists():
        if args.reuse and User.objects.filter(username__in=["county", "town"]).count() == 2:
            return World(
                county_user=User.objects.get(username="county"),
                town_user=User.objects.get(username="town"),
                movements=Movement.objects.count(),
                levels=StockLevel.objects.count(),
                stores=Store.objects.count(),
                batches=Batch.objects.count(),
                operations=StockOperation.objects.count(),
            )
        sys.exit("the database already holds stock movements; point DATABASE_URL to an empty one")
    with transaction.atomic(), bulk_writing():
        Jurisdiction.objects.bulk_create(
            Jurisdiction(
                code=code,
                name={6: "测试县", 9: "镇", 12: "村"}[len(code)] + code[6:],
                level=LEVEL_BY_CODE_LENGTH[len(code)],
                parent_id=code[: PARENT_CODE_LENGTH[len(code)]] if len(code) > 6 else None,
            )
            for code in codes
        )
        users = User.objects.bulk_create(
            [
                User(username="county", password="!", role=Role.COUNTY_COMMANDER,
                     jurisdiction_id=COUNTY, full_name="县指挥长"),
                User(username="town", password="!", role=Role.TOWN_COMMANDER,
                     jurisdiction_id=towns[0], full_name="镇指挥长"),
            ]
        )  # fmt: skip
        groups = dict(Group.objects.values_list("name", "pk"))
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=u.pk, group_id=groups[u.role]) for u in users
        )
        categories = list(ItemCategory.values)
        units = [Unit.PIECE, Unit.BOTTLE, Unit.SET, Unit.PAIR, Unit.BOX]
        items = Item.objects.bulk_create(
            Item(name=f"物资{n:02d}", category=categories[n % len(categories)],
                 unit=units[n % len(units)], warning_threshold=100)
            for n in range(ITEMS)
        )  # fmt: skip
        stores = []
        for town in towns:
            stores.append(Store(name=f"{town}仓库", kind=StoreKind.WAREHOUSE, jurisdiction_id=town))
            stores += [
                Store(name=f"{v}物资点", kind=StoreKind.VILLAGE, jurisdiction_id=v)
                for v in villages[town]
            ]
        stores = Store.objects.bulk_create(stores)
        stores_of_town = defaultdict(list)
        for store in stores:
            stores_of_town[store.jurisdiction_id[:9]].append(store)

        # Batches: BATCHES_PER_TOWN_ITEM per town and item, received at the town's warehouse.
        batch_keys = [(town, item.pk, b) for town in towns for item in items
                      for b in range(BATCHES_PER_TOWN_ITEM)]  # fmt: skip
        batch_ids = allocate_ids(Batch, len(batch_keys))
        batch_of = dict(zip(batch_keys, batch_ids, strict=True))
        received = now - timedelta(days=DAYS + 1)
        insert_rows(
            Batch,
            ["id", "item_id", "number", "expires_on", "maker", "source", "received_at"],
            (
                (batch_of[key], key[1], f"B{key[2]}", db.date((now + timedelta(days=200 + 30 * key[2])).date()),
                 "", Source.ALLOCATED, db.datetime(received))
                for key in batch_keys
            ),
        )  # fmt: skip

        # One operation per store and movement day (the receipt day, then the issue days).
        per_level = max(2, round(args.movements / (len(stores) * ITEMS * BATCHES_PER_TOWN_ITEM)))
        step = DAYS / per_level
        op_keys = [(store.pk, k) for store in stores for k in range(per_level)]
        op_ids = allocate_ids(StockOperation, len(op_keys))
        op_of = dict(zip(op_keys, op_ids, strict=True))
        at_of = [now - timedelta(days=DAYS - k * step) for k in range(per_level)]
        store_by_id = {store.pk: store for store in stores}
        uuids = DbValues.random_uuids(len(op_keys))

        def operation_rows():
            for (store_id, k), op_id, external in zip(op_keys, op_ids, uuids, strict=True):
                store = store_by_id[store_id]
                if k == 0:
                    kind = (OperationKind.RECEIVE if store.kind == StoreKind.WAREHOUSE
                            else OperationKind.TRANSFER)  # fmt: skip
                else:
                    kind = OperationKind.ISSUE
                yield (op_id, external, kind, db.datetime(at_of[k]), store_id,
                       store.jurisdiction_id, "", "队" if k else "", "", "bench")  # fmt: skip

        insert_rows(
            StockOperation,
            ["id", "external_id", "kind", "at", "store_id", "jurisdiction_id", "source",
             "recipient", "reason", "actor_username"],
            operation_rows(),
        )  # fmt: skip

        levels: dict[tuple[int, int], int] = {}
        level_items: dict[tuple[int, int], int] = {}
        count = 0

        movement_ids = iter(
            allocate_ids(Movement, len(stores) * ITEMS * BATCHES_PER_TOWN_ITEM * per_level)
        )

        def movement_rows():
            nonlocal count
            for store in stores:
                town = store.jurisdiction_id[:9]
                for item in items:
                    for b in range(BATCHES_PER_TOWN_ITEM):
                        batch_id = batch_of[(town, item.pk, b)]
                        first = rng.randint(1000, 5000)
                        amounts = [first] + [-rng.randint(1, first // per_level)
                                             for _ in range(per_level - 1)]  # fmt: skip
                        for k, quantity in enumerate(amounts):
                            count += 1
                            yield (next(movement_ids), op_of[(store.pk, k)], store.pk, item.pk,
                                   batch_id, store.jurisdiction_id, quantity,
                                   db.datetime(at_of[k]))  # fmt: skip
                        levels[(store.pk, batch_id)] = sum(amounts)
                        level_items[(store.pk, batch_id)] = item.pk

        insert_rows(
            Movement,
            ["id", "operation_id", "store_id", "item_id", "batch_id", "jurisdiction_id",
             "quantity", "at"],
            movement_rows(),
        )  # fmt: skip
        level_ids = allocate_ids(StockLevel, len(levels))
        insert_rows(
            StockLevel,
            ["id", "store_id", "item_id", "batch_id", "jurisdiction_id", "quantity"],
            (
                (level_id, store_id, level_items[(store_id, batch_id)], batch_id,
                 store_by_id[store_id].jurisdiction_id, quantity)
                for level_id, ((store_id, batch_id), quantity)
                in zip(level_ids, levels.items(), strict=True)
            ),
        )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # PostgreSQL: autovacuum's job; SQLite: what `fangyi` may run
    return World(
        county_user=users[0],
        town_user=users[1],
        movements=count,
        levels=len(levels),
        stores=len(stores),
        batches=len(batch_keys),
        operations=len(op_keys),
    )


@dataclass
class Figure:
    label: str
    seconds: list[float]
    cpu: float = 0.0  # CPU seconds per call: this process and the database server's backend
    note: str = ""
    goal_ms: float | None = None

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        return p95(self.seconds)


def _backend_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend so far (0 on SQLite, whose work is
    this process's own): /proc/<pid>/stat, so the server must run on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_calls(
    call: Callable[[], object], repeat: int, warmup: int = 3
) -> tuple[list[float], float]:
    """Wall seconds of each call, and the CPU seconds per call (app process and database
    backend): on a busy machine the wall time includes waiting for a CPU, the CPU time not."""
    for _ in range(warmup):
        call()
    seconds = []
    cpu_before, db_before = time.process_time(), _backend_cpu()
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu_before + _backend_cpu() - db_before
    return seconds, cpu / repeat


def measure(world: World, args) -> list[Figure]:
    from django.test import Client
    from django.urls import NoReverseMatch, Resolver404, resolve

    from fangyi.supplies.models import Store
    from fangyi.supplies.selectors import stock_from_ledger, stock_on_hand

    county, town = world.county_user, world.town_user
    some_store = Store.objects.order_by("pk").values_list("pk", flat=True).first()

    def floor():
        Store.objects.filter(pk=some_store).values_list("name", flat=True).get()

    def county_stock():
        return stock_on_hand(Store.objects.visible_to(county))

    figures_county = county_stock()
    ledger = stock_from_ledger(Store.objects.visible_to(county))
    if figures_county != ledger:
        sys.exit("the cached stock differs from the ledger: the world is wrong")
    town_pairs = len(stock_on_hand(Store.objects.visible_to(town)))
    figures = [
        Figure("floor: one primary-key query", *timed_calls(floor, args.repeat)),
        Figure(f"stock_on_hand, county ({len(figures_county):,} store×item figures)",
               *timed_calls(county_stock, args.repeat), goal_ms=GOAL_MS),
    ]  # fmt: skip
    try:
        resolve("/api/v1/supplies/stock")
        has_api = True
    except (Resolver404, NoReverseMatch):
        has_api = False
    if has_api:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(county)
        response = client.get("/api/v1/supplies/stock")
        if response.status_code != 200:
            print(f"WARNING   GET /api/v1/supplies/stock answered {response.status_code}:"
                  f" {response.content[:200]!r}")  # fmt: skip
        size = len(response.content)

        def api_stock():
            client.get("/api/v1/supplies/stock")

        figures.append(
            Figure(f"GET /api/v1/supplies/stock, county ({size / 1024:,.0f} KiB)",
                   *timed_calls(api_stock, args.repeat), goal_ms=GOAL_MS)
        )  # fmt: skip
    else:
        print("note      GET /api/v1/supplies/stock is not there (yet): not measured")
    figures.append(
        Figure(f"  baseline: stock_from_ledger, county ({world.movements:,} movements)",
               *timed_calls(lambda: stock_from_ledger(Store.objects.visible_to(county)),
                            max(3, args.repeat // 6), warmup=1))
    )  # fmt: skip
    figures.append(
        Figure(f"stock_on_hand, one town ({town_pairs:,} figures)",
               *timed_calls(lambda: stock_on_hand(Store.objects.visible_to(town)), args.repeat),
               note="for information")
    )  # fmt: skip
    return figures


def report(figures: list[Figure]) -> None:
    print(f"\n{'figure':<60} {'calls':>5} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}"
          f" {'cpu ms':>8}")  # fmt: skip
    for figure in figures:
        ms = [v * 1e3 for v in (figure.p50, figure.p95, max(figure.seconds), figure.cpu)]
        print(f"{figure.label:<60} {len(figure.seconds):>5} {ms[0]:>9.1f} {ms[1]:>9.1f}"
              f" {ms[2]:>9.1f} {ms[3]:>8.1f}{'  ' + figure.note if figure.note else ''}")  # fmt: skip
    print("(cpu ms: CPU time per call of this process and of its PostgreSQL backend; on a quiet"
          " machine the wall time comes close to it)")  # fmt: skip
    baseline = next(f for f in figures if f.label.startswith("  baseline"))
    for figure in figures:
        if figure.goal_ms is not None:
            met = figure.p95 * 1e3 < figure.goal_ms
            print(f"goal      {figure.label}: p95 under {figure.goal_ms:.0f} ms:"
                  f" {'met' if met else 'MISSED'} ({figure.p95 * 1e3:.1f} ms, CPU"
                  f" {figure.cpu * 1e3:.1f} ms a call; the baseline's p50 is"
                  f" {baseline.p50 / figure.p50:.1f}× its p50)")  # fmt: skip


def inner(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    rng = random.Random(args.seed)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    started = time.perf_counter()
    world = build_world(args, rng)
    built = time.perf_counter() - started
    print_machine()
    version = (
        f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
        " (ANALYZE after the load)"
        if connection.vendor == "postgresql"
        else f"SQLite {connection.Database.sqlite_version} (WAL; ANALYZE after the load)"
    )
    print(f"database  {version}; migrated in {migrated:.1f} s")
    print(f"world     {world.stores} stores × {ITEMS} items in {TOWNS} towns,"
          f" {world.batches:,} batches, {world.levels:,} stock levels, {world.operations:,}"
          f" operations, {world.movements:,} movements; built in {built:.0f} s")  # fmt: skip
    report(measure(world, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="measured calls per figure")
    parser.add_argument("--seed", type=int, default=20200203)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL 15")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the county a previous run left in DATABASE_URL",
    )
    parser.add_argument("--time-limit", type=int, default=3600, help="abort after this long")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
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
    work = Path(tempfile.mkdtemp(prefix="fangyi-bench-supplies-"))
    try:
        if args.postgres:
            with throwaway_postgres() as pg:
                env = app_environment(pg.url, str(work / "data"))
                subprocess.run(command, env=env, cwd=REPO, check=True)
        else:
            url = os.environ.get("DATABASE_URL") or f"sqlite:///{work / 'bench.sqlite3'}"
            subprocess.run(command, env=app_environment(url, str(work / "data")), cwd=REPO,
                           check=True)  # fmt: skip
    except subprocess.CalledProcessError as failed:
        sys.exit(f"the benchmark failed (exit code {failed.returncode})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
