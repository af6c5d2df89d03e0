"""The real server: ``callguide serve`` with uvicorn worker processes on a free loopback port.

Real HTTP over a socket, only to 127.0.0.1. Nothing here is timed: the waits are bounds so a
broken server fails the test instead of hanging it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from servers import server_env, serving


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("server")
    with serving(workdir, "--workers", "2",
                 env=server_env(CALLGUIDE_DATABASE_URL=f"sqlite:///{workdir / 'records.db'}")) as served:
        yield served.base, served.log_path


INCIDENTS = [
    ({"incident": {"kind": "assault", "risk_to_life": True}}, "call_999"),
    ({"incident": {"kind": "missing"}, "missing": {"whereabouts_known": False, "immediate_concern": False}},
     "call_101"),
    ({"incident": {"kind": "criminal_damage", "damage_value_gbp": 40, "in_progress": False, "weapon": "none",
                   "injury": "none"}, "setting": {"location": "in_placement"}}, "no_police"),
    ({"incident": {"kind": "assault", "victim": "staff", "victim_wants_police": True}}, "call_101"),
    ({"incident": {"kind": "weapon", "weapon": "firearm"}}, "call_999"),
    ({"incident": {"kind": "verbal_abuse"}, "setting": {"location": "in_placement"}}, None),
]


def test_real_http_endpoints(server, decider):
    base, _ = server
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/healthz").json()["rulebook"] == decider.book.version
        assert client.get("/readyz").json()["probe"] == "call_999"
        facts = INCIDENTS[2][0]
        body = client.post("/v1/decisions", json=facts).json()
        assert body == decider.decide(facts).model_dump(mode="json", exclude_none=True)
        check = client.post("/v1/call-checks", json=INCIDENTS[0][0]).json()
        assert check["police_response"]["kind"] == "emergency_attendance"
        assert client.get("/v1/rules/risk-to-life").json()["id"] == "risk-to-life"
        assert client.get("/openapi.json").json()["paths"]["/v1/call-checks"]
        bad = client.post("/v1/decisions", content=b'{"incident": ', headers={"content-type": "application/json"})
        assert bad.status_code == 422
        unknown = client.post("/v1/decisions", json={"incident": {"kind": "other", "name": "Jay"}})
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "incident.name"
        huge = client.post("/v1/decisions", content=b" " * 200_000, headers={"content-type": "application/json"})
        assert huge.status_code == 413


def test_many_concurrent_clients_each_get_their_own_answer(server, decider):
    base, log_path = server
    expected = [(facts, decider.decide(facts).model_dump(mode="json", exclude_none=True)) for facts, _ in INCIDENTS]
    for (facts, level), (_, answer) in zip(INCIDENTS, expected):
        assert level is None or answer["recommendation"] == level

    def client_run(worker: int) -> list[str]:
        problems = []
        with httpx.Client(base_url=base, timeout=20) as client:
            for i in range(15):
                facts, answer = expected[(worker + i) % len(expected)]
                got = client.post("/v1/decisions", json=facts).json()
                if got != answer:
                    problems.append(f"client {worker} request {i}: {got.get('recommendation')}")
        return problems

    with ThreadPoolExecutor(max_workers=16) as pool:
        problems = [p for result in pool.map(client_run, range(16)) for p in result]
    assert problems == []
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log
    assert "Jay" not in log  # no personal data in the server's logs


def test_server_log_has_no_facts(server):
    base, log_path = server
    httpx.post(f"{base}/v1/decisions", json={"incident": {"kind": "criminal_damage", "damage_value_gbp": 987.25}},
               timeout=10)
    log = log_path.read_text(errors="replace")
    # The value, however it might be written; not "987" alone, which a process id or a port can hold.
    assert "987.25" not in log and "987.3" not in log and "£987" not in log
    # ...while the decision itself is logged, as its answer and rule ids (so the log is really read).
    assert "decision no_police rules=" in log or "decision report_later rules=" in log, log
