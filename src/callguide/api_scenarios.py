"""``GET /v1/scenarios`` and ``GET /v1/scenarios/{id}``: the training scenarios (the built-in library
and each trainer's folder), loaded once on first use; a broken library does not stop decisions."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel

from .problems import Problems, json_response, not_found

log = logging.getLogger("callguide.service")


class ScenarioSummary(BaseModel):
    id: str
    title: str
    audience: list[str]
    summary: str
    steps: int


class ScenarioList(BaseModel):
    count: int
    scenarios: list[ScenarioSummary]


def scenarios_router(directory: Path | None = None) -> APIRouter:
    """The scenario library, loaded on first use (a broken library does not stop decisions)."""
    from . import scenarios as library

    router = APIRouter(tags=["scenarios"])
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def load() -> dict[str, Any]:
        with lock:  # loaded once, broken or not: a broken library is not re-read on every request
            if not cache:
                try:
                    cache["by_id"] = {s.id: s for s in library.load_scenarios(directory)}
                except library.ScenarioError as exc:
                    log.error("scenario library cannot be loaded: %d problems", len(exc.problems))
                    cache["problems"] = exc.problems
        if "problems" in cache:
            raise HTTPException(503, detail=[{"field": "(scenarios)", "message": problem}
                                             for problem in cache["problems"]])
        return cache["by_id"]

    @router.get("/v1/scenarios", response_model=ScenarioList)
    def list_scenarios(audience: str | None = None) -> Response:
        """The training scenarios: id, title, who they are for, and how many steps."""
        items = [ScenarioSummary(id=s.id, title=s.title, audience=list(s.audience), summary=s.summary,
                                 steps=len(s.steps))
                 for s in load().values() if audience is None or audience in s.audience]
        return json_response(ScenarioList(count=len(items), scenarios=items))

    @router.get("/v1/scenarios/{scenario_id}", response_model=library.Scenario,
                responses={404: {"model": Problems}, 503: {"model": Problems}})
    def get_scenario(scenario_id: str) -> Response:
        """One scenario in full: its steps, the facts revealed at each, and what callguide should answer."""
        scenario = load().get(scenario_id)
        if scenario is None:
            return not_found("scenario", scenario_id)
        return Response(json.dumps(scenario.model_dump(mode="json", exclude={"file"})),
                        media_type="application/json")

    return router
