"""Page routes: "Should I call?", the call check and the scenario walkthrough.

Server-rendered with Jinja2 and styled with govuk-frontend (vendored by
``scripts/vendor-govuk-frontend``); every page works as plain HTML forms with JavaScript off.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from jinja2 import pass_context

from ..decision import Decider
from ..facts import Level
from . import answer, callcheck_form, errors, flow, happened
from .words import Words

log = logging.getLogger("callguide.web")
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


# The page being rendered's Words, for macros imported without the page's context.
_RENDERING: ContextVar[Words] = ContextVar("callguide_page_words")


def _words_of(context: Any) -> Words:
    """The page's :class:`Words`."""
    found = context.get("words")
    return found if found is not None else _RENDERING.get()


# Globals the walkthrough templates use too (issue 18 owns those templates): kept, and backed by
# the vocabulary through the page's Words.
templates.env.globals.update(
    level_title=pass_context(lambda c, level: _words_of(c).level_title(level)),
    level_body=pass_context(lambda c, level: _words_of(c).level_body(level)),
    answer_label=pass_context(lambda c, fact, value: _words_of(c).answer(fact, value)),
    key_label=pass_context(lambda c, fact: _words_of(c).label(fact)),
    deadline=pass_context(lambda c, by: _words_of(c).deadline(by)),
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
    errors.install(app, templates)  # HTML error pages for browsers, outside /v1/ (issue 14)


def _decider(request: Request) -> Decider:
    return request.app.state.decider


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    decider = _decider(request)
    context.setdefault("section", None)
    context.setdefault("error", None)
    context.setdefault("words", Words(flow.vocabulary(decider), context.get("state")))
    context["rulebook_short"] = errors.rulebook_short(decider)
    context["rulebook_release"] = decider.book.release  # the base template's review notice
    token = _RENDERING.set(context["words"])
    try:  # TemplateResponse renders here, in this thread
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
    finally:
        _RENDERING.reset(token)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# -- Should I call? (issue 14: the danger question is the first page a phone sees) -----------------
SECTION = "should"


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The start: the immediate-danger question itself, with 999 one tap away."""
    return _question_page(request, flow.DANGER, {}, start=True)


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
    return _question_page(request, flow.DANGER, {}, start=True)


def _question_page(request: Request, fact: str, state: dict[str, Any], current: Any = None,
                   error: str | None = None, start: bool = False) -> HTMLResponse:
    decider = _decider(request)
    q = flow.question(fact, decider, state)
    if current is None and fact == flow.KIND:
        current = happened.current(state)
    elif current is None and fact in state:
        current = dict(flow.encode({fact: state[fact]}))[fact]
    field_id = "answer-" + fact.replace(".", "-")
    return _page(request, "should/question.html", status_code=400 if error else 200, section=SECTION,
                 q=q, state=state, pairs=flow.encode(state), current=current, error=error, start=start,
                 errors=[(field_id, error)] if error else [], back=None if start else _back(fact, state))


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
        state = flow.answer(state, fact, raw, decider)
    except flow.AnswerError as exc:
        return _question_page(request, fact, state, current=raw, error=str(exc),
                              start=bool(form.get("start")))
    return RedirectResponse(_step_url(flow.next_step(state, decider), state), status_code=303)


@router.get("/should-i-call/call-999", response_class=HTMLResponse)
def should_call_999(request: Request) -> HTMLResponse:
    decider = _decider(request)
    state = flow.read_state(request.query_params.multi_items(), decider)
    # The rules' reasons and actions are shown only when they too say call 999.
    decision = decider.decide(flow.incident(state))
    if decision.recommendation is not Level.call_999:
        decision = None
    return _page(request, "should/call999.html", section=SECTION, decision=decision, state=state,
                 medical=answer.medical_first(state),
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


def _answer_context(request: Request) -> dict[str, Any] | Response:
    """The decision for the answers in the address, or where to go first (danger, 999)."""
    decider = _decider(request)
    state = flow.read_state(request.query_params.multi_items(), decider)
    if flow.DANGER not in state or flow.KIND not in state:
        return RedirectResponse(_step_url(flow.next_step(state, decider), state), status_code=303)
    if flow.needs_999(state, decider):
        return RedirectResponse(_step_url("call-999", state), status_code=303)
    decision = decider.decide(flow.incident(state))
    words = Words(flow.vocabulary(decider), state)
    return {"state": state, "decision": decision, "words": words,
            "title": answer.title(state, decision, words), "body": answer.body(state, decision, words),
            "medical": answer.medical_first(state), "medical_line": answer.MEDICAL_LINE}


@router.get("/should-i-call/result", response_class=HTMLResponse)
def should_result(request: Request) -> Response:
    context = _answer_context(request)
    if isinstance(context, Response):
        return context
    decision = context["decision"]
    return _page(request, "should/result.html", section=SECTION, split=answer.do_now(decision),
                 open_questions=flow.unanswered_questions(decision, context["state"]), **context)


@router.get("/should-i-call/record", response_class=HTMLResponse)
def should_record(request: Request) -> Response:
    """The record for the young person's file: its own page, made for printing."""
    context = _answer_context(request)
    if isinstance(context, Response):
        return context
    return _page(request, "should/record.html", section=SECTION,
                 record=answer.record(context["state"], context["decision"], context["words"]), **context)


# -- Call check (issue 14: one screen at 1366x768; the result column has its own scroll) ------------
def _call_check_page(request: Request, items: list[tuple[str, str]], fragment: bool = False) -> HTMLResponse:
    from ..callcheck import check_call

    decider = _decider(request)
    vocab = flow.vocabulary(decider)
    shown, body, errors_found = callcheck_form.read(items, vocab)
    asks = callcheck_form.first_asks(body, vocab)
    kind_given = "kind" in body.get("incident", {})
    body.setdefault("incident", {}).setdefault("kind", "other")
    check = check_call(body, decider)
    ready = callcheck_form.verdict_ready(check, kind_given)
    known = check_known(body)
    name = "callcheck_result.html" if fragment else "callcheck.html"
    return _page(request, name, status_code=400 if errors_found else 200, section="callcheck",
                 groups=callcheck_form.groups(vocab), shown=shown, errors=errors_found,
                 error_for=dict(errors_found), check=check, ready=ready, kind_given=kind_given,
                 thrive_rows=callcheck_form.THRIVE_ROWS, error=bool(errors_found),
                 words=Words(vocab, known), first_asks=asks,
                 thrive_facts=callcheck_form.thrive_facts(check, vocab))


def check_known(body: dict[str, Any]) -> dict[str, Any]:
    return {f"{section}.{key}": value for section, facts in body.items() for key, value in facts.items()}


@router.get("/call-check", response_class=HTMLResponse)
def call_check_page(request: Request) -> HTMLResponse:
    return _call_check_page(request, list(request.query_params.multi_items()))


@router.post("/call-check", response_class=HTMLResponse)
async def call_check_post(request: Request) -> HTMLResponse:
    """The form's post; with ``view=result`` (the page's script, on every change) only the result
    column, rendered by the same template as the whole page."""
    form = await request.form()
    items = [(k, str(v)) for k, v in form.multi_items()]
    return _call_check_page(request, items, fragment=form.get("view") == "result")
