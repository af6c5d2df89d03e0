"""Many clients at once through the ASGI app: the sync endpoints run in FastAPI's threadpool,
so decisions really overlap in threads; each client must still get its own answer."""

from __future__ import annotations

import asyncio

import httpx

from callguide.callcheck import check_call
from callguide.service import create_app

from strategies import random_incidents

def test_concurrent_clients_each_get_their_own_answer(decider):
    app = create_app(decider)
    incidents = random_incidents(40)
    incidents += [{"incident": {"kind": "assault", "risk_to_life": True}},
                  {"incident": {"kind": "missing"}, "missing": {"whereabouts_known": False}}]
    expected_decisions = [decider.decide(facts).model_dump(mode="json", exclude_none=True) for facts in incidents]
    expected_checks = [check_call(facts, decider).model_dump(mode="json") for facts in incidents]

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
            assert body["staff_recommendation"] == expected["recommendation"], i
            assert body["rationale"][-len(expected["rationale"]):] == expected["rationale"], i
