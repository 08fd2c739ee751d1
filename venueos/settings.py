"""The one settings module, configured from the environment at start-up.

`DATABASE_URL` is required here; the `venueos` command, `manage.py` and the test
suite set it to the embedded PostgreSQL before Django starts when it is unset.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

from venueos.common.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def _database_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise RuntimeError(f"DATABASE_URL must be a postgresql:// URL, not {url!r}")
    options = dict(parse_qsl(parsed.query))
    # An unreachable or restarting database must not hold a request longer
    # than a lock may (VENUEOS_LOCK_TIMEOUT_MS): the caller gets a 503 instead.
    bound_seconds = int(os.environ.get("VENUEOS_LOCK_TIMEOUT_MS", "3000")) / 1000
    options.setdefault(
        "connect_timeout",
        int(
            os.environ.get("VENUEOS_DB_CONNECT_TIMEOUT") or max(1, round(bound_seconds))
        ),
    )
    # Parameters travel apart from the statement, so a statement's text is the
    # same on every call and psycopg prepares it on a connection's sixth run:
    # PostgreSQL then parses it once per connection, and plans it once where a
    # generic plan serves (a third of its CPU per request under the capacity
    # mix, ADR 0011). VENUEOS_DB_PREPARE=0 gives Django's defaults back (values
    # in the text, nothing prepared), for PgBouncer before 1.22 in transaction
    # mode.
    if _env_bool("VENUEOS_DB_PREPARE", True):
        options["server_side_binding"] = True
        options["prepare_threshold"] = 5
    pool_size = int(os.environ.get("VENUEOS_DB_POOL", "0"))
    if pool_size > 0:
        # Django's built-in psycopg pool; CONN_MAX_AGE must stay 0 with it.
        options["pool"] = {
            "min_size": min(2, pool_size),
            "max_size": pool_size,
            "timeout": float(
                os.environ.get("VENUEOS_DB_POOL_TIMEOUT") or bound_seconds
            ),
        }
    return {
        "ENGINE": "venueos.common.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "venueos",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
        "CONN_MAX_AGE": 0
        if pool_size
        else int(os.environ.get("VENUEOS_CONN_MAX_AGE", "60")),
        # Each request's connection is checked before use: after PostgreSQL
        # restarts, dead connections are replaced instead of failing requests
        # with 503s. Pooled connections are checked by their sockets, with a
        # round trip only when the socket shows the session ended or after 2 s
        # unused (venueos/common/dbpool.py); without the pool Django sends a
        # `SELECT 1`. VENUEOS_DB_HEALTH_CHECKS=0 turns the check off.
        "CONN_HEALTH_CHECKS": _env_bool("VENUEOS_DB_HEALTH_CHECKS", True),
        "TEST": {"NAME": os.environ.get("VENUEOS_TEST_DB_NAME", "test_venueos")},
    }


# Good only for tests and one-off management commands: `venueos serve` and the
# ASGI application refuse to start with it (the embedded demo generates its
# own key in .venueos/secret_key, see embedded.py).
BUILTIN_SECRET_KEY = "dev-only-insecure-key-set-VENUEOS_SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("VENUEOS_SECRET_KEY") or BUILTIN_SECRET_KEY
DEBUG = _env_bool("VENUEOS_DEBUG", False)
ALLOWED_HOSTS = os.environ.get(
    "VENUEOS_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver"
).split(",")

# HTTPS hardening, off by default because `make run` serves plain HTTP on
# 127.0.0.1. VENUEOS_HTTPS=1 turns every part on; each can be set on its own.
_HTTPS = _env_bool("VENUEOS_HTTPS", False)
SECURE_SSL_REDIRECT = _env_bool("VENUEOS_SSL_REDIRECT", _HTTPS)
# Load balancers probe health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SESSION_COOKIE_SECURE = _env_bool("VENUEOS_SECURE_COOKIES", _HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(
    os.environ.get("VENUEOS_HSTS_SECONDS") or (31_536_000 if _HTTPS else 0)
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("VENUEOS_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = _env_bool("VENUEOS_HSTS_PRELOAD", False)

CSRF_TRUSTED_ORIGINS = [
    origin
    for origin in os.environ.get("VENUEOS_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "venueos.common",
    "venueos.accounts",
    "venueos.venues",
    "venueos.audit",
    "venueos.bookings",
    "venueos.events",
    "venueos.realtime",
    "venueos.reports",
    "venueos.calendars",
    "venueos.web",
    "axes",
]

MIDDLEWARE = [
    "venueos.common.middleware.ReleaseRequestMiddleware",
    "venueos.common.middleware.RequestContextMiddleware",
    "venueos.common.middleware.DatabaseUnavailableMiddleware",
    "venueos.common.middleware.RejectOversizeBodyMiddleware",
    "venueos.common.middleware.RejectNulInQueryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "venueos.common.contract.OpenApiContractMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "venueos.urls"
ASGI_APPLICATION = "venueos.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": _database_from_url(os.environ["DATABASE_URL"])}
# The owner's login, for migrations only (common/dbroles.py); the embedded
# server sets it. Without it, migrations run as DATABASE_URL's user.
VENUEOS_OWNER_DATABASE_URL = os.environ.get("VENUEOS_OWNER_DATABASE_URL") or None
# The role that gets the application's (restricted) privileges after migrate.
VENUEOS_APP_ROLE = os.environ.get("VENUEOS_APP_ROLE") or (
    DATABASES["default"]["USER"] if VENUEOS_OWNER_DATABASE_URL else None
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Session sign-ins (the Django admin, and any form that calls authenticate()
# with its request) go through django-axes: after VENUEOS_LOGIN_FAILURE_LIMIT
# wrong passwords for one account, or from one address, further attempts are
# refused for VENUEOS_LOGIN_COOLOFF_MINUTES, the right password included.
# Administrators unlock with the "Access attempts" admin page or
# `venueos manage axes_reset_username EMAIL`. API token creation is limited by
# the shared login throttle instead (common/throttling.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("VENUEOS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(
    minutes=int(os.environ.get("VENUEOS_LOGIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "venueos.common.middleware.request_client_ip"
AXES_USERNAME_CALLABLE = "venueos.accounts.authentication.lockout_username"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if _env_bool("VENUEOS_FAST_PASSWORD_HASHER", False):
    # Tests create many users; PBKDF2's deliberate slowness only costs time there.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("VENUEOS_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the installed apps, so a fresh clone needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "venueos.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["venueos.common.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "venueos.common.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "venueos.common.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Sign-up and token creation are always throttled (password guessing);
    # a global per-client rate is opt-in, as it costs a counter round trip on
    # every request. Counters are shared by every process (throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        f"venueos.common.throttling.{name}RateThrottle"
        for name, variable in (
            ("Anon", "VENUEOS_THROTTLE_ANON"),
            ("User", "VENUEOS_THROTTLE_USER"),
        )
        if os.environ.get(variable)
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("VENUEOS_THROTTLE_ANON"),
        "user": os.environ.get("VENUEOS_THROTTLE_USER"),
        "login": os.environ.get("VENUEOS_THROTTLE_LOGIN", "30/minute"),
        # Booking creates per user (throttling.BookingCreateRateThrottle);
        # empty turns it off. Load tests raise it (bench/runner.py).
        "bookings": os.environ.get("VENUEOS_THROTTLE_BOOKINGS", "60/minute"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "VenueOS API",
    "DESCRIPTION": (
        "Venue and facility booking. Every error is an RFC 9457 "
        "`application/problem+json` body."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "venueos.common.schema.add_problem_responses",
        "venueos.realtime.schema.add_stream_path",
    ],
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "venueos.bookings.models.BookingStatus",
        "EventStatusEnum": "venueos.events.models.EventStatus",
        "RegistrationStatusEnum": "venueos.events.models.RegistrationStatus",
        "RoleEnum": "venueos.accounts.models.Role",
        "WaitlistStatusEnum": "venueos.events.models.WaitlistStatus",
    },
}

# How many reverse proxies stand in front of the app, each appending to
# X-Forwarded-For; 0 (the default) believes only the socket's address. Used by
# the throttles and the audit log (common/middleware.py: client_ip).
VENUEOS_TRUSTED_PROXIES = int(os.environ.get("VENUEOS_TRUSTED_PROXIES", "0"))
if VENUEOS_TRUSTED_PROXIES:
    # The proxy terminates TLS and says so; only then is the header believed.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Optional: no API token of any user lives longer than this many days (tokens
# made earlier included). Unset, a token lives until it is revoked or reaches
# the expiry its owner chose.
VENUEOS_TOKEN_MAX_AGE_DAYS = int(os.environ.get("VENUEOS_TOKEN_MAX_AGE_DAYS") or 0)

# API token uses (`last_used_at`) are written in one batch this often, off the
# request path (venueos/accounts/token_uses.py); 0 writes each use at once.
try:
    VENUEOS_TOKEN_USE_FLUSH_SECONDS = float(
        os.environ.get("VENUEOS_TOKEN_USE_FLUSH_SECONDS", "5")
    )
except ValueError:
    VENUEOS_TOKEN_USE_FLUSH_SECONDS = -1.0
if not 0 <= VENUEOS_TOKEN_USE_FLUSH_SECONDS < float("inf"):
    raise ImproperlyConfigured(
        "VENUEOS_TOKEN_USE_FLUSH_SECONDS must be a number of seconds, 0 or more."
    )

REDIS_URL = os.environ.get("REDIS_URL") or None
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }

# Every lock wait inside a booking or sale is bounded; a timeout is a 409.
VENUEOS_LOCK_TIMEOUT_MS = int(os.environ.get("VENUEOS_LOCK_TIMEOUT_MS", "3000"))

# The live stream (venueos/realtime): heartbeat comment interval, how long the
# change log is kept for `Last-Event-ID` replays, and how many undelivered
# messages one client may have queued before it is disconnected (it then
# reconnects and replays from the log).
VENUEOS_STREAM_HEARTBEAT_SECONDS = float(
    os.environ.get("VENUEOS_STREAM_HEARTBEAT_SECONDS", "15")
)
VENUEOS_STREAM_RETENTION = timedelta(
    hours=float(os.environ.get("VENUEOS_STREAM_RETENTION_HOURS", "24"))
)
VENUEOS_STREAM_BACKLOG = int(os.environ.get("VENUEOS_STREAM_BACKLOG", "1000"))
# A stream's permissions and token are checked when it connects; it ends after
# this many seconds so the client reconnects (with Last-Event-ID, missing
# nothing) and is checked again.
VENUEOS_STREAM_MAX_SECONDS = float(os.environ.get("VENUEOS_STREAM_MAX_SECONDS", "900"))

# Logs: VENUEOS_LOG_FORMAT=json|text (text by default; the container image
# sets json); one line per request and per job (venueos/common/logs.py).
LOGGING = logging_config(
    log_format=os.environ.get("VENUEOS_LOG_FORMAT", "text"),
    level=os.environ.get("VENUEOS_LOG_LEVEL", "WARNING"),
)

# --- Operations: metrics, task queue and e-mail (docs/deploy.md) -------------

# Right inside ReleaseRequestMiddleware (which only adds a closer to the
# response), so that the request line and the latency cover every middleware.
MIDDLEWARE.insert(1, "venueos.common.observability.ObservabilityMiddleware")
# Anonymous public reads from a streaming replica, when one is given
# (venueos/common/replica.py, docs/scaling.md); writes always on the primary.
if os.environ.get("VENUEOS_REPLICA_URL"):
    DATABASES["replica"] = _database_from_url(os.environ["VENUEOS_REPLICA_URL"])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["venueos.common.replica.ReplicaRouter"]
    MIDDLEWARE.append("venueos.common.replica.PublicReadsMiddleware")
# /metrics answers loopback clients, and anyone with this bearer token.
VENUEOS_METRICS_TOKEN = os.environ.get("VENUEOS_METRICS_TOKEN", "")

# Background jobs run from PostgreSQL (procrastinate, docs/adr/0006): a job is
# a row written in the transaction of the change that causes it.
INSTALLED_APPS += ["procrastinate.contrib.django", "venueos.notifications"]
PROCRASTINATE_WORKER_DEFAULTS = {
    # A worker that stops sending heartbeats (killed, machine lost) is stalled
    # after this long; its running jobs are then retried (notifications/tasks.py).
    "update_heartbeat_interval": float(os.environ.get("VENUEOS_WORKER_HEARTBEAT", "5")),
    "stalled_worker_timeout": float(
        os.environ.get("VENUEOS_WORKER_STALLED_AFTER", "30")
    ),
}


def _email_from_url(url: str) -> dict:
    """`smtp://user:password@host:port`, `smtps://…` (TLS from the start) or
    `smtp://…?starttls=1`."""
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtps"}:
        raise RuntimeError(f"VENUEOS_SMTP_URL must be smtp:// or smtps://, not {url!r}")
    options = dict(parse_qsl(parsed.query))
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_SSL": parsed.scheme == "smtps",
        "EMAIL_USE_TLS": _env_bool_value(options.get("starttls", "")),
    }


def _env_bool_value(value: str) -> bool:
    return value.lower() in {"1", "true", "yes", "on"}


VENUEOS_HOME = Path(os.environ.get("VENUEOS_HOME") or BASE_DIR / ".venueos")
DEFAULT_FROM_EMAIL = os.environ.get(
    "VENUEOS_MAIL_FROM", "VenueOS <no-reply@venueos.localhost>"
)
EMAIL_TIMEOUT = 15
if os.environ.get("VENUEOS_SMTP_URL"):
    globals().update(_email_from_url(os.environ["VENUEOS_SMTP_URL"]))
else:
    # No SMTP server: every message becomes one .eml file to open or inspect.
    EMAIL_BACKEND = "venueos.notifications.backends.EmlFileBackend"
    EMAIL_FILE_PATH = str(VENUEOS_HOME / "mail")
