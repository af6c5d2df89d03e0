"""API keys with roles, stored hashed (sha256, standard library).

A key reads ``cgk_<id>_<secret>``. The id is stored as it is (it names the key in the audit
log); only the sha256 of the secret is kept, so a copy of the database gives no usable keys.
The secret is 256 random bits, not a password: a slow hash (scrypt, bcrypt) would add nothing
against guessing it, and would let anyone who knows a key id make the server spend one per request.
Requests carry the key as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. HTTP Basic, with
the key as the password, is accepted only to read the monitoring report (so an analyst's browser can
open the report page): a browser resends cached Basic credentials by itself, so they must never be
enough to change or read records (issue 16).

Keys belong to a provider (issue 12): ``callguide keys create --role staff --provider NAME``. A
staff key adds outcomes only to its own provider's records; keys made before providers existed
keep working as provider-less (and reach only provider-less records) until they are reissued.

A failed login is logged by key id only (never the secret, never what was sent when it is not a
key at all), at most ``LOG_LINES`` lines a minute; a client that sends more than
``FAILURES_PER_CLIENT`` invalid keys in a minute gets 429 (and its records are not kept) until
the minute is over.

Roles do not nest: ``staff`` decides and records (and adds outcomes), ``analyst`` reads the
monitoring report, ``admin`` reads, deletes and erases records and may also read the report.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Database
from .models import REF_PATTERN, ROLES, ApiKey

log = logging.getLogger("callguide.records")

PREFIX = "cgk"
KEY_ID = re.compile(r"[A-Za-z0-9]{1,32}")
SECRET = re.compile(r"[A-Za-z0-9_-]{1,200}")
PROVIDER = re.compile(REF_PATTERN)  # a provider is written like a reference (used with fullmatch)
WINDOW_SECONDS = 60.0
FAILURES_PER_CLIENT = 30
LOG_LINES = 10


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: str
    provider: str | None = None


class FailedLogins:
    """Counts invalid keys per client per minute, and keeps their log lines few."""

    def __init__(self, window: float = WINDOW_SECONDS, per_client: int = FAILURES_PER_CLIENT,
                 log_lines: int = LOG_LINES):
        self.window, self.per_client, self.log_lines = window, per_client, log_lines
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._by_client: dict[str, int] = defaultdict(int)
        self._logged = self._suppressed = 0

    def _roll(self) -> None:
        now = time.monotonic()
        if now - self._started >= self.window:
            if self._suppressed:
                log.warning("failed logins: %d more in the last minute (not logged one by one)", self._suppressed)
            self._started, self._logged, self._suppressed = now, 0, 0
            self._by_client.clear()

    def blocked(self, client: str) -> bool:
        with self._lock:
            self._roll()
            return self._by_client.get(client, 0) >= self.per_client

    def failed(self, client: str, key_id: str | None, why: str) -> None:
        with self._lock:
            self._roll()
            self._by_client[client] += 1
            if self._logged >= self.log_lines:
                self._suppressed += 1
                return
            self._logged += 1
        log.warning("failed login: key %s (%s)", key_id or "(malformed)", why)


def parse_key(key: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None (nothing of it is logged or queried)."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not KEY_ID.fullmatch(parts[1]) or not SECRET.fullmatch(parts[2]):
        return None
    return parts[1], parts[2]


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret: its sha256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def verify_secret(secret: str, stored: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored)


def create_key(db: Database, role: str, label: str | None = None,
               provider: str | None = None) -> tuple[str, str]:
    """Store a new key; returns ``(key_id, full_key)``. The full key is shown once, never stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if provider is not None and not PROVIDER.fullmatch(provider):
        raise ValueError("provider must be a short code: letters, digits and . _ : / - (up to 64), no spaces")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with db.session() as s:
        s.add(ApiKey(id=key_id, role=role, label=label, provider=provider, secret_hash=hash_secret(secret),
                     created_at=datetime.now(timezone.utc)))
    return key_id, f"{PREFIX}_{key_id}_{secret}"


def revoke_key(db: Database, key_id: str) -> bool:
    with db.session() as s:
        key = s.get(ApiKey, key_id)
        if key is None or key.revoked_at is not None:
            return False
        key.revoked_at = datetime.now(timezone.utc)
        return True


def list_keys(db: Database) -> list[ApiKey]:
    with db.session() as s:
        return list(s.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip() and basic_allowed(request):
        return basic_password(value.strip())
    return request.headers.get("x-api-key") or None


# -- HTTP Basic: the report page only (issue 16) --------------------------------------------------
BASIC_ROUTES = frozenset({"/reports/monitoring", "/v1/reports/monitoring", "/v1/reports/monitoring/chart.svg"})
BASIC_CHALLENGE = 'Basic realm="callguide monitoring report", charset="UTF-8"'


def basic_allowed(request: Request) -> bool:
    """Basic credentials count only when reading the monitoring report."""
    return request.method in ("GET", "HEAD") and request.url.path in BASIC_ROUTES


def basic_password(value: str) -> str | None:
    try:
        _, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return password or None


class KeyStore:
    """Checks presented keys. The key row is read on every request, so revocation and role
    changes take effect at once."""

    def __init__(self, db: Database, logins: FailedLogins | None = None):
        self.db = db
        self.logins = logins or FailedLogins()

    def check(self, session: Session, key: str, client: str = "-") -> Principal | None:
        """The key's holder, read in ``session``; None (and a log line) when it is not valid."""
        parsed = parse_key(key)
        rows = key_rows(session, [parsed[0]]) if parsed else {}
        return self.judge(parsed, rows.get(parsed[0]) if parsed else None, client)

    def judge(self, parsed: tuple[str, str] | None, row, client: str = "-") -> Principal | None:
        """The holder of a parsed key given its row (None: no such key); None and a log line when
        the key is not valid."""
        if parsed is None:
            self.logins.failed(client, None, "not a callguide key")
            return None
        key_id, secret = parsed
        if row is None or row.revoked_at is not None or not verify_secret(secret, row.secret_hash):
            why = "unknown" if row is None else "revoked" if row.revoked_at is not None else "wrong secret"
            self.logins.failed(client, key_id, why)
            return None
        return Principal(key_id=key_id, role=row.role, provider=row.provider)

    def authenticate(self, key: str, client: str = "-") -> Principal | None:
        with self.db.session() as s:
            return self.check(s, key, client)


def key_rows(session_or_connection, key_ids) -> dict:
    """The rows (id, role, provider, secret_hash, revoked_at) of these key ids, in one query."""
    ids = sorted(set(key_ids))
    if not ids:
        return {}
    query = select(ApiKey.id, ApiKey.role, ApiKey.provider, ApiKey.secret_hash, ApiKey.revoked_at).where(
        ApiKey.id.in_(ids))
    return {row.id: row for row in session_or_connection.execute(query)}


def permit(principal: Principal | None, *roles: str) -> Principal:
    """``principal`` if its role is one of ``roles``; 401 without a key, 403 with another role."""
    if principal is None:
        raise unauthorised("an API key is needed")
    if principal.role not in roles:
        raise HTTPException(status_code=403, detail=[{
            "field": "authorization", "message": f"this needs a key with role {' or '.join(roles)}"}])
    return principal


def unauthorised(detail: str) -> HTTPException:
    # One challenge per header: the app adds a separate Basic one on the report routes (service.py).
    return HTTPException(status_code=401, detail=[{"field": "authorization", "message": detail}],
                         headers={"WWW-Authenticate": "Bearer"})
