"""Benchmark: a 5,000-employee roster imported into a filing and screened (issue 7), against the
baseline of reading the same file only.

    .venv/bin/python bench/enterprise_roster.py [--employees 5000] [--repeat 3] [--keep DIR]

Production settings (FANGYI_DEBUG=0, generated secrets), a fresh SQLite database in a temporary
FANGYI_DATA_DIR (or DATABASE_URL, an empty database), migrated, then set up through the
services (nothing measured is written another way): a town with 4 villages, 3,000 residents of
whom 150 are in home quarantine (running orders) and 300 on the ledger (pending close contacts
and returnees arrived this week), a small factory of 东村 with its contact and a draft filing.

The roster (.xlsx written by xlsxwriter, columns 姓名 身份证号 手机号码 家庭住址 14天内行程 健康状况):
--employees rows; 30% are residents (so some are in quarantine or on the ledger), 1% have
Excel-damaged IDs (4.20102E+17), 1% a bad check digit, 1% repeat an earlier row, 2% have a fever
in the health column and 2% whereabouts in 湖北省.

Timed, median of --repeat runs, in one process after a warm-up:
  baseline  `fangyi.core.tabular.read_table(path)`: reading the file only;
  import    `services.import_employee_roster(actor, filing, path, name)`: reading, checking
            every row (the ledger pipeline), merging, matching by blind index, screening
            (quarantine, ledger, tracing, health, whereabouts) and replacing the employees in
            one transaction. Goal: under 5 s.
The outcome's counts are checked against what was written.
"""

import argparse
import base64
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 5.0


def configure(data_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangyi.settings")
    os.environ["FANGYI_DATA_DIR"] = data_dir
    os.environ["FANGYI_DEBUG"] = "0"
    os.environ.setdefault("FANGYI_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault(
        "FANGYI_ENCRYPTION_KEY", base64.b64encode(secrets.token_bytes(32)).decode()
    )
    os.environ.setdefault("FANGYI_ALLOWED_HOSTS", "127.0.0.1")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_world(rng: random.Random, residents: int) -> dict:
    from django.utils import timezone

    from fangyi.core.audit import Actor
    from fangyi.core.identity import compose_id_number
    from fangyi.core.models import Person
    from fangyi.core.roles import Role
    from fangyi.enterprises import services
    from fangyi.enterprises.testing import make_enterprise
    from fangyi.ledger.models import Category, LedgerEntry, Status
    from fangyi.quarantine.testing import make_order
    from fangyi.testing import create_jurisdiction, make_person, make_user

    if Person.objects.exists():
        sys.exit("the database already holds people; point DATABASE_URL to an empty one")
    create_jurisdiction("999901", "示范县")
    town = create_jurisdiction("999901100", "青山镇")
    villages = [
        create_jurisdiction(f"999901100{201 + n}", name)
        for n, name in enumerate(["东村", "西村", "南村", "北村"])
    ]
    today = timezone.localdate()
    people = []
    for n in range(residents):
        number = compose_id_number("999901", date(1970, 1, 1) + timedelta(days=n * 3), n % 999)
        people.append(
            make_person(villages[n % 4], f"居民{n}", id_number=number, phone=f"139{n:08d}")
        )
    in_quarantine = people[:150]
    for person in in_quarantine:
        make_order(person, start_date=today - timedelta(days=rng.randrange(0, 10)))
    on_ledger = people[150:450]
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            person=person,
            jurisdiction_id=person.jurisdiction_id,
            category=Category.CLOSE_CONTACT if n % 2 else Category.RETURNEE,
            status=Status.PENDING if n % 2 else Status.VERIFIED_HOME,
            arrival_date=today - timedelta(days=n % 7),
        )
        for n, person in enumerate(on_ledger)
    )
    contact = make_user("zhou", Role.ENTERPRISE_CONTACT, villages[0], "周经理")
    enterprise = make_enterprise(villages[0], "青山机械厂", contacts=[contact], staff_count=5000)
    actor = Actor(user=contact)
    filing = services.start_filing(actor, enterprise)
    return {"people": people, "flagged_known": 450, "actor": actor, "filing": filing, "town": town}


def write_roster(path: Path, world: dict, employees: int, rng: random.Random) -> dict:
    from fangyi.core.identity import compose_id_number
    from fangyi.enterprises.testing import write_roster_file

    people = world["people"]
    known = rng.sample(people[: world["flagged_known"]], 300) + rng.sample(
        people[world["flagged_known"] :], max(0, int(employees * 0.3) - 300)
    )
    rows: list[list[object]] = []
    counts = {"damaged": 0, "checksum": 0, "duplicates": 0, "fever": 0, "risk": 0}
    for n in range(employees):
        if n < len(known):
            person = known[n]
            name, number = person.name, person.id_number
        else:
            name = f"员工{n}"
            number = compose_id_number("420102", date(1980, 1, 1) + timedelta(days=n), n % 999)
        health, whereabouts = "健康", "本地"
        roll = rng.random()
        if roll < 0.01:
            number, counts["damaged"] = 4.20102e17, counts["damaged"] + 1
        elif roll < 0.02:
            last = "0" if number[-1] != "0" else "1"
            number, counts["checksum"] = number[:17] + last, counts["checksum"] + 1
        elif roll < 0.03 and rows:
            rows.append(list(rows[rng.randrange(len(rows))]))
            counts["duplicates"] += 1
            continue
        elif roll < 0.05:
            health, counts["fever"] = "发热37.9℃", counts["fever"] + 1
        elif roll < 0.07:
            whereabouts, counts["risk"] = "1月21日自湖北省返回", counts["risk"] + 1
        rows.append([name, number, f"138{n:08d}", "东村", whereabouts, health])
    write_roster_file(path, rows)
    counts["rows"] = len(rows)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--residents", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", help="keep the data folder here")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one import")
    options = parser.parse_args()
    data_dir = options.keep or tempfile.mkdtemp(prefix="fangyi-bench-roster-")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    try:
        run(options, data_dir)
    finally:
        if not options.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(options, data_dir: str) -> None:
    started = time.perf_counter()
    configure(data_dir)
    from django.db import connection, transaction

    from fangyi.core.tabular import read_table
    from fangyi.enterprises import services

    rng = random.Random(7)
    with transaction.atomic():  # one commit for the whole set-up, not one per person
        world = build_world(rng, options.residents)
    path = Path(data_dir) / f"roster-{options.employees}.xlsx"
    written = write_roster(path, world, options.employees, rng)
    setup_seconds = time.perf_counter() - started
    actor, filing = world["actor"], world["filing"]

    read_table(path)  # warm-up: imports, the disease profile, caches
    services.import_employee_roster(actor, filing, path, path.name)
    if options.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(services.import_employee_roster, actor, filing, path, path.name)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    baseline, imports, outcome = [], [], None
    for _ in range(options.repeat):
        t0 = time.perf_counter()
        read_table(path)
        baseline.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        outcome = services.import_employee_roster(actor, filing, path, path.name)
        imports.append(time.perf_counter() - t0)

    bad = written["damaged"] + written["checksum"]
    assert outcome.rows == written["rows"], (outcome.rows, written)
    assert len({p.row for p in outcome.problems}) >= bad, (outcome.problems[:3], written)
    assert outcome.imported + outcome.merged + outcome.error_rows == outcome.rows, outcome
    filing.refresh_from_db()
    assert filing.employee_count == outcome.imported
    import_median, read_median = statistics.median(imports), statistics.median(baseline)
    print(
        f"database: {connection.vendor}; setup {setup_seconds:.1f} s ({options.residents} residents)"
    )
    print(
        f"roster: {written['rows']} rows ({path.stat().st_size / 1024:.0f} KiB): "
        f"{written['damaged']} Excel-damaged IDs, {written['checksum']} bad check digits, "
        f"{written['duplicates']} repeated rows, {written['fever']} with fever, "
        f"{written['risk']} from 湖北省"
    )
    print(
        f"outcome: {outcome.imported} employees, {outcome.flagged} flagged, "
        f"{outcome.merged} merged, {outcome.error_rows} rows with errors"
    )
    print(
        f"baseline read_table: median {read_median:.3f} s  ({', '.join(f'{s:.3f}' for s in baseline)})"
    )
    print(
        f"import + screening:  median {import_median:.3f} s  ({', '.join(f'{s:.3f}' for s in imports)})"
    )
    print(f"ratio to reading only: {import_median / read_median:.1f}x")
    verdict = "PASS" if import_median < GOAL_SECONDS else "FAIL"
    print(f"goal: under {GOAL_SECONDS:.0f} s for {options.employees} employees: {verdict}")


if __name__ == "__main__":
    main()
