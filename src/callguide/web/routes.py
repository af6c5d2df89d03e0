"""Page routes: "Should I call?", the call check and the scenario walkthrough.

Server-rendered with Jinja2 and styled with govuk-frontend (vendored by
``scripts/vendor-govuk-frontend``); every page works as plain HTML forms with JavaScript off.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ..decision import Decider
from ..facts import Level
from . import callcheck_form, flow

log = logging.getLogger("callguide.web")
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals.update(
    level_title=flow.level_title,
    level_body=lambda level: flow.LEVEL_BODIES[str(getattr(level, "value", level))],
    answer_label=flow.answer_label,
    key_label=lambda fact: flow.KEY_LABELS.get(fact, fact),
    deadline=lambda by: flow.DEADLINES.get(by, by),
    query=flow.query,
    static=lambda path: f"/static/{path}",
)


def install(app: FastAPI, *, scenarios_dir: Path | None = None) -> None:
    """Adds the pages and their static files to the service's app; the walkthrough pages read the
    scenarios in ``scenarios_dir`` (the library's default when None), like ``/v1/scenarios``."""
    from . import walkthrough_routes  # the trainer's pages (issue 18): their own module

    app.state.web_scenarios = walkthrough_routes.ScenarioLibrary(scenarios_dir)
    app.include_router(router)
    app.include_router(walkthrough_routes.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")


def _decider(request: Request) -> Decider:
    return request.app.state.decider


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    version = _decider(request).book.version
    context.setdefault("section", None)
    context.setdefault("error", None)
    context["rulebook_short"] = version.split(":")[-1][:12]
    context["rulebook_release"] = _decider(request).book.release  # the base template's review notice
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return _page(request, "index.html")


# -- Should I call? --------------------------------------------------------------------------
SECTION = "should"


def _step_url(step: str, state: dict[str, Any]) -> str:
    if step == "call-999":
        return f"/should-i-call/call-999?{flow.query(state)}"
    if step == "check":
        return f"/should-i-call/check?{flow.query(state)}"
    return f"/should-i-call/question?{flow.query(state, fact=step)}"


def _back(fact: str | None, state: dict[str, Any]) -> str:
    """The page before this one: the answer before it, or the start page."""
    answered = [path for path, _ in flow.ordered(state)]
    if fact in answered:
        answered = answered[: answered.index(fact)]
    if not answered:
        return "/should-i-call"
    return f"/should-i-call/question?{flow.query(state, fact=answered[-1])}"


@router.get("/should-i-call", response_class=HTMLResponse)
def should_start(request: Request) -> HTMLResponse:
    return _page(request, "should/start.html", section=SECTION)


def _question_page(request: Request, fact: str, state: dict[str, Any], current: Any = None,
                   error: str | None = None) -> HTMLResponse:
    decider = _decider(request)
    q = flow.question(fact, decider)
    if current is None and fact in state:
        current = dict(flow.encode({fact: state[fact]}))[fact]
    field_id = "answer-" + fact.replace(".", "-")
    return _page(request, "should/question.html", status_code=400 if error else 200, section=SECTION,
                 q=q, pairs=flow.encode(state), current=current, error=error,
                 errors=[(field_id, error)] if error else [], back=_back(fact, state))


@router.get("/should-i-call/question", response_class=HTMLResponse)
def should_question(request: Request) -> Response:
    decider = _decider(request)
    state = flow.read_state(request.query_params.multi_items(), decider)
    fact = request.query_params.get("fact")
    if fact not in flow.fact_paths():
        return RedirectResponse(_step_url(flow.next_step(state, decider), state), status_code=303)
    return _question_page(request, fact, state)


@router.post("/should-i-call/question", response_class=HTMLResponse)
async def should_answer(request: Request) -> Response:
    decider = _decider(request)
    form = await request.form()
    fact = str(form.get("fact", ""))
    items = [(k, str(v)) for k, v in form.multi_items() if k not in ("fact", "answer")]
    state = flow.read_state(items, decider)
    if fact not in flow.fact_paths():
        return RedirectResponse(_step_url(flow.next_step(state, decider), state), status_code=303)
    raw = str(form.get("answer") or "")
    try:
        value = flow.parse_answer(fact, raw, decider)
    except flow.AnswerError as exc:
        return _question_page(request, fact, state, current=raw, error=str(exc))
    state = flow.prune({**state, fact: value}, decider)
    return RedirectResponse(_step_url(flow.next_step(state, decider), state), status_code=303)


@router.get("/should-i-call/call-999", response_class=HTMLResponse)
def should_call_999(request: Request) -> HTMLResponse:
    decider = _decider(request)
    state = flow.read_state(request.query_params.multi_items(), decider)
    # The rules' reasons and actions are shown only when they too say call 999.
    decision = decider.decide(flow.incident(state))
    if decision.recommendation is not Level.call_999:
        decision = None
    return _page(request, "should/call999.html", section=SECTION, decision=decision,
                 back=f"/should-i-call/question?{flow.query(state, fact=flow.DANGER)}")


@router.get("/should-i-call/check", response_class=HTMLResponse)
def should_check(request: Request) -> Response:
    decider = _decider(request)
    state = flow.read_state(request.query_params.multi_items(), decider)
    step = flow.next_step(state, decider)
    if step != "check":
        return RedirectResponse(_step_url(step, state), status_code=303)
    return _page(request, "should/check.html", section=SECTION, state=state, pairs=flow.encode(state),
                 answers=flow.ordered(state), back=_back(None, state))


@router.get("/should-i-call/result", response_class=HTMLResponse)
def should_result(request: Request) -> Response:
    decider = _decider(request)
    state = flow.read_state(request.query_params.multi_items(), decider)
    if flow.DANGER not in state or flow.KIND not in state:
        return RedirectResponse(_step_url(flow.next_step(state, decider), state), status_code=303)
    if flow.needs_999(state, decider):
        return RedirectResponse(_step_url("call-999", state), status_code=303)
    decision = decider.decide(flow.incident(state))
    return _page(request, "should/result.html", section=SECTION, state=state, decision=decision,
                 open_questions=flow.unanswered_questions(decision, state),
                 record=flow.record(state, decision))


# -- Call check ----------------------------------------------------------------------------------
THRIVE_ROWS = [("threat", "Threat"), ("harm", "Harm"), ("risk", "Risk"), ("investigation", "Investigation"),
               ("vulnerability", "Vulnerability"), ("engagement", "Engagement")]


def _call_check_page(request: Request, items: list[tuple[str, str]]) -> HTMLResponse:
    from ..callcheck import check_call

    shown, body, errors = callcheck_form.read(items)
    kind_given = "kind" in body.get("incident", {})
    body.setdefault("incident", {}).setdefault("kind", "other")
    check = check_call(body, _decider(request))
    return _page(request, "callcheck.html", status_code=400 if errors else 200, section="callcheck",
                 groups=callcheck_form.GROUPS, shown=shown, errors=errors, error_for=dict(errors),
                 check=check, kind_given=kind_given, thrive_rows=THRIVE_ROWS, error=bool(errors))


@router.get("/call-check", response_class=HTMLResponse)
def call_check_page(request: Request) -> HTMLResponse:
    return _call_check_page(request, list(request.query_params.multi_items()))


@router.post("/call-check", response_class=HTMLResponse)
async def call_check_post(request: Request) -> HTMLResponse:
    form = await request.form()
    return _call_check_page(request, [(k, str(v)) for k, v in form.multi_items()])
