"""Request bodies over a limit are refused with 413 (an incident is a few hundred bytes)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, MutableMapping

from .problems import CLOSE, send_problem

MAX_BODY_BYTES = 64 * 1024  # an incident is a few hundred bytes; 64 KiB is generous
DRAIN_FACTOR = 16  # bodies up to 16x the limit are read and dropped before the 413; larger ones are cut off

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


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
    await send_problem(send, 413, "(document)", f"is too large: the limit is {limit:,} bytes; an incident needs far less",
                       CLOSE)
