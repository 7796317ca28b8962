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
# Threads are the places a connection's request waits: 32, so that the kernel's
# uneven spread of keep-alive connections (50 connections over 4 processes
# gave one process 20) queues a request for its turn instead of answering it
# "busy". With 12, the 12th request at once in a process got the busy page, its
# connection asked again at once, and at 50 connections most answers of a run
# were busy pages. Session 11, same machine, 10 s each, alternated (served =
# not a busy page): the mix 78 and 135 served req/s with 12 threads, 96 and
# 198 with 32; the teacher's home 263 served req/s, p95 458 ms, 4,742 busy
# pages with 12, 448 served, p95 258 ms, none with 32.
threads = int(os.environ.get("WEB_THREADS", "32"))
# Per process: 4 requests at work (16 on the machine: the CPU stays busy while
# some wait on PostgreSQL); not a share of the threads: more requests at work at
# once in one process only fight over its interpreter lock (12 at once: 14 ms of
# CPU a request; 4: 4.3 ms; same mix, same machine).
os.environ.setdefault("ADMISSION_MAX_INFLIGHT", "4")
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
