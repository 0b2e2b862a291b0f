"""Where the time of one API registration goes: the queries it runs and a cProfile of many.

    .venv/bin/python bench/profile_registration.py [--requests 600] [--batch] [--sql]

Builds the same world as bench/checkpoint_load.py in a throwaway PostgreSQL 15, then in one
process under the production settings sends registrations through Django's whole request path
(test Client → middleware → ninja → services) and prints: the SQL queries of one registration
(CaptureQueriesContext), the wall time per request without the profiler, and the functions that
take the time (cProfile, by own time and by cumulative time).
"""

import argparse
import cProfile
import io
import json
import pstats
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO


def inner(work: Path, requests: int, batch: int, show_sql: bool, timing_only: bool) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    world = json.loads((work / "world.json").read_text())
    templates = (work / "bodies.jsonl").read_text(encoding="utf-8").splitlines()
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {world['token']}")
    counter, run = 0, secrets.randbits(32)  # UUIDs new in every run

    codes = world["checkpoints"]

    def body(code: str = "") -> str:
        nonlocal counter
        counter += 1
        item = templates[counter % len(templates)]
        item = item.replace("@CP@", code or codes[counter % len(codes)])
        return item.replace("@ID@", f"{run:08x}-0000-4000-8000-{counter:012x}")

    def send() -> None:
        if batch:
            code = codes[counter % len(codes)]  # a batch is one checkpoint's (one phone's)
            data = '{"registrations": [' + ", ".join(body(code) for _ in range(batch)) + "]}"
            path, expected = "/api/v1/checkpoints/registrations/batch", 200
        else:
            data, path, expected = body(), "/api/v1/checkpoints/registrations", 201
        answer = client.post(path, data, content_type="application/json")
        if answer.status_code != expected or b'"rejected"' in answer.content:
            sys.exit(f"HTTP {answer.status_code}: {answer.content[:500]!r}")

    per_request = batch or 1
    for _ in range(50):  # warm: imports, caches, the connection
        send()
    with CaptureQueriesContext(connection) as queries:
        send()
    print(f"SQL queries for one request ({per_request} registration(s)): {len(queries)}")
    kinds: dict[str, int] = {}
    for query in queries.captured_queries:
        sql = query["sql"]
        key = " ".join(sql.split()[:4]) if not sql.startswith("SELECT") else _select_key(sql)
        kinds[key] = kinds.get(key, 0) + 1
    for key, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {n:>3} × {key}")
    if show_sql:
        for query in queries.captured_queries:
            print(f"  [{query['time']}] {query['sql'][:300]}")

    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(requests // 2):
        send()
    wall = (time.perf_counter() - started) / (requests // 2)
    cpu = (time.process_time() - cpu_started) / (requests // 2)
    print(f"per request without the profiler: {wall * 1e3:.2f} ms wall, {cpu * 1e3:.2f} ms CPU"
          f" of this process ({cpu / per_request * 1e3:.2f} ms CPU per registration)")  # fmt: skip

    if timing_only:
        return
    profiler = cProfile.Profile(time.process_time)  # CPU time: what limits throughput
    profiler.enable()
    for _ in range(requests):
        send()
    profiler.disable()
    for order, limit in (("tottime", 35), ("cumulative", 60)):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(order).print_stats(limit)
        print(f"\n--- by {order} ({requests} requests) ---")
        print(_trim(out.getvalue()))


def _select_key(sql: str) -> str:
    after = sql.split(" FROM ", 1)[1] if " FROM " in sql else sql
    table = after.split()[0].strip('"')
    where = sql.split(" WHERE ", 1)[1][:60] if " WHERE " in sql else ""
    return f"SELECT FROM {table} WHERE {where}"


def _trim(report: str) -> str:
    lines = report.splitlines()
    start = next((i for i, ln in enumerate(lines) if "ncalls" in ln), 0)
    return "\n".join(ln.replace(str(REPO) + "/", "").replace(sys.prefix + "/lib/python3.11/site-packages/", "")
                     for ln in lines[start:])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--batch", type=int, default=0, help="registrations per batch request")
    parser.add_argument("--sql", action="store_true", help="print every query of one request")
    parser.add_argument("--timing-only", action="store_true", help="no cProfile run")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(Path(args.inner), args.requests, args.batch, args.sql, args.timing_only)
        return

    from checkpoint_load import build_world
    from load_servers import app_environment, throwaway_postgres

    work = Path(tempfile.mkdtemp(prefix="fangyi-bench-profile-"))
    try:
        with throwaway_postgres() as pg:
            env = app_environment(pg.url, str(work / "data"))
            build_world(env, work)
            command = [sys.executable, __file__, "--inner", str(work),
                       "--requests", str(args.requests), "--batch", str(args.batch)]  # fmt: skip
            command += ["--sql"] if args.sql else []
            command += ["--timing-only"] if args.timing_only else []
            subprocess.run(command, env=env, cwd=REPO, check=True, timeout=1200)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
