"""What a request must look like before the app reads it, and what a redirect may say (issue 16).

One pure ASGI middleware, in front of the app:

- **Allowed hosts.** A request whose ``Host`` is not one of ``allowed_hosts`` (when given) is
  refused (400), so no page, link or redirect is ever built from a name an attacker chose. This is
  Starlette's ``TrustedHostMiddleware`` rule (names, ``*.example.org`` patterns, ``*``), done here
  because that middleware cuts the host at its first colon and so never allows ``[::1]:8000``.
- **Ambiguous framing.** ``Content-Length`` together with ``Transfer-Encoding`` is refused (400,
  connection closed): a proxy in front could frame the body the other way (request smuggling).
- **Long query strings.** Over ``max_query_bytes`` (4 KiB; the longest page address the
  pages build is about 1 KiB) is refused with 414: a 120 KB address of repeated parameters cost
  130-210 ms of CPU per request.
- **One value per key.** A query parameter given twice is refused (400): the pages and the API
  read one value per name, and which of two a reader takes is not something to leave to chance.
  The one list a page reads is the scenario ids of a course handout (``/walkthrough/...?id=a&id=b``):
  ``id`` may repeat on the walkthrough pages (the 4 KiB limit still bounds it).
- **Writes only from this origin.** A browser request that changes something (POST, PUT, PATCH,
  DELETE) must come from a page of this service: ``Sec-Fetch-Site`` must be ``same-origin`` or
  ``none``, else (older browsers) ``Origin`` must name this host. Requests without either header
  are not from a browser (scripts, providers' servers) and are not affected.
- **Redirects never carry the request's Host.** A ``Location`` that points at the request's own
  host (Starlette's trailing-slash redirect builds one) is made relative.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, MutableMapping, Sequence
from urllib.parse import parse_qsl, urlsplit

from .echo import shown
from .problems import CLOSE, send_problem

MAX_QUERY_BYTES = 4096
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BROWSER_SAME_ORIGIN = (b"same-origin", b"none")  # Sec-Fetch-Site values of a page of ours, or the user

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class RequestGuard:
    def __init__(self, app: ASGIApp, max_query_bytes: int = MAX_QUERY_BYTES,
                 allowed_hosts: Sequence[str] | None = None):
        self.app, self.max_query_bytes = app, max_query_bytes
        self.allowed_hosts = None if allowed_hosts is None else [h.strip("[]").lower() for h in allowed_hosts]

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)  # read once for the checks and the redirects
        refusal = self.refusal(scope, headers)
        if refusal is not None:
            await send_problem(send, *refusal, CLOSE)
            return
        await self.app(scope, receive, _relative_redirects(headers, send))

    def refusal(self, scope: Scope, headers: dict[bytes, bytes] | None = None) -> tuple[int, str, str] | None:
        """(status, field, message) when the request is refused before the app sees it."""
        headers = _headers(scope) if headers is None else headers
        if self.allowed_hosts is not None and not host_allowed(headers.get(b"host", b""), self.allowed_hosts):
            return 400, "(request)", "this service does not answer to that host name"
        if b"content-length" in headers and b"transfer-encoding" in headers:
            return 400, "(request)", "send Content-Length or Transfer-Encoding, not both"
        query = scope.get("query_string", b"")
        if len(query) > self.max_query_bytes:
            return 414, "(query)", (f"the address is too long: its query is {len(query):,} bytes and the "
                                    f"limit is {self.max_query_bytes:,}")
        seen: set[str] = set()
        lists = LIST_PARAMETERS if scope.get("path", "").startswith("/walkthrough") else ()
        for key, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if key in seen and key not in lists:
                return 400, "(query)", f"the parameter {shown(key)} is given more than once; give it once"
            seen.add(key)
        if scope["method"] in UNSAFE_METHODS and cross_origin(headers):
            return 403, "(request)", "changes can only be made from this service's own pages or by API clients"
        return None


LIST_PARAMETERS = ("id",)  # a course handout's scenarios, on the walkthrough pages only


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by (lower-case) name; the first of any repeated name."""
    headers: dict[bytes, bytes] = {}
    for name, value in scope.get("headers", ()):
        headers.setdefault(name, value)
    return headers


def host_allowed(host: bytes, allowed: Sequence[str]) -> bool:
    """Whether a Host header (name or address, with or without a port) is allowed."""
    try:
        name = (urlsplit("//" + host.decode("ascii")).hostname or "").lower()
    except (UnicodeDecodeError, ValueError):  # not ASCII, or a bracket left open
        return False
    return any(pattern == "*" or name == pattern or (pattern.startswith("*.") and name.endswith(pattern[1:]))
               for pattern in allowed)


def cross_origin(headers: dict[bytes, bytes]) -> bool:
    """True for a browser request from a page of another origin (another site, or a sibling)."""
    site = headers.get(b"sec-fetch-site")
    if site is not None:
        return site.lower() not in BROWSER_SAME_ORIGIN
    origin = headers.get(b"origin")
    if origin is None:
        return False  # not a browser, or a same-origin GET-like request from an old one
    host = headers.get(b"host", b"").decode("latin-1").lower()
    return urlsplit(origin.decode("latin-1")).netloc.lower() != host  # "null" has no netloc


def _relative_redirects(headers: dict[bytes, bytes], send: Any) -> Any:
    host = headers.get(b"host", b"").decode("latin-1").lower()

    async def relative(message: Message) -> None:
        if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
            message["headers"] = [(name, _relative(value, host) if name.lower() == b"location" else value)
                                  for name, value in message.get("headers", [])]
        await send(message)

    return relative


def _relative(location: bytes, host: str) -> bytes:
    """``http://HOST/path?q`` -> ``/path?q`` when HOST is the request's own Host."""
    parts = urlsplit(location.decode("latin-1"))
    if not parts.scheme or parts.netloc.lower() != host:
        return location
    path = "/" + parts.path.lstrip("/")  # never "//evil.example", which a browser reads as a host
    return (path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
            ).encode("latin-1")

