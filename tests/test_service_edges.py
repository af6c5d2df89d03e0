"""The service's edges in the app itself (issue 16): what a request must look like, who may write,
what a redirect and an error may say. The same app ``callguide serve`` runs, through Starlette's
TestClient; the real-socket tests are in test_serving_edges.py and test_edges_browser.py."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

from callguide.facts import fact_paths
from callguide.records.auth import create_key
from callguide.records.config import Settings
from callguide.records.core import Records
from callguide.service import MAX_PROBLEMS, create_app

DECISION = {"incident": {"kind": "criminal_damage", "damage_value_gbp": 40}}


@pytest.fixture(scope="module")
def app(decider, tmp_path_factory, monkeypatch_module):
    db = tmp_path_factory.mktemp("edges") / "records.db"
    monkeypatch_module.setenv("CALLGUIDE_DATABASE_URL", f"sqlite:///{db}")
    return create_app(decider, allowed_hosts=["localhost", "127.0.0.1", "::1", "callguide.example.org"])


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, base_url="http://localhost") as c:  # runs the lifespan: migrations
        yield c


@pytest.fixture(scope="module")
def admin_key(app, client):
    records: Records = app.state.records
    return create_key(records.db, "admin")[1]


# -- hosts and redirects ---------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "", "[::1", "callguide.example.org.evil"])
def test_a_host_that_is_not_allowed_is_refused(client, host):
    r = client.get("/healthz", headers={"Host": host})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "(request)"


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "CallGuide.Example.Org"])
def test_allowed_hosts_with_ports_and_ipv6(client, host):
    assert client.get("/healthz", headers={"Host": host}).status_code == 200


def test_redirects_never_carry_the_host(client):
    r = client.get("/walkthrough/", headers={"Host": "callguide.example.org"}, follow_redirects=False)
    assert r.status_code in (307, 308) and r.headers["location"] == "/walkthrough"
    r = client.get("/should-i-call/question?fact=nonsense", headers={"Host": "callguide.example.org"},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/should-i-call/")


def test_without_allowed_hosts_nothing_is_checked_but_redirects_stay_relative(decider):
    with TestClient(create_app(decider), base_url="http://evil.example") as c:
        r = c.get("/walkthrough/", follow_redirects=False)
        assert r.headers["location"] == "/walkthrough"


# -- query strings ---------------------------------------------------------------------------------
def test_a_long_query_string_is_refused_with_414(client):
    r = client.get("/should-i-call/result?" + "incident.kind=assault&" * 2800)  # about 62 KB (httpx's limit is 64)
    assert r.status_code == 414 and "4,096" in r.json()["detail"][0]["message"]
    assert len(r.content) < 300


def test_a_query_parameter_given_twice_is_refused(client):
    r = client.get("/should-i-call/check?incident.kind=assault&incident.kind=theft")
    assert r.status_code == 400 and "'incident.kind' is given more than once" in r.json()["detail"][0]["message"]
    assert client.get("/v1/rules?theme=violence&theme=missing").status_code == 400


def test_the_pages_own_addresses_are_well_inside_the_limits(client):
    """Every answer given: the longest address the pages build is far under 4 KiB."""
    from callguide.web import flow

    state = {path: "unknown" for path in fact_paths() if path != flow.KIND}
    state[flow.KIND] = "assault"
    query = flow.query(state)
    assert len(query) < 2048
    assert client.get(f"/should-i-call/check?{query}").status_code in (200, 303)


def test_the_fact_table_is_built_once():
    assert fact_paths() is fact_paths()


def test_the_api_docs_page_and_its_script_hash_are_made_once(decider, monkeypatch):
    """/docs never changes, so its inline script is hashed for its policy when the app is built,
    not on every request."""
    from callguide import service

    hashed = []
    real = service.inline_script_hashes
    monkeypatch.setattr(service, "inline_script_hashes", lambda html: hashed.append(html) or real(html))
    client = TestClient(create_app(decider))
    made = len(hashed)
    pages = [client.get("/docs") for _ in range(3)]
    assert len(hashed) == made <= 1
    for page in pages:
        assert page.status_code == 200 and page.text == pages[0].text
        policy = page.headers["Content-Security-Policy"]
        assert real(page.text) and all(digest in policy for digest in real(page.text))  # the page's own script
        assert "style-src 'self' 'unsafe-inline'" in policy


# -- writes: same origin, Bearer only --------------------------------------------------------------
@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                                     {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"}])
def test_browser_writes_from_another_origin_are_refused(client, headers):
    r = client.post("/v1/decisions", json=DECISION, headers=headers)
    assert r.status_code == 403 and r.json()["detail"][0]["field"] == "(request)"
    assert client.post("/should-i-call/question", data={"fact": "incident.kind", "answer": "assault"},
                       headers=headers, follow_redirects=False).status_code == 403


@pytest.mark.parametrize("headers", [{}, {"Origin": "http://localhost"}, {"Sec-Fetch-Site": "same-origin"},
                                     {"Sec-Fetch-Site": "none"}])
def test_writes_from_this_origin_and_from_scripts_are_served(client, headers):
    assert client.post("/v1/decisions", json=DECISION, headers=headers).status_code == 200


def test_reads_from_another_origin_are_served(client):
    assert client.get("/v1/rules", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_basic_credentials_only_read_the_report(client, admin_key):
    basic = {"Authorization": "Basic " + base64.b64encode(f"admin:{admin_key}".encode()).decode()}
    bearer = {"Authorization": f"Bearer {admin_key}"}
    assert client.get("/v1/reports/monitoring", headers=basic).status_code == 200
    assert client.get("/reports/monitoring", headers=basic).status_code == 200
    for method, path, body in [("POST", "/v1/erasures", {"child_ref": "C-1"}), ("DELETE", "/v1/records/x", None),
                               ("GET", "/v1/records", None), ("GET", "/v1/audit", None)]:
        r = client.request(method, path, json=body, headers=basic)
        assert r.status_code == 401, (method, path)
        assert r.headers.get_list("WWW-Authenticate") == ["Bearer"]  # no Basic login offered here
    assert client.post("/v1/erasures", json={"child_ref": "C-1"}, headers=bearer).status_code == 200


def test_the_report_offers_two_separate_challenges(client):
    r = client.get("/reports/monitoring")
    assert r.status_code == 401
    assert r.headers.get_list("WWW-Authenticate") == [
        "Bearer", 'Basic realm="callguide monitoring report", charset="UTF-8"']


def test_a_json_body_without_a_json_content_type_is_not_read(client, admin_key):
    r = client.post("/v1/erasures", content=json.dumps({"child_ref": "C-1"}),
                    headers={"Authorization": f"Bearer {admin_key}", "Content-Type": "text/plain"})
    assert r.status_code == 422


# -- auth before validation; errors -----------------------------------------------------------------
@pytest.mark.parametrize("method,path,body", [
    ("PATCH", "/v1/records/abc", {"police_called": "not a boolean", "nonsense": 1}),
    ("POST", "/v1/erasures", {"child_ref": 12, "extra": True}),
    ("POST", "/v1/erasures", "not json at all"),
    ("GET", "/v1/records?limit=abc&from=yesterday", None),
    ("GET", "/v1/reports/monitoring?format=pdf", None)])
def test_keyed_routes_ask_for_a_key_before_they_validate(client, method, path, body):
    content = body if isinstance(body, str) else (json.dumps(body) if body is not None else None)
    headers = {"Content-Type": "application/json"}
    r = client.request(method, path, content=content, headers=headers)
    assert r.status_code == 401, r.text
    r = client.request(method, path, content=content, headers={**headers, "Authorization": "Bearer cgk_no_such"})
    assert r.status_code == 401, r.text


def test_a_keyed_route_validates_once_the_key_is_good(client, admin_key):
    r = client.post("/v1/erasures", json={"child_ref": 12}, headers={"Authorization": f"Bearer {admin_key}"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "child_ref"


def test_the_erasure_error_names_the_erasure(client, admin_key):
    key = {"Authorization": f"Bearer {admin_key}"}
    r = client.post("/v1/erasures", content=b"child_ref=C-1", headers={**key, "Content-Type": "text/plain"})
    assert r.status_code == 422 and "incident" not in r.text and "erasure" in r.text, r.text


@pytest.mark.parametrize("body", [
    {"incident": {"kind": "assault", **{f"x{i}" * 50: "y" * 200 for i in range(150)}}},  # many unknown fields
    {"incident": {"kind": "assault", "injury": "z" * 60_000}},  # one huge value
    {"incident": {"kind": "assault"}, "person": {"k" * 60_000: 1}},  # one huge field name
    [{"incident": {"kind": "x" * 100}}] * 400,  # not an object
    {"incident": {"kind": ["a" * 30] * 1500}},  # a long list
], ids=["many-fields", "huge-value", "huge-name", "array", "list"])
def test_error_bodies_stay_small(client, body):
    content = json.dumps(body).encode()
    assert len(content) <= 64 * 1024
    r = client.post("/v1/decisions", content=content, headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert len(r.content) < 8 * 1024, len(r.content)
    assert len(r.json()["detail"]) <= MAX_PROBLEMS + 1


def test_many_problems_end_with_a_count(client):
    body = {"incident": {"kind": "assault", **{f"field{i}": 1 for i in range(50)}}}
    detail = client.post("/v1/decisions", json=body).json()["detail"]
    assert len(detail) == MAX_PROBLEMS + 1
    assert detail[-1] == {"field": "(document)", "message": f"and {50 - MAX_PROBLEMS} more problems"}


def test_content_length_with_chunked_is_refused(app):
    from callguide.requestguard import RequestGuard

    guard = RequestGuard(app)
    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", b"4"), (b"transfer-encoding", b"chunked")],
             "query_string": b""}
    assert guard.refusal(scope)[0] == 400


@pytest.mark.parametrize("path", ["/v1/rules/", "/v1/scenarios/", "/v1/records/"])
def test_a_long_id_is_not_echoed_in_full(client, admin_key, path):
    r = client.get(path + "x" * 20_000, headers={"Authorization": f"Bearer {admin_key}"})
    # a record id that is not a UUID is refused before any query (422, issue 12); either way, short
    assert r.status_code in (404, 422) and len(r.content) < 1024, len(r.content)


def test_the_fastapi_floor_is_the_release_that_checks_json_content_types():
    """FastAPI 0.132 stopped reading a body as JSON without a JSON Content-Type (which a cross-site
    form or no-cors fetch can send without a preflight); an older FastAPI must not be installable."""
    import tomllib
    from pathlib import Path

    from packaging.requirements import Requirement

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    fastapi = next(Requirement(d) for d in project["dependencies"] if Requirement(d).name == "fastapi")
    assert "0.131.9" not in fastapi.specifier and "0.132.0" in fastapi.specifier


def test_a_course_handout_may_list_several_scenarios_but_nothing_else_repeats(client):
    """``id`` is the one list a page reads (a course handout, issue 18); elsewhere a key given twice is 400."""
    assert client.get("/walkthrough/answers?id=broken-window-glass&id=curtain-pulled-down").status_code == 200
    assert client.get("/should-i-call/check?incident.kind=theft&incident.kind=assault").status_code == 400
    assert client.get("/walkthrough/answers?topic=missing&topic=violence").status_code == 400
