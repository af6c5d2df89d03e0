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
from typing import Any, Awaitable, Callable, Iterable, MutableMapping

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .callcheck import CallCheck, CallCheckRequest, check_call
from .decision import Decider, Decision, plain
from .facts import Incident, Level, describe_error
from .rulebook import Rule, Rulebook
from .records import Recording, Records, install_records, recording_dependency  # decision records (issue 6)

log = logging.getLogger("callguide.service")

MAX_BODY_BYTES = 64 * 1024  # an incident is a few hundred bytes; 64 KiB is generous
ANSWER_CACHE_SIZE = 4096  # finished decisions kept per process (a few KB each)
DRAIN_FACTOR = 16  # bodies up to 16x the limit are read and dropped before the 413; larger ones are cut off

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


# -- request size -------------------------------------------------------------------------------
class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, by Content-Length and by bytes read.

    A pure ASGI middleware (cheaper than ``BaseHTTPMiddleware``). A declared Content-Length over
    the limit is refused before anything is read; otherwise the body is read here, up to the
    limit, and replayed to the app, so a chunked or lying client cannot stream more.
    """

    def __init__(self, app: Callable[..., Awaitable[None]], limit: int = MAX_BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            if declared <= self.limit * DRAIN_FACTOR:
                await _drain(receive, self.limit * DRAIN_FACTOR)
            await _too_large(send, self.limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                if message.get("more_body", False):
                    await _drain(receive, self.limit * DRAIN_FACTOR - size)
                await _too_large(send, self.limit)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay_receive() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, replay_receive, send)


async def _drain(receive: Receive, budget: int) -> None:
    """Read and drop a modestly oversized body, so the client sees the 413 rather than a reset."""
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": [{"field": "(document)", "message":
                                   f"is too large: the limit is {limit:,} bytes; an incident needs far less"}]}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


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
    rulebook: str


class RuleList(BaseModel):
    rulebook: str
    count: int
    rules: list[RuleOut]


class Health(BaseModel):
    status: str
    rulebook: str
    rules: int


class Ready(BaseModel):
    status: str
    rulebook: str
    probe: Level


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
                   recommends=rule.then.recommend, strength=rule.then.strength, rulebook=book.version)


PROBE = {"incident": {"kind": "assault", "risk_to_life": True}}

_422 = {400: {"model": Problems, "description": "The body could not be read (for example, not UTF-8)."},
        422: {"model": Problems, "description": "Invalid input: each problem names the field."},
        413: {"model": Problems, "description": "The request body is too large."},
        401: {"model": Problems, "description": "Recording was asked for (record=true) without a valid API key."},
        403: {"model": Problems, "description": "The API key's role may not record."}}


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
    def readyz() -> Any:
        """Ready: the rulebook compiled and a probe decision (risk to life gives call_999) came out right."""
        try:
            probe = decider.decide(PROBE).recommendation
        except Exception as exc:  # noqa: BLE001 - report, never crash the probe
            log.error("readiness probe failed: %s", type(exc).__name__)
            probe = None
        if probe is not Level.call_999:
            return JSONResponse(status_code=503, content={"detail": [
                {"field": "(engine)", "message": "the probe decision did not give call_999; not ready"}]})
        return {"status": "ready", "rulebook": decider.book.version, "probe": probe}

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
        if recording:  # ?record=true with a staff key, or recording by default (records/__init__.py)
            await run_in_threadpool(recording.save, incident, decision, response)  # database I/O
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
            await run_in_threadpool(recording.save, request, check, response)  # database I/O
        return response

    return router


def rules_router(decider: Decider) -> APIRouter:
    router = APIRouter(tags=["rules"])
    book = decider.book

    @router.get("/v1/rules", response_model=RuleList, response_model_exclude_none=True)
    def list_rules(theme: str | None = None) -> Response:
        """Every rule as people read it (id, title, reason, source, theme), and the rulebook version."""
        rules = [rule_out(rule, book) for rule in book.rules if theme is None or rule.theme == theme]
        return _json(RuleList(rulebook=book.version, count=len(rules), rules=rules))

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
        {"field": f"{what}_id", "message": f"there is no {what} with the id {ident!r}"}]})


# -- the app ----------------------------------------------------------------------------------
def create_app(decider: Decider | None = None, *, routers: Iterable[APIRouter] = (),
               max_body_bytes: int = MAX_BODY_BYTES, scenarios_dir: Path | None = None) -> FastAPI:
    decider = decider or Decider()
    app = FastAPI(
        title="callguide",
        version="1.0",
        description="Should I call the police about a child in care? Decision support from the "
                    "Northamptonshire joint protocol. Every answer cites its source. "
                    "If anyone is in immediate danger, call 999.",
    )
    app.state.decider = decider
    app.add_middleware(BodyLimit, limit=max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_problem(err) for err in exc.errors()]
        log.info("invalid input %s fields=%s", request.url.path, ",".join(e["field"] for e in errors))
        return JSONResponse(status_code=422, content=jsonable_encoder({"detail": errors}))

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException) -> Response:
        """Every error body has one shape: ``{"detail": [{"field", "message"}]}``."""
        detail = exc.detail
        if isinstance(detail, str):
            field = "(document)" if exc.status_code == 400 else "(request)"
            message = "could not be read; send the incident as UTF-8 JSON" if exc.status_code == 400 else detail
            detail = [{"field": field, "message": message}]
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=exc.headers)
        return JSONResponse(status_code=exc.status_code, content=jsonable_encoder({"detail": detail}),
                            headers=exc.headers)

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
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problem(err: dict[str, Any]) -> dict[str, str]:
    if err.get("type") == "json_invalid":
        reason = (err.get("ctx") or {}).get("error", "not valid JSON")
        return {"field": "(document)", "message": f"is not valid JSON: {reason} (at character {err['loc'][-1]})"}
    if err.get("type") == "model_attributes_type" and tuple(err.get("loc", ())) == ("body",):
        if isinstance(err.get("input"), (bytes, str)):
            return {"field": "(document)", "message": "send the incident as JSON, with Content-Type: application/json"}
        return {"field": "(document)", "message": "expected a JSON object with an 'incident' section"}
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
