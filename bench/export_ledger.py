"""Benchmark: exporting a town's ledger of 120,000 entries to .xlsx (issue 3: under 10 s).

    .venv/bin/python bench/export_ledger.py [--entries 120000]

A fresh SQLite database in a temporary FANGYI_DATA_DIR (deleted afterwards) gets the town-scale
demo (`fangyi seed-demo --scale town`), then, untimed, one pending ledger entry for each resident
of 青山镇 without one, until the town holds `--entries` entries (written with fangyi.core.bulk).
With DATABASE_URL set it uses that database, which must hold no people (it is left seeded).

Timed as its own process, with its peak RSS (os.wait4): `fangyi export-ledger --town 999901100
OUT.xlsx` (masked identities: the command line's default) and, for the full-identity path that
decrypts every ID number and phone, the same with `--full-identity`.
"""

import argparse
from pathlib import Path

from common import (
    data_folder,
    environment,
    fangyi_command,
    migrate_empty,
    print_machine,
    shell,
    timed,
)

TOWN = "999901100"
GOAL_SECONDS = 10
FILL_LEDGER = """
import random
from django.db import transaction
from django.utils import timezone
from fangyi.core.bulk import DbValues, allocate_ids, insert_rows
from fangyi.core.models import Person
from fangyi.ledger.importing import ENTRY_COLUMNS
from fangyi.ledger.models import LedgerEntry

rng = random.Random(20200128)
town = LedgerEntry.objects.within({town!r})
wanted = {entries} - town.count()
people = list(
    Person.objects.filter(jurisdiction__code__startswith={town!r})
    .exclude(ledger_entries__category="returnee")
    .values_list("pk", "jurisdiction_id", "current_address")[:wanted]
)
db = DbValues()
at = db.datetime(timezone.now())
sources = ("湖北省武汉市江岸区", "湖北省孝感市孝南区", "广东省深圳市南山区", "浙江省杭州市西湖区")
with transaction.atomic():
    ids = allocate_ids(LedgerEntry, len(people))
    uuids = db.random_uuids(len(people))
    insert_rows(LedgerEntry, ENTRY_COLUMNS, (
        (pk, at, at, uuid, person, place, "returnee", "pending", at, rng.choice(sources), "",
         "", db.date(timezone.localdate()), "rail", f"G{{rng.randrange(1, 9999)}}", "", address,
         "", None, None, "", None)
        for pk, uuid, (person, place, address) in zip(ids, uuids, people)
    ))
print(town.count())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=120_000)
    options = parser.parse_args()
    fangyi = fangyi_command()
    with data_folder() as data_dir:
        env, database = environment(data_dir)
        out = Path(data_dir) / "ledger.xlsx"
        migrate_empty(fangyi, env)
        timed([fangyi, "seed-demo", "--scale", "town", "-v0"], env)
        entries = int(shell(fangyi, FILL_LEDGER.format(town=TOWN, entries=options.entries), env))
        masked = timed([fangyi, "export-ledger", "--town", TOWN, str(out)], env)
        size_mb = out.stat().st_size / 1e6
        full = timed([fangyi, "export-ledger", "--town", TOWN, "--full-identity", str(out)], env)

    print_machine()
    print(f"database  {database}; 青山镇 ledger: {entries:,} entries")
    for label, run in (("masked", masked), ("full", full)):
        print(
            f"export    {label:<6} {run.seconds:5.1f} s = {entries / run.seconds:,.0f} rows/s,"
            f" peak RSS {run.peak_mb:.0f} MB"
            + (f", {size_mb:.1f} MB file" if label == "masked" else "")
        )
    for label, run in (("masked", masked), ("full identity", full)):
        verdict = "met" if run.seconds < GOAL_SECONDS else "MISSED"
        print(f"goal      {label} export of {entries:,} rows under {GOAL_SECONDS} s: {verdict}")


if __name__ == "__main__":
    main()
