"""CPU per request of each page kind, replayed in one process.

Throughput runs (`make bench`) need a quiet machine; CPU time spent by one
process on one kind of request does not depend much on what else runs. This
replays the request files `bench/prepare.py` wrote (one kind at a time, through
Django's test client with the same cookies and headers as wrk sends) and reports,
per kind, the process CPU time per request (time.process_time: this process
only, PostgreSQL and Redis excluded), the wall time, the statuses and the
queries per request.

    python -m bench.perkind WORKDIR [--kinds parent_home,teacher_register]
        [--requests 200] [--warmup 20] [--profile DIR] [--json OUT]

Run it with the bench's environment (DATABASE_URL of the bench database,
REDIS_URL, DJANGO_SETTINGS_MODULE=ent.settings, DJANGO_DEBUG=false);
PAGE_CACHE_SECONDS=0 measures first visits (the "cold" mix). Posts are undone
before each kind (bench.prepare's reset), so every notice posted is a new one.
--profile writes a cProfile file per kind and prints its top functions.
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import django


def _requests(path):
    rows = []
    for line in Path(path).read_text().splitlines():
        if not line:
            continue
        method, url, cookie, *rest = line.split("\t")
        rows.append((method, url, cookie, rest[0] if rest else ""))
    return rows


def _send(client, method, url, cookie, body):
    extra = {"HTTP_HOST": "127.0.0.1", "HTTP_ACCEPT_ENCODING": "gzip"}
    # The API's lines carry a bearer token instead of the session cookie (as mixed.lua sends them).
    bearer = cookie.startswith("Bearer ")
    extra["HTTP_AUTHORIZATION" if bearer else "HTTP_COOKIE"] = cookie
    if method == "POST" and not bearer:
        token = next(p.split("=", 1)[1] for p in cookie.split("; ") if p.startswith("csrftoken="))
        extra.update(HTTP_X_CSRFTOKEN=token, HTTP_REFERER="http://127.0.0.1/")
        return client.generic("POST", url, body, content_type="application/x-www-form-urlencoded", **extra)
    return client.generic(method, url, **extra)


def measure(kind, rows, *, requests, warmup, profile_dir=None):
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(enforce_csrf_checks=True)
    # Posts must each be new (a second notice for the same half-day is refused):
    # never replay a post file past its end.
    if any(method == "POST" for method, *_ in rows):
        requests = min(requests, max(len(rows) - warmup, 1))
    for i in range(warmup):
        _send(client, *rows[i % len(rows)])
    statuses = Counter()
    cpu, wall, queries = [], [], []
    profiler = cProfile.Profile() if profile_dir else None
    for i in range(warmup, warmup + requests):
        row = rows[i % len(rows)]
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            if profiler:
                profiler.enable()
            c0, w0 = time.process_time(), time.perf_counter()
            response = _send(client, *row)
            c1, w1 = time.process_time(), time.perf_counter()
            if profiler:
                profiler.disable()
        statuses[response.status_code] += 1
        cpu.append((c1 - c0) * 1000)
        wall.append((w1 - w0) * 1000)
        queries.append(len(captured))
    result = {
        "requests": requests,
        "cpu_ms_mean": round(statistics.fmean(cpu), 2),
        "cpu_ms_median": round(statistics.median(cpu), 2),
        "wall_ms_median": round(statistics.median(wall), 2),
        "queries_mean": round(statistics.fmean(queries), 2),
        "statuses": dict(statuses),
    }
    if profiler:
        out = Path(profile_dir) / f"{kind}.prof"
        profiler.dump_stats(out)
        order = os.environ.get("PERKIND_SORT", "cumulative")  # or tottime
        print(f"--- {kind}: top functions by {order} time ({out})", file=sys.stderr)
        pstats.Stats(str(out), stream=sys.stderr).sort_stats(order).print_stats(25)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", help="the folder bench/prepare.py wrote (prepare.json and request files)")
    parser.add_argument("--kinds", default="", help="comma-separated page names (default: every page)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--profile", default="", help="folder for one cProfile file per kind")
    parser.add_argument("--json", default="", help="also write the results here")
    args = parser.parse_args(argv)
    django.setup()
    from bench.prepare import reset

    prepared = json.loads((Path(args.workdir) / "prepare.json").read_text())
    kinds = [k for k in args.kinds.split(",") if k] or list(prepared["pages"])
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    results = {}
    for kind in kinds:
        reset()
        rows = _requests(prepared["pages"][kind]["requests_file"])
        results[kind] = measure(kind, rows, requests=args.requests, warmup=args.warmup, profile_dir=args.profile)
        r = results[kind]
        print(
            f"{kind:28} cpu {r['cpu_ms_mean']:7.2f} ms/req (median {r['cpu_ms_median']:.2f}), "
            f"wall median {r['wall_ms_median']:.2f} ms, {r['queries_mean']} queries, {r['statuses']}",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
