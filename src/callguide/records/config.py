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
  ever. Default: 1095 (three years: enough for year-on-year monitoring).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/callguide.db"
DEFAULT_RETENTION_DAYS = 1095

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


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

    @classmethod
    def from_env(cls) -> "Settings":
        days = os.environ.get("CALLGUIDE_RETENTION_DAYS", "").strip()
        try:
            retention = int(days) if days else DEFAULT_RETENTION_DAYS
        except ValueError:
            retention = -1
        if retention < 0:
            raise ValueError(f"CALLGUIDE_RETENTION_DAYS must be 0 (keep) or a number of days, not {days!r}")
        return cls(
            database_url=normalise_url(os.environ.get("CALLGUIDE_DATABASE_URL") or DEFAULT_DATABASE_URL),
            record_by_default=_flag("CALLGUIDE_RECORD_BY_DEFAULT", False),
            retention_days=retention,
        )

    def sqlite_path(self) -> Path | None:
        """The database file when the URL is a SQLite file, else None."""
        if not self.database_url.startswith("sqlite"):
            return None
        _, _, path = self.database_url.partition(":///")
        path = path.split("?", 1)[0]
        return Path(path) if path and path != ":memory:" else None
