"""The records service object: settings, database, keys and the hook that records decisions.

Advice first, always (issue 12). Deciding never waits on records: the request's recording wishes
are read from its query and headers without touching the database (:meth:`Records.recording`),
the decision is made, and only then is the record written, through the guard (bounded time, off
the event loop, behind a circuit breaker). Whatever goes wrong with recording (no key, an
unknown or revoked key, a role that may not record, a reference that is not a code, a database
that is down, hung or not migrated yet) the response is still 200 with the whole decision and
says ``Callguide-Record-Status: failed`` with a short ``Callguide-Record-Reason``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from fastapi import FastAPI, Header, Query, Request, Response
from pydantic import BaseModel

from .auth import FailedLogins, KeyStore, presented_key
from .batch import Batcher
from .config import Settings
from .db import Database
from .guard import Guard, RecordsUnavailable
from .store import REF_PATTERN, RecordStore, References

if TYPE_CHECKING:
    from ..callcheck import CallCheck
    from ..decision import Decision

log = logging.getLogger("callguide.records")

RECORD_HELP = ("Keep a record of this answer for monitoring (needs a staff key). Without it, the "
               "service's default applies (CALLGUIDE_RECORD_BY_DEFAULT; off unless configured). "
               "Recording never withholds the answer: if it cannot happen, the answer comes with "
               "Callguide-Record-Status: failed and a Callguide-Record-Reason.")
REF_HELP = (f" A short code without spaces (no names; {REF_PATTERN}); with one that is not, the answer is "
            "given and not recorded.")

# Callguide-Record-Reason: short codes, never personal data (README lists what each means):
# key-missing, key-invalid, role-not-allowed, bad-reference, bad-record-flag, too-many-failed-keys,
# database-unavailable, database-timeout, database-not-ready.
_REF = re.compile(REF_PATTERN)
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
START_RETRY_SECONDS = (1, 2, 5, 10, 30)  # between attempts to reach the database after start-up


@dataclass(frozen=True)
class Intent:
    """What a request asked for about recording, read without touching the database."""

    kind: str
    key: str | None
    explicit: bool            # record=true was sent (else recording by default for staff keys)
    refs: References | None
    problem: str | None       # a reason code when it cannot be recorded whatever the database says
    client: str


class Records:
    """Everything issues 6 and 12 add, for one app: settings, the database, keys and the record store."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self.db = Database(self.settings)
        self.logins = FailedLogins()
        self.keys = KeyStore(self.db, self.logins)
        self.store = RecordStore(self.db, self.settings.retention_days)
        self.guard = Guard(self.db, deadline=self.settings.database_timeout + 1)
        self.batcher = Batcher(self)
        self._retry: asyncio.Task | None = None
        self._starting: asyncio.Future | None = None
        self._tasks: set[asyncio.Task] = set()

    # -- start-up -----------------------------------------------------------------------------
    def start(self) -> None:
        """Apply migrations and purge records past the retention period."""
        self.db.ready()
        self.store.purge()

    async def bring_up(self) -> bool:
        """Reach the database: migrate and purge; on failure say what is wrong in one log line and
        keep trying in the background, so the service gives advice meanwhile and keeps records
        from the moment the database answers."""
        if await self._try_start(first=True):
            return True
        self._retry = asyncio.create_task(self._keep_trying())
        return False

    async def _try_start(self, first: bool = False) -> bool:
        """One attempt to migrate and purge, waited for a few seconds at most (start-up is not held
        up by a hung database); an attempt still running is waited for again, never doubled."""
        if self._starting is None or self._starting.done():
            self._starting = asyncio.get_running_loop().run_in_executor(None, self.start)
        try:
            await asyncio.wait_for(asyncio.shield(self._starting), self.settings.database_timeout * 3 + 2)
        except Exception as exc:  # noqa: BLE001 - the service runs without its database
            if first:
                log.error("records database unavailable at start-up (%s, %s): advice is given, records are "
                          "not kept until it answers; retrying", self.db.describe(), _error_name(exc))
            return False
        self.guard.mark_ready(quiet=first)
        return True

    async def _keep_trying(self) -> None:
        attempt = 0
        while not await self._try_start():
            await asyncio.sleep(START_RETRY_SECONDS[min(attempt, len(START_RETRY_SECONDS) - 1)])
            attempt += 1

    @asynccontextmanager
    async def lifespan(self, app: FastAPI, inner: Any):
        await self.bring_up()
        try:
            async with inner(app) as state:
                yield state
        finally:
            if self._retry is not None:
                self._retry.cancel()
            self.guard.close()
            self.db.dispose()

    # -- reading what a request asked for ---------------------------------------------------------
    def recording(self, kind: str) -> Callable[..., "Recording | None"]:
        """A FastAPI dependency: whether this request asked to be recorded. Never refuses the request
        and never touches the database (async: no thread hop on the open endpoint)."""

        async def dependency(
            request: Request,
            # No pattern or enum in the schema: these are never a reason to refuse the request
            record: str | None = Query(None, description=RECORD_HELP + " Values: true or false."),
            placement_ref: str | None = Header(None, alias="Callguide-Placement-Ref",
                                               description="Pseudonymous placement reference (recorded)." + REF_HELP),
            child_ref: str | None = Header(None, alias="Callguide-Child-Ref",
                                           description="Pseudonymous child reference (recorded)." + REF_HELP),
        ) -> Recording | None:
            key = presented_key(request)
            flag = (record or "").strip().lower()
            if record is None or flag in _FALSE:
                explicit = False
                if record is not None or key is None or not self.settings.record_by_default:
                    return None  # not asked for (the open contract endpoint: nothing to do)
            else:
                explicit = True
            problem = None
            if record is not None and flag not in _TRUE | _FALSE:
                problem = "bad-record-flag"
            elif key is None:
                problem = "key-missing"
            elif not all(ref is None or _REF.match(ref) for ref in (placement_ref, child_ref)):
                problem = "bad-reference"
            refs = None if problem else References(placement_ref=placement_ref, child_ref=child_ref)
            client = request.client.host if request.client else "-"
            return Recording(self, Intent(kind, key, explicit, refs, problem, client))

        return dependency

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Database work for the records routes: off the event loop, bounded, behind the breaker."""
        return await self.guard.run(fn, *args)

    def purge_soon(self) -> None:
        """The hourly retention purge, in the background: no request waits for it."""
        if self.store.purge_due():
            task = asyncio.get_running_loop().create_task(self._purge())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _purge(self) -> None:
        try:
            await self.guard.run(self.store.purge, deadline=max(60.0, self.guard.deadline))
        except Exception as exc:  # noqa: BLE001 - retried within the hour
            log.error("retention purge failed: %s", _error_name(exc))


class Recording:
    """A request that asked to be recorded; :meth:`save` stores the answer once it is made."""

    def __init__(self, records: Records, intent: Intent):
        self.records, self.intent = records, intent

    async def save(self, facts: BaseModel | dict[str, Any], answer: Decision | CallCheck,
                   response: Response) -> str | None:
        """Store the facts and the answer; sets ``Callguide-Record-Status`` (and on success
        ``Callguide-Record-Id`` and ``Location``). Never raises: the answer goes out regardless."""
        intent = self.intent
        if intent.problem:
            return self._failed(response, intent.problem)
        if self.records.logins.blocked(intent.client):
            return self._failed(response, "too-many-failed-keys")
        data = facts.model_dump(mode="json", exclude_none=True) if isinstance(facts, BaseModel) else dict(facts)
        data = {section: value for section, value in data.items() if value not in ({}, None)}  # known facts only
        try:
            outcome = await self.records.batcher.submit(
                intent.key, intent.client, intent.explicit,
                # a call check still asking first has no verdict yet: recorded as such, not as a level
                dict(kind=intent.kind, facts=data,
                     recommendation=answer.recommendation.value if answer.recommendation else "ask_first",
                     rules=[reason.rule for reason in answer.rationale],
                     decisive_rules=[reason.rule for reason in answer.rationale if reason.role == "decisive"],
                     rulebook=answer.rulebook, refs=intent.refs))
        except RecordsUnavailable as exc:
            self.records.guard.count_not_saved()
            return self._failed(response, exc.reason)
        except Exception as exc:  # noqa: BLE001 - the advice matters more than the record
            log.error("record not saved (%s): %s", intent.kind, _error_name(exc))
            return self._failed(response, "database-unavailable")
        if outcome is None:  # recording by default, and the key is not a staff key: nothing asked
            return None
        if outcome.startswith("fail:"):
            return self._failed(response, outcome[5:])
        response.headers["Callguide-Record-Status"] = "recorded"
        response.headers["Callguide-Record-Id"] = outcome
        response.headers["Location"] = f"/v1/records/{outcome}"
        self.records.purge_soon()
        return outcome

    @staticmethod
    def _failed(response: Response, reason: str) -> None:
        response.headers["Callguide-Record-Status"] = "failed"
        response.headers["Callguide-Record-Reason"] = reason
        return None


def _error_name(exc: BaseException) -> str:
    """An exception's class (and its cause's), never its text: that may quote a reference."""
    cause = exc.__cause__ or exc.__context__
    name = type(exc).__name__
    return f"{name} from {type(cause).__name__}" if cause is not None and type(cause) is not type(exc) else name


def recording_dependency(records: Records | None, kind: str) -> Callable[..., Recording | None]:
    """The dependency for a route that can record; records nothing when records are not installed."""
    if records is None:
        return _no_recording
    return records.recording(kind)


async def _no_recording() -> None:
    return None
