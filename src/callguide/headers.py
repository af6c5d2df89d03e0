"""Security headers on every response (issue 12), one small ASGI middleware.

- ``X-Content-Type-Options: nosniff`` everywhere: a browser takes each body for what its
  Content-Type says (a CSV of figures is never run as a script).
- ``Cache-Control: no-store`` on everything under records, reports, audit and erasures: a
  browser or a proxy keeps no copy of records or of figures about children.
- A ``Content-Security-Policy`` on HTML pages: nothing loads from anywhere but this service
  (the GOV.UK Frontend assets are served locally), no page can be framed (clickjacking), forms
  post only here. The pages' few inline scripts are allowed by their sha256, computed at start-up
  from the templates themselves, so an inline script edited in a template stays allowed and an
  injected one does not. A route that sets its own policy keeps it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable, MutableMapping

log = logging.getLogger("callguide.service")

NO_STORE_PREFIXES = ("/v1/records", "/v1/reports", "/reports", "/v1/audit", "/v1/erasures", "/v1/keys")
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)

Scope = MutableMapping[str, Any]


def script_hashes(templates: Path, render: Callable[[str], str]) -> list[str]:
    """``'sha256-...'`` for each inline script in the templates under ``templates``, as rendered."""
    found: set[str] = set()
    for path in sorted(templates.rglob("*.html")):
        for body in _INLINE_SCRIPT.findall(path.read_text(encoding="utf-8")):
            try:
                text = render(body) if "{{" in body or "{%" in body else body
            except Exception:  # noqa: BLE001 - a script that needs the page's context cannot be pinned
                log.warning("an inline script in %s depends on the page; the policy will refuse it", path.name)
                continue
            found.add(csp_hash(text))
    return sorted(found)


def inline_script_hashes(html: str) -> list[str]:
    """The CSP hashes of the inline scripts of one rendered page."""
    return sorted({csp_hash(text) for text in _INLINE_SCRIPT.findall(html) if text.strip()})


def csp_hash(text: str) -> str:
    """A Content-Security-Policy source that allows exactly this inline script or style."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def page_policy(script_hashes: Iterable[str] = ()) -> str:
    scripts = " ".join(["'self'", *script_hashes])
    return ("default-src 'self'; " f"script-src {scripts}; " "style-src 'self'; img-src 'self' data:; "
            "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
            "form-action 'self'; object-src 'none'")


class SecurityHeaders:
    """Adds the three headers on the way out; never changes a status or a body."""

    def __init__(self, app: Callable[..., Awaitable[None]], policy: str):
        self.app, self.policy = app, policy.encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope.get("path", "").startswith(NO_STORE_PREFIXES)

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if not (no_store and k.lower() == b"cache-control")]
                names = {k.lower() for k, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if no_store:
                    headers.append((b"cache-control", b"no-store"))
                html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
                if html and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.policy))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_headers(app: Any) -> None:
    """Add the middleware to ``app`` (outermost: it also covers 413s and 503s from other layers)."""
    from .web.pages import TEMPLATES_DIR, templates

    hashes = script_hashes(TEMPLATES_DIR, lambda body: templates.env.from_string(body).render())
    app.add_middleware(SecurityHeaders, policy=page_policy(hashes))
