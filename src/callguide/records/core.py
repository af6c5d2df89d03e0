"""The records service object: settings, database, keys and the hook that records decisions."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Callable

from fastapi import FastAPI, Header, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from .auth import KeyStore, Principal, permit, presented_key
from .config import Settings
from .db import Database
from .store import REF_PATTERN, RecordStore, References

if TYPE_CHECKING:
    from ..callcheck import CallCheck
    from ..decision import Decision

log = logging.getLogger("callguide.records")

RECORD_HELP = ("Keep a record of this answer for monitoring (needs a staff key). Without it, the "
               "service's default applies (CALLGUIDE_RECORD_BY_DEFAULT; off unless configured).")


class Records:
    """Everything issue 6 adds, for one app: settings, the database, keys and the record store."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self.db = Database(self.settings)
        self.keys = KeyStore(self.db)
        self.store = RecordStore(self.db, self.settings.retention_days)

    def start(self) -> None:
        """Apply migrations and purge records past the retention period."""
        self.db.ready()
        self.store.purge()

    def recording(self, kind: str) -> Callable[..., "Recording | None"]:
        """A FastAPI dependency: whether (and for whom) this request is to be recorded.

        401 when a key is sent but is not valid, or recording is asked for without a key;
        403 when the key's role is not ``staff``; otherwise a :class:`Recording` or None."""

        async def dependency(
            request: Request,
            record: bool | None = Query(None, description=RECORD_HELP),
            placement_ref: str | None = Header(None, alias="Callguide-Placement-Ref", pattern=REF_PATTERN,
                                               description="Pseudonymous placement reference (recorded)."),
            child_ref: str | None = Header(None, alias="Callguide-Child-Ref", pattern=REF_PATTERN,
                                           description="Pseudonymous child reference (recorded)."),
        ) -> Recording | None:
            # async, so that the open decision endpoint (which runs on the event loop) takes no
            # thread hop for it: without a key and without record=true there is nothing to do.
            key = presented_key(request)
            if key is None and not record:
                return None
            principal = None if key is None else await run_in_threadpool(self.keys.principal_for, key)
            wanted = record if record is not None else (
                self.settings.record_by_default and principal is not None and principal.role == "staff")
            if not wanted:
                return None
            principal = permit(principal, "staff")
            return Recording(self, kind, principal, References(placement_ref=placement_ref, child_ref=child_ref))

        return dependency

    @asynccontextmanager
    async def lifespan(self, app: FastAPI, inner: Any):
        import anyio.to_thread

        await anyio.to_thread.run_sync(self.start)
        try:
            async with inner(app) as state:
                yield state
        finally:
            self.db.dispose()


class Recording:
    """A request that is to be recorded; :meth:`save` stores the answer once it is made."""

    def __init__(self, records: Records, kind: str, principal: Principal, refs: References):
        self.records, self.kind, self.principal, self.refs = records, kind, principal, refs

    def save(self, facts: BaseModel | dict[str, Any], answer: Decision | CallCheck, response: Response) -> str | None:
        """Store the facts and the answer; sets ``Callguide-Record-Id`` and ``Location`` on success.

        Advice is never withheld because storage failed: on a database error the answer still
        goes out, with ``Callguide-Record-Status: failed``."""
        data = facts.model_dump(mode="json", exclude_none=True) if isinstance(facts, BaseModel) else dict(facts)
        data = {section: value for section, value in data.items() if value not in ({}, None)}  # known facts only
        try:
            record_id = self.records.store.save(
                kind=self.kind, facts=data,
                # a call check still asking first has no verdict yet: recorded as such, not as a level
                recommendation=answer.recommendation.value if answer.recommendation else "ask_first",
                rules=[reason.rule for reason in answer.rationale],
                decisive_rules=[reason.rule for reason in answer.rationale if reason.role == "decisive"],
                rulebook=answer.rulebook, refs=self.refs, key_id=self.principal.key_id)
        except Exception as exc:  # noqa: BLE001 - the advice matters more than the record
            log.error("record not saved (%s): %s", self.kind, type(exc).__name__)
            response.headers["Callguide-Record-Status"] = "failed"
            return None
        response.headers["Callguide-Record-Status"] = "recorded"
        response.headers["Callguide-Record-Id"] = record_id
        response.headers["Location"] = f"/v1/records/{record_id}"
        return record_id


def recording_dependency(records: Records | None, kind: str) -> Callable[..., Recording | None]:
    """The dependency for a route that can record; records nothing when records are not installed."""
    if records is None:
        return _no_recording
    return records.recording(kind)


async def _no_recording() -> None:
    return None


def install_records(app: FastAPI, settings: Settings | None = None) -> Records:
    """Add the records, reports and erasure routes; migrate and purge at start-up."""
    from .api import records_router
    from .logfilter import install_access_log_filter

    records = Records(settings)
    app.state.records = records
    app.include_router(records_router(records))
    inner = app.router.lifespan_context
    app.router.lifespan_context = lambda a: records.lifespan(a, inner)
    install_access_log_filter()
    return records
