"""The trainer's pages: pick scenarios, walk a group through one, print a handout and answers.

- ``/walkthrough``: the scenarios (built-in and the trainer's own), filtered by audience and topic.
- ``/walkthrough/{id}?step=N``: step N's words and facts; ``&answer=1`` shows the answer too (a
  two-stage reveal that works as plain links without JavaScript; with it, the arrow keys, space
  and page up/down move through the stages, as a presentation clicker does).
- ``/walkthrough/{id}/handout`` and ``/walkthrough/{id}/answers``: the group's sheet and the
  facilitator's answer sheet, to print from the browser; ``/walkthrough/handout`` and
  ``/walkthrough/answers`` do the same for a course (``?id=a&id=b``, or ``?audience=&topic=``).

A scenario whose own expected answers fail is refused with the reasons, never shown to a group.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..decision import Decider
from ..scenarios import AUDIENCES, Scenario, ScenarioError
from .pages import page, templates

log = logging.getLogger("callguide.web")
router = APIRouter(include_in_schema=False)
SECTION = "walkthrough"


def _templates_know_sources() -> None:
    from ..scenarios import AUDIENCE_WORDS
    from ..walkthrough import public_source
    templates.env.globals.setdefault("public_source", public_source)
    templates.env.globals.setdefault("audience_words", lambda names: ", ".join(AUDIENCE_WORDS.get(a, a) for a in names))


_templates_know_sources()


@dataclass
class Entry:
    scenario: Scenario
    problems: list[str]     # why it cannot be shown; empty when it passes
    topics: list[str]


class ScenarioLibrary:
    """The scenarios for the walkthrough pages, read once per app (broken or not, so a broken
    library is not re-read on every request); each scenario is checked and its steps decided
    once: the app's decider and its rulebook do not change while it runs."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._scenarios: list[Scenario] | None = None
        self._problems: list[str] = []
        self._entries: dict[str, Entry] = {}
        self._views: dict[tuple[str, str | None], list] = {}

    def scenarios(self) -> list[Scenario]:
        """Every scenario, sorted by id; raises ``ScenarioError`` (every time) if the library is broken."""
        from .. import scenarios as library

        with self._lock:
            if self._scenarios is None and not self._problems:
                try:
                    self._scenarios = library.load_scenarios(self.directory)
                except ScenarioError as exc:
                    log.error("scenario library cannot be loaded for the walkthrough: %d problems",
                              len(exc.problems))
                    self._problems = list(exc.problems) or ["the scenario library cannot be loaded"]
        if self._problems:
            raise ScenarioError(self._problems)
        return self._scenarios or []

    def entry(self, decider: Decider, scenario: Scenario) -> Entry:
        from ..scenarios import run_scenario, scenario_problems, topics

        with self._lock:
            if scenario.id not in self._entries:
                result = run_scenario(decider, scenario)
                problems = scenario_problems(decider, scenario, result)
                self._entries[scenario.id] = Entry(scenario, problems, topics(scenario, result, decider.book))
            return self._entries[scenario.id]

    def views(self, decider: Decider, scenario: Scenario, audience: str | None = None) -> list:
        from .. import walkthrough

        key = (scenario.id, walkthrough.view_audience(scenario, audience))
        with self._lock:
            if key not in self._views:
                self._views[key] = walkthrough.build(decider, scenario, key[1])
            return self._views[key]


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return page(request, name, status_code=status_code, section=SECTION, **context)


def _decider(request: Request) -> Decider:
    return request.app.state.decider


def _library(request: Request) -> ScenarioLibrary:
    return request.app.state.web_scenarios


def _broken(request: Request) -> HTMLResponse:
    return _page(request, "walkthrough/unavailable.html", status_code=503)


def _choice(value: str | None, allowed: list[str] | tuple[str, ...]) -> str | None:
    """A filter from the address: one of ``allowed``, else no filter (a hand-edited address)."""
    return value if value in allowed else None


@router.get("/walkthrough", response_class=HTMLResponse)
def walkthrough_list(request: Request, error: str | None = None) -> HTMLResponse:
    library, decider = _library(request), _decider(request)
    try:
        scenarios = library.scenarios()
    except ScenarioError:
        return _broken(request)
    entries = [library.entry(decider, s) for s in scenarios]
    topics = _topics(request, scenarios)
    audience = _choice(request.query_params.get("audience"), AUDIENCES)
    topic = _choice(request.query_params.get("topic"), list(topics))
    shown = [e for e in entries if (not audience or audience in e.scenario.audience)
             and (not topic or topic in e.topics)]
    filters = _filters(audience, topic)
    return _page(request, "walkthrough/list.html", entries=shown, audiences=AUDIENCES, topics=topics,
                 audience=audience, topic=topic, filters=filters, total=len(entries),
                 errors=[(_first_box(shown), error)] if error else [])


def _first_box(entries: list[Entry]) -> str:
    """The id of the first tick box on the list (where an error about the session takes the focus)."""
    first = next((e for e in entries if not e.problems), None)
    return f"session-{first.scenario.id}" if first else "session-first"


def _course(request: Request) -> tuple[list[Entry], str | None]:
    """The scenarios for a course handout: ``?id=`` in order, else those matching the filters."""
    library, decider = _library(request), _decider(request)
    scenarios = library.scenarios()
    by_id = {s.id: s for s in scenarios}
    ids = [i for i in request.query_params.getlist("id") if i in by_id]
    audience = _choice(request.query_params.get("audience"), AUDIENCES)
    topic = request.query_params.get("topic")
    if ids:
        chosen = [library.entry(decider, by_id[i]) for i in ids]
    else:
        chosen = [e for e in (library.entry(decider, s) for s in scenarios)
                  if (not audience or audience in e.scenario.audience) and (not topic or topic in e.topics)]
    return chosen, audience


def _sheet(request: Request, entries: list[Entry], audience: str | None, answers: bool) -> HTMLResponse:
    refused = [e for e in entries if e.problems]
    if refused or not entries:
        return _page(request, "walkthrough/refused.html", status_code=422 if refused else 404, refused=refused)
    decider = _decider(request)
    sessions = [(e.scenario, _library(request).views(decider, e.scenario, audience)) for e in entries]
    return _page(request, "walkthrough/answers.html" if answers else "walkthrough/handout.html",
                 sessions=sessions, course=len(sessions) > 1)


def _course_sheet(request: Request, answers: bool) -> HTMLResponse:
    try:
        entries, audience = _course(request)
    except ScenarioError:
        return _broken(request)
    return _sheet(request, entries, audience, answers=answers)


@router.get("/walkthrough/handout", response_class=HTMLResponse)
def course_handout(request: Request) -> HTMLResponse:
    return _course_sheet(request, answers=False)


@router.get("/walkthrough/answers", response_class=HTMLResponse)
def course_answers(request: Request) -> HTMLResponse:
    return _course_sheet(request, answers=True)


SESSION = "id"  # the scenarios of a trainer's session, in order (?id=a&id=b, as a course handout's)
NONE_TICKED = "Tick at least one scenario for your session"


def _filters(audience: str | None, topic: str | None = None) -> str:
    """The list's filters as a query (``audience=call_handlers&topic=missing``), empty for none."""
    return "&".join(f"{k}={v}" for k, v in (("audience", audience), ("topic", topic)) if v)


def _list_url(audience: str | None, topic: str | None = None) -> str:
    """The scenario list, filtered as it was when the session was built from it."""
    filters = _filters(audience, topic)
    return "/walkthrough" + (f"?{filters}" if filters else "")


def _topics(request: Request, scenarios: list[Scenario]) -> dict[str, str]:
    """The topics the list offers, with their words: the rulebook's themes and the scenarios' own."""
    themes = _decider(request).book.themes
    return {**themes, **{t: t.replace("-", " ").capitalize() for s in scenarios for t in s.topics if t not in themes}}


def _topic(request: Request, scenarios: list[Scenario]) -> str | None:
    """The list's topic filter, carried through a session: one the list offers, else none (a
    hand-edited address)."""
    return _choice(request.query_params.get("topic"), list(_topics(request, scenarios)))


def _session_url(ids: list[str], audience: str | None = None, topic: str | None = None) -> str:
    """A session's address; ``audience`` and ``topic`` are the list's filters it was built from, kept
    so that the way back finds the list as it was (and call handlers see the call check in every
    scenario that is for them, as the filtered list's own links show it)."""
    filters = _filters(audience, topic)
    return "/walkthrough/session?" + "&".join(f"{SESSION}={i}" for i in ids) + (f"&{filters}" if filters else "")


def _session(request: Request, scenarios: list[Scenario]) -> list[Scenario]:
    """The session's scenarios from the address, in its order; unknown ids and repeats left out."""
    by_id = {s.id: s for s in scenarios}
    ids = dict.fromkeys(i for i in request.query_params.getlist(SESSION) if i in by_id)
    return [by_id[i] for i in ids]


@router.get("/walkthrough/session", response_class=HTMLResponse)
def walkthrough_session(request: Request) -> HTMLResponse:
    """A trainer's session: the scenarios ticked on the list, to run one after another and to print
    as one handout and one answer sheet. None ticked: the list again, with the error."""
    library, decider = _library(request), _decider(request)
    try:
        scenarios = library.scenarios()
    except ScenarioError:
        return _broken(request)
    chosen = _session(request, scenarios)
    if not chosen:
        return walkthrough_list(request, error=NONE_TICKED)
    from ..walkthrough import total_minutes

    entries = [library.entry(decider, s) for s in chosen]
    runnable = [e.scenario.id for e in entries if not e.problems]
    moved = request.query_params.get(MOVED)
    audience = _choice(request.query_params.get("audience"), AUDIENCES)
    topic = _topic(request, scenarios)
    return _page(request, "walkthrough/session.html", entries=entries, runnable=runnable, audience=audience,
                 list_url=_list_url(audience, topic),
                 start=_stage_url(runnable[0], 0, False, audience, runnable, topic) if runnable else None,
                 minutes=sum(total_minutes(s) or 0 for s in chosen),
                 moves=_moves([s.id for s in chosen], audience, topic),
                 moved=next((i + 1 for i, s in enumerate(chosen) if s.id == moved), None), moved_id=moved)


MOVED = "moved"  # the scenario just moved, to say where it is now and to keep the keyboard's place


def _moves(ids: list[str], audience: str | None = None, topic: str | None = None) -> list[dict[str, str | None]]:
    """For each scenario of a session, the addresses that move it up, move it down or take it out
    (None where it cannot): the trainer chooses the order, by plain links that work without JavaScript.
    Each goes back to the control used (``#move-up-ID``), or to the scenario once it is at the end."""
    def order(new: list[str], moved: str, control: str) -> str:
        at = new.index(moved)
        still = (control == "up" and at > 0) or (control == "down" and at < len(new) - 1)
        return f"{_session_url(new, audience, topic)}&{MOVED}={moved}#" + (f"move-{control}-{moved}" if still else f"item-{moved}")

    moves: list[dict[str, str | None]] = []
    for i, scenario_id in enumerate(ids):
        swap_up = ids[:i - 1] + [scenario_id, ids[i - 1]] + ids[i + 1:] if i > 0 else None
        swap_down = ids[:i] + [ids[i + 1], scenario_id] + ids[i + 2:] if i < len(ids) - 1 else None
        moves.append({"up": order(swap_up, scenario_id, "up") if swap_up else None,
                      "down": order(swap_down, scenario_id, "down") if swap_down else None,
                      "remove": _session_url(ids[:i] + ids[i + 1:], audience, topic) if len(ids) > 1 else None})
    return moves


def _one(request: Request, scenario_id: str) -> Entry | Response:
    try:
        scenario = next((s for s in _library(request).scenarios() if s.id == scenario_id), None)
    except ScenarioError:
        return _broken(request)
    if scenario is None:
        return _page(request, "walkthrough/missing.html", status_code=404)
    entry = _library(request).entry(_decider(request), scenario)
    if entry.problems:
        return _page(request, "walkthrough/refused.html", status_code=422, refused=[entry])
    return entry


def _scenario_sheet(request: Request, scenario_id: str, answers: bool) -> Response:
    entry = _one(request, scenario_id)
    if not isinstance(entry, Entry):
        return entry
    return _sheet(request, [entry], _choice(request.query_params.get("audience"), AUDIENCES), answers=answers)


@router.get("/walkthrough/{scenario_id}/handout", response_class=HTMLResponse)
def scenario_handout(request: Request, scenario_id: str) -> Response:
    return _scenario_sheet(request, scenario_id, answers=False)


@router.get("/walkthrough/{scenario_id}/answers", response_class=HTMLResponse)
def scenario_answers(request: Request, scenario_id: str) -> Response:
    return _scenario_sheet(request, scenario_id, answers=True)


def _step_number(raw: str | None, total: int) -> int:
    """0 = the situation, 1..total = steps, total+1 = learning points; anything else is clamped
    (a hand-edited ``?step=abc`` shows the situation, not a JSON error on an HTML page)."""
    try:
        step = int((raw or "0").strip())
    except ValueError:
        step = 0
    return max(0, min(step, total + 1))


def _stage_url(scenario_id: str, step: int, answer: bool, audience: str | None, session: list[str] = (),
               topic: str | None = None) -> str:
    filters = _filters(audience, topic)
    query = f"step={step}" + ("&answer=1" if answer else "") + (f"&{filters}" if filters else "")
    return f"/walkthrough/{scenario_id}?{query}" + "".join(f"&{SESSION}={i}" for i in session)


@router.get("/walkthrough/{scenario_id}", response_class=HTMLResponse)
def walkthrough_step(request: Request, scenario_id: str) -> Response:
    entry = _one(request, scenario_id)
    if not isinstance(entry, Entry):
        return entry
    scenario = entry.scenario
    total = len(scenario.steps)
    number = _step_number(request.query_params.get("step"), total)
    answer = 0 < number <= total and request.query_params.get("answer") in ("1", "yes", "true")
    asked = _choice(request.query_params.get("audience"), AUDIENCES)  # carried through a session
    audience = _choice(asked, scenario.audience)
    views = _library(request).views(_decider(request), scenario, audience) if number else []
    scenarios = _library(request).scenarios()
    session = _session(request, scenarios)
    ids = [s.id for s in session] if scenario.id in {s.id for s in session} else []
    topic = _topic(request, scenarios)  # the list's topic, carried to find the list as it was
    place = ids.index(scenario.id) if ids else -1
    following = session[place + 1] if 0 <= place < len(ids) - 1 else None
    list_url = _list_url(asked, topic)
    session_url = _session_url(ids, asked, topic) if ids else list_url

    def url(step: int, answer: bool) -> str:
        return _stage_url(scenario.id, step, answer, asked if ids else audience, ids, topic)
    # Where the next and previous key presses go: facts -> answer -> next step's facts; after the
    # learning points, the session's next scenario.
    if number == 0:
        nxt, prev = url(1, False), session_url
    elif number > total:
        nxt, prev = (_stage_url(following.id, 0, False, asked, ids, topic) if following else None), url(total, True)
    elif answer:
        nxt, prev = url(number + 1, False), url(number, False)
    else:
        nxt, prev = url(number, True), url(number - 1, True) if number > 1 else url(0, False)
    return _page(request, "walkthrough/step.html", scenario=scenario, step=number, total=total, answer=answer,
                 views=views[:number], view=views[number - 1] if 0 < number <= total else None,
                 next_url=nxt, prev_url=prev, audience=audience, session=session if ids else [], place=place,
                 following=following, session_url=session_url, list_url=list_url)
