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

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 120
DELETE_DEMO = (
    "from fangyi.core import demo; from fangyi.core.audit import Actor; "
    "demo.delete_demo(Actor.system('bench'))"
)
COUNT_PEOPLE = "from fangyi.core.models import Person; print(Person.objects.count())"


@dataclass
class Run:
    seconds: float
    peak_mb: float
    residents: int = 0

    @property
    def per_second(self) -> float:
        return self.residents / self.seconds


def fangyi_command() -> str:
    beside_python = Path(sys.executable).with_name("fangyi")
    found = str(beside_python) if beside_python.exists() else shutil.which("fangyi")
    if not found:
        sys.exit("the `fangyi` command is not installed; run `pip install -e .` in the venv")
    return found


def timed(args: list[str], env: dict[str, str]) -> Run:
    """Run one command; its wall time and its own peak RSS (Linux reports ru_maxrss in KiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"{' '.join(args)} failed with exit code {process.returncode}")
    return Run(seconds, usage.ru_maxrss / 1024)


def shell(fangyi: str, code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [fangyi, "shell", "--no-imports", "-c", code],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def main() -> None:
    fangyi = fangyi_command()
    data_dir = tempfile.mkdtemp(prefix="fangyi-bench-")
    env = {**os.environ, "FANGYI_DATA_DIR": data_dir, "FANGYI_DEBUG": "1"}
    database = env.get("DATABASE_URL", "").split(":", 1)[0] or f"sqlite ({data_dir})"
    try:
        migrate = timed([fangyi, "migrate", "-v0"], env)
        if int(shell(fangyi, COUNT_PEOPLE, env)):
            sys.exit("the database already holds people; point DATABASE_URL to an empty one")
        runs = {}
        for scale in ("small", "town"):
            runs[scale] = timed([fangyi, "seed-demo", "--scale", scale, "-v0"], env)
            runs[scale].residents = int(shell(fangyi, COUNT_PEOPLE, env))
            if scale == "small":  # untimed: the town run starts from an empty database too
                shell(fangyi, DELETE_DEMO, env)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    small, town = runs["small"], runs["town"]
    marginal = (town.seconds - small.seconds) / (town.residents - small.residents)
    python = platform.python_version()
    print(f"machine   {os.cpu_count()} CPUs, {platform.platform()}, Python {python}")
    print(f"database  {database}; migrate {migrate.seconds:.1f} s")
    for scale, run in runs.items():
        print(
            f"{scale:<9} {run.residents:>7,} residents in {run.seconds:6.1f} s"
            f" = {run.per_second:7,.0f} residents/s, {run.seconds / run.residents * 1e3:.3f} ms"
            f" per resident, peak RSS {run.peak_mb:.0f} MB"
        )
    print(f"marginal  {marginal * 1e6:.0f} µs per resident beyond the small scale")
    verdict = "met" if town.seconds < GOAL_SECONDS else "MISSED"
    print(f"goal      town scale under {GOAL_SECONDS} s: {verdict}")


if __name__ == "__main__":
    main()
