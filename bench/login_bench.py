"""The Monday-morning scenarios of `make bench` (issue #25): distinct people
signing in through the real login form (GET the form, POST the credentials,
land on home), the Monday journey, and an overload run at twice the measured
capacity.

- `python -m bench.login_bench prepare OUT N` (inside Django, bench settings):
  writes OUT/journeys.json, N distinct people with the steps of their journey.
- `python -m bench.login_bench profile N` (inside Django): N logins in this one
  process through Django's test client, CPU per login (time.process_time) and
  the top of a cProfile: the figure to trust on a busy machine.
- The load itself is driven from bench/run.py with `storm`, `journeys` and
  `overload` below: an asyncio HTTP/1.1 client (one connection and cookie jar
  per person, as a browser), light enough to share the 2 cores.
"""

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 (bench/seed.py's)
LOGIN_PATH = "/accounts/login/"


# People and their journeys (inside Django) ---------------------------------


def prepare(out: Path, count: int) -> None:
    import django

    django.setup()
    from django.urls import reverse

    from bench.pages import absences as absences_bench
    from bench.seed import load_context
    from ent.directory.models import Territory, User

    ctx = load_context(Territory.objects.get(slug="bench"))
    parents = list(dict.fromkeys(g for gs in ctx.guardians_by_pupil.values() for g in gs))
    pupils = list(dict.fromkeys(p for ps in ctx.pupils_by_class.values() for p in ps))
    teachers = list(dict.fromkeys(t for ts in ctx.teachers_by_class.values() for t in ts))
    names = dict(User.objects.filter(id__in=parents + pupils + teachers).values_list("id", "username"))
    week, absences = reverse("homework:week"), reverse("absences:home")
    rng = random.Random(25)
    people = []
    # Readers: families and pupils, each person once (distinct logins).
    readers = [(p, "parent") for p in parents] + [(p, "pupil") for p in pupils]
    rng.shuffle(readers)
    posters_parent = parents[:]
    rng.shuffle(posters_parent)
    for i, (uid, role) in enumerate(readers[:count]):
        steps = [("homework_week", "GET", week, ""), ("absences", "GET", absences, "")]
        # A quarter post: half of them a parent's absence notice, half a teacher's register.
        if i % 8 == 3 and role == "parent":
            method, path, body = absences_bench.notice_post(_user(uid), ctx)[0]
            steps.append(("post_notice", method, path, body))
        people.append({"username": names[uid], "role": role, "steps": steps})
    for n, uid in enumerate(teachers[: max(1, count // 8)]):
        method, path, body = absences_bench.register_post(_user(uid), ctx)[n % 3]
        steps = [("homework_week", "GET", week, ""), ("register", "GET", path, "")]
        steps.append(("post_register", method, path, body))
        teacher = {"username": names[uid], "role": "teacher", "steps": steps}
        people.insert(min(n * 8 + 7, len(people)), teacher)
    (out / "journeys.json").write_text(json.dumps(people))


def _user(uid):
    from ent.directory.models import User

    return User.objects.get(id=uid)


def profile(count: int) -> dict:
    """CPU per login in one process: form, POST, landing page, as the browser does."""
    import cProfile
    import io
    import pstats

    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client

    from ent.directory.models import User

    people = list(
        User.objects.filter(guardianships__isnull=False)
        .distinct()
        .order_by("id")
        .values_list("username", flat=True)[: count + 5]
    )

    # Monday morning: everyone's sessions of last week have expired (12 hours).
    # Without this, each run of the profile found the previous runs' sessions of
    # the same people still alive (allauth's usersessions receiver checked every
    # one at login, so the CPU per login grew with each run; the login no longer
    # reads them, ent/directory/sessions.py, but runs stay comparable).
    _expire_sessions_of(people)

    # One client (one handler: middleware is built once, as in a worker), its
    # cookies cleared between people: each login starts from a new browser.
    client = Client(HTTP_HOST="127.0.0.1")

    steps = {"form": 0.0, "post": 0.0, "home": 0.0}

    def one(username):
        client.cookies.clear()
        t = time.process_time()
        assert client.get(LOGIN_PATH).status_code == 200
        t, steps["form"] = time.process_time(), steps["form"] + time.process_time() - t
        response = client.post(LOGIN_PATH, {"login": username, "password": BENCH_PASSWORD})
        assert response.status_code == 302, (username, response.status_code)
        t, steps["post"] = time.process_time(), steps["post"] + time.process_time() - t
        assert client.get(response.url).status_code == 200
        steps["home"] += time.process_time() - t

    for username in people[:5]:  # warm imports, templates, connections
        one(username)
    cache.clear()
    steps.update(form=0.0, post=0.0, home=0.0)
    # CPU first without the profiler (it adds its own cost), then a profiled pass.
    measured = people[5 : 5 + count]
    cpu0 = time.process_time()
    for username in measured:
        one(username)
    cpu = (time.process_time() - cpu0) / max(1, len(measured))
    per_step = {k: round(v / max(1, len(measured)) * 1000, 1) for k, v in steps.items()}
    profiler = cProfile.Profile(time.process_time)  # CPU, not wall: the machine is shared
    profiler.enable()
    for username in people[5 + count :] or measured[:10]:
        one(username)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(250)
    return {
        "logins": len(measured),
        "cpu_ms_per_login": round(cpu * 1000, 1),
        "cpu_ms_per_step": per_step,
        "profile": text.getvalue(),
    }


def _expire_sessions_of(usernames) -> None:
    from datetime import timedelta

    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    keys = list(UserSession.objects.filter(user__username__in=usernames).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).update(expire_date=timezone.now() - timedelta(hours=1))


# The load (outside Django) ---------------------------------------------------


class Conn:
    """One browser: one keep-alive connection, one cookie jar."""

    def __init__(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader = self.writer = None
        self.cookies = {}

    async def request(self, method, path, body=""):
        if self.writer is None:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.timeout
            )
        data = body.encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", "Accept-Language: fr"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            head += [
                "Content-Type: application/x-www-form-urlencoded",
                f"X-CSRFToken: {self.cookies.get('csrftoken', '')}",
                f"Content-Length: {len(data)}",
            ]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        return await asyncio.wait_for(self._response(), self.timeout)

    async def _response(self):
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = (await self.reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                k, _, v = value.split(";", 1)[0].partition("=")
                self.cookies[k.strip()] = v.strip()
            headers[name] = value
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readline()).strip() or b"0", 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.read()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _pct(values, q):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)


class Recorder:
    def __init__(self):
        self.steps = {}  # name -> [seconds]
        self.statuses = {}  # status -> count
        self.errors = 0  # timeouts, resets
        self.busy = 0  # 503 with Retry-After: the overload page
        self.server_errors = 0  # any other 5xx
        self.within_2s = 0
        self.answered = 0
        self.requests = 0

    def add(self, name, seconds, status, headers):
        self.requests += 1
        self.steps.setdefault(name, []).append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.answered += 1
        self.within_2s += seconds <= 2
        if status == 503 and "retry-after" in headers:
            self.busy += 1
        elif status >= 500:
            self.server_errors += 1


async def _step(conn, rec, name, method, path, body=""):
    t0 = time.monotonic()
    try:
        status, headers, _payload = await conn.request(method, path, body)
    except (TimeoutError, OSError, ConnectionError, ValueError, asyncio.IncompleteReadError):
        rec.requests += 1
        rec.errors += 1
        conn.close()
        return None, None
    rec.add(name, time.monotonic() - t0, status, headers)
    return status, headers


async def login(conn, rec, username):
    """GET the form, POST the credentials, land on home. True when signed in."""
    t0 = time.monotonic()
    status, _ = await _step(conn, rec, "form", "GET", LOGIN_PATH)
    if status != 200:
        return False
    body = urlencode({"login": username, "password": BENCH_PASSWORD})
    status, headers = await _step(conn, rec, "post", "POST", LOGIN_PATH, body)
    if status != 302:
        return False
    landing = urlsplit(headers.get("location", "/")).path or "/"
    status, _ = await _step(conn, rec, "home", "GET", landing)
    if status != 200:
        return False
    rec.steps.setdefault("login", []).append(time.monotonic() - t0)
    return True


def _summary(rec, seconds, logins, refused):
    return {
        "seconds": round(seconds, 1),
        "logins": logins,
        "logins_per_s": round(logins / seconds, 1) if seconds else 0,
        "refused_logins": refused,
        "requests": rec.requests,
        "errors": rec.errors,
        "busy_503": rec.busy,
        "server_errors_5xx": rec.server_errors,
        "statuses": {str(k): v for k, v in sorted(rec.statuses.items())},
        "steps": {
            name: {"n": len(v), "p50_ms": _pct(v, 0.5), "p95_ms": _pct(v, 0.95), "p99_ms": _pct(v, 0.99)}
            for name, v in rec.steps.items()
        },
    }


async def _closed_loop(base_url, people, clients, duration, journey):
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    rec = Recorder()
    queue = iter(people * 4)  # distinct people; reused only if a long run exhausts them
    counts = {"logins": 0, "refused": 0, "journeys": 0}
    deadline = time.monotonic() + duration

    async def client():
        while time.monotonic() < deadline:
            person = next(queue, None)
            if person is None:
                return
            conn = Conn(host, port, timeout=10)
            try:
                t0 = time.monotonic()
                ok = await login(conn, rec, person["username"])
                counts["logins" if ok else "refused"] += 1
                if ok and journey:
                    for name, method, path, body in person["steps"]:
                        status, _ = await _step(conn, rec, name, method, path, body)
                        if status is None or status >= 400:
                            break
                    else:
                        counts["journeys"] += 1
                        rec.steps.setdefault("journey", []).append(time.monotonic() - t0)
            finally:
                conn.close()

    t0 = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    result = _summary(rec, time.monotonic() - t0, counts["logins"], counts["refused"])
    result["clients"] = clients
    if journey:
        result["journeys"] = counts["journeys"]
        result["journeys_per_s"] = round(counts["journeys"] / result["seconds"], 1)
    return result


def storm(base_url, people, clients, duration):
    return asyncio.run(_closed_loop(base_url, people, clients, duration, journey=False))


def journeys(base_url, people, clients, duration):
    return asyncio.run(_closed_loop(base_url, people, clients, duration, journey=True))


async def _open_loop(base_url, people, rate, duration):
    """Logins started at a fixed rate whatever the answers (open loop: a morning's
    arrivals do not wait for the server), then how long until a login is fast again."""
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    rec = Recorder()
    counts = {"logins": 0, "refused": 0}
    people_iter = iter(people * 8)

    async def one(person):
        conn = Conn(host, port, timeout=5)
        try:
            ok = await login(conn, rec, person["username"])
            counts["logins" if ok else "refused"] += 1
        finally:
            conn.close()

    tasks = []
    t0 = time.monotonic()
    n = 0
    while (now := time.monotonic()) < t0 + duration:
        target = t0 + n / rate
        if target > now:
            await asyncio.sleep(target - now)
        person = next(people_iter, None)
        if person is None:
            break
        tasks.append(asyncio.create_task(one(person)))
        n += 1
    ended = time.monotonic()
    # Recovery: one login at a time until one completes, whole, within 1 s.
    probe = Recorder()
    recovered = None
    for person in people[-200:]:
        conn = Conn(host, port, timeout=5)
        start = time.monotonic()
        try:
            ok = await login(conn, probe, person["username"])
        finally:
            conn.close()
        if ok and time.monotonic() - start <= 1.0:
            recovered = round(time.monotonic() - ended, 2)
            break
        if time.monotonic() - ended > 60:
            break
    await asyncio.gather(*tasks, return_exceptions=True)
    result = _summary(rec, ended - t0, counts["logins"], counts["refused"])
    result.update(
        offered_logins_per_s=rate,
        share_answered_within_2s=round(rec.within_2s / rec.requests, 3) if rec.requests else None,
        seconds_to_recover=recovered,
    )
    return result


def overload(base_url, people, rate, duration):
    return asyncio.run(_open_loop(base_url, people, rate, duration))


def main():
    if sys.argv[1] == "prepare":
        prepare(Path(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1] == "profile":
        result = profile(int(sys.argv[2]))
        print(result.pop("profile"), file=sys.stderr)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
