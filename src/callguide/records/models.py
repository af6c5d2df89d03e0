"""The records tables. Alembic migrations in ``migrations/`` create them; keep both in step
(``tests/test_report.py`` checks that the migrations give exactly this metadata).

Nothing here holds a name or free text: the incident facts are the contract's closed set of
enums, numbers and booleans, and the references are pseudonymous strings the provider chooses.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Outcome(str, enum.Enum):
    """What the police did in the end (Protocol §4; Home Office outcome types)."""

    nfa = "nfa"                                   # no further action
    community_resolution = "community_resolution"
    outcome_20 = "outcome_20"                     # another body or agency has primacy
    outcome_21 = "outcome_21"                     # not in the public interest (police decision)
    outcome_22 = "outcome_22"                     # diversionary, educational or intervention activity
    caution = "caution"
    charge = "charge"                             # charge or summons


ROLES = ("staff", "analyst", "admin")
# A placement or child reference, or a key's provider: a pseudonymous string that fits its column.
# Here, below both users: store checks references with it, auth providers (auth cannot import store).
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$"


class Record(Base):
    """One decision or call check that a provider asked callguide to keep."""

    __tablename__ = "records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))                # decision | call_check
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    rulebook: Mapped[str] = mapped_column(String(80))
    facts: Mapped[dict] = mapped_column(JSON)
    recommendation: Mapped[str] = mapped_column(String(16))
    rules: Mapped[list] = mapped_column(JSON)                    # rationale rule ids, most decisive first
    decisive_rules: Mapped[list] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(String(16))     # setting.location, for the §4 split
    placement_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    child_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    recorded_by: Mapped[str | None] = mapped_column(String(32))  # api key id
    provider: Mapped[str | None] = mapped_column(String(64), index=True)  # the recording key's provider
    # What actually happened, added later with PATCH; None is "not said yet".
    police_called: Mapped[bool | None] = mapped_column(Boolean)
    suspect: Mapped[bool | None] = mapped_column(Boolean)
    arrested: Mapped[bool | None] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # public part of the key
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(80))
    provider: Mapped[str | None] = mapped_column(String(64))         # None: made before providers (issue 12)
    secret_hash: Mapped[str] = mapped_column(String(200))           # sha256 of the secret, hex
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Every read, deletion and erasure of records, and every change to an outcome. Ids, counts and
    the outcome fields before and after (booleans and outcome codes), never references."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    key_id: Mapped[str] = mapped_column(String(32))          # api key id, or "cli"
    action: Mapped[str] = mapped_column(String(32))          # read_records | read_record | read_report | update_outcome | delete_record | erase_child | purge
    record_id: Mapped[str | None] = mapped_column(String(36))
    count: Mapped[int] = mapped_column(Integer)
    detail: Mapped[dict | None] = mapped_column(JSON)        # {"before": {...}, "after": {...}} for outcome changes and deletions
