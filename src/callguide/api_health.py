"""``GET /healthz`` (cheap: the rulebook is loaded) and ``GET /readyz`` (a probe decision came out
right; the body also says whether decision records are working, and stays 200 for advice)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .decision import Decider
from .facts import Level
from .problems import Problems

log = logging.getLogger("callguide.service")


class Health(BaseModel):
    status: str
    rulebook: str
    rules: int


class RecordsState(BaseModel):
    status: str = Field(description="ok, or unavailable (decisions are unaffected; records are not kept)")
    since: str = Field(description="When records became ok or unavailable (UTC, ISO 8601).")
    reason: str | None = Field(None, description="Why records are unavailable (a short code).")
    not_saved: int = Field(0, description="Records asked for and not kept since it became unavailable.")


class Ready(BaseModel):
    status: str
    rulebook: str
    probe: Level
    advice: str = Field("ready", description="Decisions and call checks: ready whenever this answers 200.")
    records: RecordsState | None = Field(None, description="Decision records (issue 12); absent when not installed.")


PROBE = {"incident": {"kind": "assault", "risk_to_life": True}}

def health_router(decider: Decider) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=Health)
    def healthz() -> dict[str, Any]:
        """Cheap liveness: the rulebook is loaded. Makes no decision."""
        return {"status": "ok", "rulebook": decider.book.version, "rules": len(decider.book.rules)}

    @router.get("/readyz", response_model=Ready, responses={503: {"model": Problems}})
    def readyz(request: Request) -> Any:
        """Ready: the rulebook compiled and a probe decision (risk to life gives call_999) came out right.
        Stays 200 while records are unavailable (advice never waits on them); the body says which."""
        try:
            probe = decider.decide(PROBE).recommendation
        except Exception as exc:  # noqa: BLE001 - report, never crash the probe
            log.error("readiness probe failed: %s", type(exc).__name__)
            probe = None
        if probe is not Level.call_999:
            return JSONResponse(status_code=503, content={"detail": [
                {"field": "(engine)", "message": "the probe decision did not give call_999; not ready"}]})
        records = getattr(request.app.state, "records", None)
        return {"status": "ready", "rulebook": decider.book.version, "probe": probe, "advice": "ready",
                "records": records.guard.status().as_dict() if records is not None else None}

    return router
