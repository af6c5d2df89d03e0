"""API keys with roles, stored hashed (sha256, standard library).

A key reads ``cgk_<id>_<secret>``. The id is stored as it is (it names the key in the audit
log); only the sha256 of the secret is kept, so a copy of the database gives no usable keys.
The secret is 256 random bits, not a password: a slow hash (scrypt, bcrypt) would add nothing
against guessing it, and would let anyone who knows a key id make the server spend one per request.
Requests carry the key as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. HTTP Basic, with
the key as the password, is accepted only to read the monitoring report (so an analyst's browser can
open the report page): a browser resends cached Basic credentials by itself, so they must never be
enough to change or read records (issue 16).

Roles do not nest: ``staff`` decides and records (and adds outcomes), ``analyst`` reads the
monitoring report, ``admin`` reads, deletes and erases records and may also read the report.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from fastapi import HTTPException, Request
from sqlalchemy import select

from .db import Database
from .models import ROLES, ApiKey

PREFIX = "cgk"


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: str


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret: its sha256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def verify_secret(secret: str, stored: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored)


def create_key(db: Database, role: str, label: str | None = None) -> tuple[str, str]:
    """Store a new key; returns ``(key_id, full_key)``. The full key is shown once, never stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with db.session() as s:
        s.add(ApiKey(id=key_id, role=role, label=label, secret_hash=hash_secret(secret),
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

    def __init__(self, db: Database):
        self.db = db

    def authenticate(self, key: str) -> Principal | None:
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        _, key_id, secret = parts
        with self.db.session() as s:
            row = s.get(ApiKey, key_id)
            if row is None or row.revoked_at is not None:
                return None
            role, stored = row.role, row.secret_hash
        if not verify_secret(secret, stored):
            return None
        return Principal(key_id=key_id, role=role)

    def principal_for(self, key: str | None) -> Principal | None:
        """The holder of ``key``, None when no key was sent; 401 when the key is not valid."""
        if key is None:
            return None
        principal = self.authenticate(key)
        if principal is None:
            raise unauthorised("the API key is not valid")
        return principal

    def principal(self, request: Request) -> Principal | None:
        """The caller, None when no key was sent; 401 when a key was sent but is not valid."""
        return self.principal_for(presented_key(request))

    def require(self, request: Request, *roles: str) -> Principal:
        return permit(self.principal(request), *roles)


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
