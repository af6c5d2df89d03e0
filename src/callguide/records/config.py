"""Configuration of decision records, from environment variables with embedded defaults.

``callguide serve`` runs with no configuration at all: records go to a SQLite file under
``./var/``. A whole area shares one PostgreSQL database by setting a URL.

- ``CALLGUIDE_DATABASE_URL``: an SQLAlchemy URL (``sqlite:///path.db``,
  ``postgresql+psycopg://user@host/db``; ``postgresql://`` is taken to mean psycopg 3).
  Default: ``sqlite:///var/callguide.db`` relative to the working directory.
- ``CALLGUIDE_RECORD_BY_DEFAULT``: ``true`` records every decision made with a staff key,
  unless the request says ``record=false``. Default: false (record only when asked).
- ``CALLGUIDE_RETENTION_DAYS``: records older than this are purged (at start-up, by
  ``callguide records purge``, and at most hourly while recording). ``0`` keeps them for
  ever. Default: 1095 (three years: enough for year-on-year monitoring). At most 36500.
- ``CALLGUIDE_DATABASE_TIMEOUT_SECONDS``: how long connecting to the database, or one statement,
  may take before records are given up for that request (the advice never waits). Default: 2.
- ``CALLGUIDE_REPORT_MIN_RECORDS``: the monitoring report suppresses any figure built from fewer
  records than this (statistical disclosure control), so no filter can single out a child.
  Default: 5.

A bad value stops ``callguide`` with one line naming the variable (:class:`SettingsError`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/callguide.db"
DEFAULT_RETENTION_DAYS = 1095
MAX_RETENTION_DAYS = 36_500  # a century: beyond it the cut-off date is before the calendar starts
DEFAULT_DATABASE_TIMEOUT = 2.0
DEFAULT_REPORT_MIN_RECORDS = 5

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A configuration variable has a value callguide cannot use; the message names it."""


def _shown(raw: str) -> str:
    """The value as the message quotes it: short, and printable."""
    return repr(raw[:40] + ("..." if len(raw) > 40 else ""))


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, not {_shown(raw)}")


def _number(name: str, default: float, low: float, high: float, kind: type = int, what: str = "") -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise SettingsError(f"{name} must be {what or f'a number from {low:g} to {high:g}'}, not {_shown(raw)}")
    return value


def database_url(url: str) -> str:
    """``url`` normalised, or SettingsError (without echoing it: a URL may hold a password)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = normalise_url(url.strip())
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    if parsed is None or parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise SettingsError("CALLGUIDE_DATABASE_URL must be a database URL such as sqlite:///var/callguide.db "
                            "or postgresql://user@host/db")
    return url


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (SQLAlchemy's default is psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    record_by_default: bool = False
    retention_days: int = DEFAULT_RETENTION_DAYS
    database_timeout: float = DEFAULT_DATABASE_TIMEOUT
    report_min_records: int = DEFAULT_REPORT_MIN_RECORDS

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            database_url=database_url(os.environ.get("CALLGUIDE_DATABASE_URL") or DEFAULT_DATABASE_URL),
            record_by_default=_flag("CALLGUIDE_RECORD_BY_DEFAULT", False),
            retention_days=int(_number("CALLGUIDE_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, 0, MAX_RETENTION_DAYS,
                                       what=f"0 (keep) or a number of days up to {MAX_RETENTION_DAYS}")),
            database_timeout=float(_number("CALLGUIDE_DATABASE_TIMEOUT_SECONDS", DEFAULT_DATABASE_TIMEOUT,
                                           0.1, 60, kind=float, what="a number of seconds from 0.1 to 60")),
            report_min_records=int(_number("CALLGUIDE_REPORT_MIN_RECORDS", DEFAULT_REPORT_MIN_RECORDS, 1, 1000)),
        )

    def sqlite_path(self) -> Path | None:
        """The database file when the URL is a SQLite file, else None."""
        if not self.database_url.startswith("sqlite"):
            return None
        _, _, path = self.database_url.partition(":///")
        path = path.split("?", 1)[0]
        return Path(path) if path and path != ":memory:" else None
