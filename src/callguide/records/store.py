"""Writing, reading and deleting records; every read, deletion and outcome change leaves an audit entry."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import date, datetime, time as dtime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, select

from .db import Database
from .models import REF_PATTERN, AuditEntry, Outcome, Record

if TYPE_CHECKING:
    from .auth import KeyStore, Principal

log = logging.getLogger("callguide.records")

RECORD_ID_PATTERN = r"^[0-9a-fA-F-]{36}$"
OUTCOME_FIELDS = ("police_called", "suspect", "arrested", "outcome")
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)  # the dates a filter may name
PURGE_EVERY_SECONDS = 3600
REPORT_COLUMNS = (Record.created_at, Record.recommendation, Record.decisive_rules, Record.location,
                  Record.placement_ref, Record.child_ref, Record.police_called, Record.suspect,
                  Record.arrested, Record.outcome)


class References(BaseModel):
    """Pseudonymous references the provider chooses: short codes, no spaces, so no names."""

    model_config = ConfigDict(extra="forbid")
    placement_ref: str | None = Field(None, pattern=REF_PATTERN)
    child_ref: str | None = Field(None, pattern=REF_PATTERN)


class OutcomeUpdate(BaseModel):
    """What actually happened. Fields left out are not changed; ``null`` clears one."""

    model_config = ConfigDict(extra="forbid")
    police_called: bool | None = None
    suspect: bool | None = Field(None, description="The child was dealt with as a suspect.")
    arrested: bool | None = None
    outcome: Outcome | None = None


class RecordOut(BaseModel):
    id: str
    kind: str
    created_at: datetime
    rulebook: str
    facts: dict[str, Any]
    recommendation: str
    rules: list[str]
    decisive_rules: list[str]
    placement_ref: str | None
    child_ref: str | None
    provider: str | None = None
    police_called: bool | None
    suspect: bool | None
    arrested: bool | None
    outcome: Outcome | None
    outcome_updated_at: datetime | None


class OutcomeOut(BaseModel):
    id: str
    police_called: bool | None
    suspect: bool | None
    arrested: bool | None
    outcome: Outcome | None
    outcome_updated_at: datetime | None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything is stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def day_start(day: date) -> datetime:
    return datetime.combine(day, dtime.min, tzinfo=timezone.utc)


def record_out(row: Record) -> RecordOut:
    return RecordOut(id=row.id, kind=row.kind, created_at=as_utc(row.created_at), rulebook=row.rulebook,
                     facts=row.facts, recommendation=row.recommendation, rules=row.rules,
                     decisive_rules=row.decisive_rules, placement_ref=row.placement_ref,
                     child_ref=row.child_ref, provider=row.provider, police_called=row.police_called,
                     suspect=row.suspect,
                     arrested=row.arrested, outcome=row.outcome,
                     outcome_updated_at=as_utc(row.outcome_updated_at))


def outcome_out(row: Record) -> OutcomeOut:
    return OutcomeOut(id=row.id, police_called=row.police_called, suspect=row.suspect,
                      arrested=row.arrested, outcome=row.outcome,
                      outcome_updated_at=as_utc(row.outcome_updated_at))


class RecordStore:
    def __init__(self, db: Database, retention_days: int):
        self.db = db
        self.retention_days = retention_days
        self._last_purge = float("-inf")
        self._purge_lock = threading.Lock()

    # --- writing ---------------------------------------------------------------------------
    def save(self, *, key_id: str | None = None, provider: str | None = None, **fields: Any) -> str:
        """One record, outside the batched path requests take (the command line and tests)."""
        row = _row(fields, key_id, provider)
        with self.db.engine.begin() as conn:
            conn.execute(Record.__table__.insert(), [row])
        log.info("recorded %s %s by key %s", row["kind"], row["id"], key_id)
        return row["id"]

    def save_batch(self, keys: "KeyStore", items: list[tuple[str | None, str, bool, dict[str, Any]]]) -> list[str | None]:
        """Check the keys and store the records of several requests in one transaction (one
        commit for the lot: what makes recording cheap under load). Each item is ``(key, client,
        explicit, fields)``; each result is the record id, ``"fail:<reason>"`` when that key may not
        record, or None when nothing was asked (recording by default, a valid key that is not staff)."""
        from .auth import key_rows, parse_key

        parsed = [parse_key(key) if key else None for key, *_ in items]
        out: list[str | None] = []
        rows: list[dict[str, Any]] = []
        with self.db.engine.begin() as conn:
            found = key_rows(conn, [p[0] for p in parsed if p])
            for (key, client, explicit, fields), p in zip(items, parsed):
                who = keys.judge(p, found.get(p[0]) if p else None, client) if key else None
                if who is None:
                    out.append("fail:key-invalid" if key else "fail:key-missing")
                elif who.role != "staff":
                    out.append("fail:role-not-allowed" if explicit else None)
                else:
                    rows.append(_row(fields, who.key_id, who.provider))
                    out.append(rows[-1]["id"])
            if rows:
                conn.execute(Record.__table__.insert(), rows)
        if rows:  # one line per transaction: under load a line per record costs a write each
            log.info("recorded %s", "; ".join(f"{row['kind']} {row['id']} by key {row['recorded_by']}" for row in rows))
        return out

    def update_outcome(self, record_id: str, update: OutcomeUpdate, who: "Principal") -> OutcomeOut | str | None:
        """Change what happened; None when there is no such record, ``"other-provider"`` when it is
        not the key's provider's. The change goes in the audit log with before and after."""
        changes = {name: value.value if isinstance(value, Outcome) else value
                   for name, value in update.model_dump(exclude_unset=True).items()}
        with self.db.session() as s:
            row = s.get(Record, record_id, with_for_update=True)
            if row is None:
                return None
            if row.provider != who.provider:
                return "other-provider"
            before = _outcome_fields(row)
            for name, value in changes.items():
                setattr(row, name, value)
            row.outcome_updated_at = utcnow()
            s.flush()
            self.audit(s, who.key_id, "update_outcome", 1, record_id,
                       {"before": before, "after": _outcome_fields(row)})
            out = outcome_out(row)
        log.info("outcome for %s by key %s: %d fields", record_id, who.key_id, len(changes))
        return out

    # --- reading (audited) -----------------------------------------------------------------
    def audit(self, s, key_id: str, action: str, count: int, record_id: str | None = None,
              detail: dict[str, Any] | None = None) -> None:
        s.add(AuditEntry(at=utcnow(), key_id=key_id, action=action, count=count, record_id=record_id,
                         detail=detail))

    def get(self, record_id: str, key_id: str) -> RecordOut | None:
        with self.db.session() as s:
            row = s.get(Record, record_id)
            self.audit(s, key_id, "read_record", 1 if row else 0, record_id)
            return record_out(row) if row else None

    def list(self, key_id: str, *, start: date | None = None, end: date | None = None,
             placement: str | None = None, child: str | None = None,
             limit: int = 100, offset: int = 0) -> list[RecordOut]:
        query = _filtered(select(Record), start, end, placement, child)
        query = query.order_by(Record.created_at, Record.id).limit(limit).offset(offset)
        with self.db.session() as s:
            rows = [record_out(r) for r in s.scalars(query)]
            self.audit(s, key_id, "read_records", len(rows))
        return rows

    def rows_for_report(self, key_id: str, *, start: date | None, end: date | None,
                        placement: str | None) -> list[Any]:
        """The columns :func:`report.monitoring` reads (not the facts), one row per record."""
        query = _filtered(select(*REPORT_COLUMNS), start, end, placement, None)
        with self.db.session() as s:
            rows = list(s.execute(query))
            self.audit(s, key_id, "read_report", len(rows))
        return rows

    def count(self) -> int:
        with self.db.session() as s:
            return s.scalar(select(func.count()).select_from(Record)) or 0

    # --- deleting --------------------------------------------------------------------------
    def delete(self, record_id: str, key_id: str) -> bool:
        with self.db.session() as s:
            row = s.get(Record, record_id, with_for_update=True)
            before = _outcome_fields(row) if row is not None else None
            deleted = s.execute(delete(Record).where(Record.id == record_id)).rowcount
            self.audit(s, key_id, "delete_record", deleted, record_id,
                       {"before": before, "after": None} if deleted else None)
        return bool(deleted)

    def erase_child(self, child_ref: str, key_id: str) -> int:
        """Everything held about one child reference (the right to erasure)."""
        with self.db.session() as s:
            deleted = s.execute(delete(Record).where(Record.child_ref == child_ref)).rowcount
            self.audit(s, key_id, "erase_child", deleted)
        log.info("erasure by key %s: %d records", key_id, deleted)
        return deleted

    def purge(self, key_id: str = "retention", now: datetime | None = None) -> int:
        """Delete records older than the retention period; 0 days keeps everything."""
        with self._purge_lock:  # whoever purges (start-up, the CLI, recording) resets the hourly clock
            self._last_purge = time.monotonic()
        if self.retention_days <= 0:
            return 0
        cutoff = (now or utcnow()) - timedelta(days=self.retention_days)
        with self.db.session() as s:
            deleted = s.execute(delete(Record).where(Record.created_at < cutoff)).rowcount
            if deleted:
                self.audit(s, key_id, "purge", deleted)
        if deleted:
            log.info("retention purge: %d records older than %d days", deleted, self.retention_days)
        return deleted

    def purge_due(self) -> bool:
        """Whether an hourly purge is due; claims it, so that concurrent writers do not all purge."""
        with self._purge_lock:
            now = time.monotonic()
            if now - self._last_purge < PURGE_EVERY_SECONDS:
                return False
            self._last_purge = now
            return True

def _row(fields: dict[str, Any], key_id: str | None, provider: str | None) -> dict[str, Any]:
    """A new record's columns from a request's fields (kind, facts, recommendation, rules,
    decisive_rules, rulebook, refs) and the key that recorded it."""
    refs: References = fields["refs"]
    facts = fields["facts"]
    return dict(id=str(uuid.uuid4()), kind=fields["kind"], created_at=utcnow(), rulebook=fields["rulebook"],
                facts=facts, recommendation=fields["recommendation"], rules=fields["rules"],
                decisive_rules=fields["decisive_rules"], location=(facts.get("setting") or {}).get("location"),
                placement_ref=refs.placement_ref, child_ref=refs.child_ref, recorded_by=key_id, provider=provider,
                police_called=None, suspect=None, arrested=None, outcome=None, outcome_updated_at=None)


def _outcome_fields(row: Record) -> dict[str, Any]:
    return {name: getattr(row, name) for name in OUTCOME_FIELDS}


def _filtered(query, start: date | None, end: date | None, placement: str | None,
              child: str | None):
    """``start`` and ``end`` are whole days, both included (any date: out-of-range ones are clamped)."""
    if start is not None and start > EARLIEST:
        query = query.where(Record.created_at >= day_start(min(start, LATEST)))
    if end is not None and end < LATEST:
        query = query.where(Record.created_at < day_start(max(end, EARLIEST) + timedelta(days=1)))
    if placement is not None:
        query = query.where(Record.placement_ref == placement)
    if child is not None:
        query = query.where(Record.child_ref == child)
    return query


def audit_entries(db: Database, limit: int = 1000) -> Iterable[AuditEntry]:
    with db.session() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
