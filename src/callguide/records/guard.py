"""Database work off the event loop, bounded in time, behind a circuit breaker (issue 12).

Advice never waits on records. Every piece of database work the service does goes through
:meth:`Guard.run`: it runs on the guard's own small thread pool (never the one FastAPI's sync
routes, ``/healthz`` and the pages share), the caller waits at most ``deadline`` seconds, and a
failure becomes :class:`RecordsUnavailable` with a short reason code that carries no personal data.

The breaker: after ``FAILURES_TO_OPEN`` failures in a row, or one timeout (a hung database is
the expensive kind), records are *unavailable* and calls fail at once for a cool-down that
doubles from ``COOLDOWN_SECONDS`` up to ``MAX_COOLDOWN_SECONDS``; after it one call at a time is
let through as a probe, and the first success makes records *ok* again. Nobody restarts anything.

A database that accepts and never answers would keep a worker thread blocked in a socket read
for as long as TCP allows (psycopg has no client-side query timeout, and the server-side
``statement_timeout`` never arrives). On a timeout the guard therefore shuts down the sockets of
the database's connections (:meth:`Database.abort_connections`), so the stuck threads return.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Protocol, TypeVar

log = logging.getLogger("callguide.records")

T = TypeVar("T")

FAILURES_TO_OPEN = 3
COOLDOWN_SECONDS = 1.0
MAX_COOLDOWN_SECONDS = 10.0
THREADS = 8


class RecordsUnavailable(Exception):
    """Records cannot be read or written just now; ``reason`` is a short code (no personal data)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Abortable(Protocol):
    def abort_connections(self) -> int: ...


@dataclass(frozen=True)
class Status:
    status: str             # ok | unavailable
    since: datetime
    reason: str | None      # why unavailable (a code), None when ok
    failed_since: int       # records not saved since it became unavailable

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "since": self.since.isoformat(timespec="seconds"),
                "reason": self.reason, "not_saved": self.failed_since}


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Guard:
    """Runs database calls for one :class:`~callguide.records.db.Database`."""

    def __init__(self, db: Abortable, deadline: float, *, cooldown: float = COOLDOWN_SECONDS,
                 max_cooldown: float = MAX_COOLDOWN_SECONDS, threads: int = THREADS):
        self.db, self.deadline = db, deadline
        self.base_cooldown, self.max_cooldown = cooldown, max_cooldown
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="callguide-records")
        self._lock = threading.Lock()
        self._ready = False               # migrations applied; until then every call fails at once
        self._failures = 0
        self._open_until = 0.0            # monotonic; 0 when closed
        self._cooldown = cooldown
        self._probing = False
        self._state = Status("unavailable", _now(), "database-not-ready", 0)
        self._opened_at = time.monotonic()

    # -- state ------------------------------------------------------------------------------
    def status(self) -> Status:
        with self._lock:
            return self._state

    def mark_ready(self, quiet: bool = False) -> None:
        """Migrations are applied: records can be kept from now on (``quiet``: at a normal start)."""
        with self._lock:
            self._ready = True
        self._succeeded(quiet)

    def count_not_saved(self) -> None:
        with self._lock:
            if self._state.status != "ok":
                self._state = Status(self._state.status, self._state.since, self._state.reason,
                                     self._state.failed_since + 1)

    def _admit(self) -> bool:
        """Whether this call may go to the database; True means it is the half-open probe."""
        with self._lock:
            if not self._ready:
                raise RecordsUnavailable(self._state.reason or "database-not-ready")
            if self._open_until == 0.0:
                return False
            if time.monotonic() < self._open_until or self._probing:
                raise RecordsUnavailable(self._state.reason or "database-unavailable")
            self._probing = True
            return True

    def _succeeded(self, quiet: bool = False) -> None:
        with self._lock:
            self._failures, self._probing, self._cooldown = 0, False, self.base_cooldown
            if not self._ready or self._state.status == "ok":
                return
            self._open_until = 0.0
            was, took = self._state, time.monotonic() - self._opened_at
            self._state = Status("ok", _now(), None, 0)
        if quiet:
            return
        log.warning("records available again after %.1f s (%d not saved meanwhile)", took, was.failed_since)

    def _failed(self, reason: str, probe: bool, error: BaseException | None) -> None:
        with self._lock:
            self._failures += 1
            self._probing = False
            if not (probe or reason == "database-timeout" or self._failures >= FAILURES_TO_OPEN):
                return
            if probe:  # still down: wait longer before the next probe
                self._cooldown = min(self._cooldown * 2, self.max_cooldown)
            self._open_until = time.monotonic() + self._cooldown
            opened = self._state.status == "ok"
            if opened:
                self._state = Status("unavailable", _now(), reason, 0)
                self._opened_at = time.monotonic()
        if opened:  # one line per outage, not one per request
            log.error("records unavailable (%s%s); advice continues, records are not kept until the "
                      "database answers", reason, f": {type(error).__name__}" if error else "")

    # -- running ----------------------------------------------------------------------------
    async def run(self, fn: Callable[..., T], *args: Any, deadline: float | None = None) -> T:
        """``fn(*args)`` on the guard's threads, within ``deadline`` seconds, or RecordsUnavailable."""
        probe = self._admit()
        future = self._pool.submit(fn, *args)
        limit = deadline or self.deadline
        try:
            result = await asyncio.wait_for(asyncio.wrap_future(future), limit)
        except asyncio.TimeoutError:
            self._failed("database-timeout", probe, None)
            aborted = self.db.abort_connections()
            log.warning("records: a database call took over %.1f s; %d connections closed", limit, aborted)
            raise RecordsUnavailable("database-timeout") from None
        except RecordsUnavailable:
            self._failed("database-unavailable", probe, None)
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of the database is a records failure
            self._failed("database-unavailable", probe, exc)
            raise RecordsUnavailable("database-unavailable") from exc
        self._succeeded()
        return result

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
