"""Settings for the test suite: the production settings with what tests need.

PostgreSQL and Redis are used when DATABASE_URL / REDIS_URL are set (CI sets
them), SQLite and in-memory layers otherwise. Celery runs eagerly except in the
one test that starts a real worker.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnop")
os.environ.setdefault("EMAIL_URL", "locmem://")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SMS_BACKEND", "locmem")

from ent.env import env_bool  # noqa: E402
from ent.settings import *  # noqa: E402,F403
from ent.settings import CHANNEL_LAYERS, DATABASES, REDIS_URL, STORAGES  # noqa: E402

# Eager unless ENT_TEST_CELERY_EAGER=false: the worker test starts a real worker
# with it, on the Redis broker.
CELERY_TASK_ALWAYS_EAGER = env_bool("ENT_TEST_CELERY_EAGER", True)
CELERY_BROKER_URL = "memory://" if CELERY_TASK_ALWAYS_EAGER else (REDIS_URL or "memory://")
# A second process (Celery worker, the ASGI server of browser tests) can share
# a SQLite test database only through a file: ENT_TEST_SQLITE_FILE names it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and os.environ.get("ENT_TEST_SQLITE_FILE"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["ENT_TEST_SQLITE_FILE"]}
# The ASGI server of browser tests serves static files without collectstatic.
WHITENOISE_USE_FINDERS = True
# Tests render templates with DEBUG off: no collectstatic manifest there.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# S3 tests start their own server on a free port (tests/conftest.py sets these).
S3_ENDPOINT = os.environ.get("S3_ENDPOINT", "127.0.0.1:18333")
S3_PUBLIC_ENDPOINT = S3_ENDPOINT
S3_BUCKET = "ent-test"
# WhiteNoise warns on every request when STATIC_ROOT is missing.
os.makedirs(STATIC_ROOT, exist_ok=True)  # noqa: F405

# The production caches (house-20): with Redis, the suite runs with the signed-in
# person and their roles (AUTH_USER_CACHE_SECONDS) and the unread badge cached,
# so a write that forgets to invalidate them fails the tests that read after it.
# Without Redis (the locmem cache, one per process) they stay off: a second
# process (the ASGI server of browser tests, a Celery worker) would not see the
# first one's invalidations.
NOTIFY_UNREAD_CACHE_SECONDS = 120 if REDIS_URL else 0
AUTH_USER_CACHE_SECONDS = 300 if REDIS_URL else 0

# Redis pub/sub channels ignore the database number: test runs that share a
# Redis server (parallel CI jobs, engineers' checkouts) get their own channel
# prefix, the same in every process of one run (the ASGI server of browser tests).
if CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):
    import hashlib  # noqa: E402

    _run = hashlib.sha256(f"{REDIS_URL} {DATABASES['default'].get('NAME')}".encode()).hexdigest()[:8]
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"asgi-{_run}"
