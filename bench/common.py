"""What the benchmark scripts in bench/ share: the `fangyi` command, a data folder and environment
for it, timing one process with its own peak RSS, and the lines every script prints.

The scripts run as `.venv/bin/python bench/X.py`, so this folder is on sys.path and they import
it as `common`.
"""

import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COUNT_PEOPLE = "from fangyi.core.models import Person; print(Person.objects.count())"


@dataclass
class Run:
    seconds: float
    peak_mb: float
    stdout: str = ""


def fangyi_command() -> str:
    beside_python = Path(sys.executable).with_name("fangyi")
    found = str(beside_python) if beside_python.exists() else shutil.which("fangyi")
    if not found:
        sys.exit("the `fangyi` command is not installed; run `pip install -e .` in the venv")
    return found


@contextmanager
def data_folder(keep: str | None = None) -> Iterator[str]:
    """A FANGYI_DATA_DIR: a temporary folder deleted afterwards, or `keep`, made and kept."""
    data_dir = keep or tempfile.mkdtemp(prefix="fangyi-bench-")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    try:
        yield data_dir
    finally:
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def environment(data_dir: str) -> tuple[dict[str, str], str]:
    """The environment for `fangyi` with its data in data_dir, and the database's label."""
    env = {**os.environ, "FANGYI_DATA_DIR": data_dir, "FANGYI_DEBUG": "1"}
    database = env.get("DATABASE_URL", "").split(":", 1)[0] or f"sqlite ({data_dir})"
    return env, database


def timed(args: list[str], env: dict[str, str]) -> Run:
    """Run one command; its wall time, its own peak RSS (Linux: ru_maxrss in KiB), its stdout."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(args, env=env, cwd=REPO, stdout=out)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            sys.exit(f"{' '.join(args)} failed with exit code {process.returncode}")
        out.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, out.read().decode())


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


def count_people(fangyi: str, env: dict[str, str]) -> int:
    return int(shell(fangyi, COUNT_PEOPLE, env))


def migrate_empty(fangyi: str, env: dict[str, str]) -> Run:
    """Migrate the database, timed, and stop unless it holds no people."""
    migrate = timed([fangyi, "migrate", "-v0"], env)
    if count_people(fangyi, env):
        sys.exit("the database already holds people; point DATABASE_URL to an empty one")
    return migrate


def print_machine() -> None:
    print(
        f"machine   {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}"
    )


def p95(seconds: list[float]) -> float:
    """The 95th percentile by nearest rank: the value 95 % of the runs were at or under."""
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def timed_calls(call: Callable[[], object], repeat: int, warmup: int = 3) -> list[float]:
    """Wall seconds of each of `repeat` calls, after `warmup` untimed ones (caches, plans)."""
    for _ in range(warmup):
        call()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds
