"""Settings from the environment (12-factor), with an embedded default:
a SQLite file in the project and the in-memory channel layer."""

import os
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# SECRET_KEY from the environment; unset, the per-checkout key `make run` writes once
# (SECRET_KEY_FILE, gitignored); else an embedded key that Django's deploy check flags
# and that a server with DEBUG off refuses to start with (config.safety).
EMBEDDED_SECRET_KEY = "django-insecure-embedded-default-only-for-DEBUG=1"
SECRET_KEY_FILE = Path(os.environ.get("SECRET_KEY_FILE") or BASE_DIR / ".secret_key")


def secret_key_from_file(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:  # no file (e.g. production without SECRET_KEY): the refusal explains
        return ""


SECRET_KEY = (
    os.environ.get("SECRET_KEY") or secret_key_from_file(SECRET_KEY_FILE) or EMBEDDED_SECRET_KEY
)
# Django's test runner adds "testserver" by itself.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_tasks_db",
    "leads",
    "funnel",
]

MIDDLEWARE = [
    "config.middleware.ServerTimingMiddleware",
    "config.middleware.ForwardedProtoMiddleware",
    "config.busy.DatabaseBusyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'funnelboard.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue on the file lock instead of failing with "database is locked";
    # IMMEDIATE takes the write lock at BEGIN, so a version check and its update
    # never interleave with another writer's.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A new PostgreSQL connection per request costs milliseconds; under ASGI each
    # request runs in its own thread, so persistent connections cannot help: pool them.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A request that finds no free connection within DB_POOL_TIMEOUT seconds, or
    # waits on a row lock for DB_LOCK_TIMEOUT, answers 503 with Retry-After
    # (config.busy) instead of holding its thread and connection: a busy board
    # cannot take every connection from the other boards.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN", "2")),
        "max_size": int(os.environ.get("DB_POOL_MAX", "20")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "1")),
    }
    options["options"] = f"-c lock_timeout={os.environ.get('DB_LOCK_TIMEOUT', '5s')}"
# Write transactions at once per process (leads.services.tx); a writer past them
# waits without a connection, at most DB_WRITER_WAIT seconds (then 503).
DB_WRITERS = int(os.environ.get("DB_WRITERS", "0")) or max(
    1, int(os.environ.get("DB_POOL_MAX", "20")) // 2
)
DB_WRITER_WAIT = float(os.environ.get("DB_WRITER_WAIT", "5"))

# A board with at least NUMBERS_FRAMES_MIN transitions keeps its frame of them in
# this process's memory between computations of its numbers (leads.selectors.frames),
# all boards' frames together at most NUMBERS_FRAMES_BYTES (least recently used go).
NUMBERS_FRAMES_MIN = int(os.environ.get("NUMBERS_FRAMES_MIN", "50000"))
NUMBERS_FRAMES_BYTES = int(os.environ.get("NUMBERS_FRAMES_BYTES", str(128 * 2**20)))
# The live whole-board numbers keep a ledger per board (funnel.numbers.live): every
# board's together at most NUMBERS_LEDGERS_BYTES (least recently used go).
NUMBERS_LEDGERS_BYTES = int(os.environ.get("NUMBERS_LEDGERS_BYTES", str(256 * 2**20)))
# A ledger of a board of at least NUMBERS_LEDGER_SAVED_FROM leads is saved to the
# "ledgers" cache (Redis, when REDIS_URL is set; none otherwise) after it is built and
# every NUMBERS_LEDGER_SAVE_EVENTS events after: a process that starts loads it and
# reads the event log after it instead of the whole board. Kept that many seconds.
NUMBERS_LEDGER_SAVED_FROM = int(os.environ.get("NUMBERS_LEDGER_SAVED_FROM", "20000"))
NUMBERS_LEDGER_SAVE_EVENTS = int(os.environ.get("NUMBERS_LEDGER_SAVE_EVENTS", "2000"))
NUMBERS_LEDGER_SAVED_SECONDS = int(os.environ.get("NUMBERS_LEDGER_SAVED_SECONDS", "604800"))
# The board's numbers pushed to its sockets (funnel.realtime.numbers_push): this many
# seconds after the last of a burst of changes, at most NUMBERS_PUSH_MAX_WAIT after
# its first.
NUMBERS_PUSH = env_bool("NUMBERS_PUSH", True)
NUMBERS_PUSH_SETTLE = float(os.environ.get("NUMBERS_PUSH_SETTLE", "0.6"))
NUMBERS_PUSH_MAX_WAIT = float(os.environ.get("NUMBERS_PUSH_MAX_WAIT", "1.5"))
# How long a thread of a server process holds the GIL before one that waits for it
# takes it (sys.setswitchinterval; config.asgi): short, so requests are not held
# behind a computation of numbers (CPython's default is 0.005).
GIL_SWITCH_INTERVAL = float(os.environ.get("GIL_SWITCH_INTERVAL", "0.0005"))
# While a live view's numbers are computed, a request for a newer seq gets the
# view's latest answer if begun at most this long ago (funnel.numbers.shared).
NUMBERS_STALE_SECONDS = float(os.environ.get("NUMBERS_STALE_SECONDS", "2.0"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py caps a pool at 100 connections by default; a busy board has more.
                # socket_timeout: channels_redis blocks 5 s on BZPOPMIN, exactly redis-py 8's
                # default read timeout; without headroom an idle board's feed errors out.
                "hosts": [{"address": REDIS_URL, "max_connections": 1000, "socket_timeout": 15}],
                "prefix": os.environ.get("CHANNELS_PREFIX", "funnelboard"),
                "capacity": 1000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }

# Every new password (sign-up, an invitation's new account, a reset) is checked by these.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security headers and cookies (README "Production") ---
# Scripts read the CSRF token from the page (<meta name="csrf-token">), never the cookie.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS=1: browsers reach the site over HTTPS only (uvicorn's own TLS, or a proxy that
# terminates it; name that proxy in TRUSTED_PROXIES, whose X-Forwarded-Proto is the
# only one believed: config.middleware.ForwardedProtoMiddleware).
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer's health check may use plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
# Content-Security-Policy (django.middleware.csp): scripts only from our own files, no
# inline script, no eval. Inline styles are allowed: plotly.js writes style attributes
# and adds <style> elements of its own (its modebar, maplibre's CSS) that no hash can
# follow across plotly versions; a style cannot run code. data: for the favicon and
# the API docs' icons, blob: for the board's PNG export.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],  # 'self' covers ws(s):// to the same host (CSP 3)
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Server-Timing (time in the app and in SQL) tells anyone how long queries take: only
# under DEBUG or SERVER_TIMING=1 (the benchmarks read it).
SERVER_TIMING = DEBUG or env_bool("SERVER_TIMING", False)
# --- end security ---

# Failed sign-ins allowed per client address and per username, over /login/,
# /admin/login/, /api/auth/token/ and password reset together (config.throttle).
THROTTLE_LOGIN = os.environ.get("THROTTLE_LOGIN", "10/min")

# Mail (password reset links, invitations): EMAIL_URL names the server, parsed by
# dj-email-url (smtp://user:password@host:25, submission://user:password@host:587
# for STARTTLS, smtp://host:465/?ssl=True, console:). Without it the EMAIL_HOST...
# settings below name one; with neither, mail is printed on the console.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = False
EMAIL_TIMEOUT = 10  # a dead mail server must not hold a request for long
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "funnelboard@localhost")
# Where the site is reached from outside: the links in mail sent without a request
# (the notification digest, ``manage.py send_digests``).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
if EMAIL_URL:
    _mail = dj_email_url.parse(EMAIL_URL)
    if "EMAIL_BACKEND" not in _mail:
        raise ImproperlyConfigured(
            "EMAIL_URL: unknown scheme; use smtp://, submission://, console: (see README)."
        )
    EMAIL_BACKEND = _mail["EMAIL_BACKEND"]
    EMAIL_HOST = _mail["EMAIL_HOST"] or ""
    EMAIL_PORT = _mail["EMAIL_PORT"] or EMAIL_PORT
    EMAIL_HOST_USER = _mail["EMAIL_HOST_USER"] or ""
    EMAIL_HOST_PASSWORD = _mail["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS, EMAIL_USE_SSL = _mail["EMAIL_USE_TLS"], _mail["EMAIL_USE_SSL"]
    EMAIL_TIMEOUT = _mail["EMAIL_TIMEOUT"] or EMAIL_TIMEOUT
    DEFAULT_FROM_EMAIL = _mail.get("DEFAULT_FROM_EMAIL", DEFAULT_FROM_EMAIL)
    SERVER_EMAIL = _mail.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# People come onto a board by invitation (leads.services.people): a link works for
# INVITATION_DAYS days, once. SIGNUP_OPEN=1 also lets anyone make an account at /signup/.
INVITATION_DAYS = float(os.environ.get("INVITATION_DAYS", "7"))
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", False)
REST_FRAMEWORK = {
    # A share link (X-Share-Token) before the session: an explicit link wins over
    # it. The token scheme first: its name is the WWW-Authenticate of a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "funnel.permissions.ShareLinkAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # IsAuthenticated for people; a share link reads its board's meeting view only.
    "DEFAULT_PERMISSION_CLASSES": ["funnel.permissions.MemberOrShareReader"],
    # JSON bodies are checked for text no database stores alike (leads.api.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "leads.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "leads.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "leads.api.pagination.CheckedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Funnelboard API",
    "DESCRIPTION": "One live funnel board for sales and marketing.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "leads.api.schema.add_error_responses",
    ],
}

# Shared by every process when REDIS_URL is set (config.throttle, socket tickets):
# N workers then count one limit, not N.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "funnelboard"),
            "OPTIONS": {"pool_class": "config.cache.SharedConnectionPool"},
        },
        # Saved ledgers of big boards' numbers (funnel.numbers.live): tens of MB each.
        "ledgers": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "funnelboard") + "-ledgers",
            "OPTIONS": {"pool_class": "config.cache.SharedConnectionPool"},
        },
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or
# networks, comma separated). Empty: the socket's peer is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

# What one lead may carry in ``attributes`` (the raw fields from the automation
# system), refused beyond with a 400 naming the limit (leads.validation).
LEAD_ATTRIBUTES_MAX_BYTES = int(os.environ.get("LEAD_ATTRIBUTES_MAX_BYTES", "65536"))
LEAD_ATTRIBUTES_MAX_KEYS = int(os.environ.get("LEAD_ATTRIBUTES_MAX_KEYS", "200"))
LEAD_ATTRIBUTES_MAX_KEY_LENGTH = int(os.environ.get("LEAD_ATTRIBUTES_MAX_KEY_LENGTH", "200"))
LEAD_ATTRIBUTES_MAX_DEPTH = int(os.environ.get("LEAD_ATTRIBUTES_MAX_DEPTH", "5"))
# Any JSON request body: deeper nesting is refused before a view reads it.
JSON_MAX_DEPTH = int(os.environ.get("JSON_MAX_DEPTH", "32"))

# The demo board (leads.access.demo_board): any signed-in user may join it as a viewer
# from the boards page. A board's slug; empty: no demo board. `make run` sets it to the
# board it seeds ("q4-pipeline"); production leaves it unset.
DEMO_BOARD = os.environ.get("DEMO_BOARD", "")

# Webhooks may target loopback, private, link-local and other internal addresses
# (leads.integrations.webhook_delivery). Off by default (SSRF); on for a receiver nearby.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)

# --- Background tasks (django.tasks) and webhook delivery (leads.integrations.webhook_delivery) ---
# Tasks are rows in this database (django-tasks-db), run by `manage.py worker`
# (leads.worker); `make run` and `make serve` start one, `make worker` one more.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Tasks one worker process runs at once (threads, each with its own database
# connection): deliveries to that many slow receivers at once hold up nobody else.
WORKER_THREADS = int(os.environ.get("WORKER_THREADS", "8"))
# How often an idle worker looks for a task (seconds): the most a new task waits.
WORKER_INTERVAL = float(os.environ.get("WORKER_INTERVAL", "0.5"))
# How often a worker enqueues a task for every webhook behind its board (a task lost
# with a worker that died mid-delivery) and prunes finished task rows older than
# TASK_RESULTS_KEPT (seconds).
WORKER_SWEEP_INTERVAL = float(os.environ.get("WORKER_SWEEP_INTERVAL", "60"))
# Seconds between the worker's looks for leads past their SLA (each owner is told at
# most once a day per lead; ``manage.py notify_overdue`` does the same once).
NOTIFY_OVERDUE_INTERVAL = float(os.environ.get("NOTIFY_OVERDUE_INTERVAL", "3600"))
TASK_RESULTS_KEPT = float(os.environ.get("TASK_RESULTS_KEPT", str(24 * 3600)))
# What else a worker process runs, each in a thread of its own until the worker stops:
# a callable taking a threading.Event (set on stop). The numbers worker computes the
# boards' pushed numbers outside the web processes where the channel layer is shared
# (funnel.realtime.numbers_worker).
WORKER_SERVICES = ["funnel.realtime.numbers_worker.serve"]
# One POST, all told (DNS, connect, send, answer): a receiver slower than this is a
# failed attempt, retried with backoff.
WEBHOOK_DELIVERY_TIMEOUT = float(os.environ.get("WEBHOOK_DELIVERY_TIMEOUT", "10"))
# How long one task keeps delivering a webhook's backlog before it hands the rest to a
# new task at the back of the queue (the delivery under way finishes), so a long
# backlog does not keep a worker thread from the other webhooks.
WEBHOOK_TASK_BUDGET = float(os.environ.get("WEBHOOK_TASK_BUDGET", "30"))
# Also send the deprecated X-Funnelboard-Signature header beside the Standard Webhooks
# headers (README "Webhooks": migrating receivers). To be removed.
WEBHOOK_LEGACY_SIGNATURE = env_bool("WEBHOOK_LEGACY_SIGNATURE", True)

# --- Realtime (funnel.realtime: consumer, feed); per socket unless said otherwise ---
WS_MAX_MESSAGE_BYTES = int(os.environ.get("WS_MAX_MESSAGE_BYTES", "4096"))
WS_MAX_FOLLOW_BYTES = int(os.environ.get("WS_MAX_FOLLOW_BYTES", "2048"))  # meeting.follow
# Token bucket on what a client sends: messages a second on average, and at once.
WS_MESSAGE_RATE = float(os.environ.get("WS_MESSAGE_RATE", "20"))
WS_MESSAGE_BURST = float(os.environ.get("WS_MESSAGE_BURST", "60"))
# Texts waiting for one socket before it must resync (close 4408).
WS_SEND_QUEUE_SIZE = int(os.environ.get("WS_SEND_QUEUE_SIZE", "500"))
# Caps (0 = none), refused with 4429. Per user (a member), per share link (all its
# guests together) and per client address (config.clients: behind a proxy, set
# TRUSTED_PROXIES or every client is the proxy): in each process, over all boards.
# Per board: over every process, as their presence announcements tell.
WS_MAX_CONNECTIONS_PER_USER = int(os.environ.get("WS_MAX_CONNECTIONS_PER_USER", "256"))
WS_MAX_CONNECTIONS_PER_SHARE_LINK = int(os.environ.get("WS_MAX_CONNECTIONS_PER_SHARE_LINK", "2000"))
WS_MAX_CONNECTIONS_PER_ADDRESS = int(os.environ.get("WS_MAX_CONNECTIONS_PER_ADDRESS", "512"))
WS_MAX_CONNECTIONS_PER_BOARD = int(os.environ.get("WS_MAX_CONNECTIONS_PER_BOARD", "5000"))
# Seconds a ticket from POST /api/ws-ticket/ opens one socket (funnel.realtime.tickets).
WS_TICKET_TTL = float(os.environ.get("WS_TICKET_TTL", "30"))
# An event that arrives before an earlier seq waits for it this long (seconds), and
# at most this many wait; then they go out in order and clients heal the gap.
WS_REORDER_WAIT = float(os.environ.get("WS_REORDER_WAIT", "0.25"))
WS_REORDER_MAX_HELD = int(os.environ.get("WS_REORDER_MAX_HELD", "256"))
# Presence lease: each process re-announces its users every INTERVAL seconds; one
# silent for TTL seconds (died) loses its users elsewhere.
WS_PRESENCE_INTERVAL = float(os.environ.get("WS_PRESENCE_INTERVAL", "5"))
WS_PRESENCE_TTL = float(os.environ.get("WS_PRESENCE_TTL", "15"))
# A share-link guest's socket re-checks its link this often (revoking closes it at once).
WS_SHARE_RECHECK = float(os.environ.get("WS_SHARE_RECHECK", "30"))
# --- end realtime ---

# --- Server-side snapshots (funnel.numbers.render_limits) ---
# Renders per user and per board (over every process, in the cache): 429 beyond.
SNAPSHOT_RATE_USER = os.environ.get("SNAPSHOT_RATE_USER", "10/min")
SNAPSHOT_RATE_BOARD = os.environ.get("SNAPSHOT_RATE_BOARD", "30/min")
# Per process: renders in flight, renders waiting for a turn (503 at once beyond),
# and how long one waits before it gives up (503).
SNAPSHOT_RENDERS = int(os.environ.get("SNAPSHOT_RENDERS", "1"))
SNAPSHOT_QUEUE = int(os.environ.get("SNAPSHOT_QUEUE", "4"))
SNAPSHOT_QUEUE_WAIT = float(os.environ.get("SNAPSHOT_QUEUE_WAIT", "10"))
# --- end snapshots ---

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
