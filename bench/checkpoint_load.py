"""Benchmark: the checkpoint registration API under load (issue 4), with its ceiling.

    .venv/bin/python bench/checkpoint_load.py                  # the figures (about 3 minutes)
    .venv/bin/python bench/checkpoint_load.py --sweep          # first compare worker configs

One command does everything and cleans up after itself, even on failure or Ctrl-C: it starts a
throwaway PostgreSQL 15 on a free loopback port (fsync off: see load_servers.py), builds the
world in it (bench/load_world.py: the small demo county, three checkpoints at 东村, a
checkpoint-staff account with an API token, 500 realistic registration bodies), then serves
the app with gunicorn under the production settings (FANGYI_DEBUG=0, generated secrets, plain
HTTP on 127.0.0.1) and loads it with wrk, a second process on loopback (bench/checkpoint_load.lua):

1. GET /bench/bare, a Django view that does nothing, served with no middleware: the ceiling
   (the issue's reference figure: about 5,400 requests/s with 2 sync workers);
2. the same view through the project's whole middleware stack (what the stack costs);
3. POST /api/v1/checkpoints/registrations, one registration per request, each with a new UUID;
4. POST /api/v1/checkpoints/registrations/batch, --batch registrations per request.

Each run has a short warm-up, then --duration seconds of wrk with --connections connections.
Afterwards the rows added to checkpoints_registration are counted and every UUID the server
answered "created" for is looked up: none may be missing, and the only extra rows allowed are
those still in flight when wrk stopped (at most one per connection).

Needs `wrk` (Debian: apt-get install -y wrk) and the PostgreSQL 15 server (postgresql-15).
"""

import argparse
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from common import REPO, print_machine
from load_servers import (
    WorkerConfig,
    app_environment,
    gunicorn,
    machine_busy_seconds,
    parse_worker_config,
    throwaway_postgres,
    tree_cpu_seconds,
)

LUA = REPO / "bench" / "checkpoint_load.lua"
SINGLE = "/api/v1/checkpoints/registrations"
BATCH = "/api/v1/checkpoints/registrations/batch"
SIDE_EFFECTS = ("core_alert", "ledger_ledgerentry")
GOAL_PER_SECOND = 1000
GOAL_P99_MS = 100
GOAL_SHARE = 0.5
# Two processes (one per core) of four threads: the threads overlap each other's waits on
# PostgreSQL, and gthread keeps connections alive (sync workers close each one, so every request
# pays a TCP handshake on both sides). Measured with --sweep against sync ×2/×3/×4/×6 and
# gthread 4×2: the best registrations/s, single and batched (docs/benchmarks.md).
DEFAULT_CONFIG = "gthread:2x4"
DISTURBED = 0.10  # a run during which other processes took more of the machine is flagged
SWEEP = ["sync:2", "sync:3", "sync:4", "sync:6", "gthread:2x4", "gthread:4x2"]


@dataclass
class Result:
    label: str
    connections: int
    per_request: int  # registrations per request (0: the bare view)
    wrk: dict
    cpu: dict[str, float] = field(default_factory=dict)  # seconds: app, db, wrk
    rows: int = 0  # registrations added to the table
    side_effects: int = 0  # alerts and ledger entries added (none: no rule fires on the bodies)
    verified: str = ""

    @property
    def requests_per_second(self) -> float:
        return self.wrk["n_2xx"] / self.wrk["seconds"]

    @property
    def registrations_per_second(self) -> float:
        return self.wrk["created"] / self.wrk["seconds"]

    @property
    def throughput(self) -> float:
        """What is compared with the ceiling: registrations/s, or requests/s for a bare view."""
        return self.registrations_per_second if self.per_request else self.requests_per_second


class Bench:
    def __init__(self, args, env: dict[str, str], work: Path, database_url: str, pg_pid: int):
        self.args, self.env, self.work = args, env, work
        self.database_url, self.pg_pid = database_url, pg_pid
        world = json.loads((work / "world.json").read_text())
        self.token = world["token"]
        self.codes = world["checkpoints"]
        self.bodies = work / "bodies.jsonl"
        self.runs = 0

    def wrk(self, url: str, mode: str, seconds: float, connections: int, ack_dir: Path) -> dict:
        ack_dir.mkdir(parents=True, exist_ok=True)
        nonce = f"{secrets.randbits(28):07x}"
        threads = min(2, connections)
        command = [
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "10s",
            "-s", str(LUA), url, "--",
            mode, nonce, self.token, str(self.bodies), str(self.args.batch), str(ack_dir),
            ",".join(self.codes),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
        if done.returncode:
            sys.exit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        if done.stderr.strip():
            print(done.stderr.strip(), file=sys.stderr)
        line = next(ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT "))
        return json.loads(line.removeprefix("BENCH_RESULT "))

    def run(self, server, label: str, path: str, mode: str, connections: int) -> Result:
        """A warm-up, then the measured run with CPU accounting and, for the API, the check
        of the table against the answers."""
        self.runs += 1
        url = server.base_url + path
        self.wrk(url, mode, self.args.warmup, connections, self.work / f"warm-{self.runs}")
        time.sleep(1)  # the warm-up's last requests land
        rows_before = self.count_rows()
        side_effects_before = [self.count(t) for t in SIDE_EFFECTS]
        cpu_before = self.cpu(server)
        wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        ack_dir = self.work / f"run-{self.runs}"
        outcome = self.wrk(url, mode, self.args.duration, connections, ack_dir)
        wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_after = self.cpu(server)
        time.sleep(1)  # requests wrk abandoned at its stop finish on the server
        per_request = {"bare": 0, "single": 1, "batch": self.args.batch}[mode]
        result = Result(label, connections, per_request, outcome)
        result.cpu = {k: cpu_after[k] - cpu_before[k] for k in cpu_before}
        result.cpu["wrk"] = (wrk_after.ru_utime + wrk_after.ru_stime) - (
            wrk_before.ru_utime + wrk_before.ru_stime
        )
        # What other processes on the machine used, as a share of all its CPUs during the run.
        others = (
            result.cpu.pop("machine") - result.cpu["app"] - result.cpu["db"] - result.cpu["wrk"]
        )
        result.cpu["others"] = max(others, 0.0) / (outcome["seconds"] * (os.cpu_count() or 1))
        if per_request:
            result.rows = self.count_rows() - rows_before
            result.side_effects = sum(self.count(t) for t in SIDE_EFFECTS) - sum(
                side_effects_before
            )
            result.verified = self.verify(result, ack_dir)
        return result

    def cpu(self, server) -> dict[str, float]:
        return {
            "app": tree_cpu_seconds(server.process.pid),
            "db": tree_cpu_seconds(self.pg_pid),
            "machine": machine_busy_seconds(),
        }

    def count_rows(self) -> int:
        return self.count("checkpoints_registration")

    def count(self, table: str) -> int:
        with psycopg.connect(self.database_url) as db:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def verify(self, result: Result, ack_dir: Path) -> str:
        """Every UUID answered "created" is in the table once; rows beyond the answers are only
        the requests in flight when wrk stopped."""
        acked = [ln for f in sorted(ack_dir.glob("ack-*.txt")) for ln in f.read_text().split()]
        with psycopg.connect(self.database_url) as db:
            db.execute("CREATE TEMP TABLE acked (id uuid)")
            with db.cursor().copy("COPY acked (id) FROM STDIN") as copy:
                for value in acked:
                    copy.write_row((value,))
            distinct, found = db.execute(
                "SELECT count(DISTINCT a.id), count(r.id) FROM acked a"
                " LEFT JOIN checkpoints_registration r ON r.external_id = a.id"
            ).fetchone()
        created = result.wrk["created"]
        in_flight = result.rows - created
        per_request = result.per_request
        problems = []
        if len(acked) != created or distinct != created:
            problems.append(
                f"{len(acked)} acknowledged UUIDs, {distinct} distinct, {created} counted"
            )
        if found != created:
            problems.append(f"{created - found} acknowledged registrations are MISSING")
        if not 0 <= in_flight <= result.connections * per_request:
            problems.append(
                f"{in_flight} rows beyond the answers (at most {result.connections * per_request})"
            )
        if result.side_effects:
            problems.append(f"{result.side_effects} alerts or ledger entries: a rule fired")
        if result.wrk["not_created"] or result.wrk["n_other"]:
            problems.append(
                f"{result.wrk['not_created']} answers not 'created', {result.wrk['n_other']} non-2xx"
            )
        if problems:
            return "FAILED: " + "; ".join(problems)
        return (
            f"ok: {result.rows:,} rows added = {created:,} answered created"
            f" + {in_flight} in flight when wrk stopped; all {created:,} UUIDs found once;"
            " no alert or ledger entry"
        )


def smoke_test(bench: Bench, base_url: str) -> str:
    """One registration through the API before loading it: "" when it works, else why not."""
    body = bench.bodies.read_text(encoding="utf-8").splitlines()[0]
    body = body.replace("@ID@", "00000000-0000-4000-8000-" + secrets.token_hex(6))
    body = body.replace("@CP@", bench.codes[0])
    request = urllib.request.Request(
        base_url + SINGLE,
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {bench.token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            reply = answer.read().decode()
            if answer.status == 201 and '"created"' in reply:
                return ""
            return f"HTTP {answer.status}: {reply[:300]}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}: {error.read().decode()[:300]}"


def build_world(env: dict[str, str], work: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "load_world.py"), str(work)],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode:
        sys.exit(f"building the world failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - started


def sweep(bench: Bench, configs: list[WorkerConfig]) -> None:
    """Each worker config on the ceiling, single POSTs and batches (shorter runs)."""
    args = bench.args
    print(f"\nworker configs, {args.duration:.0f} s per run after {args.warmup:.0f} s warm-up;"
          f" connections: {args.connections} (ceiling, single), {args.batch_connections} (batch)")  # fmt: skip
    print(f"{'config':<14} {'ceiling req/s':>13} {'p99':>6} | {'single reg/s':>12} {'p50':>6}"
          f" {'p99':>6} {'CPU ms app+db':>13} | {'batch reg/s':>11} {'p50':>6} {'p99':>6}"
          f" {'CPU ms app+db':>13}")  # fmt: skip
    for config in configs:
        with gunicorn(bench.env, config, str(bench.work), bare=True) as server:
            ceiling = bench.run(server, "ceiling", "/bench/bare", "bare", args.connections)
        with gunicorn(bench.env, config, str(bench.work)) as server:
            if problem := smoke_test(bench, server.base_url):
                sys.exit(f"the registration API does not work: {problem}")
            single = bench.run(server, "single", SINGLE, "single", args.connections)
            batch = bench.run(server, "batch", BATCH, "batch", args.batch_connections)
        cells = [f"{config!s:<14} {ceiling.requests_per_second:>13,.0f}"
                 f" {ceiling.wrk['latency_ms']['p99']:>6.1f}"]  # fmt: skip
        for r in (single, batch):
            lat, n = r.wrk["latency_ms"], max(r.wrk["created"], 1)
            cpu = f"{r.cpu['app'] / n * 1e3:.2f}+{r.cpu['db'] / n * 1e3:.2f}"
            cells.append(f"{r.registrations_per_second:>12,.0f} {lat['p50']:>6.1f} {lat['p99']:>6.1f}"
                         f" {cpu:>13}{'' if r.verified.startswith('ok') else ' CHECK FAILED'}")  # fmt: skip
        others = max(x.cpu["others"] for x in (ceiling, single, batch))
        cells.append(f"others ≤ {others:.0%}")
        print(" | ".join(cells), flush=True)


def measure(bench: Bench, config: WorkerConfig) -> list[Result]:
    args = bench.args
    results = []
    with gunicorn(bench.env, config, str(bench.work), bare=True) as server:
        results.append(bench.run(server, "bare view, no middleware (ceiling)", "/bench/bare",
                                 "bare", args.connections))  # fmt: skip
    with gunicorn(bench.env, config, str(bench.work)) as server:
        results.append(bench.run(server, "bare view, full middleware", "/bench/bare", "bare",
                                 args.connections))  # fmt: skip
        if problem := smoke_test(bench, server.base_url):
            print(f"\nthe registration API is not measured: POST {SINGLE} gave {problem}")
            return results
        results.append(bench.run(server, "POST registrations (1/request)", SINGLE, "single",
                                 args.connections))  # fmt: skip
        results.append(bench.run(server, f"POST registrations/batch ({args.batch}/request)",
                                 BATCH, "batch", args.batch_connections))  # fmt: skip
    return results


def report(results: list[Result], config: WorkerConfig, args) -> bool:
    ceiling = results[0].throughput
    print(f"\ngunicorn {config}; wrk 2 threads, {args.duration:.0f} s per run after"
          f" {args.warmup:.0f} s warm-up\n")  # fmt: skip
    head = (f"{'endpoint':<38} {'conns':>5} {'req/s':>8} {'reg/s':>8} {'p50 ms':>7}"
            f" {'p99 ms':>7} {'max ms':>7} {'× ceiling':>9} {'CPU ms/reg: app':>15} {'db':>5} {'wrk':>5}"
            f" {'others':>6}")  # fmt: skip
    print(head)
    print(f"{'':<38} (CPU per registration, or per request for the bare view; others: the share"
          " of the machine other processes used during the run)")  # fmt: skip
    for r in results:
        lat = r.wrk["latency_ms"]
        per = max(r.wrk["created"] if r.per_request else r.wrk["n_2xx"], 1)
        regs = f"{r.registrations_per_second:8,.0f}" if r.per_request else f"{'':>8}"
        print(f"{r.label:<38} {r.connections:>5} {r.requests_per_second:>8,.0f} {regs}"
              f" {lat['p50']:>7.1f} {lat['p99']:>7.1f} {lat['max']:>7.0f} {r.throughput / ceiling:>9.2f}"
              f" {r.cpu['app'] / per * 1e3:>15.2f} {r.cpu['db'] / per * 1e3:>5.2f}"
              f" {r.cpu['wrk'] / per * 1e3:>5.2f} {r.cpu['others']:>6.0%}")  # fmt: skip
    disturbed = [r.label for r in results if r.cpu["others"] > DISTURBED]
    if disturbed:
        print(f"WARNING   other processes took more than {DISTURBED:.0%} of the machine during:"
              f" {'; '.join(disturbed)}. Those figures are low; run again when it is quiet.")  # fmt: skip
    errors = {r.label: r.wrk["errors"] for r in results if any(r.wrk["errors"].values())}
    for label, counts in errors.items():
        print(f"wrk errors in {label}: {counts}")
    ok = True
    for r in results:
        if r.per_request:
            print(f"check     {r.label}: {r.verified}")
            ok = ok and r.verified.startswith("ok")
    for r in results:
        if not r.per_request:
            continue
        p99 = r.wrk["latency_ms"]["p99"]
        goals = [
            (f"≥ {GOAL_PER_SECOND:,} registrations/s", r.registrations_per_second >= GOAL_PER_SECOND,
             f"{r.registrations_per_second:,.0f}"),
            (f"p99 < {GOAL_P99_MS} ms", p99 < GOAL_P99_MS, f"{p99:.1f} ms"),
            (f"≥ {GOAL_SHARE:.0%} of the ceiling", r.throughput >= GOAL_SHARE * ceiling,
             f"{r.throughput / ceiling:.0%}"),
        ]  # fmt: skip
        verdicts = ", ".join(f"{g} {'met' if met else 'MISSED'} ({v})" for g, met, v in goals)
        print(f"goals     {r.label}: {verdicts}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=25, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up before each")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (bare, single)")
    parser.add_argument("--batch-connections", type=int, default=4, help="wrk connections (batch)")
    parser.add_argument("--batch", type=int, default=10, help="registrations per batch request")
    parser.add_argument("--workers", default=DEFAULT_CONFIG,
                        help=f"gunicorn workers: sync:N or gthread:NxT (default {DEFAULT_CONFIG})")  # fmt: skip
    parser.add_argument("--sweep", action="store_true",
                        help=f"only compare worker configs: {', '.join(SWEEP)}")  # fmt: skip
    parser.add_argument(
        "--time-limit", type=int, default=1200, help="abort after this many seconds"
    )
    args = parser.parse_args()
    config = parse_worker_config(args.workers)
    if not shutil.which("wrk"):
        sys.exit(
            "wrk is not installed: apt-get install -y wrk (Debian) or build it from github.com/wg/wrk"
        )

    def abort(signum, _frame):
        raise SystemExit(f"stopped by signal {signum}: cleaning up")

    signal.signal(signal.SIGTERM, abort)
    signal.signal(signal.SIGALRM, abort)
    signal.alarm(args.time_limit)  # bounded in time, whatever hangs

    work = Path(tempfile.mkdtemp(prefix="fangyi-bench-load-"))
    try:
        with throwaway_postgres() as pg:
            env = app_environment(pg.url, str(work / "data"))
            seconds = build_world(env, work)
            bench = Bench(args, env, work, pg.url, pg.pid)
            print_machine()
            print(
                f"database  PostgreSQL {pg.version} (throwaway, fsync off); world built in {seconds:.0f} s"
            )
            if args.sweep:
                sweep(bench, [parse_worker_config(c) for c in SWEEP])
                return
            results = measure(bench, config)
            ok = report(results, config, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not ok:
        sys.exit("the table does not match the answers")


if __name__ == "__main__":
    main()
