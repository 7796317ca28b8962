"""Admission control: when the web processes are saturated, answer at once with
a plain "busy, try again in a minute" page (503 + Retry-After) instead of letting
requests queue until they time out (issue #25, "Overload behaves").

Why here and how:
- Each gunicorn process runs a few threads (docker/gunicorn.conf.py, gthread):
  more threads than it lets do real work. ADMISSION_MAX_INFLIGHT requests work
  at once in this process, ADMISSION_MAX_WAITING more may wait up to
  ADMISSION_MAX_WAIT_MS for one of them to finish; past that, a request gets the
  busy page at once, which costs well under a millisecond (pre-rendered bytes,
  no template, no database, no session). The real work keeps its pace, the
  excess is told so fast, and nothing is left to recover: the counts fall with
  the load.
- Behind nginx (docker/nginx.conf sets X-Request-Start to the time it received
  the request), a request that already waited longer than ADMISSION_MAX_QUEUE_MS
  in the kernel's or gunicorn's queue is refused too: its client is about to
  give up, and working on it would only make the next ones late as well.
  Only trusted when ADMISSION_QUEUE_HEADER is on (nginx overwrites the header).
- An in-process counter rather than nginx limit_req: a rate limit in front does
  not know what the processes can take (a login costs 30x a cached page), while
  the in-flight count measures exactly that. nginx still turns its own upstream
  errors and timeouts into the same busy page (error_page).
- Health checks (/livez, /healthz) are never refused: an orchestrator would
  restart a process that is only busy.
"""

import threading
import time
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse

EXEMPT_PATHS = ("/livez", "/healthz", "/static/")
RETRY_AFTER_SECONDS = 60
BUSY_PAGE = Path(__file__).resolve().parent / "templates" / "503.html"


class Gate:
    """At most `limit` requests at work in this process, at most `max_waiting`
    more waiting (each at most `wait` seconds) for one of them to finish; anyone
    else is told "busy" at once. The short wait absorbs bursts and the kernel's
    uneven spread of connections over processes; the cap on waiters keeps the
    wait bounded when the load really is too high."""

    def __init__(self, limit, max_waiting, wait):
        self.slots = threading.BoundedSemaphore(limit)
        self.max_waiting = max_waiting
        self.wait = wait
        self.lock = threading.Lock()
        self.waiting = 0

    def enter(self) -> bool:
        if self.slots.acquire(blocking=False):
            return True
        with self.lock:
            if self.waiting >= self.max_waiting:
                return False
            self.waiting += 1
        try:
            return self.slots.acquire(timeout=self.wait)
        finally:
            with self.lock:
                self.waiting -= 1

    def leave(self):
        self.slots.release()


class SkipBusyLog:
    """Logging filter for django.request: a busy page is the plan working, not
    a server error; logging each one would cost CPU exactly when there is none."""

    def filter(self, record):
        return not getattr(getattr(record, "request", None), "ent_busy", False)


def _busy(request) -> HttpResponse:
    request.ent_busy = True
    return busy_response()


def busy_response() -> HttpResponse:
    response = HttpResponse(_busy_body(), status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


_body: list[bytes] = []


def _busy_body() -> bytes:
    # A static page (French, then English): read once per process.
    if not _body:
        _body.append(BUSY_PAGE.read_bytes())
    return _body[0]


def _queued_ms(request) -> float | None:
    raw = request.META.get("HTTP_X_REQUEST_START", "")
    try:
        started = float(raw.removeprefix("t="))
    except ValueError:
        return None
    return (time.time() - started) * 1000


class AdmissionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        limit = settings.ADMISSION_MAX_INFLIGHT
        self.gate = (
            Gate(limit, settings.ADMISSION_MAX_WAITING, settings.ADMISSION_MAX_WAIT_MS / 1000) if limit else None
        )
        self.max_queue_ms = settings.ADMISSION_MAX_QUEUE_MS if settings.ADMISSION_QUEUE_HEADER else 0

    def __call__(self, request):
        if request.path.startswith(EXEMPT_PATHS):
            return self.get_response(request)
        if self.max_queue_ms:
            queued = _queued_ms(request)
            if queued is not None and queued > self.max_queue_ms:
                return _busy(request)
        if self.gate is None:
            return self.get_response(request)
        if not self.gate.enter():
            return _busy(request)
        try:
            return self.get_response(request)
        finally:
            self.gate.leave()
