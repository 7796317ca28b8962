"""ENT settings. Every value comes from the environment (see .env.example).

Unset variables fall back to embedded defaults that need no service at all:
SQLite, in-memory channel layer, eager Celery, console email, and the S3 server
that `make run` starts on 127.0.0.1:8333.
"""

import copy
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ent.env import env_bool, env_int, env_list, env_secret, env_str, parse_email_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ENT_VAR_DIR", str(BASE_DIR / "var")))

# Core
DEBUG = env_bool("DJANGO_DEBUG", False)
_DEV_SECRET = "insecure-dev-only-secret-key-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = env_secret("DJANGO_SECRET_KEY", _DEV_SECRET if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Public address of the service, used in emails, login letters and iCal links.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Demo mode: seeded demo staff accounts are exempt from the MFA requirement.
ENT_DEMO_MODE = env_bool("ENT_DEMO_MODE", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # sec-24: "Mes appareils" (every signed-in device; sign out one or all).
    "allauth.usersessions",
    # Federated sign-in and the ENT's own OpenID provider (ent/identity, issue 19).
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.idp.oidc",
    "ent.identity",
    "ent",
    "ent.directory",
    "ent.notify",
    "ent.timetable",
    "homework",
    "absences",
    "messaging",
    "media",
    # The REST API, /api/v1/ (issue #23); "ninja" serves the docs page's own static files (no CDN).
    "ninja",
    "ent.api",
]

MIDDLEWARE = [
    # First: a saturated process answers "busy" before doing any work (ent/admission.py).
    "ent.admission.AdmissionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "ent.directory.signin.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "ent.directory.middleware.RequireMFAMiddleware",
    # sec-24: signed-in pages stay out of shared browsers' caches (ent/http.py),
    # and each session's last use is remembered for "Mes appareils".
    "ent.http.PrivateCacheMiddleware",
    "ent.directory.sessions.SessionActivityMiddleware",
    # Signing out empties the installed app's caches on this device (ent/notify/pwa.py).
    "ent.notify.pwa.ClearSiteDataOnSignOutMiddleware",
    # The object store down under any page: the 503 "try again later" page (ent/errors.py).
    "ent.errors.StorageUnavailableMiddleware",
]

# Overload (ent/admission.py, docker/gunicorn.conf.py): real requests in flight
# per process (0: no limit), and how many more may wait how long for a turn;
# behind nginx, requests that waited longer than ADMISSION_MAX_QUEUE_MS
# (X-Request-Start, set by nginx) get the busy page too.
ADMISSION_MAX_INFLIGHT = env_int("ADMISSION_MAX_INFLIGHT", 0, minimum=0)
ADMISSION_MAX_WAITING = env_int("ADMISSION_MAX_WAITING", ADMISSION_MAX_INFLIGHT, minimum=0)
ADMISSION_MAX_WAIT_MS = env_int("ADMISSION_MAX_WAIT_MS", 1000, minimum=0)
ADMISSION_QUEUE_HEADER = env_bool("ADMISSION_QUEUE_HEADER", False)
ADMISSION_MAX_QUEUE_MS = env_int("ADMISSION_MAX_QUEUE_MS", 1500, minimum=0)

ROOT_URLCONF = "ent.urls"
WSGI_APPLICATION = "ent.wsgi.application"
ASGI_APPLICATION = "ent.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ent" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ent.directory.context_processors.ent_context",
                "ent.notify.context_processors.unread",
            ],
        },
    },
]

# Database
# env_secret: the URL holds the password, so DATABASE_URL_FILE (a Docker secret) works too.
DATABASE_URL = env_secret("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ent.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
except Exception as exc:  # dj_database_url raises several types on bad input
    raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's psycopg pool: under ASGI, CONN_MAX_AGE opens a connection per
    # request; the pool holds under load (see the benchmark issue).
    if env_bool("DATABASE_POOL", False):
        DATABASES["default"]["OPTIONS"] = {
            "pool": {
                "min_size": env_int("DATABASE_POOL_MIN", 2, minimum=0),
                "max_size": env_int("DATABASE_POOL_MAX", 10, minimum=1),
                "timeout": 10,
            }
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
    # psycopg prepares a query run this many times on a connection, when its
    # parameters are bound on the server (OPTIONS["server_side_binding"], off by
    # default in Django: see house-20's note in README, "Beyond one machine").
    # Turn off behind a pooler in transaction mode (PgBouncer), which cannot keep
    # prepared statements.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` has three processes on the SQLite file (web, Celery worker, beat):
    # WAL lets readers go on while one writes, IMMEDIATE takes the write lock at
    # BEGIN (no "database is locked" on a read-then-write), and a writer waits up
    # to 20 s for another rather than fail (Django's documented SQLite options).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Database replica
# A PostgreSQL streaming replica for read-only pages (ent/db_router.py). Unset:
# no replica, everything on the primary. The person who just wrote reads from the
# primary for DATABASE_REPLICA_PIN_SECONDS (a signed cookie); an unreachable
# replica is left out for DATABASE_REPLICA_RETRY_SECONDS, reads go to the primary.
DATABASE_REPLICA_URL = env_secret("DATABASE_REPLICA_URL", "")
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 10, minimum=1)
DATABASE_REPLICA_RETRY_SECONDS = env_int("DATABASE_REPLICA_RETRY_SECONDS", 15, minimum=1)
if DATABASE_REPLICA_URL:
    try:
        _replica = dj_database_url.parse(DATABASE_REPLICA_URL)
    except Exception as exc:
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL cannot be parsed: {exc}") from None
    if _replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be the same kind of database as DATABASE_URL")
    # The same pool / prepared statements / connection age as the primary; a dead
    # replica host must not hold a request long (the router then uses the primary).
    _replica["OPTIONS"] = {**copy.deepcopy(DATABASES["default"].get("OPTIONS", {})), "connect_timeout": 2}
    _replica["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    # Tests never create a second test database: the replica is the primary's.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["ent.db_router.PrimaryReplicaRouter"]
    # Before anything reads the database (sessions and the user load lazily).
    MIDDLEWARE.insert(
        MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1, "ent.db_router.ReadYourWritesMiddleware"
    )

# Redis: cache, channel layer, Celery broker and sessions when configured.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    # django-redis (house-20): one redis-py client per pool, kept (Django's own
    # backend builds one per call, ~0.2 ms of CPU each), and failing soft: a
    # Redis outage reads as a miss and writes as a no-op, logged (SECURITY.md:
    # login rate limits do not count meanwhile). See ent/cache.py.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"SOCKET_TIMEOUT": 2, "SOCKET_CONNECT_TIMEOUT": 2, "IGNORE_EXCEPTIONS": True},
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "ent.cache"
    # Django's engines, writing a new session once at login (ent/directory/session_engines).
    SESSION_ENGINE = "ent.directory.session_engines.cached_db"
elif env_str("ENT_FILE_CACHE_DIR", ""):
    # `make run`: the web process, the Celery worker and beat must see one cache
    # (a notification a task creates forgets the cached badge and pages), and
    # there is no Redis there: files under var/ (Django's file-based cache).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env_str("ENT_FILE_CACHE_DIR", ""),
        }
    }
    SESSION_ENGINE = "ent.directory.session_engines.db"
else:
    # A real local cache (never the dummy cache): allauth's rate limits count in it.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "ent.directory.session_engines.db"

# Channels
# Capacity and expiry are explicit: a full or expired channel drops a push, never a
# message, since clients catch up from the database on reconnect.
CHANNEL_CAPACITY = env_int("CHANNEL_CAPACITY", 500, minimum=10)
CHANNEL_EXPIRY = env_int("CHANNEL_EXPIRY", 60, minimum=1)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis's pub/sub layer as shipped (house-20): a group send is
            # one PUBLISH, where the list-based layer made four round trips per
            # group, and a socket process gets its pushes over one subscribed
            # connection (30 families of a class: ~4x less CPU, see README).
            # It keeps no capacity or expiry: a push a closed page misses is
            # caught up from the database. More hosts in CHANNEL_REDIS_URLS
            # (comma-separated) shard the groups over them.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {"address": url, "socket_connect_timeout": 3} for url in env_list("CHANNEL_REDIS_URLS", [REDIS_URL])
                ],
                # Pub/sub channels are server-wide (not per Redis database):
                # deployments sharing a Redis server each set their own.
                "prefix": env_str("CHANNEL_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY, "expiry": CHANNEL_EXPIRY},
        }
    }

# Celery
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
# `make run`'s embedded broker (scripts/run.sh): kombu's filesystem transport, one
# JSON file per message in VAR_DIR/broker/, shared by the web process, a real worker
# and beat on one machine with no Redis and no new dependency. Remote control
# (inspect, ping) needs a fanout exchange this transport lacks: off there.
if CELERY_BROKER_URL.startswith("filesystem://"):
    _BROKER_DIR = Path(env_str("CELERY_BROKER_DIR", str(VAR_DIR / "broker")))
    for _folder in ("queue", "processed", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        # Its exchange table, else written to ./control of whatever the cwd is.
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/Paris"
# Digests at NOTIFY_DIGEST_HOUR (daily; weekly on Fridays); every 15 minutes, what
# quiet hours or the night held back and is now due (the task sends only due rows).
NOTIFY_DIGEST_HOUR = env_int("NOTIFY_DIGEST_HOUR", 18, minimum=0)
CELERY_BEAT_SCHEDULE = {
    "notify-daily-digest": {
        "task": "notify.send_digests",
        "schedule": crontab(minute=0, hour=NOTIFY_DIGEST_HOUR),
        "args": ("daily",),
    },
    "notify-weekly-digest": {
        "task": "notify.send_digests",
        "schedule": crontab(minute=0, hour=NOTIFY_DIGEST_HOUR, day_of_week="fri"),
        "args": ("weekly",),
    },
    "notify-release-due": {"task": "notify.release_due", "schedule": crontab(minute="*/15")},
    # Absences: the daily absenteeism safety net, and the nightly retention purge.
    "absences-check-absenteeism": {"task": "absences.check_absenteeism", "schedule": crontab(minute=30, hour=18)},
    # Timetable: a register not taken 15 minutes after the start reminds its teacher (once).
    "timetable-remind-registers": {"task": "timetable.remind_registers", "schedule": crontab(minute="*/5")},
    "absences-purge-expired": {"task": "absences.purge_expired", "schedule": crontab(minute=30, hour=3)},
    # Documents a parent attached to a declaration form that was never sent (absences/pending.py).
    "absences-sweep-pending-documents": {
        "task": "absences.sweep_pending_documents",
        "schedule": crontab(minute=50, hour=3),
    },
    # Homework: scheduled publication, the evening reminder (18:30, before the
    # default quiet hours) and the nightly sweep of orphan attachments.
    "homework-publish-scheduled": {"task": "homework.publish_scheduled", "schedule": crontab(minute="*/15")},
    "homework-remind-due-tomorrow": {"task": "homework.remind_due_tomorrow", "schedule": crontab(minute=30, hour=18)},
    "homework-sweep-orphans": {"task": "homework.sweep_orphans", "schedule": crontab(minute=20, hour=3)},
    # Directory retention (ent/directory/privacy.py): departed accounts, old logs and audit entries.
    "directory-purge-departed": {"task": "directory.purge_departed_accounts", "schedule": crontab(minute=0, hour=4)},
    "directory-purge-old-records": {"task": "directory.purge_old_records", "schedule": crontab(minute=15, hour=4)},
    # Messaging: announcements whose notification task was lost.
    "messaging-notify-pending": {"task": "messaging.notify_pending_announcements", "schedule": crontab(minute="*/5")},
    # Resources: retry scans that could not run (clamd down), and the nightly object-store sweep.
    "media-rescan-pending": {"task": "media.tasks.rescan_pending", "schedule": crontab(minute="*/5")},
    "media-sweep-orphans": {"task": "media.tasks.sweep_orphans", "schedule": crontab(minute=40, hour=3)},
    # --- files-20: the one file gate (ent/files.py) ---
    # Files still held (clamd or the broker was down when they came in) are queued again.
    "files-rescan-held": {"task": "ent.files.rescan_held", "schedule": crontab(minute="*/5")},
}

# Object store (S3 API: MinIO in production, `weed mini` locally and in tests)
S3_ENDPOINT = env_str("S3_ENDPOINT", "127.0.0.1:8333")
S3_ACCESS_KEY = env_secret("S3_ACCESS_KEY", "ent-dev-access")
S3_SECRET_KEY = env_secret("S3_SECRET_KEY", "ent-dev-secret-key")
S3_BUCKET = env_str("S3_BUCKET", "ent")
S3_REGION = env_str("S3_REGION", "us-east-1")
S3_SECURE = env_bool("S3_SECURE", False)
# Presigned URLs use https when browsers reach the store through TLS, even if the
# app talks plain http to it on a private network (docker-compose).
S3_PUBLIC_SECURE = env_bool("S3_PUBLIC_SECURE", S3_SECURE)
# The address browsers use for presigned URLs when it differs from S3_ENDPOINT
# (in docker-compose the web container reaches "minio:9000", browsers do not).
S3_PUBLIC_ENDPOINT = env_str("S3_PUBLIC_ENDPOINT", "") or S3_ENDPOINT
S3_PRESIGN_SECONDS = env_int("S3_PRESIGN_SECONDS", 300, minimum=10)

# Antivirus (clamd): a Unix socket, or a host and port. Unset: files wait, unscanned
# and never offered, until a scanner is configured.
CLAMD_SOCKET = env_str("CLAMD_SOCKET", "")
CLAMD_HOST = env_str("CLAMD_HOST", "")
CLAMD_PORT = env_int("CLAMD_PORT", 3310, minimum=1)

# Resources (media app): sizes in bytes.
MEDIA_MAX_UPLOAD_BYTES = env_int("MEDIA_MAX_UPLOAD_BYTES", 2 * 1024**3, minimum=1)
MEDIA_QUOTA_TEACHER_BYTES = env_int("MEDIA_QUOTA_TEACHER_BYTES", 5 * 1024**3, minimum=0)
MEDIA_QUOTA_SCHOOL_BYTES = env_int("MEDIA_QUOTA_SCHOOL_BYTES", 100 * 1024**3, minimum=0)

# Email
# env_secret: an smtp:// URL holds the password (EMAIL_URL_FILE works too).
EMAIL_URL = env_secret("EMAIL_URL", "console://")
globals().update(parse_email_url(EMAIL_URL))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ENT <no-reply@ent.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# SMS gateway: "console" or "http" (see ent/notify/sms.py)
SMS_BACKEND = env_str("SMS_BACKEND", "console")
SMS_API_URL = env_str("SMS_API_URL", "")
SMS_API_KEY = env_secret("SMS_API_KEY", "")
SMS_SENDER = env_str("SMS_SENDER", "ENT")

# Web Push (ent/notify/webpush.py): the VAPID key pair that signs our pushes
# (private: base64url of the raw P-256 key; public: base64url of the uncompressed
# point, handed to browsers) and the contact push services may write to. Without
# both keys the channel is off and the pages say so.
WEBPUSH_VAPID_PRIVATE_KEY = env_secret("WEBPUSH_VAPID_PRIVATE_KEY", "")
WEBPUSH_VAPID_PUBLIC_KEY = env_str("WEBPUSH_VAPID_PUBLIC_KEY", "")
WEBPUSH_CONTACT = env_str("WEBPUSH_CONTACT", "mailto:no-reply@ent.localhost")
# Push services a browser may hand us an endpoint of (host suffixes), beyond the
# known ones (Google, Mozilla, Apple, Microsoft); the tests add their local one.
WEBPUSH_EXTRA_HOSTS = env_list("WEBPUSH_EXTRA_HOSTS", [])
# Seconds a push service keeps an undelivered push (phone off) before dropping it.
WEBPUSH_TTL_SECONDS = env_int("WEBPUSH_TTL_SECONDS", 60 * 60 * 24, minimum=0)

# Notifications: nothing leaves by email or SMS during the night, not even urgent
# kinds; each person's quiet hours (default 20:00-07:00) hold back the rest.
NOTIFY_NIGHT_START_HOUR = env_int("NOTIFY_NIGHT_START_HOUR", 22, minimum=0)
NOTIFY_NIGHT_END_HOUR = env_int("NOTIFY_NIGHT_END_HOUR", 7, minimum=0)
# Transient email/SMS failures are retried with exponential backoff from this base.
NOTIFY_MAX_RETRIES = env_int("NOTIFY_MAX_RETRIES", 5, minimum=0)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 30, minimum=1)
# The unread badge of every page is cached per person this long at most; it is
# forgotten as soon as their notifications change (0 turns the cache off).
NOTIFY_UNREAD_CACHE_SECONDS = env_int("NOTIFY_UNREAD_CACHE_SECONDS", 120, minimum=0)
# The busiest pages (home, homework week, register, inbox) are kept whole per
# person and browser session this long at most; every write that changes one
# replaces it at once (ent/pagecache.py). 0 turns the page cache off.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 300, minimum=0)
# Each request's signed-in person is read from the cache, kept this long at most
# and forgotten at every change of their row (ent/directory/auth_backends.py).
# Only with Redis by default: a process-local cache would let another process
# keep a blocked account's row until it expires.
AUTH_USER_CACHE_SECONDS = env_int("AUTH_USER_CACHE_SECONDS", 300 if REDIS_URL else 0, minimum=0)

# Authentication
AUTH_USER_MODEL = "directory.User"
# Django's and allauth's backends, reading the signed-in person from the cache
# (ent/directory/auth_backends.py).
AUTHENTICATION_BACKENDS = [
    "ent.directory.auth_backends.CachedModelBackend",
    "ent.directory.auth_backends.CachedAllauthBackend",
]
# Passwords (issue #25): Argon2id at OWASP's parameters (m=12 MiB, t=3, p=1; ~21 ms
# of CPU on the 2-core bench machine, against ~370 ms for PBKDF2 at 1,000,000
# rounds). PBKDF2 stays second: an old hash still checks, and Django rewrites it
# as Argon2id at that person's next login.
PASSWORD_HASHERS = [
    "ent.directory.auth_backends.OWASPArgon2Hasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "ent.directory.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# The login form asks (ent/directory/signin.py): "stay signed in on this device"
# (off by default) and "shared computer".
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_FORMS = {"login": "ent.directory.signin.LoginForm"}
# Rate limits that fit schools (issue #25, SECURITY.md "Sign-in limits"): a
# whole school signs in from one public address, so a successful sign-in is never
# counted against the address ("login" has no per-address limit). Failures are
# limited per account here (allauth's "login_failed", key = the typed login, so
# an unknown account behaves exactly like a known one), and per address+account
# and per address by ent/directory/signin.py (failures that end in a success of
# the same account are forgiven, so a class's typos do not add up). allauth's own
# "login_failed" is off: its per-account count can neither forgive a typo nor be
# cleared by the office through a public API, and its per-address count would
# lock a whole school out.
ACCOUNT_RATE_LIMITS = {
    "login": None,
    "login_failed": None,
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    # Our own action: username + activation code guesses.
    "activate": "10/m/ip,5/5m/key",
}
# sec-24: ending a session from "Mes appareils" closes its sockets too (ent/directory/sessions.py).
USERSESSIONS_ADAPTER = "ent.directory.sessions.UserSessionsAdapter"
# Failed sign-ins per account (any address, 15 minutes: the office's reset ends
# it), per address+account (5 minutes), then from one address (credential
# stuffing): "slowed" past the first count per minute, "stopped" past the second
# count per 15 minutes.
LOGIN_FAILED_PER_ACCOUNT = env_int("LOGIN_FAILED_PER_ACCOUNT", 10, minimum=1)
LOGIN_FAILED_PER_ADDRESS_ACCOUNT = env_int("LOGIN_FAILED_PER_ADDRESS_ACCOUNT", 5, minimum=1)
LOGIN_FAILED_PER_ADDRESS_MINUTE = env_int("LOGIN_FAILED_PER_ADDRESS_MINUTE", 10, minimum=1)
LOGIN_FAILED_PER_ADDRESS_15_MINUTES = env_int("LOGIN_FAILED_PER_ADDRESS_15_MINUTES", 40, minimum=1)
# Sessions people expect: "stay signed in" lasts this long, refreshed by use;
# the shared-computer mode (ticked on the login page, or forced for the networks
# listed, e.g. school computer rooms and public digital spaces) ends after this
# much idle time and never remembers the login.
SESSION_REMEMBER_DAYS = env_int("SESSION_REMEMBER_DAYS", 30, minimum=1)
SHARED_COMPUTER_IDLE_MINUTES = env_int("SHARED_COMPUTER_IDLE_MINUTES", 15, minimum=1)
SHARED_COMPUTER_NETWORKS = env_list("SHARED_COMPUTER_NETWORKS", [])
# The plain login page (no parameters, nobody signed in) is rendered once per
# language and network kind for this long, then served with each visitor's own
# CSRF token (ent/directory/signin.py); 0 renders it every time.
LOGIN_PAGE_CACHE_SECONDS = env_int("LOGIN_PAGE_CACHE_SECONDS", 60, minimum=0)
# Second factors for everyone who wants one (required for staff,
# ent/directory/middleware.py): an authenticator app (TOTP) or a passkey
# (WebAuthn), which also signs in on its own. Lost both? The school office resets
# them (directory "accounts" page), audited: many parents have no email.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
# WebAuthn needs https except on localhost: `make run` and the browser tests.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or env_bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", False)
# Federated sign-in (ent/identity): IdPs are SocialApps declared by a territory
# admin in the admin, never here. No account is ever created from an external
# login, and an asserted e-mail address links nobody.
SOCIALACCOUNT_ADAPTER = "ent.identity.adapter.SocialAccountAdapter"
# allauth's SAML and OpenID providers, keeping what single logout, the nonce
# check and the IdP's second factor need (ent/identity/providers.py).
SOCIALACCOUNT_PROVIDERS = {
    "saml": {"provider_class": "ent.identity.providers.SAMLProvider"},
    "openid_connect": {"provider_class": "ent.identity.providers.OpenIDConnectProvider"},
}
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_QUERY_EMAIL = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("SOCIALACCOUNT_REQUESTS_TIMEOUT", 10, minimum=1)
# The ENT as OpenID provider (allauth.idp.oidc) for the school's other apps.
# The signing key comes from IDP_OIDC_PRIVATE_KEY(_FILE); without one a key is
# made once under VAR_DIR (fine for `make run` and tests, not for several web
# processes on different machines).
IDP_OIDC_ADAPTER = "ent.identity.provider.OIDCAdapter"
IDP_OIDC_PRIVATE_KEY = env_secret("IDP_OIDC_PRIVATE_KEY", "") or None
if IDP_OIDC_PRIVATE_KEY is None:
    from ent.identity.keys import local_private_key

    IDP_OIDC_PRIVATE_KEY = local_private_key(VAR_DIR)
# Apps are approved per territory by an admin: signing out from one of them
# signs out of the ENT without a second question.
IDP_OIDC_RP_INITIATED_LOGOUT_ASKS_FOR_OP_LOGOUT = False
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "ENT")
ACTIVATION_CODE_DAYS = env_int("ACTIVATION_CODE_DAYS", 90, minimum=1)

# Sessions and cookies
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12, minimum=60)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Secure by default in production; `make run` (DEBUG) and the tests turn these off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Container health checks call plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Preload only with a long max-age (a commitment browsers ship in their lists).
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS >= 31536000)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: no inline script or style anywhere, nothing from
# another origin except the object store's presigned URLs (downloads, videos,
# direct uploads).
_S3_ORIGIN = ("https://" if S3_PUBLIC_SECURE else "http://") + S3_PUBLIC_ENDPOINT
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", _S3_ORIGIN],
        "media-src": ["'self'", _S3_ORIGIN],
        "connect-src": ["'self'", _S3_ORIGIN],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # The sign-in and sign-out forms of federated login end in a redirect
        # to the IdP, which browsers check against form-action too.
        "form-action": ["'self'", *env_list("IDP_FORM_ACTION_ORIGINS", [])],
        "frame-ancestors": ["'none'"],
    }
}
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Reverse proxies in front of the app (nginx = 1): allauth then takes the client IP
# from X-Forwarded-For, otherwise every login would share the proxy's rate limit.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Internationalisation: French first, English second.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "ent" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# Static files, served by WhiteNoise: no CDN.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Django's MEDIA_ROOT is not a folder called media/: that name is our app.
MEDIA_ROOT = VAR_DIR / "uploads"
# Uploads stream to disk past this size instead of staying in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["ent.uploads.MemoryUploadHandler", "ent.uploads.TemporaryUploadHandler"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Logging
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The overload's busy pages (ent/admission.py) are not logged as server errors.
    "filters": {"skip_busy": {"()": "ent.admission.SkipBusyLog"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR", "filters": ["skip_busy"]}},
}

# API (ent/api, issue #23)
# Requests per credential (a token, or a person on the session) on the cache:
# "<n>/s|m|h|d". Reads and writes are counted apart.
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "300/m")
API_WRITE_RATE_LIMIT = env_str("API_WRITE_RATE_LIMIT", "60/m")
NINJA_PAGINATION_MAX_LIMIT = 100
