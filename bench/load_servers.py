"""The servers bench/checkpoint_load.py starts and always stops: a throwaway PostgreSQL 15
cluster and gunicorn, both on free loopback ports, plus CPU accounting of their process trees.

PostgreSQL is started as `.ci/run` does it (as root: through `runuser -u postgres`), with
fsync, synchronous_commit and full_page_writes off: durability is pointless in a cluster that
is deleted a minute later, and it keeps the disk of a shared build machine out of the figures.
"""

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from common import REPO

PGBIN = Path("/usr/lib/postgresql/15/bin")
BENCH_DIR = REPO / "bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120, **kwargs)


@dataclass
class Postgres:
    url: str
    pid: int  # the postmaster's
    version: str


@contextmanager
def throwaway_postgres() -> Iterator[Postgres]:
    """A PostgreSQL 15 cluster in a temporary folder on 127.0.0.1:<free port>, with a role and
    a database `fangyi`; stopped and deleted on the way out, whatever happened."""
    if not (PGBIN / "initdb").exists():
        sys.exit(
            f"PostgreSQL 15 server binaries not found in {PGBIN}: apt-get install -y postgresql-15"
        )
    as_pg = _as_postgres()
    tmp = Path(tempfile.mkdtemp(prefix="fangyi-bench-pg-"))
    data = tmp / "data"
    started = False
    try:
        (tmp / "sock").mkdir()
        if as_pg:
            shutil.chown(tmp, "postgres", "postgres")
            shutil.chown(tmp / "sock", "postgres", "postgres")
        _run([*as_pg, str(PGBIN / "initdb"), "-D", str(data), "--username=postgres",
              "--encoding=UTF8", "--no-locale", "--auth-local=trust",
              "--auth-host=scram-sha-256"])  # fmt: skip
        port = free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp / 'sock'} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run([*as_pg, str(PGBIN / "pg_ctl"), "-D", str(data), "-l", str(tmp / "server.log"),
              "-w", "-t", "60", "start", "-o", options])  # fmt: skip
        started = True
        psql = [*as_pg, str(PGBIN / "psql"), "-h", str(tmp / "sock"), "-p", str(port),
                "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtX"]  # fmt: skip
        _run([*psql, "-c", "CREATE ROLE fangyi LOGIN PASSWORD 'fangyi'"])
        _run([*psql, "-c", "CREATE DATABASE fangyi OWNER fangyi"])
        version = _run([*psql, "-c", "SHOW server_version"]).stdout.strip()
        pid = int((data / "postmaster.pid").read_text().split()[0])
        yield Postgres(f"postgres://fangyi:fangyi@127.0.0.1:{port}/fangyi", pid, version)
    finally:
        if started:
            subprocess.run(
                [*as_pg, str(PGBIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(tmp, ignore_errors=True)


def app_environment(database_url: str, data_dir: str) -> dict[str, str]:
    """Production settings (FANGYI_DEBUG=0) with generated secrets, plain HTTP on 127.0.0.1,
    and the bench's URL map (bench/load_settings.py)."""
    return {
        **os.environ,
        # This checkout first (a copy of the repository benchmarks its own code, not the
        # editable install's), then bench/ for load_settings.
        "PYTHONPATH": f"{BENCH_DIR}{os.pathsep}{REPO}",
        "DJANGO_SETTINGS_MODULE": "load_settings",
        "DATABASE_URL": database_url,
        "FANGYI_DATA_DIR": data_dir,
        "FANGYI_DEBUG": "0",
        "FANGYI_SECRET_KEY": secrets.token_urlsafe(50),
        "FANGYI_ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "FANGYI_ALLOWED_HOSTS": "127.0.0.1",
        "FANGYI_SSL_REDIRECT": "0",
    }


@dataclass(frozen=True)
class WorkerConfig:
    worker_class: str  # sync or gthread
    workers: int
    threads: int = 1

    def __str__(self) -> str:
        if self.worker_class == "sync":
            return f"sync ×{self.workers}"
        return f"gthread {self.workers}×{self.threads}"

    def args(self) -> list[str]:
        return ["--worker-class", self.worker_class, "--workers", str(self.workers),
                "--threads", str(self.threads)]  # fmt: skip


def parse_worker_config(text: str) -> WorkerConfig:
    """ "sync:4" or "gthread:2x4"."""
    kind, _, size = text.partition(":")
    if kind == "sync" and size.isdigit():
        return WorkerConfig("sync", int(size))
    workers, _, threads = size.partition("x")
    if kind == "gthread" and workers.isdigit() and threads.isdigit():
        return WorkerConfig("gthread", int(workers), int(threads))
    raise ValueError(f"worker config {text!r}: write sync:N or gthread:NxT")


@dataclass
class Gunicorn:
    base_url: str
    process: subprocess.Popen
    log: Path


@contextmanager
def gunicorn(env: dict[str, str], config: WorkerConfig, log_dir: str, *, bare: bool = False):
    """gunicorn serving fangyi.wsgi on 127.0.0.1:<free port>; `bare` empties the middleware."""
    port = free_port()
    log = Path(log_dir) / f"gunicorn-{port}.log"
    env = {**env, "BENCH_NO_MIDDLEWARE": "1" if bare else "0"}
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--bind", f"127.0.0.1:{port}", *config.args(),
        "--backlog", "2048", "--timeout", "60", "--graceful-timeout", "5", "--keep-alive", "5",
        "--log-level", "warning", "--error-logfile", str(log),
        "fangyi.wsgi:application",
    ]  # fmt: skip
    with open(log, "ab") as output:  # Django's own log lines (tracebacks) go there too
        process = subprocess.Popen(
            command, env=env, cwd=REPO, start_new_session=True, stdout=output, stderr=output
        )
    server = Gunicorn(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        _stop_group(process)
        errors = [ln for ln in log.read_text(errors="replace").splitlines() if "Error" in ln]
        if errors:
            print(f"gunicorn logged {len(errors)} error line(s); the last ones:", file=sys.stderr)
            print("\n".join(errors[-5:]), file=sys.stderr)
            print(log.read_text(errors="replace")[-3000:], file=sys.stderr)


def _wait_until_serving(server: Gunicorn, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            sys.exit(f"gunicorn exited with {server.process.returncode}:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(server.base_url + "/bench/bare", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    sys.exit(f"gunicorn did not answer within {timeout:.0f} s:\n{server.log.read_text()}")


def _stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's process group (master and workers), SIGKILL if it lingers."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, CPU ticks of the process and its reaped children)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), sum(int(f) for f in fields[11:15])


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root` and every process below it (live, or exited and
    reaped: those are in their parent's cutime/cstime)."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _proc_stat(int(entry))) is not None:
            stats[int(entry)] = stat
    children: dict[int, list[int]] = {}
    for pid, (ppid, _ticks) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
        todo += children.get(pid, [])
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all CPUs, from /proc/stat): with the
    trees above, what other processes took during a run (the build machine is shared)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS
