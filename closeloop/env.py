"""Every setting comes from the environment; a bad value stops start-up naming the variable."""

from __future__ import annotations

import os
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting from the environment is missing or malformed."""

    def __init__(self, variable: str, message: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {message}")


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def get_str(name: str, default: str) -> str:
    return _raw(name) or default


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def get_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ConfigError(name, f"expected true or false, got {value!r}")


def get_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(name, f"must be at least {minimum}, got {number}")
    return number


def get_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def get_timezone(name: str, default: str) -> str:
    value = get_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            name, f"unknown time zone {value!r} (use a name like Asia/Seoul)"
        ) from None
    return value


def get_url(name: str, default: str) -> str:
    value = get_str(name, default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(
            name, f"expected an http(s) URL such as https://cx.example.com, got {value!r}"
        )
    return value


def get_optional_url(name: str) -> str:
    """An http(s) URL, or "" when the variable is unset (the feature it configures is off)."""
    if _raw(name) is None:
        return ""
    return get_url(name, "")


def get_database(name: str, default: str, *, test_sqlite_path: Path) -> dict[str, Any]:
    """Parse DATABASE_URL into Django's DATABASES entry (SQLite or PostgreSQL only)."""
    import dj_database_url

    value = get_str(name, default)
    scheme = urlsplit(value).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ConfigError(
            name, f"unsupported database {scheme or value!r}: use sqlite:///path or postgres://..."
        )
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(value, conn_max_age=60))
    except (ValueError, KeyError) as exc:
        raise ConfigError(name, f"cannot parse {value!r}: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if not config.get("NAME"):
            raise ConfigError(
                name, "a SQLite URL needs a file path, e.g. sqlite:///var/closeloop.db"
            )
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        config["CONN_MAX_AGE"] = 0
        # A file, not memory, so workers started by tests in other processes see the same data.
        config["TEST"] = {"NAME": str(test_sqlite_path)}
    elif not config.get("NAME"):
        raise ConfigError(
            name, "a PostgreSQL URL needs a database name, e.g. postgres://host/closeloop"
        )
    return config


@dataclass(frozen=True)
class EmailConfig:
    """The email backend and its connection, parsed from EMAIL_URL."""

    backend: str
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False


_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "mailbox": "closeloop.integrations.mailbox.MailboxBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def get_email(name: str, default: str) -> EmailConfig:
    value = get_str(name, default)
    parts = urlsplit(value)
    backend = _EMAIL_BACKENDS.get(parts.scheme)
    if backend is None:
        choices = ", ".join(sorted(_EMAIL_BACKENDS))
        raise ConfigError(name, f"unknown scheme {parts.scheme!r}; use one of {choices}")
    if not backend.endswith("smtp.EmailBackend"):
        return EmailConfig(backend=backend)
    if not parts.hostname:
        raise ConfigError(
            name, "an SMTP URL needs a host, e.g. smtp://user:pass@mail.example.com:587"
        )
    try:
        port = parts.port or (
            465 if parts.scheme == "smtps" else 587 if parts.scheme == "smtp+tls" else 25
        )
    except ValueError:
        raise ConfigError(name, "the port must be a number") from None
    query = parse_qs(parts.query)
    return EmailConfig(
        backend=backend,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=parts.scheme == "smtp+tls" or query.get("tls") == ["true"],
        use_ssl=parts.scheme == "smtps",
    )


def get_cache(name: str, default: str) -> dict[str, Any]:
    """Parse CACHE_URL: locmem:// (one process), redis://host:port/db (shared by every process)."""
    value = get_str(name, default)
    scheme = urlsplit(value).scheme
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if scheme in {"redis", "rediss"}:
        if not urlsplit(value).hostname:
            raise ConfigError(name, "a Redis URL needs a host, e.g. redis://127.0.0.1:6379/0")
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": value}
    raise ConfigError(name, f"unsupported cache {value!r}: use locmem:// or redis://host:6379/0")
