"""What every page shares: the Jinja2 templates, their globals and how a page is rendered.

The routes' modules (``routes.py``, ``walkthrough_routes.py``) import from here, never from each
other. Words come from the vocabulary through the page's :class:`Words`.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from ..decision import Decider
from . import errors, flow
from .words import Words

log = logging.getLogger("callguide.web")
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"

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


def decider_of(request: Request) -> Decider:
    return request.app.state.decider


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    decider = decider_of(request)
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
