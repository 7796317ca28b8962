"""ENT settings. Every value comes from the environment (see .env.example).

Unset variables fall back to embedded defaults that need no service at all:
SQLite, in-memory channel layer, eager Celery, console email, and the S3 server
that `make run` starts on 127.0.0.1:8333.
"""

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
    # Federated sign-in and the ENT's own OpenID provider (ent/identity, issue 19).
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.idp.oidc",
    "ent.identity",
    "ent",
    "ent.directory",
    "ent.notify",
    "homework",
    "absences",
    "messaging",
    "media",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ent.csp.CSPMiddleware",
    "ent.directory.middleware.RequireMFAMiddleware",
]

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
    # Django's own queries are bound on the client and never prepared; the roles
    # query that every request runs is prepared explicitly (ent/directory/roles.py),
    # which psycopg allows only with a threshold set. Turn off behind a pooler in
    # transaction mode (PgBouncer), which cannot keep prepared statements.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache, channel layer, Celery broker and sessions when configured.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "ent.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # A real local cache (never the dummy cache): allauth's rate limits count in it.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Channels
# Capacity and expiry are explicit: a full or expired channel drops a push, never a
# message, since clients catch up from the database on reconnect.
CHANNEL_CAPACITY = env_int("CHANNEL_CAPACITY", 500, minimum=10)
CHANNEL_EXPIRY = env_int("CHANNEL_EXPIRY", 60, minimum=1)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "ent.channel_layer.ChannelLayer",  # channels_redis, plus group_send_many
            "CONFIG": {
                # redis-py's default 5 s read timeout equals channels_redis's
                # 5 s blocking pop: idle sockets then die with TimeoutError.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 3}],
                "capacity": CHANNEL_CAPACITY,
                "expiry": CHANNEL_EXPIRY,
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
    "absences-purge-expired": {"task": "absences.purge_expired", "schedule": crontab(minute=30, hour=3)},
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
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    # Our own action: username + activation code guesses.
    "activate": "10/m/ip,5/5m/key",
}
# Federated sign-in (ent/identity): IdPs are SocialApps declared by a territory
# admin in the admin, never here. No account is ever created from an external
# login, and an asserted e-mail address links nobody.
SOCIALACCOUNT_ADAPTER = "ent.identity.adapter.SocialAccountAdapter"
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
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
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
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
