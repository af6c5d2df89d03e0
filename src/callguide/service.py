"""The HTTP service (CONTRACT.md "HTTP"; issue 3).

- ``POST /v1/decisions``: the contract's decision for the incident facts (care staff, providers' apps).
- ``POST /v1/call-checks``: the Force Control Room call handler's view (:mod:`callguide.callcheck`).
- ``GET /v1/rules``, ``GET /v1/rules/{id}``: the rulebook as people read it, with its version.
- ``GET /v1/scenarios``, ``GET /v1/scenarios/{id}``: the scenario library (:mod:`callguide.scenarios`).
- ``GET /healthz`` (cheap: the rulebook is loaded) and ``GET /readyz`` (a probe decision was made).

One :class:`Decider` per process, built at start-up; its engine serialises access to
durable_rules with a lock, and the sync endpoints run in FastAPI's threadpool, so parallelism
comes from worker processes (``callguide serve --workers N``). Logs carry rule ids and the
recommendation, never the facts or any free text.

To extend the app (records, web pages), add an ``APIRouter`` in :func:`create_app` with
``app.include_router(...)``, or pass ``routers=[...]``. Routes that are not part of the JSON API
(HTML pages) should say ``include_in_schema=False``; the committed ``api/openapi.json`` must match
the app's document (regenerate it with ``python -m callguide.service --write api/openapi.json``).
"""

from __future__ import annotations

import json
import logging
import string
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable, Sequence

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .bodylimit import MAX_BODY_BYTES, BodyLimit
from .headers import inline_script_hashes, page_policy
from .callcheck import CallCheck, CallCheckRequest, check_call
from .decision import Decider, Decision, plain
from .echo import clip, shown
from .facts import Incident, Level, describe_error
from .rulebook import Rule, Rulebook
from .packs import Contact
from .releases import RulebookRelease
from .sources import Quote, quotes
from .records import Recording, Records, install_records, recording_dependency  # decision records (issue 6)
from .records.auth import BASIC_CHALLENGE, basic_allowed, presented_key, unauthorised
from .records.guard import RecordsUnavailable
from .requestguard import RequestGuard

log = logging.getLogger("callguide.service")

ANSWER_CACHE_SIZE = 4096  # finished decisions kept per process (a few KB each)
MAX_PROBLEMS = 20  # problems listed in one error body; a 64 KiB body once made a 504 KB error (issue 16)
SWAGGER_UI = "/static/swagger-ui"  # vendored by scripts/vendor-swagger-ui: /docs loads nothing from elsewhere

# -- response models for the read-only endpoints -----------------------------------------------
class Problem(BaseModel):
    field: str
    message: str


class Problems(BaseModel):
    detail: list[Problem]


class RuleOut(BaseModel):
    id: str
    title: str
    reason: str = Field(description="Why the rule applies; {section.fact} is filled in from the facts in a decision.")
    source: str
    theme: str
    theme_title: str
    recommends: Level | None = None
    strength: str | None = None
    quotes: list[Quote] = Field(default_factory=list, description=(
        "The words of the protocol or leaflet that the source quotes, with the section (checked "
        "against the public texts in docs/sources)."))
    rulebook: str


class RuleList(BaseModel):
    rulebook: str
    rulebook_release: RulebookRelease | None = None
    pack: str | None = Field(None, description="The area pack applied to the national base, if any.")
    count: int
    rules: list[RuleOut]


class ContactList(BaseModel):
    rulebook: str
    pack: str | None = Field(None, description="The area pack the contacts come from; null for the national base.")
    contacts: dict[str, Contact]


class Health(BaseModel):
    status: str
    rulebook: str
    rules: int


class RecordsState(BaseModel):
    status: str = Field(description="ok, or unavailable (decisions are unaffected; records are not kept)")
    since: str = Field(description="When records became ok or unavailable (UTC, ISO 8601).")
    reason: str | None = Field(None, description="Why records are unavailable (a short code).")
    not_saved: int = Field(0, description="Records asked for and not kept since it became unavailable.")


class Ready(BaseModel):
    status: str
    rulebook: str
    probe: Level
    advice: str = Field("ready", description="Decisions and call checks: ready whenever this answers 200.")
    records: RecordsState | None = Field(None, description="Decision records (issue 12); absent when not installed.")


class ScenarioSummary(BaseModel):
    id: str
    title: str
    audience: list[str]
    summary: str
    steps: int


class ScenarioList(BaseModel):
    count: int
    scenarios: list[ScenarioSummary]


class _Template(string.Formatter):
    """Fills ``{param.x}`` with the rulebook's value and leaves fact placeholders for the reader."""

    def __init__(self, book: Rulebook):
        self.book = book

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        if field_name.startswith("param.") and field_name[6:] in self.book.parameters:
            return plain(self.book.parameters[field_name[6:]].value), field_name
        return "{" + field_name + "}", field_name


def rule_out(rule: Rule, book: Rulebook) -> RuleOut:
    return RuleOut(id=rule.id, title=rule.title, reason=_Template(book).format(rule.because), source=rule.source,
                   theme=rule.theme, theme_title=book.themes.get(rule.theme, rule.theme),
                   recommends=rule.then.recommend, strength=rule.then.strength, quotes=quotes(rule.source),
                   rulebook=book.version)


PROBE = {"incident": {"kind": "assault", "risk_to_life": True}}

_422 = {400: {"model": Problems, "description": "The body could not be read (for example, not UTF-8)."},
        422: {"model": Problems, "description": "Invalid input: each problem names the field."},
        413: {"model": Problems, "description": "The request body is too large."}}


class _Answers:
    """A bounded LRU of finished decisions (object and JSON) keyed by the canonical facts.

    The contract makes decisions deterministic for the same facts and rulebook, and one app has
    one rulebook, so a repeated incident (a form re-posted, a page refreshed, the same question
    from several homes) skips the engine and the what-if runs. Holds no more than ``size``.
    """

    def __init__(self, size: int = ANSWER_CACHE_SIZE):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> Any:
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def _json(model: BaseModel, exclude_none: bool = True) -> Response:
    """Serialise once (skipping FastAPI's re-validation of the response model)."""
    return Response(model.model_dump_json(exclude_none=exclude_none), media_type="application/json")


# -- routers ----------------------------------------------------------------------------------
def health_router(decider: Decider) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=Health)
    def healthz() -> dict[str, Any]:
        """Cheap liveness: the rulebook is loaded. Makes no decision."""
        return {"status": "ok", "rulebook": decider.book.version, "rules": len(decider.book.rules)}

    @router.get("/readyz", response_model=Ready, responses={503: {"model": Problems}})
    def readyz(request: Request) -> Any:
        """Ready: the rulebook compiled and a probe decision (risk to life gives call_999) came out right.
        Stays 200 while records are unavailable (advice never waits on them); the body says which."""
        try:
            probe = decider.decide(PROBE).recommendation
        except Exception as exc:  # noqa: BLE001 - report, never crash the probe
            log.error("readiness probe failed: %s", type(exc).__name__)
            probe = None
        if probe is not Level.call_999:
            return JSONResponse(status_code=503, content={"detail": [
                {"field": "(engine)", "message": "the probe decision did not give call_999; not ready"}]})
        records = getattr(request.app.state, "records", None)
        return {"status": "ready", "rulebook": decider.book.version, "probe": probe, "advice": "ready",
                "records": records.guard.status().as_dict() if records is not None else None}

    return router


def decisions_router(decider: Decider, records: Records | None = None) -> APIRouter:
    router = APIRouter(tags=["decisions"])
    answers = _Answers()  # decisions are deterministic for the same facts and rulebook (CONTRACT.md)

    @router.post("/v1/decisions", response_model=Decision, response_model_exclude_none=True, responses=_422)
    async def decide(incident: Incident, explain: bool = False,
                     recording: Recording | None = Depends(recording_dependency(records, "decision"))) -> Response:
        """The contract's decision for the incident facts (for care staff, carers and providers' apps)."""
        # A decision is under a millisecond of CPU and no I/O: it runs on the event loop, which
        # avoids a thread hop and threads queueing for the engine's lock and the GIL.
        key = (incident.model_dump_json(), explain)
        cached = answers.get(key)
        if cached is None:
            decision = decider.decide(incident, explain=explain)
            cached = answers.put(key, (decision, decision.model_dump_json(exclude_none=True).encode()))
        decision, body = cached
        log.info("decision %s rules=%s", decision.recommendation.value,
                 ",".join(reason.rule for reason in decision.rationale))
        response = Response(body, media_type="application/json")
        if recording:  # ?record=true, or recording by default with a key (records/core.py)
            await recording.save(incident, decision, response)  # bounded, off the loop; never raises
        return response

    @router.post("/v1/call-checks", response_model=CallCheck, responses=_422)
    async def call_check(request: CallCheckRequest,
                         recording: Recording | None = Depends(recording_dependency(records, "call_check"))) -> Response:
        """For Force Control Room call handlers: is involving the police consistent with the guidance,
        which police response it points to, a THRIVE summary, the questions to ask and words to say."""
        # On the event loop like /v1/decisions: the JSON endpoints never wait there for the engine's
        # lock held by a threadpool request of their own kind (the HTML pages still decide in the
        # threadpool; a decision holds the lock for under a millisecond).
        check = check_call(request, decider)
        log.info("call-check %s response=%s rules=%s", check.state, check.police_response.kind,
                 ",".join(reason.rule for reason in check.rationale))
        response = _json(check, exclude_none=False)  # null says "not said", which matters here
        if recording:
            await recording.save(request, check, response)  # bounded, off the loop; never raises
        return response

    return router


def rules_router(decider: Decider) -> APIRouter:
    router = APIRouter(tags=["rules"])
    book = decider.book

    @router.get("/v1/rules", response_model=RuleList, response_model_exclude_none=True)
    def list_rules(theme: str | None = None) -> Response:
        """Every rule as people read it (id, title, reason, source, theme), and the rulebook version."""
        rules = [rule_out(rule, book) for rule in book.rules if theme is None or rule.theme == theme]
        return _json(RuleList(rulebook=book.version, rulebook_release=book.release, pack=book.pack or None,
                              count=len(rules), rules=rules))

    @router.get("/v1/contacts", response_model=ContactList, response_model_exclude_none=True)
    def list_contacts() -> Response:
        """The area pack's local contacts that the actions name (a null phone: not yet confirmed by the area)."""
        return _json(ContactList(rulebook=book.version, pack=book.pack or None, contacts=book.contacts),
                     exclude_none=False)

    @router.get("/v1/rules/{rule_id}", response_model=RuleOut, response_model_exclude_none=True,
                responses={404: {"model": Problems}})
    def get_rule(rule_id: str) -> Response:
        """One rule, by its stable id."""
        if rule_id not in book.by_id:
            return _not_found("rule", rule_id)
        return _json(rule_out(book.rule(rule_id), book))

    return router


def scenarios_router(directory: Path | None = None) -> APIRouter:
    """The scenario library, loaded on first use (a broken library does not stop decisions)."""
    from . import scenarios as library

    router = APIRouter(tags=["scenarios"])
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def load() -> dict[str, Any]:
        with lock:  # loaded once, broken or not: a broken library is not re-read on every request
            if not cache:
                try:
                    cache["by_id"] = {s.id: s for s in library.load_scenarios(directory)}
                except library.ScenarioError as exc:
                    log.error("scenario library cannot be loaded: %d problems", len(exc.problems))
                    cache["problems"] = exc.problems
        if "problems" in cache:
            raise HTTPException(503, detail=[{"field": "(scenarios)", "message": problem}
                                             for problem in cache["problems"]])
        return cache["by_id"]

    @router.get("/v1/scenarios", response_model=ScenarioList)
    def list_scenarios(audience: str | None = None) -> Response:
        """The training scenarios: id, title, who they are for, and how many steps."""
        items = [ScenarioSummary(id=s.id, title=s.title, audience=list(s.audience), summary=s.summary,
                                 steps=len(s.steps))
                 for s in load().values() if audience is None or audience in s.audience]
        return _json(ScenarioList(count=len(items), scenarios=items))

    @router.get("/v1/scenarios/{scenario_id}", response_model=library.Scenario,
                responses={404: {"model": Problems}, 503: {"model": Problems}})
    def get_scenario(scenario_id: str) -> Response:
        """One scenario in full: its steps, the facts revealed at each, and what callguide should answer."""
        scenario = load().get(scenario_id)
        if scenario is None:
            return _not_found("scenario", scenario_id)
        return Response(json.dumps(scenario.model_dump(mode="json", exclude={"file"})),
                        media_type="application/json")

    return router


def _not_found(what: str, ident: str) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": [
        {"field": f"{what}_id", "message": f"there is no {what} with the id {shown(ident)}"}]})


# -- the app ----------------------------------------------------------------------------------
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
        errors = _bounded([_problem(err, request.url.path) for err in exc.errors()])
        # the count and the kinds of problem, never the field names: an unknown field's name is the
        # client's text (a child's name, a forged log line), and so is any value (issue 12)
        log.info("invalid input %s: %d problems (%s)", request.url.path, len(errors),
                 ",".join(sorted({str(err.get("type", "?")) for err in exc.errors()})))
        return JSONResponse(status_code=422, content=jsonable_encoder({"detail": errors}))

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException) -> Response:
        """Every error body has one shape: ``{"detail": [{"field", "message"}]}``."""
        detail = exc.detail
        if isinstance(detail, str):
            field = "(document)" if exc.status_code == 400 else "(request)"
            message = f"could not be read; send {_noun(request.url.path)} as UTF-8 JSON" if exc.status_code == 400 else detail
            detail = [{"field": field, "message": message}]
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=exc.headers)
        if isinstance(detail, list) and all(isinstance(p, dict) and {"field", "message"} <= p.keys() for p in detail):
            detail = _bounded(detail)  # a route's own message may echo a path parameter
        response = JSONResponse(status_code=exc.status_code, content=jsonable_encoder({"detail": detail}),
                                headers=exc.headers)
        if exc.status_code == 401 and basic_allowed(request):
            # A second, separate challenge: browsers offer a login only for a scheme they know, and
            # Chromium reads just the first scheme of a combined "Bearer, Basic" header.
            response.headers.append("WWW-Authenticate", BASIC_CHALLENGE)
        return response

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> Response:
        page = get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title="callguide API",
                                   swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
                                   swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
                                   swagger_ui_parameters={"validatorUrl": None})  # no call to a validator site
        # Its own policy: the pages' one, with Swagger UI's inline start-up script allowed by its hash
        # and the inline styles Swagger UI sets on its elements.
        policy = page_policy(inline_script_hashes(bytes(page.body).decode()))
        page.headers["Content-Security-Policy"] = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        return page

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
    """Make the OpenAPI document's 422s say what :func:`_problem` really sends: ``{detail: [{field, message}]}``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            schemas = document.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = {
                    "title": "Problems", "type": "object", "required": ["detail"],
                    "properties": {"detail": {"type": "array", "title": "Detail",
                                              "items": {"$ref": "#/components/schemas/Problem"}}}}
                schemas.setdefault("Problem", {
                    "title": "Problem", "type": "object", "required": ["field", "message"],
                    "properties": {"field": {"type": "string", "title": "Field"},
                                   "message": {"type": "string", "title": "Message"}}})
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
    problems = {"application/json": {"schema": {"$ref": "#/components/schemas/Problems"}}}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Problems", {
        "title": "Problems", "type": "object", "required": ["detail"],
        "properties": {"detail": {"type": "array", "title": "Detail", "items": {"$ref": "#/components/schemas/Problem"}}}})
    schemas.setdefault("Problem", {
        "title": "Problem", "type": "object", "required": ["field", "message"],
        "properties": {"field": {"type": "string", "title": "Field"}, "message": {"type": "string", "title": "Message"}}})
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
    key = presented_key(request)
    if key is None:
        return unauthorised("an API key is needed")
    client = request.client.host if request.client else "-"
    try:
        principal = await records.run(records.keys.authenticate, key, client)
    except RecordsUnavailable:  # the key cannot be checked now: the route's own 503 says so
        return None
    return unauthorised("the API key is not valid") if principal is None else None


def _bounded(problems: list[dict[str, str]]) -> list[dict[str, str]]:
    """At most MAX_PROBLEMS problems, each field and message cut short: the error stays small
    whatever was sent."""
    shown_problems = [{"field": clip(p["field"], 120), "message": clip(p["message"])} for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        shown_problems.append({"field": "(document)", "message": f"and {len(problems) - MAX_PROBLEMS} more problems"})
    return shown_problems


def _noun(path: str) -> str:
    """What the body of a request to ``path`` is, in an error message."""
    if path == "/v1/erasures":
        return "the erasure request"
    if path.startswith("/v1/records/"):
        return "the outcome"
    return "the incident"


def _problem(err: dict[str, Any], path: str = "") -> dict[str, str]:
    what = _noun(path)
    if err.get("type") == "json_invalid":
        reason = (err.get("ctx") or {}).get("error", "not valid JSON")
        return {"field": "(document)", "message": f"is not valid JSON: {reason} (at character {err['loc'][-1]})"}
    if err.get("type") == "model_attributes_type" and tuple(err.get("loc", ())) == ("body",):
        if isinstance(err.get("input"), (bytes, str)):
            return {"field": "(document)", "message": f"send {what} as JSON, with Content-Type: application/json"}
        return {"field": "(document)", "message": "expected a JSON object with an 'incident' section"
                if what == "the incident" else "expected a JSON object"}
    field, message = describe_error(err)
    return {"field": field, "message": message}


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
