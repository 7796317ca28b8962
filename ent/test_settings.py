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
from ent.settings import DATABASES, REDIS_URL, STORAGES  # noqa: E402

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

# The query-count tests pin what a page costs without the badge's cache (its
# worst case); tests/notify/test_views.py::TestUnreadBadge turns it on.
NOTIFY_UNREAD_CACHE_SECONDS = 0
# Likewise the signed-in person's row (tests/directory/test_auth_backends.py turns it on).
AUTH_USER_CACHE_SECONDS = 0
