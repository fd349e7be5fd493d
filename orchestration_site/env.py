"""Small readers for configuration from the environment.

Each reader fails loudly with `ImproperlyConfigured` naming the variable, so a bad value
stops start-up instead of surfacing later as a confusing error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off); got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


_SIZE = re.compile(r"^\d+(\.\d+)?\s*([KMGT]i?)?B$", re.IGNORECASE)


def env_size(name: str, default: str) -> str:
    """A size in DuckDB's syntax: a number and a unit, e.g. `512MB`, `10GB`, `2GiB`."""
    raw = os.environ.get(name, default).strip()
    if not _SIZE.match(raw):
        raise ImproperlyConfigured(
            f"{name} must be a size with a unit such as 512MB, 10GB or 2GiB; got {raw!r}."
        )
    return raw


def env_url(name: str, default: str) -> str:
    raw = os.environ.get(name, default)
    parsed = urlparse(raw)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ImproperlyConfigured(
            f"{name} must be an http(s) URL such as http://localhost:8000; got {raw!r}."
        )
    return raw.rstrip("/")


def database_from_url(name: str, default: str, *, base_dir: Path) -> dict[str, Any]:
    """Turn `sqlite:///relative/or/absolute.sqlite3` or `postgres://user:pass@host:port/db` into a DATABASES entry."""
    raw = os.environ.get(name, default)
    parsed = urlparse(raw)
    if parsed.scheme == "sqlite":
        # sqlite:///var/db.sqlite3 is relative to the project; sqlite:////tmp/db.sqlite3 is absolute.
        path = unquote(raw.split("://", 1)[1][1:].split("?", 1)[0])
        if not path:
            raise ImproperlyConfigured(
                f"{name} needs a file path, e.g. sqlite:///var/db.sqlite3; got {raw!r}."
            )
        file = Path(path) if Path(path).is_absolute() else base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(file),
            # Workers and the web server write concurrently: wait for locks instead of failing.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": str(file.with_name(f"test_{file.name}"))},
        }
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        database = unquote(parsed.path.lstrip("/"))
        if not database:
            raise ImproperlyConfigured(
                f"{name} must name a database, e.g. postgres://user@host:5432/plans; got {raw!r}."
            )
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": database,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(f"{name} must start with sqlite:/// or postgres://; got {raw!r}.")
