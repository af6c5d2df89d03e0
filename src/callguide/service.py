"""The HTTP service (CONTRACT.md "HTTP"; issue 3).

- ``POST /v1/decisions``: the contract's decision for the incident facts (care staff, providers' apps).
- ``POST /v1/call-checks``: the Force Control Room call handler's view (:mod:`callguide.callcheck`).
- ``GET /v1/rules``, ``GET /v1/rules/{id}``: the rulebook as people read it, with its version.
- ``GET /v1/scenarios``, ``GET /v1/scenarios/{id}``: the scenario library (:mod:`callguide.scenarios`).
- ``GET /healthz`` (cheap: the rulebook is loaded) and ``GET /readyz`` (a probe decision was made).

One :class:`Decider` per process, built at start-up; its engine serialises access to
durable_rules with a lock. Decisions and call checks run off the event loop on one thread of their
own (the HTML pages' sync routes in FastAPI's threadpool), so parallelism comes from worker
processes (``callguide serve --workers N``). Logs carry rule ids and the recommendation, never the
facts or any free text.

Each job has its own router module: ``api_decisions`` (decisions, call checks, the answer cache),
``api_rules`` (rules, contacts), ``api_scenarios``, ``api_health``; ``problems`` is the one error
shape. This module builds the app: middleware, error handlers, ``/docs``, the routers, records and pages.

To extend the app (records, web pages), add an ``APIRouter`` in :func:`create_app` with
``app.include_router(...)``, or pass ``routers=[...]``. Routes that are not part of the JSON API
(HTML pages) should say ``include_in_schema=False``; the committed ``api/openapi.json`` must match
the app's document (regenerate it with ``python -m callguide.service --write api/openapi.json``).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, Iterable, Sequence

from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .api_decisions import decisions_router
from .api_health import health_router
from .api_rules import rules_router
from .api_scenarios import scenarios_router
from .bodylimit import MAX_BODY_BYTES, BodyLimit
from .decision import Decider
from .headers import inline_script_hashes, page_policy
from .problems import MAX_PROBLEMS, bounded, noun, problem
from .records import install_records  # decision records (issue 6)
from .records.api import authenticated
from .records.auth import BASIC_CHALLENGE, basic_allowed
from .records.guard import RecordsUnavailable
from .requestguard import RequestGuard

__all__ = ["MAX_PROBLEMS", "create_app", "openapi_document", "openapi_text"]

log = logging.getLogger("callguide.service")

SWAGGER_UI = "/static/swagger-ui"  # vendored by scripts/vendor-swagger-ui: /docs loads nothing from elsewhere


def create_app(decider: Decider | None = None, *, routers: Iterable[APIRouter] = (),
               max_body_bytes: int = MAX_BODY_BYTES, scenarios_dir: Path | None = None,
               allowed_hosts: Sequence[str] | None = None) -> FastAPI:
    """The service. ``allowed_hosts``: the Host names requests may use (``callguide serve`` always
    sets them; None, for tests and embedding, checks none)."""
    decider = decider or Decider()
    app = FastAPI(
        docs_url=None,  # served below from the vendored Swagger UI
        redoc_url=None,  # ReDoc would load its script and fonts from other sites: not offered
        title="callguide",
        version="1.0",
        description="Should I call the police about a child in care? Decision support from the "
                    "Northamptonshire joint protocol. Every answer cites its source. "
                    "If anyone is in immediate danger, call 999.",
    )
    app.state.decider = decider
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    # Hosts, framing, long or repeated query parameters, cross-origin writes, relative redirects.
    app.add_middleware(RequestGuard, allowed_hosts=allowed_hosts)

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> JSONResponse:
        refusal = await _unauthenticated(request)
        if refusal is not None:  # a keyed route: who is asking comes before what is wrong with it
            return await http_problem(request, refusal)
        found = exc.errors()
        errors = bounded([problem(err, request.url.path) for err in found])
        # the count and the kinds of problem, never the field names: an unknown field's name is the
        # client's text (a child's name, a forged log line), and so is any value (issue 12)
        log.info("invalid input %s: %d problems (%s)", request.url.path, len(found),
                 ",".join(sorted({str(err.get("type", "?")) for err in found})))
        return JSONResponse(status_code=422, content=jsonable_encoder({"detail": errors}))

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException) -> Response:
        """Every error body has one shape: ``{"detail": [{"field", "message"}]}``."""
        detail = exc.detail
        if isinstance(detail, str):
            field = "(document)" if exc.status_code == 400 else "(request)"
            message = f"could not be read; send {noun(request.url.path)} as UTF-8 JSON" if exc.status_code == 400 else detail
            detail = [{"field": field, "message": message}]
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=exc.headers)
        if isinstance(detail, list) and all(isinstance(p, dict) and {"field", "message"} <= p.keys() for p in detail):
            detail = bounded(detail)  # a route's own message may echo a path parameter
        response = JSONResponse(status_code=exc.status_code, content=jsonable_encoder({"detail": detail}),
                                headers=exc.headers)
        if exc.status_code == 401 and basic_allowed(request):
            # A second, separate challenge: browsers offer a login only for a scheme they know, and
            # Chromium reads just the first scheme of a combined "Bearer, Basic" header.
            response.headers.append("WWW-Authenticate", BASIC_CHALLENGE)
        return response

    docs_page = get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title="callguide API",
                                    swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
                                    swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
                                    swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
                                    swagger_ui_parameters={"validatorUrl": None})  # no call to a validator site
    # Its own policy, made once here (the page never changes): the pages' one, with Swagger UI's
    # inline start-up script allowed by its hash and the inline styles Swagger UI sets on its elements.
    docs_policy = page_policy(inline_script_hashes(bytes(docs_page.body).decode())).replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> Response:
        return HTMLResponse(docs_page.body, headers={"Content-Security-Policy": docs_policy})

    app.include_router(health_router(decider))
    records = install_records(app)  # decision records, reports, API keys (issue 6)
    app.include_router(decisions_router(decider, records))
    app.include_router(rules_router(decider))
    app.include_router(scenarios_router(scenarios_dir))
    for router in routers:
        app.include_router(router)
    from .web import install as install_pages  # web pages (issue 5): HTML routes and /static

    install_pages(app, scenarios_dir=scenarios_dir)
    _document_problems(app)
    from .onebook import guard_app  # one rulebook per service (issue 12)

    guard_app(app, decider.book.version)
    from .headers import install_headers  # nosniff, no-store on records, CSP on pages (issue 12)

    install_headers(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document's 422s say what ``invalid_input`` really sends: ``{detail: [{field, message}]}``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            schemas = document.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:  # the Problems shape, as problems.Problems documents it
                schemas["HTTPValidationError"] = dict(schemas["Problems"])
                schemas.pop("ValidationError", None)
            _document_edges(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


EDGE_RESPONSES = {  # what requestguard.RequestGuard answers before any route sees the request
    "400": "The request was refused before it was read: a Host this service does not answer to, a query "
           "parameter given twice, or Content-Length with Transfer-Encoding.",
    "414": "The query string is over 4 KiB.",
}
CROSS_ORIGIN = "A browser page of another origin tried to make a change (Sec-Fetch-Site or Origin)."


def _document_edges(document: dict[str, Any]) -> None:
    """Every operation can get the guard's 400 and 414, and every change its 403 (issue 16)."""
    problems = {"application/json": {"schema": {"$ref": "#/components/schemas/Problems"}}}  # problems.ERRORS's model
    for methods in document.get("paths", {}).values():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            edges = dict(EDGE_RESPONSES, **({"403": CROSS_ORIGIN} if method in ("post", "put", "patch", "delete") else {}))
            for status, description in edges.items():
                responses.setdefault(status, {"description": description, "content": problems})


async def _unauthenticated(request: Request) -> StarletteHTTPException | None:
    """On a route that needs a key (the records router's), the 401 a request without a valid key
    gets; None when it has one, or the route is open. FastAPI validates a body before the handler
    checks the key: this keeps an unauthenticated caller from learning what the route accepts."""
    records = getattr(request.app.state, "records", None)
    route = request.scope.get("route")
    if records is None or "records" not in getattr(route, "tags", ()):
        return None
    try:
        await authenticated(records, request)  # the records routes' own check: 401, or 429 when blocked
    except StarletteHTTPException as refusal:
        return refusal
    except RecordsUnavailable:  # the key cannot be checked now: validation's own answer stands
        pass
    return None


def openapi_document(app: FastAPI | None = None) -> dict[str, Any]:
    """The app's OpenAPI document as plain JSON data (what ``api/openapi.json`` holds)."""
    app = app or create_app()
    return json.loads(json.dumps(app.openapi(), sort_keys=True))


def openapi_text(app: FastAPI | None = None) -> str:
    return json.dumps(openapi_document(app), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m callguide.service --write api/openapi.json`` (or ``--check``): the committed document."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m callguide.service", description=main.__doc__)
    parser.add_argument("--write", metavar="FILE", help="write the OpenAPI document to FILE")
    parser.add_argument("--check", metavar="FILE", help="exit 1 if FILE differs from the app's document")
    args = parser.parse_args(argv)
    text = openapi_text()
    if args.check:
        if Path(args.check).read_text(encoding="utf-8") != text:
            print(f"{args.check} differs from the app's OpenAPI document; regenerate it with "
                  f"python -m callguide.service --write {args.check}", file=sys.stderr)
            return 1
        return 0
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
