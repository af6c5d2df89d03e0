"""Page routes: "Should I call?", the call check and the scenario walkthrough.

Server-rendered with Jinja2 and styled with govuk-frontend (vendored by
``scripts/vendor-govuk-frontend``); every page works as plain HTML forms with JavaScript off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ..facts import Level
from . import answer, callcheck_form, errors, flow, happened, so_far, walkthrough_routes
from .pages import STATIC_DIR, decider_of, page, templates
from .words import Words

router = APIRouter(include_in_schema=False)


def install(app: FastAPI, *, scenarios_dir: Path | None = None) -> None:
    """Adds the pages and their static files to the service's app; the walkthrough pages read the
    scenarios in ``scenarios_dir`` (the library's default when None), like ``/v1/scenarios``."""
    app.state.web_scenarios = walkthrough_routes.ScenarioLibrary(scenarios_dir)
    app.include_router(router)
    app.include_router(walkthrough_routes.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    errors.install(app, templates)  # HTML error pages for browsers, outside /v1/ (issue 14)


# -- The icon: /favicon.ico is asked for by browsers (and by pages without an icon link); the pages
# link the SVG. A week in caches: it carries no advice.
ICON_CACHE = "public, max-age=604800"


@router.get("/favicon.ico")
def favicon_ico() -> FileResponse:
    return FileResponse(STATIC_DIR / "favicon.ico", media_type="image/x-icon", headers={"Cache-Control": ICON_CACHE})


@router.get("/favicon.svg")
def favicon_svg() -> FileResponse:
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml", headers={"Cache-Control": ICON_CACHE})


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


# A question opened by "Change" on check your answers: its Back link goes back there (GOV.UK's
# pattern for changing an answer), and Continue comes back there once nothing new needs asking.
CHANGE = "change"
FROM_CHECK = "check"


def _question_page(request: Request, fact: str, state: dict[str, Any], current: Any = None,
                   error: str | None = None, start: bool = False, from_check: bool = False) -> HTMLResponse:
    decider = decider_of(request)
    q = flow.question(fact, decider, state)
    if current is None and fact == flow.KIND:
        current = happened.current(state)
    elif current is None and fact in state:
        current = dict(flow.encode({fact: state[fact]}))[fact]
    field_id = "answer-" + fact.replace(".", "-")
    # An answer refused is the same page again with the error, 200 as GOV.UK forms are (a 400 shows
    # as a failed load in the browser's console); the JSON API keeps its 422.
    return page(request, "should/question.html", section=SECTION,
                 q=q, state=state, pairs=flow.encode(state), current=current, error=error, start=start,
                 errors=[(field_id, error)] if error else [], from_check=from_check,
                 offer_answer=not start and not from_check and so_far.answer_so_far(state, decider),
                 back=None if start else f"/should-i-call/check?{flow.query(state)}" if from_check
                 else _back(fact, state))


# An answer refused is sent back to its question's own address with what was tried (``tried``), so
# the page with the error is a GET: the browser's Back from the next page never lands on a form post
# ("Confirm form resubmission"), and reloading it shows the same error.
TRIED = "tried"
START = "start"


@router.get("/should-i-call/question", response_class=HTMLResponse)
def should_question(request: Request) -> Response:
    decider = decider_of(request)
    state = flow.read_state(request.query_params.multi_items(), decider)
    fact = request.query_params.get("fact")
    if fact not in flow.fact_paths():
        return RedirectResponse(_step_url(flow.next_step(state, decider), state), status_code=303)
    from_check = request.query_params.get(CHANGE) == FROM_CHECK
    tried = request.query_params.get(TRIED)
    if tried is not None:
        try:
            flow.answer(state, fact, tried, decider)
        except flow.AnswerError as exc:
            return _question_page(request, fact, state, current=tried, error=_named(fact, str(exc), decider, state),
                                  start=fact == flow.DANGER and request.query_params.get(START) == "1",
                                  from_check=from_check)
    return _question_page(request, fact, state, from_check=from_check)


@router.post("/should-i-call/question", response_class=HTMLResponse)
async def should_answer(request: Request) -> Response:
    decider = decider_of(request)
    form = await request.form()
    fact = str(form.get("fact", ""))
    items = [(k, str(v)) for k, v in form.multi_items() if k not in ("fact", "answer", CHANGE)]
    state = flow.read_state(items, decider)
    if fact not in flow.fact_paths():
        return RedirectResponse(_step_url(flow.next_step(state, decider), state), status_code=303)
    raw = str(form.get("answer") or "")
    try:
        answered = flow.answer(state, fact, raw, decider)
    except flow.AnswerError:
        flags = {TRIED: raw, **({START: "1"} if form.get(START) else {}),
                 **({CHANGE: FROM_CHECK} if form.get(CHANGE) == FROM_CHECK else {})}
        return RedirectResponse(f"/should-i-call/question?{flow.query(state, fact=fact, **flags)}", status_code=303)
    return RedirectResponse(_step_url(flow.next_step(answered, decider), answered), status_code=303)


def _named(fact: str, message: str, decider: Any, state: dict[str, Any]) -> str:
    """An error that names its question: no choice made on a page of radios says which question
    (GOV.UK: the message is specific to the field), not only "Select an answer". "What happened?"
    and the danger question have their own words already, and a number's error names its field."""
    q = flow.question(fact, decider, state)
    if q.kind != "radios" or fact in (flow.KIND, flow.DANGER):
        return message
    return f"Select an answer to \u201c{q.ask}\u201d, or \u201cI don\u2019t know\u201d"


@router.get("/should-i-call/call-999", response_class=HTMLResponse)
def should_call_999(request: Request) -> HTMLResponse:
    decider = decider_of(request)
    state = flow.read_state(request.query_params.multi_items(), decider)
    # The rules' reasons and actions are shown only when they too say call 999; whether to ask for
    # an ambulance follows their actions (medical help first) either way.
    decision = decider.decide(flow.incident(state))
    medical = answer.medical_first(decision)
    if decision.recommendation is not Level.call_999:
        decision = None
    now = [] if decision is None else answer.emergency_now(decision, decider.book)
    return page(request, "should/call999.html", section=SECTION, decision=decision, state=state,
                 medical=medical, now=now,
                 back=_back(None, state))  # the last answer given (the one that made it 999), to change it


@router.get("/should-i-call/check", response_class=HTMLResponse)
def should_check(request: Request) -> Response:
    decider = decider_of(request)
    state = flow.read_state(request.query_params.multi_items(), decider)
    step = flow.next_step(state, decider)
    if step != "check":
        return RedirectResponse(_step_url(step, state), status_code=303)
    return page(request, "should/check.html", section=SECTION, state=state, pairs=flow.encode(state),
                 answers=flow.ordered(state), back=_back(None, state))


def _answer_context(request: Request) -> dict[str, Any] | Response:
    """The decision for the answers in the address, or where to go first (danger, 999)."""
    decider = decider_of(request)
    state = flow.read_state(request.query_params.multi_items(), decider)
    if flow.DANGER not in state or flow.KIND not in state:
        return RedirectResponse(_step_url(flow.next_step(state, decider), state), status_code=303)
    decision = decider.decide(flow.incident(state))
    if flow.needs_999(state, decision):
        return RedirectResponse(_step_url("call-999", state), status_code=303)
    words = Words(flow.vocabulary(decider), state)
    lead = answer.lead(state, decision, words, decider.book)
    return {"state": state, "decision": decision, "words": words, "lead": lead,
            "title": lead.title, "body": lead.body, "medical": lead.medical, "medical_line": lead.medical_line}


@router.get("/should-i-call/result", response_class=HTMLResponse)
def should_result(request: Request) -> Response:
    context = _answer_context(request)
    if isinstance(context, Response):
        return context
    decision = context["decision"]
    return page(request, "should/result.html", section=SECTION, split=answer.do_now(decision),
                 open_questions=so_far.unanswered_questions(decision, context["state"], context["words"].vocabulary),
                 **context)


@router.get("/should-i-call/record", response_class=HTMLResponse)
def should_record(request: Request) -> Response:
    """The record for the young person's file: its own page, made for printing."""
    context = _answer_context(request)
    if isinstance(context, Response):
        return context
    return page(request, "should/record.html", section=SECTION,
                 record=answer.record(context["state"], context["decision"], context["words"], context["lead"]),
                 **context)


# -- Call check (issue 14: one screen at 1366x768; the result column has its own scroll) ------------
def _call_check_page(request: Request, items: list[tuple[str, str]], fragment: bool = False) -> HTMLResponse:
    from ..callcheck import check_call

    decider = decider_of(request)
    vocab = flow.vocabulary(decider)
    shown, body, errors_found = callcheck_form.read(items, vocab)
    answered = set(check_known(body))
    kind_given = flow.KIND in answered
    body.setdefault("incident", {}).setdefault("kind", callcheck_form.KIND_NOT_SAID)
    check = check_call(body, decider)
    ready = callcheck_form.verdict_ready(check, kind_given)
    known = check_known(body)
    asks = [] if ready else callcheck_form.first_asks(check, answered, decider.book, known)
    name = "callcheck_result.html" if fragment else "callcheck.html"
    return page(request, name, section="callcheck",  # errors or not, 200: the form again (as above)
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
