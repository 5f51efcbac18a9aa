"""Aidbridge settings: one module, driven by environment variables.

- ``AIDBRIDGE_DATABASE_URL``: SQLite at ``./var/aidbridge.sqlite3`` by default; ``postgresql://…`` in production.
- ``AIDBRIDGE_SECRET_KEY``: generated once and kept in ``./var/secret_key`` for the embedded default.
- ``AIDBRIDGE_DEBUG``: off by default.
- ``AIDBRIDGE_ALLOWED_HOSTS``: comma-separated, defaults to localhost names.
- ``AIDBRIDGE_VAR_DIR``: where the embedded database, secret key and uploads live (default ``./var``).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("AIDBRIDGE_VAR_DIR", "var")).resolve()


def _secret_key() -> str:
    key = os.environ.get("AIDBRIDGE_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Exclusive create: two processes starting at once must agree on one key.
    try:
        with open(path, "x") as f:
            f.write(key)
        path.chmod(0o600)
    except FileExistsError:
        key = path.read_text().strip()
    return key


SECRET_KEY = _secret_key()
DEBUG = envbool("AIDBRIDGE_DEBUG")
ALLOWED_HOSTS = os.environ.get("AIDBRIDGE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ninja",
    "aidbridge.core",  # before django_tasks_db: its ``db_worker`` command wraps theirs (worker start hooks)
    "django_tasks",
    "django_tasks_db",
    "aidbridge.audit",
    "aidbridge.accounts",
    "aidbridge.catalogue",
    "aidbridge.locations",
    "aidbridge.requirements",
    "aidbridge.pledges",
    "aidbridge.allocation",
    "aidbridge.logistics",
    "aidbridge.training",
    "aidbridge.whatif",
    "aidbridge.interop",
    "aidbridge.dashboard",
    "aidbridge.transparency",
    "aidbridge.seed",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "aidbridge.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "aidbridge.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "aidbridge.core.middleware.MethodNotAllowedPageMiddleware",
    "aidbridge.core.middleware.BusyDatabaseMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "aidbridge.accounts.backends.ThrottledLoginBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock a username at one address out for 15 minutes after 5 failed logins.
AXES_FAILURE_LIMIT = envint("AIDBRIDGE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=envint("AIDBRIDGE_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "aidbridge.accounts.backends.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "Aidbridge"

# Everything is served from this server; no inline script anywhere (our JS lives in static files).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "aidbridge.urls"
WSGI_APPLICATION = "aidbridge.wsgi.application"

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
                "aidbridge.accounts.context_processors.membership",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("AIDBRIDGE_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'aidbridge.sqlite3'}",
        conn_max_age=envint("AIDBRIDGE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so a losing writer waits (then fails
    # cleanly) instead of dead-locking on a lock upgrade; WAL lets readers proceed meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("AIDBRIDGE_SQLITE_TIMEOUT", 10),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("TEST", {"NAME": None})
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # No JIT compilation: it pays off for long analytic queries, not for a page's short ones. At 100,000
        # pledges the planner's estimates cross jit_above_cost on a list page with a deep offset, and
        # compiling the query took 355 of its 376 ms (EXPLAIN ANALYZE); with JIT off the query takes 20 ms.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-gb"
# English, Ukrainian (the recipient's staff) and Indonesian (our seed article). The catalogues live in
# aidbridge/locale/; the language follows the user's setting, else the browser's (LocaleMiddleware).
LANGUAGES = [("en-gb", "English"), ("uk", "Українська"), ("id", "Bahasa Indonesia")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
# Numbers follow the locale through ``intcomma``, the ``money`` filter and the table cells ("1,234.5" in English,
# "1 234,5" in Ukrainian, "1.234,5" in Indonesian). USE_THOUSAND_SEPARATOR stays off on purpose: it would also
# group every bare integer a template prints, ids in addresses included ("/pledges/1,234/").
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The project-wide assets (aidbridge/static/aidbridge/…) live outside any app directory.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads live outside the web root and are only ever served through a permission-checking view.
MEDIA_ROOT = VAR_DIR / "uploads"
MAX_UPLOAD_BYTES = envint("AIDBRIDGE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The whole request body, refused by waitress before Django reads it (``aidbridge serve``): one upload plus its form.
MAX_REQUEST_BODY_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024
# An XML file read for import (IATI), whichever door it came in by; read in bounded memory (aidbridge.interop.safexml).
MAX_XML_BYTES = envint("AIDBRIDGE_MAX_XML_BYTES", 10 * MAX_UPLOAD_BYTES)

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
# Secure cookies unless debugging. Browsers accept them from http://127.0.0.1 and http://localhost (trusted
# origins), so the demo works; a plain-HTTP deployment on a LAN must set AIDBRIDGE_SECURE_COOKIES=0 knowingly.
SESSION_COOKIE_SECURE = envbool("AIDBRIDGE_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
    }
}

# Minutes between periodic transparency-log checkpoints (0 turns them off; approvals still sign one).
LOG_CHECKPOINT_MINUTES = int(os.environ.get("AIDBRIDGE_CHECKPOINT_MINUTES", "15"))

# Totals across currencies are shown in this currency, converted at dated exchange rates (catalogue.money).
REPORTING_CURRENCY = os.environ.get("AIDBRIDGE_REPORTING_CURRENCY", "EUR").strip().upper() or "EUR"

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

# One cache for all the web server's worker processes (``aidbridge serve --workers N``): files under the var
# directory, so there is no service to run. An aggregate one process computes serves the others; the keys carry
# the data version (aidbridge.audit.cache), so a write makes every cached value unreachable at once. The test
# suite keeps a cache in memory, per process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": envint("AIDBRIDGE_CACHE_ENTRIES", 5000)},
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("AIDBRIDGE_LOG_LEVEL", "WARNING")},
}

if os.environ.get("AIDBRIDGE_TESTING"):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
