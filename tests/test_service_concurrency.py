"""Many clients at once through the ASGI app: the sync endpoints run in FastAPI's threadpool,
so decisions really overlap in threads; each client must still get its own answer."""

from __future__ import annotations

import asyncio

import httpx

from callguide.callcheck import CallCheckRequest, check_call
from callguide.service import create_app

from strategies import random_incidents

def test_concurrent_clients_each_get_their_own_answer(decider):
    app = create_app(decider)
    incidents = random_incidents(40)
    incidents += [{"incident": {"kind": "assault", "risk_to_life": True}},
                  {"incident": {"kind": "missing"}, "missing": {"whereabouts_known": False}}]
    expected_decisions = [decider.decide(facts).model_dump(mode="json", exclude_none=True) for facts in incidents]
    expected_checks = [check_call(facts, decider).model_dump(mode="json") for facts in incidents]
    # the carers' answer inside a call check is for the facts as the call check reads them (who is
    # calling may say where the young person lives)
    checks_staff = [decider.decide(CallCheckRequest.model_validate(facts).incident_facts()).model_dump(
        mode="json", exclude_none=True) for facts in incidents]

    async def run() -> list[tuple[int, str, dict]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            async def one(i: int) -> tuple[int, str, dict]:
                endpoint = "/v1/call-checks" if i % 3 == 0 else "/v1/decisions"
                response = await client.post(endpoint, json=incidents[i % len(incidents)])
                return i, endpoint, response.json()
            return await asyncio.gather(*(one(i) for i in range(400)))

    results = asyncio.run(run())
    assert len(results) == 400
    for i, endpoint, body in results:
        expected = expected_decisions[i % len(incidents)]
        if endpoint == "/v1/decisions":
            assert body == expected, i
        else:  # the call check: its own answer, with the carers' rules' answer and reasons inside it
            assert body == expected_checks[i % len(incidents)], i
            staff = checks_staff[i % len(incidents)]
            assert body["staff_recommendation"] == staff["recommendation"], i
            assert body["rationale"][-len(staff["rationale"]):] == staff["rationale"], i


def test_a_slow_decision_does_not_hold_up_health_checks(book):
    """Decisions run off the event loop (issue 17): while one is still being made, /healthz answers."""
    import time

    from callguide.decision import Decider
    from callguide.engine import Engine

    def slow(rule_id: str) -> None:
        if rule_id == "slow-time-baseline":  # fires for every incident
            time.sleep(1.0)

    app = create_app(Decider(book, Engine(book, action_hook=slow)))

    async def run() -> tuple[bool, int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as client:
            decision = asyncio.create_task(client.post("/v1/decisions", json={"incident": {"kind": "other"}}))
            await asyncio.sleep(0.2)  # the decision is under way (inside the engine)
            health = await client.get("/healthz")
            still_deciding = not decision.done()
            return still_deciding, health.status_code, (await decision).status_code

    still_deciding, health, decided = asyncio.run(run())
    assert health == 200 and decided == 200
    assert still_deciding, "/healthz waited for the decision"
