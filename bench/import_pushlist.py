"""Benchmark: importing a 100,000-row push list into a town of 120,000 residents (issue 3), with
`pandas.read_excel` (openpyxl engine) of the same file timed in the same run as the baseline.

    .venv/bin/python bench/import_pushlist.py [--rows 100000] [--keep DIR]

By default it makes a fresh SQLite database in a temporary FANGYI_DATA_DIR (deleted afterwards,
unless --keep names a folder to keep it in), seeds the town-scale demo (`fangyi seed-demo --scale
town`: 120,600 residents), and writes the list with fangyi/ledger/synthetic.py: a title row above
the header, ~2% bad rows, ~5% repeated rows, ~30% residents the town already knows, the rest new
people. With DATABASE_URL set (e.g. postgres://fangyi:fangyi@127.0.0.1:54329/fangyi) it uses that
database instead, which must hold no people: it is migrated, seeded, and left holding the demo
and the imported list.

Timed, each as its own process, with its own peak RSS (os.wait4):
  baseline  `pandas.read_excel(path, engine="openpyxl", dtype=str)`: the read alone is timed
            inside the process (pandas' own import excluded), and the process as a whole;
  import    `fangyi import-pushlist FILE --town 999901100 --json`, the whole command: Django
            start-up, storing and reading the file, checking every row, matching, writing the
            people, entries, history events and verification tasks, in one transaction.
The import's JSON counts are checked against what the generator wrote.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from common import (
    count_people,
    data_folder,
    environment,
    fangyi_command,
    migrate_empty,
    print_machine,
    shell,
    timed,
)

TOWN = "999901100"
GOAL_ROWS_PER_SECOND = 20_000
GOAL_PEAK_MB = 500
GENERATE = """
import json
from django.utils import timezone
from fangyi.core.models import Jurisdiction
from fangyi.ledger.synthetic import sample_residents, write_push_list
rows = {rows}
known = sample_residents({town!r}, int(rows * 0.3) + 100)
villages = list(Jurisdiction.objects.filter(parent_id={town!r}).values_list("name", flat=True))
made = write_push_list(
    {path!r}, rows, town_name=Jurisdiction.objects.get(code={town!r}).name,
    village_names=villages, received=timezone.localdate(), known_residents=known,
    bad_fraction=0.02, duplicate_fraction=0.05, known_fraction=0.3,
)
print(json.dumps({{"bad": made.bad, "duplicates": made.duplicates, "known": made.known,
                  "new": made.new}}))
"""
BASELINE = """
import sys, time
import pandas
started = time.perf_counter()
frame = pandas.read_excel(sys.argv[1], engine="openpyxl", dtype=str)
print(time.perf_counter() - started, len(frame))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", help="keep the data folder (database, list) here")
    options = parser.parse_args()
    fangyi = fangyi_command()
    with data_folder(options.keep) as data_dir:
        env, database = environment(data_dir)
        push_file = str(Path(data_dir) / f"push-list-{options.rows}.xlsx")
        migrate_empty(fangyi, env)
        seed = timed([fangyi, "seed-demo", "--scale", "town", "-v0"], env)
        residents = count_people(fangyi, env)
        started = time.perf_counter()
        code = GENERATE.format(rows=options.rows, town=TOWN, path=push_file)
        expected = json.loads(shell(fangyi, code, env).splitlines()[-1])
        generated = time.perf_counter() - started

        baseline = timed([sys.executable, "-c", BASELINE, push_file], env)
        read_seconds, read_rows = baseline.stdout.split()
        baseline_read = float(read_seconds)
        run = timed([fangyi, "import-pushlist", push_file, "--town", TOWN, "--json"], env)
        outcome = json.loads(run.stdout.strip().splitlines()[-1])

    rows = options.rows
    per_second = rows / run.seconds
    size_mb = os.path.getsize(push_file) / 1e6 if options.keep else None
    print_machine()
    print(
        f"database  {database}; town demo: {residents:,} residents, seeded in {seed.seconds:.1f} s"
    )
    print(
        f"list      {rows:,} rows + title + header, generated in {generated:.1f} s"
        + (f", {size_mb:.1f} MB" if size_mb else "")
        + f": {expected['bad']:,} bad, {expected['duplicates']:,} repeats,"
        f" {expected['known']:,} known residents, {expected['new']:,} new people"
    )
    print(
        f"baseline  pandas.read_excel(openpyxl, dtype=str): read {baseline_read:.1f} s"
        f" ({int(read_rows):,} rows; the process {baseline.seconds:.1f} s),"
        f" peak RSS {baseline.peak_mb:.0f} MB"
    )
    print(
        f"import    fangyi import-pushlist: {run.seconds:.1f} s = {per_second:,.0f} rows/s,"
        f" peak RSS {run.peak_mb:.0f} MB"
    )
    print(
        f"outcome   rows {outcome['rows']:,}, imported {outcome['imported']:,}, matched"
        f" {outcome['matched']:,}, merged {outcome['merged']:,}, errors {outcome['errors']:,}"
    )
    correct = (outcome["rows"], outcome["errors"], outcome["merged"], outcome["matched"]) == (
        rows,
        expected["bad"],
        expected["duplicates"],
        expected["known"],
    ) and outcome["imported"] == expected["new"]
    goals = {
        "counts as generated": correct,
        "import faster than the baseline's read alone": run.seconds < baseline_read,
        f"at least {GOAL_ROWS_PER_SECOND:,} rows/s": per_second >= GOAL_ROWS_PER_SECOND,
        f"peak memory under {GOAL_PEAK_MB} MB": run.peak_mb < GOAL_PEAK_MB,
    }
    for goal, met in goals.items():
        print(f"goal      {goal}: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
