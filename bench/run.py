"""`make bench`: the lockdown-Monday load test on loopback.

1. builds (once) a territory dataset in its own PostgreSQL database,
2. starts the production layout: gunicorn WSGI workers for pages (and uvicorn
   for WebSockets when the messaging benchmark runs),
3. measures a minimal baseline view (/livez) in the same run, each main page
   alone, then the mixed workload at 50, 100 and 200 connections with wrk,
4. writes bench/results/latest.json and prints a Markdown table.

--quick runs a tiny version of everything (the smoke test in `make test`).
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GOALS = {"requests_per_s": 400, "p95_ms": 150, "p99_ms": 400}
MIXED_SUMMARY = ("connections", "requests_per_s", "served_per_s", "p50_ms", "p95_ms", "p99_ms", "errors", "busy_503")
# The Monday morning (issue #25).
LOGIN_GOALS = {
    "logins_per_s_at_16": 30,
    "login_p95_ms": 1000,
    "cpu_ms_per_login": 50,
    "journeys_per_s": 15,
    "journey_step_p95_ms": 1000,
    "overload_share_within_2s": 0.95,
    "overload_5xx": 0,
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


def ensure_database(name):
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name):
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_env(db_name, redis_db, workdir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE", "REDIS"))}
    env.update(
        DJANGO_SETTINGS_MODULE="ent.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="bench-only-secret-key-7f3a9c1e5b2d8f4a6c0e9b7d5f3a1c8e",  # noqa: S106
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db_name}",
        DATABASE_CONN_MAX_AGE="600",
        REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_ROOT=str(workdir / "static"),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


class Sampler:
    """CPU seconds and RSS of a process tree, from /proc."""

    def __init__(self, root_pid):
        self.root = root_pid

    def pids(self):
        found = {self.root}
        changed = True
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    stats[int(entry.name)] = int(fields[1])  # ppid
                except OSError:
                    continue
        while changed:
            changed = False
            for pid, ppid in stats.items():
                if ppid in found and pid not in found:
                    found.add(pid)
                    changed = True
        return found

    def snapshot(self):
        tick = os.sysconf("SC_CLK_TCK")
        cpu, rss = 0.0, 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                cpu += (int(fields[11]) + int(fields[12])) / tick
                status = Path(f"/proc/{pid}/status").read_text()
                rss += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024
            except (OSError, AttributeError):
                continue
        return cpu, rss


class NamedSampler(Sampler):
    """CPU seconds and RSS of every process with this command name (PostgreSQL's
    backends, Redis): where the rest of the machine's CPU goes."""

    def __init__(self, *names):
        self.names = set(names)

    def pids(self):
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "comm").read_text().strip() in self.names:
                        found.add(int(entry.name))
                except OSError:
                    continue
        return found


def wrk(url, requests_file, connections, duration, threads=2):
    threads = min(threads, connections)
    env = {**os.environ, "BENCH_THREADS": str(threads)}
    if requests_file:
        env["BENCH_REQUESTS"] = str(requests_file)
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(ROOT / "bench" / ("mixed.lua" if requests_file else "plain.lua")),
        url,
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    raw = json.loads(line[len("BENCH_JSON ") :])
    seconds = raw["duration_us"] / 1e6
    return {
        "connections": connections,
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1),
        # What was served (neither a busy page nor any other error): a busy page
        # is answered in well under a millisecond and its connection asks again
        # at once, so req/s alone counted the refusals as throughput.
        "served_per_s": round((raw["requests"] - raw["errors"]) / seconds, 1),
        "busy_503": raw.get("busy", 0),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "errors": raw["errors"],
        "kb_per_request": round(raw["bytes"] / max(raw["requests"], 1) / 1024, 1),
        "redirects": raw.get("redirects", 0),
    }


SERVICES = NamedSampler("postgres", "redis-server")


def reset_posts(env):
    """Before each measured run: the notices an earlier run posted are removed
    (bench/prepare.py reset), so every run posts new ones."""
    subprocess.run([str(BIN / "python"), "-m", "bench.prepare", "--reset"], env=env, cwd=ROOT, check=True)


def measured(sampler, fn, env):
    reset_posts(env)
    cpu0, _ = sampler.snapshot()
    db0, _ = SERVICES.snapshot()
    t0 = time.monotonic()
    result = fn()
    cpu1, rss = sampler.snapshot()
    db1, _ = SERVICES.snapshot()
    elapsed = time.monotonic() - t0
    result["server_cpu_cores"] = round((cpu1 - cpu0) / elapsed, 2)
    result["server_rss_mb"] = round(rss / 2**20, 1)
    # PostgreSQL and Redis share the two cores with the web workers.
    result["db_cpu_cores"] = round((db1 - db0) / elapsed, 2)
    return result


def wait_http(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (loopback only)
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def meets_goals(r):
    return (
        r["served_per_s"] >= GOALS["requests_per_s"]
        and r["p95_ms"] <= GOALS["p95_ms"]
        and r["p99_ms"] <= GOALS["p99_ms"]
        and r["errors"] == 0
    )


def markdown(report):
    lines = [
        f"Baseline `/livez` (same server, no database): **{report['baseline']['requests_per_s']} req/s**",
        "",
        "| run | conns | req/s | served req/s | × baseline | p50 ms | p95 ms | p99 ms | errors | of them busy 503 "
        "| queries 1 / 500 rows | KB gz | web CPU cores | PG+Redis CPU | web RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = report["baseline"]["requests_per_s"] or 1
    for name, r in report["pages"].items():
        lines.append(
            f"| {name} | {r['connections']} | {r['requests_per_s']} | {r['served_per_s']} | "
            f"{r['served_per_s'] / base:.2f} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['errors']} | "
            f"{r['busy_503']} | "
            f"{r.get('queries_small')} / {r.get('queries_large')} | {r.get('weight_kb')} | {r['server_cpu_cores']} | "
            f"{r['db_cpu_cores']} | "
            f"{r['server_rss_mb']} |"
        )
    for r in report["mixed_runs"]:
        lines.append(
            f"| mixed | {r['connections']} | {r['requests_per_s']} | {r['served_per_s']} | "
            f"{r['served_per_s'] / base:.2f} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['errors']} | "
            f"{r['busy_503']} | | | "
            f"{r['server_cpu_cores']} | {r['db_cpu_cores']} | {r['server_rss_mb']} |"
        )
    r = report.get("mixed_uncached")
    if r:
        lines.append(
            f"| mixed, page cache off | {r['connections']} | {r['requests_per_s']} | {r['served_per_s']} | "
            f"{r['served_per_s'] / base:.2f} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['errors']} | "
            f"{r['busy_503']} | | | "
            f"{r['server_cpu_cores']} | {r['db_cpu_cores']} | {r['server_rss_mb']} |"
        )
    if report.get("layouts"):
        lines += [
            "",
            f"Process layout for pages (same run, {report['layouts']['wsgi']['connections']} connections):",
            "",
            "| layout | baseline req/s | mixed served req/s | mixed p99 ms | errors |",
            "|---|---|---|---|---|",
        ]
        for kind, r in report["layouts"].items():
            lines.append(
                f"| {kind}: {r['server']} | {r['baseline_requests_per_s']} | {r['mixed_requests_per_s']} | "
                f"{r['mixed_p99_ms']} | {r['mixed_errors']} |"
            )
    ws = report.get("websocket") or {}
    if ws and "error" not in ws:
        lines += ["", "WebSocket: " + json.dumps(ws, ensure_ascii=False)]
    push = report.get("push") or {}
    if push and "error" not in push:
        lines += [
            "",
            f"Push to {push['parents']} parents' devices (issue #23): queued {push['queued_ms_median']} ms median, "
            f"{push['queued_ms_max']} ms max after the request started (goal <= {push['goal_queued_ms']}); "
            f"the whole request {push['request_ms_median']} ms median; "
            f"{push['push_deliveries_per_request']} push deliveries a request.",
        ]
    api = (("api_homework_week", "pupil_homework_week"), ("api_conversations", "parent_conversations"))
    api = [(a, p) for a, p in api if a in report["pages"] and p in report["pages"]]
    if api:
        lines += ["", "API vs page, same run, served req/s (issue #23: the API at >= the page's req/s):"]
        for a, p in api:
            ra, rp = report["pages"][a]["served_per_s"], report["pages"][p]["served_per_s"]
            lines.append(f"- {a} {ra} req/s vs {p} {rp} req/s: {'ok' if ra >= rp else 'below'}")
    if report.get("missing_pages"):
        lines += ["", "Pages not measured yet (their app has no bench hook): " + ", ".join(report["missing_pages"])]
    return "\n".join(lines)


def serve(kind, workers, env, workdir):
    """Start the page servers on a free loopback port: gunicorn sync workers
    (WSGI, the production layout) or uvicorn workers (ASGI, for comparison)."""
    port = free_port()
    # The production settings: the psycopg pool for both kinds (docker-compose.yml).
    env = {**env, "DATABASE_POOL": "true", "DATABASE_POOL_MAX": "8"}
    if kind == "wsgi":
        # The production configuration (gthread workers and the overload's
        # admission limit, docker/gunicorn.conf.py), on a loopback port.
        cmd = [str(BIN / "gunicorn"), "-c", "docker/gunicorn.conf.py", "ent.wsgi", "-w", str(workers)]
        cmd += ["-b", f"127.0.0.1:{port}", "--max-requests", "0", "--log-level", "warning"]
    else:
        cmd = [str(BIN / "uvicorn"), "ent.asgi:application", "--workers", str(workers), "--port", str(port)]
        cmd += ["--host", "127.0.0.1", "--no-access-log", "--log-level", "warning", "--lifespan", "off"]
    server = subprocess.Popen(
        cmd,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / f"{kind}.log").open("w"),
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_http(base_url + "/livez")
    except RuntimeError:
        stop(server)
        raise
    return server, base_url


def stop(server):
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)


def login_scenarios(base_url, sampler, env, workdir, quick, livez_rps):
    """The login storm at 16 and 64 clients, the Monday journey and the overload
    run at twice the storm's capacity, each with this run's /livez ceiling; and
    the CPU of one login measured in one process (bench/login_bench.py)."""
    from bench import login_bench

    py = str(BIN / "python")
    run([py, "-m", "bench.login_bench", "prepare", str(workdir), "60" if quick else "6000"], env)
    people = json.loads((workdir / "journeys.json").read_text())
    readers = [p for p in people if p["role"] != "teacher"]
    duration = 3 if quick else 20
    quarter = max(1, len(readers) // 4)
    slices = [readers[i * quarter : (i + 1) * quarter] for i in range(4)]

    def with_cpu(fn):
        cpu0, _ = sampler.snapshot()
        result = fn()
        cpu1, _ = sampler.snapshot()
        logins = result["logins"] or 1
        # Busy machine: this includes what other processes steal; the profile below does not.
        result["server_cpu_ms_per_login"] = round((cpu1 - cpu0) / logins * 1000, 1)
        result["livez_requests_per_s"] = livez_rps
        return result

    storms = [
        with_cpu(lambda c=c, s=s: login_bench.storm(base_url, s, c, duration))
        for c, s in zip((4, 8) if quick else (16, 64), slices[:2], strict=True)
    ]
    reset_posts(env)
    monday = with_cpu(lambda: login_bench.journeys(base_url, people[: len(people) // 2], 4 if quick else 16, duration))
    capacity = max(storms[0]["logins_per_s"], 1.0)
    over = with_cpu(lambda: login_bench.overload(base_url, slices[2] + slices[3], 2 * capacity, duration))
    profile = subprocess.run(
        [py, "-m", "bench.login_bench", "profile", "20" if quick else "200"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (workdir / "login_profile.txt").write_text(profile.stderr)
    cpu = json.loads(profile.stdout.strip().splitlines()[-1])
    step_p95 = (
        max((v["p95_ms"] or 0) for k, v in monday["steps"].items() if k not in ("journey", "login"))
        if monday["steps"]
        else None
    )
    goals = LOGIN_GOALS
    return {
        "login_storm": storms,
        "monday_journey": monday | {"max_step_p95_ms": step_p95},
        "overload": over,
        "login_cpu": cpu,
        "goals": goals,
        "meets_goals": {
            "login_storm": storms[0]["logins_per_s"] >= goals["logins_per_s_at_16"]
            and (storms[0]["steps"].get("login", {}).get("p95_ms") or 1e9) <= goals["login_p95_ms"]
            and storms[0]["refused_logins"] == 0,
            "cpu_per_login": cpu["cpu_ms_per_login"] <= goals["cpu_ms_per_login"],
            "monday_journey": monday["journeys_per_s"] >= goals["journeys_per_s"]
            and (step_p95 or 1e9) <= goals["journey_step_p95_ms"],
            "overload": (over["share_answered_within_2s"] or 0) >= goals["overload_share_within_2s"]
            and over["server_errors_5xx"] == 0,
        },
    }


def login_markdown(lr):
    lines = [
        "",
        f"Monday morning (issue #25). One login in one process: **{lr['login_cpu']['cpu_ms_per_login']} ms CPU** "
        f"(form + POST + landing, {lr['login_cpu']['logins']} logins; goal <= {lr['goals']['cpu_ms_per_login']}; "
        f"per step: {lr['login_cpu'].get('cpu_ms_per_step')}).",
        "",
        "| run | clients / offered | logins/s | journeys/s | login p50 / p95 / p99 ms | refused | 5xx | busy 503 "
        "| errors | server CPU ms/login | /livez req/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def row(name, r, load):
        s = r["steps"].get("login", {})
        lines.append(
            f"| {name} | {load} | {r['logins_per_s']} | {r.get('journeys_per_s', '')} | "
            f"{s.get('p50_ms')} / {s.get('p95_ms')} / {s.get('p99_ms')} | {r['refused_logins']} | "
            f"{r['server_errors_5xx']} | {r['busy_503']} | {r['errors']} | {r['server_cpu_ms_per_login']} | "
            f"{r['livez_requests_per_s']} |"
        )

    for r in lr["login_storm"]:
        row("login storm", r, r["clients"])
    row("Monday journey", lr["monday_journey"], lr["monday_journey"]["clients"])
    over = lr["overload"]
    row("overload 2x", over, f"{over['offered_logins_per_s']}/s")
    steps = ", ".join(f"{k} {v['p95_ms']}" for k, v in lr["monday_journey"]["steps"].items())
    lines += [
        "",
        f"Monday journey p95 per step (ms): {steps}.",
        f"Overload: {over['share_answered_within_2s']} answered within 2 s, {over['server_errors_5xx']} 5xx, "
        f"recovered {over['seconds_to_recover']} s after the load fell. Goals met: {lr['meets_goals']}",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny dataset and short runs (smoke test)")
    parser.add_argument("--connections", default="20,50,100,200")
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 4)))
    # Several people (or helpers) benchmarking on one machine each pass their own
    # database and Redis db; the environment can set them for the smoke test.
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "ent_bench"))
    parser.add_argument(
        "--redis-db",
        type=int,
        default=int(os.environ["BENCH_REDIS_DB"]) if os.environ.get("BENCH_REDIS_DB") else None,
        help="Redis database number (default 10, 11 with --quick)",
    )
    parser.add_argument(
        "--only-login", action="store_true", help="only the Monday-morning scenarios (login storm, journey, overload)"
    )
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "latest.json"))
    args = parser.parse_args(argv)

    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    quick = args.quick
    db_name = args.db + ("_quick" if quick else "")
    workdir = ROOT / "var" / ("bench-quick" if quick else "bench")
    workdir.mkdir(parents=True, exist_ok=True)
    redis_db = args.redis_db if args.redis_db is not None else (11 if quick else 10)
    env = bench_env(db_name, redis_db, workdir)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DATABASE", "REDIS"))})
    if quick:
        drop_database(db_name)
    ensure_database(db_name)
    py = str(BIN / "python")
    run([py, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([py, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    seed_args = (
        ["--schools", "2", "--pupils", "100", "--guardians", "150", "--teachers", "10", "--scale", "0.05"]
        if quick
        else []
    )
    run([py, "-m", "bench.seed", *seed_args], env)
    run([py, "-m", "bench.prepare", str(workdir), "20" if quick else "400"], env)
    prepared = json.loads((workdir / "prepare.json").read_text())

    duration = 2 if quick else args.duration
    conns = [5] if quick else [int(c) for c in args.connections.split(",")]
    # The baseline, each page alone and the comparison runs use 50 connections
    # (the first figures of the issue); the mix runs at every level.
    ref = 50 if 50 in conns else conns[0]
    server, base_url = serve("wsgi", args.workers, env, workdir)
    try:
        sampler = Sampler(server.pid)
        # Warm every worker (imports, template caches, DB connections).
        wrk(base_url + "/", workdir / "mixed.txt", 10, 1 if quick else 3)
        baseline = measured(sampler, lambda: wrk(base_url + "/livez", None, ref, duration), env)
        logins = login_scenarios(base_url, sampler, env, workdir, quick, baseline["requests_per_s"])
        if args.only_login:
            output = Path(args.output)
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps({"logins": logins, "quick": quick}, indent=2) + "\n")
            print(login_markdown(logins))
            return
        pages = {}
        for name, info in prepared["pages"].items():
            r = measured(sampler, lambda info=info: wrk(base_url + "/", info["requests_file"], ref, duration), env)
            r.update({k: info[k] for k in ("queries_small", "queries_large", "weight_kb", "html_kb")})
            pages[name] = r
        mixed_runs = [
            measured(sampler, lambda c=c: wrk(base_url + "/", workdir / "mixed.txt", c, duration), env) for c in conns
        ]
    finally:
        stop(server)

    # The same mix with the page cache off (ent/pagecache.py): every view
    # rendered, what a first visit of each page costs.
    server, base_url = serve("wsgi", args.workers, {**env, "PAGE_CACHE_SECONDS": "0"}, workdir)
    try:
        sampler = Sampler(server.pid)
        wrk(base_url + "/", workdir / "mixed.txt", 10, 1 if quick else 3)
        uncached = measured(sampler, lambda: wrk(base_url + "/", workdir / "mixed.txt", ref, duration), env)
    finally:
        stop(server)

    # The same baseline and mix served by ASGI workers (uvicorn, psycopg pool):
    # the figures behind the choice of WSGI workers for pages.
    same = next(r for r in mixed_runs if r["connections"] == ref)
    layouts = {
        "wsgi": {
            "server": f"gunicorn gthread x{args.workers}",
            "connections": ref,
            "baseline_requests_per_s": baseline["requests_per_s"],
            "mixed_requests_per_s": same["served_per_s"],
            "mixed_p99_ms": same["p99_ms"],
            "mixed_errors": same["errors"],
        }
    }
    server, base_url = serve("asgi", args.workers, env, workdir)
    try:
        sampler = Sampler(server.pid)
        wrk(base_url + "/", workdir / "mixed.txt", 10, 1 if quick else 3)
        asgi_base = wrk(base_url + "/livez", None, ref, duration)
        asgi_mixed = measured(sampler, lambda: wrk(base_url + "/", workdir / "mixed.txt", ref, duration), env)
        layouts["asgi"] = {
            "server": f"uvicorn x{args.workers}",
            "baseline_requests_per_s": asgi_base["requests_per_s"],
            "mixed_requests_per_s": asgi_mixed["served_per_s"],
            "mixed_p99_ms": asgi_mixed["p99_ms"],
            "mixed_errors": asgi_mixed["errors"],
        }
    finally:
        stop(server)

    passing = [r for r in mixed_runs if meets_goals(r)]
    best = max(passing or mixed_runs, key=lambda r: r["served_per_s"])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    report = {
        "mixed": {k: best[k] for k in MIXED_SUMMARY} | {"meets_goals": bool(passing), "goals": GOALS},
        "mixed_runs": mixed_runs,
        "mixed_uncached": uncached,
        "baseline": {"requests_per_s": baseline["requests_per_s"], "p50_ms": baseline["p50_ms"]},
        "pages": pages,
        "missing_pages": prepared["missing"],
        "websocket": None,
        "layout": {"pages": f"gunicorn gthread x{args.workers}", "websockets": "uvicorn (ent.asgi)"},
        "layouts": layouts,
        "machine": {
            "cores": os.cpu_count(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "python": platform.python_version(),
            "commit": commit,
        },
        "quick": quick,
        "logins": logins,
    }
    ws_script = ROOT / "bench" / "ws_bench.py"
    if ws_script.exists():
        try:
            out = subprocess.run(
                [py, str(ws_script), "--json", *(["--quick"] if quick else [])],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=240 if quick else 1800,
                check=True,
            ).stdout
            report["websocket"] = json.loads(out.strip().splitlines()[-1])
        except (subprocess.SubprocessError, ValueError, IndexError) as exc:
            report["websocket"] = {"error": str(exc)[:500]}
    # Issue #23: a push to 30 parents' devices queued within 50 ms of the request
    # (one process on the bench database, bench/push_bench.py).
    try:
        out = subprocess.run(
            [py, "-m", "bench.push_bench", "--json", "--repeat", "5" if quick else "30"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
            check=True,
        ).stdout
        report["push"] = json.loads(out.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError) as exc:
        report["push"] = {"error": str(exc)[:500]}
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report) + "\n" + login_markdown(logins)
    output.with_suffix(".md").write_text(table + "\n")
    print(table)
    print(f"\nwritten: {output}")


if __name__ == "__main__":
    main()
