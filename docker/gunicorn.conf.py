"""gunicorn for the pages (docker-compose `web`, and `make bench`).

gthread workers: a few threads per process, more than the admission middleware
lets do real work (ent/admission.py), so that a saturated process still has a
thread to answer "busy, try again in a minute" in well under a millisecond
instead of leaving the request in the queue until the client gives up. The sync
worker cannot: a busy process there does not even read the next request.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Two per core: the benchmark found 4 best on 2 cores (3 and 6 did less).
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "12"))
# Per process: 4 requests at work (16 on the machine: the CPU stays busy while
# some wait on PostgreSQL), 4 more waiting up to a second for a turn (bursts,
# the kernel's uneven spread of connections); the other threads answer "busy".
os.environ.setdefault("ADMISSION_MAX_INFLIGHT", str(max(1, threads // 3)))
# Every other thread but one may wait (each at most ADMISSION_MAX_WAIT_MS) for a
# working slot: a cached page takes ~2 ms, so a queue of a few is nothing, and
# refusing by count alone turned 50 connections on cheap pages into busy pages
# (make bench, session 8). The one thread left over answers "busy" at once.
os.environ.setdefault("ADMISSION_MAX_WAITING", str(max(0, threads - int(os.environ["ADMISSION_MAX_INFLIGHT"]) - 1)))
# A request that holds a worker this long is killed (a stuck query, a bug):
# nginx answers the busy page for it (docker/nginx.conf, error_page).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# nginx keeps its upstream connections open (keepalive 16).
keepalive = 5
# The kernel's queue of connections not yet accepted: deep enough for a
# morning's burst; requests that waited too long there are answered "busy" by
# the queue-time check (X-Request-Start) rather than worked on.
backlog = 2048
# docker-compose passes --access-logfile=- ; the benchmark logs nothing.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
