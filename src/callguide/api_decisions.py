"""``POST /v1/decisions`` (the contract's decision) and ``POST /v1/call-checks`` (the call handler's
check), with a bounded cache of finished answers: decisions are deterministic for the same facts
and rulebook (CONTRACT.md), so a repeated incident skips the engine."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from .callcheck import CallCheck, CallCheckRequest, check_call
from .decision import Decider, Decision
from .facts import Incident
from .problems import ERRORS, json_response
from .records import Recording, Records, recording_dependency

log = logging.getLogger("callguide.service")

ANSWER_CACHE_SIZE = 4096  # finished decisions kept per process (a few KB each)


class _Answers:
    """A bounded LRU of finished decisions (object and JSON) keyed by the canonical facts.

    The contract makes decisions deterministic for the same facts and rulebook, and one app has
    one rulebook, so a repeated incident (a form re-posted, a page refreshed, the same question
    from several homes) skips the engine and the what-if runs. Holds no more than ``size``.
    """

    def __init__(self, size: int = ANSWER_CACHE_SIZE):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> Any:
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def decisions_router(decider: Decider, records: Records | None = None) -> APIRouter:
    router = APIRouter(tags=["decisions"])
    answers = _Answers()  # decisions are deterministic for the same facts and rulebook (CONTRACT.md)
    # Decisions and call checks run off the event loop, so it keeps answering health checks and
    # other requests while one is made (milliseconds with a large rulebook). One thread: the engine
    # takes one decision at a time anyway, and more threads only queue for its lock and the GIL.
    deciding = ThreadPoolExecutor(max_workers=1, thread_name_prefix="callguide-decide")

    async def off_the_loop(function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(deciding, function, *args)

    @router.post("/v1/decisions", response_model=Decision, response_model_exclude_none=True, responses=ERRORS)
    async def decide(incident: Incident, explain: bool = False,
                     recording: Recording | None = Depends(recording_dependency(records, "decision"))) -> Response:
        """The contract's decision for the incident facts (for care staff, carers and providers' apps)."""
        key = (incident.model_dump_json(), explain)
        cached = answers.get(key)
        if cached is None:  # a repeated incident is answered from the cache, here on the loop
            cached = await off_the_loop(_decide, decider, incident, explain, answers, key)
        decision, body = cached
        log.info("decision %s rules=%s", decision.recommendation.value,
                 ",".join(reason.rule for reason in decision.rationale))
        response = Response(body, media_type="application/json")
        if recording:  # ?record=true, or recording by default with a key (records/core.py)
            await recording.save(incident, decision, response)  # bounded, off the loop; never raises
        return response

    @router.post("/v1/call-checks", response_model=CallCheck, responses=ERRORS)
    async def call_check(request: CallCheckRequest,
                         recording: Recording | None = Depends(recording_dependency(records, "call_check"))) -> Response:
        """For Force Control Room call handlers: is involving the police consistent with the guidance,
        which police response it points to, a THRIVE summary, the questions to ask and words to say."""
        check = await off_the_loop(check_call, request, decider)
        log.info("call-check %s response=%s rules=%s", check.state, check.police_response.kind,
                 ",".join(reason.rule for reason in check.rationale))
        response = json_response(check, exclude_none=False)  # null says "not said", which matters here
        if recording:
            await recording.save(request, check, response)  # bounded, off the loop; never raises
        return response

    return router


def _decide(decider: Decider, incident: Incident, explain: bool, answers: _Answers, key: Any) -> tuple[Decision, bytes]:
    decision = decider.decide(incident, explain=explain)
    return answers.put(key, (decision, decision.model_dump_json(exclude_none=True).encode()))
