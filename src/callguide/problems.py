"""The one shape of every error the JSON API sends: ``{"detail": [{"field", "message"}]}``.

Bounded whatever was sent (issue 16): at most ``MAX_PROBLEMS`` problems, each field and message
cut short, so a 64 KiB body cannot make a 504 KB error, and a long id is never echoed in full.
The middleware that answer before FastAPI (413, the request guard's refusals, 503s) send theirs
with :func:`send_problem`.
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from .echo import clip, shown
from .facts import describe_error

MAX_PROBLEMS = 20  # problems listed in one error body; a 64 KiB body once made a 504 KB error (issue 16)


class Problem(BaseModel):
    field: str
    message: str


class Problems(BaseModel):
    detail: list[Problem]


ERRORS = {400: {"model": Problems, "description": "The body could not be read (for example, not UTF-8)."},
        422: {"model": Problems, "description": "Invalid input: each problem names the field."},
        413: {"model": Problems, "description": "The request body is too large."}}



def json_response(model: BaseModel, exclude_none: bool = True) -> Response:
    """Serialise once (skipping FastAPI's re-validation of the response model)."""
    return Response(model.model_dump_json(exclude_none=exclude_none), media_type="application/json")


def not_found(what: str, ident: str) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": [
        {"field": f"{what}_id", "message": f"there is no {what} with the id {shown(ident)}"}]})


CLOSE = (b"connection", b"close")


async def send_problem(send: Callable[[dict[str, Any]], Awaitable[None]], status: int, field: str, message: str,
                       *headers: tuple[bytes, bytes], before: dict[str, Any] | None = None) -> None:
    """Answer with one problem straight through ASGI ``send``, for the middleware that refuses a
    request before FastAPI sees it (413, 400, 503, ...): JSON ``{**before, "detail": [{field,
    message}]}`` (``before``: members ahead of ``detail``), its length, then ``headers``."""
    body = json.dumps({**(before or {}), "detail": [{"field": field, "message": message}]}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def bounded(problems: list[dict[str, str]]) -> list[dict[str, str]]:
    """At most MAX_PROBLEMS problems, each field and message cut short: the error stays small
    whatever was sent."""
    shown_problems = [{"field": clip(p["field"], 120), "message": clip(p["message"])} for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        shown_problems.append({"field": "(document)", "message": f"and {len(problems) - MAX_PROBLEMS} more problems"})
    return shown_problems


def noun(path: str) -> str:
    """What the body of a request to ``path`` is, in an error message."""
    if path == "/v1/erasures":
        return "the erasure request"
    if path.startswith("/v1/records/"):
        return "the outcome"
    return "the incident"


def problem(err: dict[str, Any], path: str = "") -> dict[str, str]:
    what = noun(path)
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
