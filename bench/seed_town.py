"""Benchmark: `fangyi seed-demo --scale town` (38 villages, 120,600 residents), with the small
scale (3,000 residents) timed in the same run as the baseline.

    .venv/bin/python bench/seed_town.py

By default it makes a fresh SQLite database in a temporary FANGYI_DATA_DIR (deleted afterwards).
With DATABASE_URL set it uses that database instead (e.g. PostgreSQL), which must hold no people:
it is migrated, seeded, and left holding the town-scale demo.

Each figure is one `fangyi` process: wall time, and peak resident memory of that process alone
(the ru_maxrss that getrusage(RUSAGE_CHILDREN) reports, taken per child with os.wait4). The
marginal cost per resident, (town − small) / (120,600 − 3,000), removes start-up and the
password hashing of the 13 accounts, so it compares across noisy runs and machines.
"""

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

GOAL_SECONDS = 120
DELETE_DEMO = (
    "from fangyi.core import demo; from fangyi.core.audit import Actor; "
    "demo.delete_demo(Actor.system('bench'))"
)


def main() -> None:
    fangyi = fangyi_command()
    with data_folder() as data_dir:
        env, database = environment(data_dir)
        migrate = migrate_empty(fangyi, env)
        runs, residents = {}, {}
        for scale in ("small", "town"):
            runs[scale] = timed([fangyi, "seed-demo", "--scale", scale, "-v0"], env)
            residents[scale] = count_people(fangyi, env)
            if scale == "small":  # untimed: the town run starts from an empty database too
                shell(fangyi, DELETE_DEMO, env)

    small, town = runs["small"], runs["town"]
    marginal = (town.seconds - small.seconds) / (residents["town"] - residents["small"])
    print_machine()
    print(f"database  {database}; migrate {migrate.seconds:.1f} s")
    for scale, run in runs.items():
        count = residents[scale]
        print(
            f"{scale:<9} {count:>7,} residents in {run.seconds:6.1f} s"
            f" = {count / run.seconds:7,.0f} residents/s, {run.seconds / count * 1e3:.3f} ms"
            f" per resident, peak RSS {run.peak_mb:.0f} MB"
        )
    print(f"marginal  {marginal * 1e6:.0f} µs per resident beyond the small scale")
    verdict = "met" if town.seconds < GOAL_SECONDS else "MISSED"
    print(f"goal      town scale under {GOAL_SECONDS} s: {verdict}")


if __name__ == "__main__":
    main()
