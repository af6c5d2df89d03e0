"""The HTTP service through the ASGI app (issue 3): endpoints, invalid input, size limit, OpenAPI."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from callguide.service import create_app, openapi_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "api" / "examples"


@pytest.fixture(scope="module")
def app(decider):
    return create_app(decider)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as client:
        yield client


# -- health -------------------------------------------------------------------------------------
def test_healthz_names_the_rulebook(client, book):
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "rulebook": book.version, "rules": len(book.rules)}


def test_readyz_makes_a_probe_decision(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["probe"] == "call_999"


def test_readyz_is_503_when_the_engine_fails(decider):
    class Broken:
        book = decider.book

        def decide(self, *args, **kwargs):
            raise RuntimeError("engine down")

    with TestClient(create_app(Broken())) as client:  # type: ignore[arg-type]
        response = client.get("/readyz")
        assert response.status_code == 503
        assert client.get("/healthz").status_code == 200  # liveness makes no decision


# -- decisions ----------------------------------------------------------------------------------
def test_decision_matches_the_decider(client, decider):
    facts = json.loads((EXAMPLES / "decision-care-staff-broken-window.json").read_text())
    response = client.post("/v1/decisions", json=facts)
    assert response.status_code == 200
    expected = decider.decide(facts).model_dump(mode="json", exclude_none=True)
    assert response.json() == expected
    assert "considered" not in response.json()


def test_decision_explain_lists_rules_that_did_not_apply(client, book):
    facts = {"incident": {"kind": "verbal_abuse"}}
    body = client.post("/v1/decisions?explain=true", json=facts).json()
    considered = {item["rule"] for item in body["considered"]}
    assert considered and considered <= set(book.by_id)
    assert not considered & {reason["rule"] for reason in body["rationale"]}


def test_risk_to_life_is_call_999(client):
    body = client.post("/v1/decisions", json={"incident": {"kind": "other", "risk_to_life": True}}).json()
    assert body["recommendation"] == "call_999"


def test_an_action_the_rules_put_first_says_so(client, book):
    """``first`` (the action's ``first`` in rules/) travels with each action: ``medical`` for A&E
    after a serious injury; absent for actions the rules do not put first (decisions leave out
    empty fields)."""
    facts = {"incident": {"kind": "assault", "injury": "serious", "in_progress": False, "child_calm_now": True,
                          "risk_to_life": False}}
    actions = client.post("/v1/decisions", json=facts).json()["actions"]
    medical = next(a for a in actions if a["id"] == "medical-help")
    assert medical["first"] == "medical" == next(
        x.first for x in book.rule(medical["rule"]).then.actions if x.id == "medical-help")
    assert actions[0] == medical  # the first-put action leads
    assert any("first" not in a for a in actions)


@pytest.mark.parametrize("path", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_every_committed_example_is_accepted(client, path):
    endpoint = "/v1/call-checks" if path.startswith("call-check") else "/v1/decisions"
    response = client.post(endpoint, content=(EXAMPLES / path).read_bytes(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


# -- invalid input ------------------------------------------------------------------------------
@pytest.mark.parametrize("endpoint", ["/v1/decisions", "/v1/call-checks"])
@pytest.mark.parametrize("body, field, words", [
    ({"incident": {"kind": "assault", "colour": "red"}}, "incident.colour", "not a fact callguide knows"),
    ({"incident": {"kind": "fight"}}, "incident.kind", "must be one of"),
    ({"incident": {"kind": "assault"}, "person": {"age": 7}}, "person.age", "greater than or equal to 10"),
    ({"incident": {"kind": "assault", "in_progress": "yes"}}, "incident.in_progress", "valid boolean"),
    ({"person": {"age": 15}}, "incident", "is required"),
    ({"incident": {"kind": "assault"}, "witness": "Sam"}, "witness", "not a fact callguide knows"),
])
def test_invalid_facts_are_422_naming_the_field(client, endpoint, body, field, words):
    response = client.post(endpoint, json=body)
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert any(p["field"] == field and words in p["message"] for p in problems), problems


def test_behaviour_policy_followed_is_only_a_call_check_fact(client):
    body = {"incident": {"kind": "assault"}, "response_so_far": {"behaviour_policy_followed": True}}
    assert client.post("/v1/call-checks", json=body).status_code == 200
    response = client.post("/v1/decisions", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "response_so_far.behaviour_policy_followed"


@pytest.mark.parametrize("content, headers", [
    (b'{"incident": {"kind": ', {"content-type": "application/json"}),
    (b"not json at all", {"content-type": "application/json"}),
    (b"[1, 2, 3]", {"content-type": "application/json"}),
    (b'"a string"', {"content-type": "application/json"}),
    (b"null", {"content-type": "application/json"}),
    (b"\xff\xfe\x00garbage", {"content-type": "application/json"}),
    (b"[" * 5000 + b"]" * 5000, {"content-type": "application/json"}),
    (b'{"incident": {"kind": "assault"}}', {"content-type": "text/plain"}),
    (b"", {"content-type": "application/json"}),
])
@pytest.mark.parametrize("endpoint", ["/v1/decisions", "/v1/call-checks"])
def test_malformed_bodies_are_4xx_with_a_message(client, endpoint, content, headers):
    response = client.post(endpoint, content=content, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


def test_malformed_json_says_so(client):
    response = client.post("/v1/decisions", content=b'{"incident": ', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "(document)", "message": response.json()["detail"][0]["message"]}]
    assert "not valid JSON" in response.json()["detail"][0]["message"]


# -- size limit ---------------------------------------------------------------------------------
def _padded(size: int) -> bytes:
    base = b'{"incident": {"kind": "assault"}}'
    return base[:-1] + b" " * (size - len(base)) + b"}"


def test_body_at_the_limit_is_accepted_and_over_it_refused(decider):
    with TestClient(create_app(decider, max_body_bytes=1000)) as client:
        headers = {"content-type": "application/json"}
        assert client.post("/v1/decisions", content=_padded(1000), headers=headers).status_code == 200
        response = client.post("/v1/decisions", content=_padded(1001), headers=headers)
        assert response.status_code == 413
        assert "too large" in response.json()["detail"][0]["message"]


def test_streamed_body_without_length_is_counted(decider):
    """A chunked body (no Content-Length) is refused once it passes the limit."""
    app = create_app(decider, max_body_bytes=1000)

    async def chunks():
        for _ in range(50):
            yield b" " * 100

    async def post(body) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/v1/decisions", content=body, headers={"content-type": "application/json"})

    response = asyncio.run(post(chunks()))
    assert response.status_code == 413


def test_lying_content_length_over_the_limit_is_refused_before_reading(decider):
    app = create_app(decider, max_body_bytes=1000)
    sent: list[dict] = []

    async def run() -> None:
        scope = {"type": "http", "method": "POST", "path": "/v1/decisions", "raw_path": b"/v1/decisions",
                 "query_string": b"", "headers": [(b"content-length", b"999999"),
                                                  (b"content-type", b"application/json")],
                 "http_version": "1.1", "scheme": "http", "server": ("test", 80), "client": ("test", 1),
                 "root_path": ""}

        async def receive():
            raise AssertionError("the body must not be read")

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)

    asyncio.run(run())
    assert sent[0]["status"] == 413


# -- rules --------------------------------------------------------------------------------------
def test_rules_list_every_rule_with_its_source(client, book):
    body = client.get("/v1/rules").json()
    assert body["rulebook"] == book.version
    assert body["count"] == len(book.rules) == len(body["rules"])
    assert [r["id"] for r in body["rules"]] == [r.id for r in book.rules]
    for rule in body["rules"]:
        assert rule["title"] and rule["reason"] and rule["source"] and rule["theme"] in book.themes


def test_rules_can_be_filtered_by_theme(client, book):
    body = client.get("/v1/rules", params={"theme": "missing"}).json()
    assert body["count"] == sum(1 for r in book.rules if r.theme == "missing") > 0
    assert {r["theme"] for r in body["rules"]} == {"missing"}


def test_one_rule_fills_in_parameters(client, book):
    body = client.get("/v1/rules/low-value-damage-in-home").json()
    assert body["id"] == "low-value-damage-in-home"
    assert body["rulebook"] == book.version
    assert body["recommends"] == "no_police"
    assert "{param." not in body["reason"]
    assert "{incident.damage_value_gbp}" in body["reason"]  # filled in from facts in a decision


def test_unknown_rule_is_404(client):
    response = client.get("/v1/rules/no-such-rule")
    assert response.status_code == 404
    assert "no-such-rule" in response.json()["detail"][0]["message"]


# -- scenarios ----------------------------------------------------------------------------------
def test_scenarios_list_and_one(client):
    from callguide.scenarios import load_scenarios

    library = load_scenarios()
    body = client.get("/v1/scenarios").json()
    assert body["count"] == len(library) == len(body["scenarios"])
    first = library[0]
    one = client.get(f"/v1/scenarios/{first.id}").json()
    assert one["id"] == first.id and one["title"] == first.title
    assert len(one["steps"]) == len(first.steps)
    assert "file" not in one
    assert client.get("/v1/scenarios/no-such-scenario").status_code == 404


def test_scenarios_filter_by_audience(client):
    body = client.get("/v1/scenarios", params={"audience": "nobody_at_all"}).json()
    assert body == {"count": 0, "scenarios": []}


def test_broken_scenario_library_is_503_and_decisions_still_work(decider, tmp_path):
    (tmp_path / "broken.yaml").write_text("id: Not A Valid Id\n")
    with TestClient(create_app(decider, scenarios_dir=tmp_path)) as client:
        response = client.get("/v1/scenarios")
        assert response.status_code == 503
        assert response.json()["detail"]
        assert client.post("/v1/decisions", json={"incident": {"kind": "other"}}).status_code == 200


def test_a_broken_scenario_library_is_read_once_not_per_request(decider, tmp_path, monkeypatch):
    from callguide import scenarios

    (tmp_path / "broken.yaml").write_text("id: Not A Valid Id\n")
    reads = []
    real = scenarios.load_scenarios
    monkeypatch.setattr(scenarios, "load_scenarios", lambda directory=None: reads.append(1) or real(directory))
    with TestClient(create_app(decider, scenarios_dir=tmp_path)) as client:
        statuses = [client.get("/v1/scenarios").status_code for _ in range(3)]
    assert statuses == [503, 503, 503]
    assert len(reads) == 1


# -- logs ---------------------------------------------------------------------------------------
def test_logs_carry_rule_ids_not_facts(client, caplog):
    facts = {"person": {"age": 17}, "incident": {"kind": "criminal_damage", "damage_value_gbp": 4321.5},
             "setting": {"location": "in_placement"}}
    with caplog.at_level(logging.DEBUG, logger="callguide"):
        client.post("/v1/decisions", json=facts)
        client.post("/v1/call-checks", json=facts)
        client.post("/v1/decisions", json={"incident": {"kind": "assault", "nickname": "Jay Smith"}})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "decision " in text and "call-check " in text
    for secret in ("4321", "4,321", "Jay Smith", "17"):
        assert secret not in text


# -- OpenAPI ------------------------------------------------------------------------------------
def test_committed_openapi_matches_the_app(app):
    committed = (ROOT / "api" / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi_text(app), (
        "api/openapi.json is out of date: run `make openapi` "
        "(or .venv/bin/python -m callguide.service --write api/openapi.json)")


def test_openapi_is_served_and_lists_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/decisions", "/v1/call-checks", "/v1/rules", "/v1/rules/{rule_id}", "/v1/scenarios",
                 "/v1/scenarios/{scenario_id}", "/healthz", "/readyz"):
        assert path in paths


def test_create_app_takes_extra_routers(decider):
    from fastapi import APIRouter

    extra = APIRouter()

    @extra.get("/extra")
    def extra_route() -> dict:
        return {"ok": True}

    with TestClient(create_app(decider, routers=[extra])) as client:
        assert client.get("/extra").json() == {"ok": True}
        assert client.get("/healthz").status_code == 200
