"""Fangyi settings: one file, configured through environment variables.

Defaults are safe for a laptop demo (SQLite in a git-ignored data folder); production sets
FANGYI_DEBUG=0 and provides FANGYI_SECRET_KEY and FANGYI_ENCRYPTION_KEY from the environment.
"""

import os
import secrets
from base64 import b64encode
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envstr(name: str, default: str = "") -> str:
    return os.getenv(name, default)


DEBUG = envbool("FANGYI_DEBUG", "0")
DATA_DIR = Path(envstr("FANGYI_DATA_DIR", str(REPO_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret(name: str, make) -> str:
    """A secret from the environment; in debug only, generated once into the data folder.

    Production must pass secrets through the environment: a generated key would differ per
    server and silently make encrypted data unreadable elsewhere.
    """
    if value := os.getenv(name):
        return value
    if not DEBUG:
        raise ImproperlyConfigured(f"{name} must be set when FANGYI_DEBUG is off.")
    path = DATA_DIR / "local-secrets.env"
    stored = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, val = line.partition("=")
            stored[key] = val
    if name not in stored:
        stored[name] = make()
        path.write_text("".join(f"{k}={v}\n" for k, v in stored.items()))
        path.chmod(0o600)
    return stored[name]


SECRET_KEY = _local_secret("FANGYI_SECRET_KEY", lambda: secrets.token_urlsafe(50))
ENCRYPTION_KEY = _local_secret(
    "FANGYI_ENCRYPTION_KEY", lambda: b64encode(secrets.token_bytes(32)).decode()
)

ALLOWED_HOSTS = [h for h in envstr("FANGYI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in envstr("FANGYI_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "fangyi.core",
    "fangyi.ledger",
    "fangyi.checkpoints",
    "fangyi.quarantine",
    "fangyi.tracing",
    "fangyi.roster",
    "fangyi.supplies",
    "fangyi.volunteers",
    "fangyi.enterprises",
    "fangyi.command",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "fangyi.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fangyi.urls"
WSGI_APPLICATION = "fangyi.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]


def database_from_url(url: str) -> dict:
    """Parse DATABASE_URL: sqlite:///relative/or//absolute/path or postgres://u:p@host:port/db."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        name = parts.path[1:] if parts.path.startswith("/") else parts.path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file (not :memory:) so tests can inspect the raw bytes; one per process so two
            # test runs in one checkout do not clobber each other.
            "TEST": {"NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")},
        }
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": envint("FANGYI_DB_CONN_MAX_AGE", "60"),
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported.")


DATABASES = {
    "default": database_from_url(envstr("DATABASE_URL", f"sqlite:///{DATA_DIR}/fangyi.sqlite3"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "fangyi.core.auth_backends.CachedPermissionsBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout: 5 failed logins for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = envint("FANGYI_LOGIN_FAILURE_LIMIT", "5")
# Seconds the demo's roster solve may take (0: the demo's own choice by scale).
DEMO_SOLVE_SECONDS = envint("FANGYI_DEMO_SOLVE_SECONDS", "0")
AXES_COOLOFF_TIME = envint("FANGYI_LOGIN_COOLOFF_MINUTES", "15") / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "fangyi.core.audit.client_ip"
# Behind nginx every request comes from 127.0.0.1: name the header the proxy sets with the real
# address (e.g. HTTP_X_REAL_IP) so the audit log and the login lockout see the user's address.
# Only set it when the app cannot be reached except through that proxy.
CLIENT_IP_HEADER = envstr("FANGYI_CLIENT_IP_HEADER")
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# A checkpoint shift is up to 12 hours; a session outlives one shift, not two.
SESSION_COOKIE_AGE = envint("FANGYI_SESSION_HOURS", "12") * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = envbool("FANGYI_SSL_REDIRECT", "0" if DEBUG else "1")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else envint("FANGYI_HSTS_SECONDS", "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # HSTS preload is a per-domain decision.

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = envstr("FANGYI_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"

PAGE_SIZE = 25
# Uploaded spreadsheets larger than this are refused before parsing (fangyi.core.tabular).
IMPORT_MAX_BYTES = envint("FANGYI_IMPORT_MAX_MB", "50") * 1024 * 1024
# Uploaded files are kept here (push lists are re-read by the background import and kept for audit).
UPLOAD_DIR = DATA_DIR / "uploads"
# A push list must be verified within this many hours of being received unless the upload says otherwise.
PUSH_LIST_DEADLINE_HOURS = envint("FANGYI_PUSH_LIST_DEADLINE_HOURS", "24")

# An import whose progress has not moved for this long is taken as stopped (its worker died or
# restarted); the page then offers to queue it again (safe: an import writes all or nothing).
IMPORT_STALLED_MINUTES = envint("FANGYI_IMPORT_STALLED_MINUTES", "10")

# A traveller's self-registration code (shown to staff at the checkpoint) is usable this long.
SELF_REGISTRATION_VALID = timedelta(hours=envint("FANGYI_SELF_REGISTRATION_HOURS", "24"))
# The public self-registration form accepts this many submissions per address per hour (a
# family at one phone registers several people; a script flooding the form is stopped).
SELF_REGISTRATION_PER_HOUR = envint("FANGYI_SELF_REGISTRATION_PER_HOUR", "30")
# The quarantine self-report page (each order's link) accepts this many requests per address per
# hour: a family reports twice a day; guessing links is throttled on top of being hopeless.
SELF_REPORT_PER_HOUR = envint("FANGYI_SELF_REPORT_PER_HOUR", "60")
# Requests per address and hour to the public supplies pages (thank-you list, where it went).
SUPPLIES_PUBLIC_PER_HOUR = envint("FANGYI_SUPPLIES_PUBLIC_PER_HOUR", "120")

# The morning briefing of every town and county is generated by `fangyi command-sweep` at this
# local time (HH:MM), for the day before, after a full refresh of the figures.
BRIEFING_TIME = envstr("FANGYI_BRIEFING_TIME", "07:00")

# Long work (imports, exports) runs as tasks stored in the database; `fangyi db_worker` runs them
# (scripts/demo starts one). The worker is a separate process: closing the browser stops nothing.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("FANGYI_LOG_LEVEL", "WARNING")},
}
