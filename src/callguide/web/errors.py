"""Error pages for people in a browser: 404, 405, 413 and 500 as GOV.UK-style HTML pages with the
999 line and a way back. The API keeps its JSON problems: anything under ``/v1/``, and any request
that does not ask for HTML or that asks for JSON, gets what the service sends today.

The service's own handlers (``service.create_app``) stay as they are; this module wraps them, so
the API's error shapes live in one place. The 413 comes from the body-size middleware before any
route runs, so an outer middleware here swaps its JSON for the page when a browser sent the form.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, MutableMapping

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..decision import Decider


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

NOT_FOUND = "Page not found"
PROBLEM = "Sorry, there is a problem with the service"
# What each error means to the person, and what they can do (GOV.UK error page patterns).
EXPLAIN: dict[int, list[str]] = {
    404: ["If you typed the web address, check it is correct.",
          "If you pasted the web address, check you copied the entire address."],
    405: ["This page cannot be used in that way.", "Go back to the page you were on and try again."],
    413: ["What was sent was too large for callguide to read.",
          "Go back, check the answers and try again."],
    500: ["Something went wrong on our side. Nothing you entered was kept.", "Try again later."],
}


def rulebook_short(decider: Decider) -> str:
    return decider.book.version.split(":")[-1][:12]


def wants_html(path: str, headers: Headers) -> bool:
    """A browser asking for a page: not the API, asks for HTML and not for JSON."""
    if path == "/v1" or path.startswith("/v1/"):
        return False
    accept = headers.get("accept", "").lower()
    return "text/html" in accept and "application/json" not in accept


def _context(app: Any, status: int) -> dict[str, Any]:
    return {"status": status, "title": NOT_FOUND if status == 404 else PROBLEM,
            "lines": EXPLAIN.get(status, EXPLAIN[500]), "section": None, "error": None,
            "rulebook_short": rulebook_short(app.state.decider)}


def page(templates: Jinja2Templates, request: Request, status: int, headers: dict[str, str] | None = None
         ) -> HTMLResponse:
    context = _context(request.app, status)
    response = templates.TemplateResponse(request, "error.html", context, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def install(app: FastAPI, templates: Jinja2Templates) -> None:
    """HTML error pages for browsers; the service's handlers for everyone else."""
    api_handler = app.exception_handlers[StarletteHTTPException]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in (404, 405, 413, 500) and wants_html(request.url.path, request.headers):
            allow = (exc.headers or {}).get("Allow") if exc.status_code == 405 else None
            return page(templates, request, exc.status_code, {"Allow": allow} if allow else None)
        return await api_handler(request, exc)

    async def server_error(request: Request, exc: Exception) -> Response:
        # Starlette logs the exception after this; the page says nothing of it.
        if wants_html(request.url.path, request.headers):
            return page(templates, request, 500)
        return PlainTextResponse("Internal Server Error", status_code=500)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, server_error)
    app.add_middleware(HtmlTooLarge, templates=templates)


class HtmlTooLarge:
    """Turns the body-size middleware's JSON 413 into the error page for a browser's form post.

    Added after the body limit, so it wraps it: it sees the 413 start and sends the page instead of
    the JSON body that follows."""

    def __init__(self, app: ASGIApp, templates: Jinja2Templates):
        self.app, self.templates = app, templates

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http" or not wants_html(scope["path"], Headers(scope=scope)):
            await self.app(scope, receive, send)
            return
        swapped = False

        async def send_page(message: Message) -> None:
            nonlocal swapped
            if message["type"] == "http.response.start" and message["status"] == 413:
                swapped = True
                html = self.templates.get_template("error.html").render(
                    {**_context(scope["app"], 413), "request": Request(scope)}).encode()
                await send({"type": "http.response.start", "status": 413, "headers": [
                    (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(html)).encode()),
                    (b"cache-control", b"no-store"), (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": html})
            elif not swapped:
                await send(message)

        await self.app(scope, receive, send_page)
