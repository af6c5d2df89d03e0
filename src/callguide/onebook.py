"""One rulebook per service (issue 12).

``callguide serve --workers N`` starts N worker processes, each loading the rulebook itself, and
uvicorn restarts a worker that dies. Were someone to edit ``rules/`` while the service runs, a
restarted worker would load the edited rules and the service would give two answers to one
incident. So the parent process, before any worker starts, copies the rulebook into a private
folder the workers load from (``CALLGUIDE_RULES``) and names its version
(``CALLGUIDE_SERVICE_RULEBOOK``). A worker whose rulebook is not that version anyway (a folder
changed under the copy, a mistake in deployment) refuses every request with 503 and says why,
rather than answer from a different rulebook than its siblings.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Awaitable, Callable, MutableMapping

from .packs import PACK_ENV, default_pack_dir
from .problems import send_problem
from .rulebook import RulebookError, default_rules_dir, load_rulebook

log = logging.getLogger("callguide.service")

ENV_VERSION = "CALLGUIDE_SERVICE_RULEBOOK"
ENV_RULES = "CALLGUIDE_RULES"


def pin_for_workers() -> str:
    """In the parent: snapshot the rulebook for the workers and return its version (it raises
    RulebookError, before any worker starts, if the rulebook cannot be used)."""
    source = default_rules_dir()
    folder = Path(tempfile.mkdtemp(prefix="callguide-rulebook-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    snapshot = folder / "rules"
    shutil.copytree(source, snapshot)
    pack = default_pack_dir()  # the area pack is part of the rulebook (issue 13): pinned with it
    pack_copy = None
    if pack is not None:
        if not pack.is_dir():
            raise RulebookError(f"area pack {pack}: not a directory")
        pack_copy = folder / "pack" / pack.name  # the same name: answers name their pack
        shutil.copytree(pack, pack_copy)
    version = load_rulebook(snapshot, pack_copy).version
    os.environ[ENV_RULES] = str(snapshot)
    os.environ[PACK_ENV] = str(pack_copy) if pack_copy is not None else "none"
    os.environ[ENV_VERSION] = version
    return version


def mismatch(loaded: str) -> str | None:
    """Why this worker must not serve, or None when it has the service's rulebook (or none is pinned)."""
    expected = os.environ.get(ENV_VERSION)
    if not expected or expected == loaded:
        return None
    return (f"this worker loaded rulebook {loaded} but the service started with {expected}; it refuses to "
            f"answer rather than differ from its siblings: restart the service")


class RefuseOtherRulebook:
    """ASGI middleware: every request gets 503 with the reason (``/readyz`` included)."""

    def __init__(self, app: Callable[..., Awaitable[None]], loaded: str, reason: str):
        self.app, self.loaded, self.reason = app, loaded, reason

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await send_problem(send, 503, "(rulebook)", self.reason, (b"retry-after", b"5"), before={
            "status": "refused", "rulebook": self.loaded, "service_rulebook": os.environ.get(ENV_VERSION)})


def guard_app(app: Any, loaded: str) -> None:
    """Install the refusal on ``app`` when its rulebook is not the service's; one log line says so."""
    reason = mismatch(loaded)
    if reason is not None:
        log.error("%s", reason)
        app.add_middleware(RefuseOtherRulebook, loaded=loaded, reason=reason)
