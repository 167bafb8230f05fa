"""Settings, read once from the environment (and a .env file when present)."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

# The folder holding templates/, static/ and .env: the checkout, or in the image (where the
# project is installed into site-packages, not run from its source) /app.
BASE_DIR = Path(os.environ.get("INCIDENTDESK_HOME") or Path(__file__).resolve().parent.parent)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# Serving over HTTPS (behind a proxy that terminates TLS): secure cookies and HSTS.
HTTPS = env.bool("HTTPS", default=not DEBUG)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # The trigram lookups of the duplicate search (incidents.selectors.likely_duplicates);
    # nothing of it runs on SQLite.
    "django.contrib.postgres",
    "rest_framework",
    # Unused: kept because early migrations depend on it. Its table (keys in clear) was
    # emptied into knox's hashed tokens by incidents 0012.
    "rest_framework.authtoken",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_htmx",
    "channels",
    "core",
    "incidents",
    "messaging",
    "customer_care",
    "dispatch",
    "escalation",
    "board",
    "privacy",
    # Last: its ready() connects the hooks once every app is loaded (incidentdesk/wiring.py).
    "incidentdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files may be cached; every other answer may not.
    "incidentdesk.middleware.NoStore",
    "incidentdesk.middleware.PermissionsPolicy",
    "csp.middleware.CSPMiddleware",
    "incidentdesk.middleware.SessionSavedAfterTheAnswer",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which reads the form: an oversized body or too many fields is a 413.
    "incidentdesk.middleware.RequestLimits",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "incidentdesk.middleware.SessionLifetime",
    "incidentdesk.middleware.PagesRequireLogin",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "incidentdesk.middleware.LockoutResponse",
]

ROOT_URLCONF = "incidentdesk.urls"
ASGI_APPLICATION = "incidentdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # {% idempotency_key %} in every page form (core/templatetags/idempotency.py).
            "builtins": ["core.templatetags.idempotency"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Daphne, the worker and beat share the file: WAL and IMMEDIATE transactions keep
    # concurrent writers waiting for the lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incidents:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve straight from the app folders too, so a run without collectstatic still has its CSS.
WHITENOISE_USE_FINDERS = True

# Security headers; cookies are secure whenever the site is served over HTTPS.
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    # TLS ends at the proxy, which says so in X-Forwarded-Proto (and must overwrite any
    # value a client sent). Plain HTTP is redirected; browsers remember HTTPS for a year.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
# The channel layer (issue 11: a board that stays up all shift). A waiting consumer blocks
# in Redis BZPOPMIN for up to 5 s (channels_redis's brpop_timeout); redis-py 8 defaults
# socket_timeout to 5 s too, so an idle board's read timed out and its socket dropped every
# ~6 s (django/channels_redis#422, redis/redis-py#4091). The read timeout here is well above
# the blocking interval instead of None: a Redis link that died silently still fails within
# 30 s (the board reconnects and resyncs) rather than leaving a deaf board that looks live.
# Keepalive and the health check find a dead idle connection before it is used.
# redis-py 8 also capped an asyncio pool at 100 connections (7.x: 2**31) and fails with
# MaxConnectionsError beyond it rather than waiting: a few hundred board sockets closing or
# opening at once (a Daphne restart, a network blip) have more commands than that in
# flight, and a failed group_discard leaves a ghost. 5,000 per process stays well under
# Redis's default limit of 10,000 clients.
# A group membership lasts CHANNELS_GROUP_EXPIRY seconds from its last group_add; live
# consumers renew theirs (board/consumers.py), so the channels of a killed server leave the
# groups within minutes instead of channels_redis's default day.
CHANNELS_GROUP_EXPIRY = env.int("CHANNELS_GROUP_EXPIRY", default=300)
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_timeout": 30,
                    "socket_connect_timeout": 5,
                    "socket_keepalive": True,
                    "health_check_interval": 30,
                    "max_connections": 5000,
                }
            ],
            "prefix": env("CHANNELS_PREFIX", default="asgi"),
            "group_expiry": CHANNELS_GROUP_EXPIRY,
        },
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "purge-expired-idempotency-keys": {
        "task": "core.purge_expired_idempotency_keys",
        "schedule": 3600.0,
    },
    "close-resolved-without-confirmation": {
        "task": "customer_care.close_unconfirmed",
        "schedule": 900.0,
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
globals().update(EMAIL_CONFIG)
# Customers' survey links and escalation emails must leave the building: a production run
# (DEBUG off) that would only print them refuses to start unless that is chosen on purpose.
ALLOW_CONSOLE_EMAIL = env.bool("ALLOW_CONSOLE_EMAIL", default=False)
if (
    not DEBUG
    and not ALLOW_CONSOLE_EMAIL
    and EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
):
    raise ImproperlyConfigured(
        "EMAIL_URL is the console backend (the default) with DEBUG off: emails would only be "
        "printed. Set EMAIL_URL (e.g. smtp+tls://user:pass@host:587), or ALLOW_CONSOLE_EMAIL="
        "true to print them on purpose."
    )
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="incidentdesk@localhost")

REST_FRAMEWORK = {
    # Token first: an anonymous request then gets 401 with "WWW-Authenticate: Token", not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.LockableTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IncidentDesk API",
    "DESCRIPTION": "Create, read and update incidents; read the priority matrix.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN, works offline,
    # and fits the Content-Security-Policy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The Idempotency-Key header, once, on every unsafe operation (core/api.py).
        "core.api.idempotency_in_schema",
    ],
    # Status appears in several fields (status, allowed_statuses, filters): one enum for all.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.Status",
        # Dispatch (issue 4): several models have a "kind" and a "status" of their own.
        "ResourceKindEnum": "dispatch.models.ResourceKind",
        "ResourceStatusEnum": "dispatch.models.ResourceStatus",
        "DispatchStatusEnum": "dispatch.models.DispatchStatus",
        "DeliveryStatusEnum": "dispatch.models.DeliveryStatus",
        "MessageKindEnum": "dispatch.models.MessageKind",
        "ChannelEnum": "messaging.channels.Channel",
        # Customer care: an update's channel and delivery are the caller's, not a resource's.
        "CustomerUpdateChannelEnum": "customer_care.models.UpdateChannel",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Beat sends a sweep every few seconds: at INFO each one would log three lines (sent,
    # received, succeeded). Failures are logged at ERROR whatever this says.
    "loggers": {
        name: {"level": env("CELERY_TASK_LOG_LEVEL", default="WARNING")}
        for name in ("celery.beat", "celery.worker.strategy", "celery.app.trace")
    },
}

# Escalation engine (issue 5): beat sweeps the due work every SLA_SWEEP_SECONDS. Tasks are
# acknowledged after they run (a worker lost mid-task gets it redelivered: the sweep and the
# services are idempotent), one message at a time per worker process so a long sweep never
# holds the next one hostage, and bounded in time. A sweep tick that waited longer than the
# interval expires unrun: the next tick does the same work. Redis holds no state we need:
# after a Redis restart beat and the workers reconnect and the next sweep finds every due
# step in PostgreSQL.
SLA_SWEEP_SECONDS = env.float("SLA_SWEEP_SECONDS", default=2.0)
CELERY_BEAT_SCHEDULE["escalation-sweep"] = {
    "task": "escalation.sweep",
    "schedule": SLA_SWEEP_SECONDS,
    "options": {"expires": SLA_SWEEP_SECONDS},
}
# A manual escalation's alert (escalation/services.py manual_step) needs acknowledgement and
# follows the same rules as a policy step that does: repeated after the timeout, up to the
# repeats, then moved up one level. From settings, not the running policy: a manual
# escalation must reach someone whatever policy (if any) the incident runs, and the
# policy's own "manual escalation" steps still fire beside it with their own timeouts.
# Defaults match the demo policy's steps (5 minutes, twice, by email and in-app).
ESCALATION_MANUAL_ACK_TIMEOUT_MINUTES = env.float(
    "ESCALATION_MANUAL_ACK_TIMEOUT_MINUTES", default=5
)
ESCALATION_MANUAL_MAX_REPEATS = env.int("ESCALATION_MANUAL_MAX_REPEATS", default=2)
ESCALATION_MANUAL_CHANNEL = env("ESCALATION_MANUAL_CHANNEL", default="email")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 60
# Unacknowledged messages come back after this; above the hard time limit so a running
# task is never handed to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 120}
CELERY_BROKER_CONNECTION_MAX_RETRIES = None

# Incident rules the organisation may tune.
DUPLICATE_WINDOW_MINUTES = env.int("DUPLICATE_WINDOW_MINUTES", default=120)
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# A contact received longer ago than this (an email read late) needs a written reason when
# it is logged; the SLA clocks start at the time it was received.
RECEIVED_AT_REASON_AFTER_MINUTES = env.int("RECEIVED_AT_REASON_AFTER_MINUTES", default=30)
# A deployed resource that has not acknowledged its briefing after this long shows a warning
# on the board (escalation policies set their own "dispatch not acknowledged" minutes).
DISPATCH_ACKNOWLEDGE_WITHIN_MINUTES = env.int("DISPATCH_ACKNOWLEDGE_WITHIN_MINUTES", default=5)

# Customer care (customer_care/services.py).
CLOSE_WITHOUT_CONFIRMATION_AFTER_DAYS = env.int("CLOSE_WITHOUT_CONFIRMATION_AFTER_DAYS", default=3)
SATISFACTION_LINK_DAYS = env.int("SATISFACTION_LINK_DAYS", default=14)
# The address customers reach the public pages at, for links in emails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Dispatch (issue 4): outbound channels and status links.
# Links in briefings use SITE_URL (above).
DISPATCH_STATUS_LINK_MAX_AGE = env.int("DISPATCH_STATUS_LINK_HOURS", default=12) * 3600
DISPATCH_WEBHOOK_TIMEOUT = env.float("DISPATCH_WEBHOOK_TIMEOUT", default=10.0)
# The outbox (messaging/services.py): one retry policy for every outbound message.
MESSAGE_DELIVERY_MAX_RETRIES = env.int("MESSAGE_DELIVERY_MAX_RETRIES", default=5)
# Retry n waits BACKOFF × 2**(n-1) seconds.
MESSAGE_DELIVERY_BACKOFF = env.float("MESSAGE_DELIVERY_BACKOFF_SECONDS", default=10.0)
# Beat sweeps the outbox this often: messages whose delivery is due and never started
# (broker down, task lost) and retries that are due go to a worker.
MESSAGE_SWEEP_SECONDS = env.float("MESSAGE_SWEEP_SECONDS", default=5.0)
# A message handed to the broker is handed out again if no worker claimed it after this.
MESSAGE_HANDOUT_SECONDS = env.float("MESSAGE_HANDOUT_SECONDS", default=60.0)
# A worker's claim on a message it is sending; past it (worker killed) the attempt counts
# as of unknown outcome and the message is retried. Above CELERY_TASK_TIME_LIMIT.
MESSAGE_SENDING_LEASE_SECONDS = env.float("MESSAGE_SENDING_LEASE_SECONDS", default=90.0)
CELERY_BEAT_SCHEDULE["messaging-sweep-outbox"] = {
    "task": "messaging.sweep_outbox",
    "schedule": MESSAGE_SWEEP_SECONDS,
    "options": {"expires": MESSAGE_SWEEP_SECONDS},
}
# Personal data (privacy/services.py, UK GDPR storage limitation): a closed or cancelled
# incident keeps its caller's details this many months after its last activity (a month is
# 30 days), then the daily beat task anonymises it (`manage.py anonymise_due --dry-run`
# lists what is due). One period per record type, each defaulting to RETENTION_CALLER_MONTHS.
RETENTION_CALLER_MONTHS = env.int("RETENTION_CALLER_MONTHS", default=24)
RETENTION_MONTHS = {
    record_type: env.int(f"RETENTION_{record_type.upper()}_MONTHS", default=RETENTION_CALLER_MONTHS)
    for record_type in ("incident", "service_request", "query")
}
CELERY_BEAT_SCHEDULE["privacy-anonymise-due"] = {
    "task": "privacy.anonymise_due",
    "schedule": 24 * 3600.0,
}
# Organisation-wide gateways that take a signed JSON POST: channel → (URL, secret).
DISPATCH_GATEWAYS = {
    channel: (
        env(f"{channel.upper()}_GATEWAY_URL", default=""),
        env(f"{channel.upper()}_GATEWAY_SECRET", default=""),
    )
    for channel in ("sms", "pager", "im")
}

# ---- Trust and data protection (issue 14; docs/security.md) ------------------------------
# Login throttling and lockout (django-axes) on every way in: /login/, /admin/login/ and the
# API's tokens. Failures count per login name and address together, so a caller guessing one
# account from one place is stopped without locking out a whole contact centre behind one
# NAT address. Unlock: delete the attempt in admin (Axes › Access attempts) or
# `manage.py axes_reset_username <login>`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_MINUTES", default=15) / 60 or None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Axes looks for its middleware by name; ours is a subclass (middleware.LockoutResponse).
SILENCED_SYSTEM_CHECKS = ["axes.W002"]
# Behind the proxy the client's address is the first of X-Forwarded-For (set TRUSTED_PROXY
# _COUNT to the number of proxies in front); without a proxy, REMOTE_ADDR.
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

# API tokens (django-rest-knox): stored as SHA-512 digests, shown once when made, expiring.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_DAYS", default=90)),
    "AUTH_HEADER_PREFIX": "Token",
}

# Sessions end after SESSION_IDLE_MINUTES without a request (each request saves the session,
# so the deadline moves); a wall board's kiosk login lasts KIOSK_SESSION_DAYS.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
KIOSK_SESSION_DAYS = env.int("KIOSK_SESSION_DAYS", default=30)

# Content-Security-Policy (django-csp): no inline script or style anywhere, so injected
# markup cannot run. 'self' covers ws:/wss: of this host in CSP level 3 browsers; the
# SITE_URL host is named too for those that read it strictly.
_site = urlsplit(SITE_URL)
_ws = f"{'wss' if _site.scheme == 'https' else 'ws'}://{_site.netloc}"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF, _ws],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# The API's schema and docs need a login unless API_DOCS_PUBLIC.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)
SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = (
    ["rest_framework.permissions.AllowAny"]
    if API_DOCS_PUBLIC
    else ["rest_framework.permissions.IsAuthenticated"]
)

# Input limits (Django's own): beyond them a request is answered 413 (middleware.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
# Phone numbers are stored in E.164; numbers written without +country are read in this region.
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default="GB")

# --- Deployment and operations (issue 13; docs/deployment.md) ---
# Three Celery queues, each with its own workers in production, so a slow SMS gateway
# (delivery) or a long purge (housekeeping) can never hold up an escalation sweep. A worker
# started without -Q consumes all three (dev.py run, the tests).
CELERY_QUEUE_ESCALATION = "escalation"
CELERY_QUEUE_DELIVERY = "delivery"
CELERY_QUEUE_HOUSEKEEPING = "housekeeping"
CELERY_TASK_QUEUES = [
    Queue(name)
    for name in (CELERY_QUEUE_ESCALATION, CELERY_QUEUE_DELIVERY, CELERY_QUEUE_HOUSEKEEPING)
]
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE_HOUSEKEEPING
CELERY_TASK_ROUTES = {
    "escalation.*": {"queue": CELERY_QUEUE_ESCALATION},
    # The heartbeat runs where the sweep runs: a fresh one proves beat, the broker and an
    # escalation worker are all alive.
    "incidentdesk.beat_heartbeat": {"queue": CELERY_QUEUE_ESCALATION},
    "messaging.deliver": {"queue": CELERY_QUEUE_DELIVERY},
    # Everything else (the outbox sweep, purges, auto-close) is housekeeping: the default.
}
# Beat's heartbeat: a task every BEAT_HEARTBEAT_SECONDS records the time in Redis; /readyz
# and /metrics report its age, and an age above BEAT_STALE_SECONDS means beat (or every
# escalation worker) is down: nothing is sweeping.
BEAT_HEARTBEAT_SECONDS = env.float("BEAT_HEARTBEAT_SECONDS", default=10.0)
BEAT_STALE_SECONDS = env.float("BEAT_STALE_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE["beat-heartbeat"] = {
    "task": "incidentdesk.beat_heartbeat",
    "schedule": BEAT_HEARTBEAT_SECONDS,
    "options": {"expires": BEAT_HEARTBEAT_SECONDS},
}

# Of several beats on one Redis only the lock's holder sends; the others stand by.
CELERY_BEAT_SCHEDULER = "incidentdesk.beat:LockedScheduler"
# Beat answers `celery inspect ping -d celerybeat@<host>` while its loop ticks: the liveness
# of the beat process itself (the heartbeat above checks beat → broker → worker end to end).
CELERY_BEAT_ENABLE_REMOTE_CONTROL = True

# Redis with Sentinel: REDIS_SENTINELS="host1:26379,host2:26379" and the monitored master's
# name. REDIS_URL then gives only the database number and password (its host is ignored).
REDIS_SENTINELS = [
    (host, int(port))
    for host, _, port in (
        entry.rpartition(":") for entry in env.list("REDIS_SENTINELS", default=[])
    )
]
REDIS_SENTINEL_MASTER = env("REDIS_SENTINEL_MASTER", default="mymaster")
REDIS_DB = int(urlsplit(REDIS_URL).path.strip("/") or 0)
REDIS_PASSWORD = urlsplit(REDIS_URL).password
if REDIS_SENTINELS:
    CELERY_BROKER_URL = ";".join(f"sentinel://{host}:{port}" for host, port in REDIS_SENTINELS)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "master_name": REDIS_SENTINEL_MASTER,
        "db": REDIS_DB,
        **({"password": REDIS_PASSWORD} if REDIS_PASSWORD else {}),
    }
    # channels_redis builds a SentinelConnectionPool from a host with "sentinels" and
    # "master_name"; the other keys go to the pool, as they do for a plain address.
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
        {
            **{k: v for k, v in host.items() if k != "address"},
            "sentinels": REDIS_SENTINELS,
            "master_name": REDIS_SENTINEL_MASTER,
            "db": REDIS_DB,
            **({"password": REDIS_PASSWORD} if REDIS_PASSWORD else {}),
        }
        for host in (
            h if isinstance(h, dict) else {"address": h}
            for h in CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
        )
    ]

# A persistent connection is checked before it is reused, so the first request after a
# PostgreSQL restart reconnects instead of failing.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# PgBouncer in transaction pooling mode hands each transaction to any server connection:
# a server-side cursor (iterator() outside a transaction) or a prepared statement would
# meet a different connection on its next statement.
if env.bool("DATABASE_PGBOUNCER", default=False) and DATABASES["default"]["ENGINE"].endswith(
    "postgresql"
):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None

# Static files: the image runs collectstatic with STATIC_MANIFEST=true, so pages link hashed,
# pre-compressed files WhiteNoise can cache forever. Off (the default) for runs without
# collectstatic output (dev.py run, a checkout), which serve from the app folders.
if env.bool("STATIC_MANIFEST", default=False):
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    WHITENOISE_USE_FINDERS = False

# /metrics (Prometheus): with METRICS_TOKEN set, a scrape must send "Authorization: Bearer
# <token>"; the reverse proxy refuses /metrics from outside in any case.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# Outermost: probes and scrapes answer before the host check, sessions and login; every
# other request is timed by its view.
MIDDLEWARE = ["incidentdesk.middleware.Probes", "incidentdesk.metrics.RequestMetrics", *MIDDLEWARE]
# channels_redis reports channels over capacity (messages dropped) only in this INFO line.
LOGGING["handlers"]["channel_layer_drops"] = {"class": "incidentdesk.metrics.ChannelLayerDrops"}
LOGGING["loggers"]["channels_redis.core"] = {"level": "INFO", "handlers": ["channel_layer_drops"]}
