"""The one settings module: every knob comes from the environment (see .env.example)."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.csp import CSP  # type: ignore[attr-defined]
from django.utils.translation import gettext_lazy as _

from closeloop import env

BASE_DIR = env.BASE_DIR
PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env.get_str("CLOSELOOP_VAR_DIR", str(BASE_DIR / "var")))
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

DEBUG = env.get_bool("DEBUG", False)
BASE_URL = env.get_url("BASE_URL", "http://localhost:8000")


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under var/."""
    configured = env.get_str("SECRET_KEY", "")
    if configured:
        if len(configured) < 32:
            raise env.ConfigError("SECRET_KEY", "must be at least 32 characters long")
        return configured
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()

_base_host = urlsplit(BASE_URL).hostname or "localhost"
ALLOWED_HOSTS = env.get_list(
    "ALLOWED_HOSTS", sorted({"localhost", "127.0.0.1", "[::1]", _base_host})
)
CSRF_TRUSTED_ORIGINS = [BASE_URL]
if BASE_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "ninja",
    "closeloop.core",
    "closeloop.accounts",
    "closeloop.integrations",
    "closeloop.contacts",
    "closeloop.surveys",
    "closeloop.responses",
    "closeloop.distribution",
    "closeloop.cases",
    "closeloop.automation",
    "closeloop.advocacy",
    "closeloop.analytics",
    "closeloop.text",
    "closeloop.initiatives",
    "closeloop.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "closeloop.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "closeloop.urls"
WSGI_APPLICATION = "closeloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "closeloop.accounts.context_processors.shell",
            ],
        },
    }
]

DATABASES = {
    "default": env.get_database(
        "DATABASE_URL",
        f"sqlite:///{VAR_DIR / 'closeloop.sqlite3'}",
        test_sqlite_path=VAR_DIR / "test.sqlite3",
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["closeloop.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
INVITATION_TTL_DAYS = env.get_int("INVITATION_TTL_DAYS", 7, minimum=1)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean")), ("th", _("Thai"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.get_timezone("TIME_ZONE", "UTC")

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Files the app writes (response exports) go to the default storage: this folder, unless the
# operator configures another backend in STORAGES (e.g. S3). They are served only through views
# that check permissions, never from a public URL.
MEDIA_ROOT = VAR_DIR / "media"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

_email = env.get_email("EMAIL_URL", "mailbox://")
_email_options: dict[str, object] = {}
if _email.host:
    _email_options = {
        "host": _email.host,
        "port": _email.port,
        "username": _email.user,
        "password": _email.password,
        "use_tls": _email.use_tls,
        "use_ssl": _email.use_ssl,
        "timeout": 20,
    }
MAILERS = {"default": {"BACKEND": _email.backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL", "closeloop <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_RATE_PER_MINUTE = env.get_int("EMAIL_RATE_PER_MINUTE", 120, minimum=1)  # per organization

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# A running task whose worker has not been heard of for this long is handed to another worker.
WORKER_STALE_SECONDS = env.get_int("WORKER_STALE_SECONDS", 120, minimum=5)
WORKER_HEARTBEAT_SECONDS = max(1, WORKER_STALE_SECONDS // 4)

# Outbound HTTP (webhooks, Slack, Teams) refuses private and loopback addresses unless allowed.
OUTBOUND_ALLOW_PRIVATE = env.get_bool("OUTBOUND_ALLOW_PRIVATE", False)
# Log every rule that did not match an event (the run log shows why); off saves a row per rule.
AUTOMATION_LOG_UNMATCHED = env.get_bool("AUTOMATION_LOG_UNMATCHED", True)
# A webhook endpoint whose every attempt failed for this many days is disabled (admins emailed).
WEBHOOK_DISABLE_AFTER_DAYS = env.get_int("WEBHOOK_DISABLE_AFTER_DAYS", 3, minimum=1)
# Theme summaries by an OpenAI-compatible endpoint (POST <url>/chat/completions); off when unset,
# and the theme pages show extractive summaries (the most representative comments) instead.
TEXT_SUMMARY_URL = env.get_optional_url("TEXT_SUMMARY_URL")
TEXT_SUMMARY_MODEL = env.get_str("TEXT_SUMMARY_MODEL", "")
TEXT_SUMMARY_API_KEY = env.get_str("TEXT_SUMMARY_API_KEY", "")
if TEXT_SUMMARY_URL and not TEXT_SUMMARY_MODEL:
    raise env.ConfigError("TEXT_SUMMARY_MODEL", "required when TEXT_SUMMARY_URL is set")

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.get_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Rate limits of the public survey pages and the widget live in this cache: per process with
# locmem://, shared by every web process with redis://.
CACHES = {"default": env.get_cache("CACHE_URL", "locmem://")}
# Public survey page POSTs allowed per minute from one IP address, and to one survey overall.
SURVEY_RATE_LIMIT_PER_IP = env.get_int("SURVEY_RATE_LIMIT_PER_IP", 60, minimum=1)
SURVEY_RATE_LIMIT_PER_SURVEY = env.get_int("SURVEY_RATE_LIMIT_PER_SURVEY", 3000, minimum=1)

# API pagination: default and maximum page sizes.
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 200
