"""The HTTP service (CONTRACT.md "HTTP"): decisions over JSON.

One :class:`Decider` per process, built at start-up; its engine serialises access to
durable_rules, so parallelism comes from worker processes (``callguide serve --workers N``).
Logs carry rule ids and the recommendation, never the facts themselves.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .decision import Decider, Decision
from .facts import Incident, describe_error

log = logging.getLogger("callguide.service")


def create_app(decider: Decider | None = None) -> FastAPI:
    decider = decider or Decider()
    app = FastAPI(
        title="callguide",
        version="1.0",
        description="Should I call the police about a child in care? Decision support from the "
                    "Northamptonshire joint protocol. Every answer cites its source.",
    )
    app.state.decider = decider

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [dict(zip(("field", "message"), describe_error(err))) for err in exc.errors()]
        return JSONResponse(status_code=422, content=jsonable_encoder({"detail": errors}))

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "rulebook": decider.book.version, "rules": len(decider.book.rules)}

    @app.post("/v1/decisions", response_model=Decision, response_model_exclude_none=True, tags=["decisions"])
    def decide(incident: Incident, explain: bool = False) -> Decision:
        decision = decider.decide(incident, explain=explain)
        log.info("decision %s rules=%s", decision.recommendation.value,
                 ",".join(reason.rule for reason in decision.rationale))
        return decision

    return app
