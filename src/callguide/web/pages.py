"""What every page shares: the Jinja2 templates, their globals and how a page is rendered.

The routes' modules (``routes.py``, ``walkthrough_routes.py``) import from here, never from each
other. Words come from the vocabulary through the page's :class:`Words`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ..decision import Decider
from . import errors, flow
from .words import Words

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


templates.env.globals.update(query=flow.query, static=lambda path: f"/static/{path}")


def decider_of(request: Request) -> Decider:
    return request.app.state.decider


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    decider = decider_of(request)
    context.setdefault("section", None)
    context.setdefault("error", None)
    context.setdefault("words", Words(flow.vocabulary(decider), context.get("state")))
    context["rulebook_short"] = errors.rulebook_short(decider)
    context["rulebook_release"] = decider.book.release  # the base template's review notice
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
