"""Decision records, outcomes, roles, erasure and the monitoring report over real HTTP (issue 6).

Every test here runs twice: on a SQLite file, and on the PostgreSQL server at 127.0.0.1:5432
(database ``test``, a schema of its own per run, dropped afterwards). Without that server the
PostgreSQL half is skipped on a workstation and FAILS in CI (``CI=true`` or ``CALLGUIDE_REQUIRE_POSTGRES=1``).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import logging
import os
import re
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from callguide.records.auth import create_key, revoke_key
from callguide.records.config import Settings
from callguide.records.models import ApiKey, Record
from callguide.service import create_app

PG_URL = os.environ.get("CALLGUIDE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

NO_POLICE = {  # low-value damage to the home's own things, child calm: a parent would not call
    "person": {"age": 15, "status": "looked_after"},
    "setting": {"type": "childrens_home", "location": "in_placement"},
    "incident": {"kind": "criminal_damage", "damage_value_gbp": 20, "injury": "none", "weapon": "none",
                 "in_progress": False, "risk_to_life": False, "victim": "none", "child_calm_now": True},
}
CALL_999 = {"setting": {"location": "community"}, "incident": {"kind": "assault", "risk_to_life": True}}


# -- databases ------------------------------------------------------------------------------------
def required() -> bool:
    """CI (``CI=true``, or ``CALLGUIDE_REQUIRE_POSTGRES=1`` as .ci/run sets) must test PostgreSQL."""
    return any(os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")
               for name in ("CI", "CALLGUIDE_REQUIRE_POSTGRES"))


@contextmanager
def postgres_schema():
    import psycopg

    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        admin = psycopg.connect(plain, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {PG_URL}: {exc}"
        if required():
            pytest.fail(message + " (CI must test PostgreSQL; .ci/run starts it)")
        pytest.skip(message)
    schema = f"cgtest_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('records') / 'callguide.db'}"
        return
    with postgres_schema() as url:
        yield url


@contextmanager
def environment(**values):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update({name: str(value) for name, value in values.items()})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- a real server ---------------------------------------------------------------------------------
class Server:
    def __init__(self, app):
        self.app = app
        self.records = app.state.records
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="info", access_log=True,
                                                    lifespan="on"))  # levels: another test may have set them
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:  # waits for start-up, measures nothing
            if not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            self.thread.join(0.01)

    def stop(self):
        self.server.should_exit = True
        self.thread.join()

    def key(self, role: str) -> str:
        return create_key(self.records.db, role)[1]


def start(decider, url: str, **env) -> Server:
    with environment(CALLGUIDE_DATABASE_URL=url, CALLGUIDE_RECORD_BY_DEFAULT=env.get("record_by_default", "false"),
                     CALLGUIDE_RETENTION_DAYS=env.get("retention_days", "0")):
        return Server(create_app(decider))


@pytest.fixture(scope="module")
def server(decider, database_url):
    srv = start(decider, database_url)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def keys(server):
    return {role: server.key(role) for role in ("staff", "analyst", "admin")}


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url) as client:
        yield client


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def refs(placement: str | None = None, child: str | None = None) -> dict[str, str]:
    headers = {}
    if placement:
        headers["Callguide-Placement-Ref"] = placement
    if child:
        headers["Callguide-Child-Ref"] = child
    return headers


def record(http, key, facts, placement=None, child=None, path="/v1/decisions") -> str:
    r = http.post(path, params={"record": "true"}, json=facts, headers=auth(key) | refs(placement, child))
    assert r.status_code == 200, r.text
    assert r.headers["Callguide-Record-Status"] == "recorded"
    return r.headers["Callguide-Record-Id"]


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# -- the open contract endpoint --------------------------------------------------------------------
def test_decisions_stay_open_and_record_nothing_without_a_key(server, http):
    before = server.records.store.count()
    r = http.post("/v1/decisions", json=NO_POLICE)
    assert r.status_code == 200
    assert r.json()["recommendation"] == "no_police"
    assert "Callguide-Record-Id" not in r.headers
    assert server.records.store.count() == before


def failed(r, reason: str, decider=None, facts=NO_POLICE) -> None:
    """The advice came whole, and the response says the record was not kept, and why."""
    assert r.status_code == 200, r.text
    assert r.headers["Callguide-Record-Status"] == "failed"
    assert r.headers["Callguide-Record-Reason"] == reason
    assert "Callguide-Record-Id" not in r.headers and "Location" not in r.headers
    if decider is not None:
        assert r.json() == decider.decide(facts).model_dump(mode="json", exclude_none=True)


def test_recording_without_a_staff_key_still_gives_the_advice(server, http, keys, decider):
    before = server.records.store.count()
    failed(http.post("/v1/decisions", params={"record": "true"}, json=NO_POLICE), "key-missing", decider)
    for role in ("analyst", "admin"):
        r = http.post("/v1/decisions", params={"record": "true"}, json=NO_POLICE, headers=auth(keys[role]))
        failed(r, "role-not-allowed", decider)
    bad = http.post("/v1/decisions", params={"record": "true"}, json=CALL_999,
                    headers=auth("cgk_000000000000_not-a-real-secret"))
    failed(bad, "key-invalid", decider, CALL_999)
    staff = keys["staff"]
    wrong = staff[:-1] + ("A" if staff[-1] != "A" else "B")  # always differs from the real key
    failed(http.post("/v1/decisions", params={"record": "true"}, json=NO_POLICE, headers=auth(wrong)), "key-invalid")
    failed(http.post("/v1/decisions", params={"record": "maybe"}, json=NO_POLICE, headers=auth(staff)),
           "bad-record-flag")
    failed(http.post("/v1/call-checks", params={"record": "true"}, json=CALL_999, headers=auth(wrong)), "key-invalid")
    # a bad key without record=true (and recording not on by default) is not the open endpoint's business
    plain = http.post("/v1/decisions", json=NO_POLICE, headers=auth(wrong))
    assert plain.status_code == 200 and "Callguide-Record-Status" not in plain.headers
    assert server.records.store.count() == before


def test_the_recording_check_is_async_and_authenticates_once(server, http, keys, monkeypatch):
    import inspect

    assert inspect.iscoroutinefunction(server.records.recording("decision"))  # no threadpool hop
    calls = []
    real = server.records.keys.judge
    monkeypatch.setattr(server.records.keys, "judge", lambda parsed, row, client="-": calls.append(parsed[0])
                        or real(parsed, row, client))
    http.post("/v1/decisions", json=NO_POLICE)
    assert calls == []  # no key, no record=true: no database
    record(http, keys["staff"], NO_POLICE, fresh("P"))
    assert calls == [keys["staff"].split("_")[1]]


def test_a_recorded_decision_keeps_facts_answer_rules_and_references(server, http, keys, decider):
    placement, child = fresh("P"), fresh("C")
    r = http.post("/v1/decisions", params={"record": "true"}, json=NO_POLICE,
                  headers=auth(keys["staff"]) | refs(placement, child))
    assert r.status_code == 200
    decision = r.json()
    assert decision == decider.decide(NO_POLICE).model_dump(mode="json", exclude_none=True)
    record_id = r.headers["Callguide-Record-Id"]
    assert r.headers["Location"] == f"/v1/records/{record_id}"

    stored = http.get(f"/v1/records/{record_id}", headers=auth(keys["admin"]))
    assert stored.status_code == 200
    body = stored.json()
    assert body["facts"] == NO_POLICE
    assert body["recommendation"] == "no_police"
    assert body["rules"] == [reason["rule"] for reason in decision["rationale"]]
    assert body["decisive_rules"] and set(body["decisive_rules"]) <= set(body["rules"])
    assert body["rulebook"] == decision["rulebook"]
    assert (body["placement_ref"], body["child_ref"], body["kind"]) == (placement, child, "decision")
    assert body["police_called"] is None and body["outcome"] is None


def test_advice_is_still_given_when_storage_fails(server, http, keys, monkeypatch):
    def broken(*_):
        raise RuntimeError("the database is down")

    monkeypatch.setattr(server.records.store, "save_batch", broken)
    r = http.post("/v1/decisions", params={"record": "true"}, json=NO_POLICE,
                  headers=auth(keys["staff"]) | refs(fresh("P"), fresh("C")))
    failed(r, "database-unavailable")
    assert r.json()["recommendation"] == "no_police"


def test_call_checks_can_be_recorded_too(server, http, keys):
    record_id = record(http, keys["staff"], CALL_999, fresh("P"), path="/v1/call-checks")
    body = http.get(f"/v1/records/{record_id}", headers=auth(keys["admin"])).json()
    assert (body["kind"], body["recommendation"]) == ("call_check", "call_999")


def test_references_must_be_codes_not_names(server, http, keys, decider):
    before = server.records.store.count()
    for headers in (refs(child="Jane Smith, age 15"), refs(placement="x" * 65), {"Callguide-Child-Ref": ""}):
        r = http.post("/v1/decisions", params={"record": "true"}, json=CALL_999, headers=auth(keys["staff"]) | headers)
        failed(r, "bad-reference", decider, CALL_999)  # the advice, whole; nothing half-recorded
    assert server.records.store.count() == before


# -- roles -----------------------------------------------------------------------------------------
def test_staff_cannot_read_records_and_analysts_cannot_write(http, keys):
    record_id = record(http, keys["staff"], NO_POLICE, fresh("P"), fresh("C"))
    staff, analyst = auth(keys["staff"]), auth(keys["analyst"])
    assert http.get(f"/v1/records/{record_id}", headers=staff).status_code == 403
    assert http.get("/v1/records", headers=staff).status_code == 403
    assert http.get("/v1/reports/monitoring", headers=staff).status_code == 403
    assert http.get("/v1/records", headers=analyst).status_code == 403
    assert http.patch(f"/v1/records/{record_id}", json={"police_called": True}, headers=analyst).status_code == 403
    assert http.delete(f"/v1/records/{record_id}", headers=analyst).status_code == 403
    assert http.post("/v1/erasures", json={"child_ref": "C-1"}, headers=staff).status_code == 403
    assert http.get("/v1/reports/monitoring").status_code == 401
    assert http.get(f"/v1/records/{record_id}").status_code == 401


def test_revoked_keys_stop_working(server, http):
    key_id, key = create_key(server.records.db, "analyst")
    assert http.get("/v1/reports/monitoring", headers=auth(key)).status_code == 200
    assert revoke_key(server.records.db, key_id)
    assert http.get("/v1/reports/monitoring", headers=auth(key)).status_code == 401


def test_keys_are_stored_hashed(server):
    key_id, key = create_key(server.records.db, "staff")
    with server.records.db.session() as s:
        row = s.get(ApiKey, key_id)
        secret = key.split("_", 2)[2]
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in row.secret_hash


# -- outcomes --------------------------------------------------------------------------------------
def test_staff_add_what_happened_and_see_only_that(http, keys):
    record_id = record(http, keys["staff"], NO_POLICE, fresh("P"), fresh("C"))
    r = http.patch(f"/v1/records/{record_id}", json={"police_called": True, "arrested": True},
                   headers=auth(keys["staff"]))
    assert r.status_code == 200
    assert "facts" not in r.json() and "child_ref" not in r.json()
    r = http.patch(f"/v1/records/{record_id}", json={"outcome": "nfa"}, headers=auth(keys["staff"]))
    body = r.json()
    assert (body["police_called"], body["arrested"], body["outcome"]) == (True, True, "nfa")
    assert http.patch(f"/v1/records/{record_id}", json={"outcome": "telling_off"},
                      headers=auth(keys["staff"])).status_code == 422
    assert http.patch(f"/v1/records/{record_id}", json={"name": "x"}, headers=auth(keys["staff"])).status_code == 422
    assert http.patch(f"/v1/records/{uuid.uuid4()}", json={"police_called": False},
                      headers=auth(keys["staff"])).status_code == 404


def test_staff_add_outcomes_only_to_their_own_providers_records_and_every_change_is_audited(server, http, keys):
    db = server.records.db
    (a_id, a), (_, b), (legacy_id, legacy) = (create_key(db, "staff", provider="PROV-A"),
                                              create_key(db, "staff", provider="PROV-B"), create_key(db, "staff"))
    mine, old = record(http, a, NO_POLICE, fresh("P")), record(http, legacy, NO_POLICE, fresh("P"))
    admin = auth(keys["admin"])
    assert http.get(f"/v1/records/{mine}", headers=admin).json()["provider"] == "PROV-A"
    assert http.get(f"/v1/records/{old}", headers=admin).json()["provider"] is None

    def patch(record_id, key, **what):
        return http.patch(f"/v1/records/{record_id}", json=what, headers=auth(key))

    assert patch(mine, a, police_called=True).status_code == 200
    for record_id, key in ((mine, b), (mine, legacy), (old, a)):  # another provider's, or provider-less vs not
        r = patch(record_id, key, outcome="charge")
        assert r.status_code == 403 and r.json()["detail"][0]["field"] == "record_id"
    assert http.get(f"/v1/records/{mine}", headers=admin).json()["outcome"] is None  # nothing changed
    assert patch(old, legacy, arrested=True).status_code == 200  # a key from before providers keeps working
    assert patch(mine, a, outcome="outcome_22", police_called=False).status_code == 200
    assert http.delete(f"/v1/records/{mine}", headers=admin).status_code == 204

    audit = http.get("/v1/audit", params={"limit": 10}, headers=admin).json()
    changes = [(e["action"], e["key_id"], e["record_id"], e["detail"]) for e in audit
               if e["action"] in ("update_outcome", "delete_record")][:4]
    blank = {"police_called": None, "suspect": None, "arrested": None, "outcome": None}
    admin_id = keys["admin"].split("_")[1]
    assert changes == [
        ("delete_record", admin_id, mine, {"before": blank | {"police_called": False, "outcome": "outcome_22"},
                                           "after": None}),
        ("update_outcome", a_id, mine, {"before": blank | {"police_called": True},
                                        "after": blank | {"police_called": False, "outcome": "outcome_22"}}),
        ("update_outcome", legacy_id, old, {"before": blank, "after": blank | {"arrested": True}}),
        ("update_outcome", a_id, mine, {"before": blank, "after": blank | {"police_called": True}}),
    ]


def test_keys_belong_to_a_provider_from_the_command_line(tmp_path):
    from click.testing import CliRunner

    from callguide.cli import main

    url = f"sqlite:///{tmp_path / 'keys.db'}"
    made = CliRunner().invoke(main, ["keys", "create", "--role", "staff", "--provider", "NCT-HOMES", "--database-url", url])
    assert made.exit_code == 0, made.output
    listed = CliRunner().invoke(main, ["keys", "list", "--database-url", url])
    assert "NCT-HOMES" in listed.output
    from callguide.records.core import Records

    records = Records(Settings(database_url=url))
    try:
        assert records.keys.authenticate(made.stdout.strip()).provider == "NCT-HOMES"
    finally:
        records.db.dispose()


# -- the monitoring report ---------------------------------------------------------------------------
def test_monitoring_report_counts_people_and_occurrences(http, keys, decider):
    assert decider.decide(NO_POLICE).recommendation.value == "no_police"
    assert decider.decide(CALL_999).recommendation.value == "call_999"
    staff = auth(keys["staff"])
    placement, a, b = fresh("P"), fresh("C"), fresh("C")
    outcomes = [  # (facts, child, what happened)
        (NO_POLICE, a, {"police_called": True, "arrested": True, "outcome": "nfa"}),
        (CALL_999, a, {"police_called": True, "suspect": True, "outcome": "community_resolution"}),
        (CALL_999, b, {"police_called": False}),
        (NO_POLICE, b, {"police_called": True, "outcome": "outcome_22"}),
        (NO_POLICE, b, {"police_called": False}),
        (NO_POLICE, None, {}),
    ]
    for facts, child, what in outcomes:
        record_id = record(http, keys["staff"], facts, placement, child)
        if what:
            assert http.patch(f"/v1/records/{record_id}", json=what, headers=staff).status_code == 200

    r = http.get("/v1/reports/monitoring", params={"placement": placement}, headers=auth(keys["analyst"]))
    assert r.status_code == 200
    report = r.json()
    total = report["total"]
    assert total["questions"] == {"occurrences": 6, "people": 2}
    assert total["police_called"] == {"occurrences": 3, "people": 2}
    assert total["arrest"] == {"occurrences": 1, "people": 1}
    assert total["nfa_arrest"] == {"occurrences": 1, "people": 1}
    assert total["suspect"] == {"occurrences": 3, "people": 2}
    assert total["community_resolution"] == {"occurrences": 1, "people": 1}
    assert total["offender"] == {"occurrences": 1, "people": 1}
    assert total["outcome_22"] == {"occurrences": 1, "people": 1}
    assert total["charge"] == {"occurrences": 0, "people": 0}
    # 2 records in the community and 4 in the placement: each fewer than 5, so suppressed
    assert report["by_location"]["community"]["questions"] == {"occurrences": None, "people": None}
    assert report["by_location"]["in_placement"]["arrest"] == {"occurrences": None, "people": None}
    assert report["suppression"] == {"min_records": 5, "cells_suppressed": 2}
    assert report["by_placement"][placement]["arrest"] == {"occurrences": 1, "people": 1}
    assert list(report["by_placement"]) == [placement]
    assert list(report["by_month"]) == [datetime.now(timezone.utc).strftime("%Y-%m")]
    assert report["against_recommendation"] == {
        "police_called_known": 5, "called_when_no_police_recommended": 2,
        "not_called_when_police_recommended": 1, "called_after_report_later": 0}
    drivers = {d["rule"]: d for d in report["rules_driving_police"]}
    decisive_999 = [x.rule for x in decider.decide(CALL_999).rationale if x.role == "decisive"]
    assert all(drivers[rule]["recommended_police"] == 2 for rule in decisive_999)
    assert report["records_without_child_ref"] == 1

    r = http.get("/v1/reports/monitoring", params={"placement": placement, "format": "csv"},
                 headers=auth(keys["analyst"]))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = {(row["dimension"], row["group"], row["measure"]): row for row in csv.DictReader(io.StringIO(r.text))}
    assert rows[("total", "all", "arrest")]["occurrences"] == "1"
    assert rows[("total", "all", "suspect")]["people"] == "2"
    assert rows[("location", "community", "questions")]["occurrences"] == ""  # suppressed
    assert rows[("month", datetime.now(timezone.utc).strftime("%Y-%m"), "questions")]["occurrences"] == "6"
    assert rows[("placement", placement, "police_called")]["occurrences"] == "3"
    assert rows[("against_recommendation", "all", "called_when_no_police_recommended")]["occurrences"] == "2"

    later = (datetime.now(timezone.utc) + timedelta(days=40)).date().isoformat()
    empty = http.get("/v1/reports/monitoring", params={"placement": placement, "from": later},
                     headers=auth(keys["admin"])).json()
    assert empty["total"]["questions"]["occurrences"] == 0


def test_report_page_has_a_matplotlib_chart_and_browsers_can_log_in(http, keys):
    challenges = http.get("/reports/monitoring").headers.get_list("WWW-Authenticate")  # one per header (issue 16)
    assert challenges[0] == "Bearer" and challenges[1].startswith("Basic realm=")
    basic = base64.b64encode(f"analyst:{keys['analyst']}".encode()).decode()
    r = http.get("/reports/monitoring", headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200
    chart = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', r.text)  # embedded: no second read
    assert chart and "format=csv" in r.text
    svg = base64.b64decode(chart.group(1)).decode()
    assert "<svg" in svg and "Matplotlib" in svg  # drawn by matplotlib, not by hand
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in r.headers["Content-Security-Policy"]
    chart = http.get("/v1/reports/monitoring/chart.svg", headers={"Authorization": f"Basic {basic}"})
    assert chart.headers["content-type"].startswith("image/svg+xml")  # still there for API users
    assert "<svg" in chart.text and "Matplotlib" in chart.text


def test_one_view_of_the_report_page_is_one_audited_read(http, keys):
    """The page and everything it loads from this service, as a browser would fetch them: the
    figures are built, and their read audited, once (the chart was an <img> of chart.svg, which
    built and audited the report a second time)."""
    analyst_id = keys["analyst"].split("_")[1]
    basic = {"Authorization": "Basic " + base64.b64encode(f"analyst:{keys['analyst']}".encode()).decode()}

    def report_reads() -> list[int]:
        audit = http.get("/v1/audit", params={"limit": 10000}, headers=auth(keys["admin"])).json()
        return [e["id"] for e in audit if e["action"] == "read_report" and e["key_id"] == analyst_id]

    before = set(report_reads())
    page = http.get("/reports/monitoring", params={"placement": fresh("P")}, headers=basic)
    assert page.status_code == 200
    loads = re.findall(r'\bsrc="([^"]+)"', page.text)
    assert loads  # the chart
    for src in loads:
        if not src.startswith("data:"):
            assert http.get(html.unescape(src), headers=basic).status_code == 200
    assert len(set(report_reads()) - before) == 1
    # and a read of the chart on its own is a read of its own
    assert http.get("/v1/reports/monitoring/chart.svg", headers=basic).status_code == 200
    assert len(set(report_reads()) - before) == 2


# -- audit, deletion, erasure, retention ------------------------------------------------------------
def test_every_read_of_records_is_audited(server, http, keys):
    record_id = record(http, keys["staff"], NO_POLICE, fresh("P"), fresh("C"))
    admin_id = keys["admin"].split("_")[1]
    analyst_id = keys["analyst"].split("_")[1]
    http.get(f"/v1/records/{record_id}", headers=auth(keys["admin"]))
    http.get("/v1/records", params={"limit": 5}, headers=auth(keys["admin"]))
    http.get("/v1/reports/monitoring", headers=auth(keys["analyst"]))
    audit = http.get("/v1/audit", params={"limit": 3}, headers=auth(keys["admin"])).json()
    assert [(e["action"], e["key_id"]) for e in audit] == [
        ("read_report", analyst_id), ("read_records", admin_id), ("read_record", admin_id)]
    assert audit[2]["record_id"] == record_id and audit[1]["count"] >= 1
    assert http.get("/v1/audit", headers=auth(keys["analyst"])).status_code == 403


def test_admin_deletes_a_record_and_erases_a_child(http, keys):
    admin = auth(keys["admin"])
    placement, child, other = fresh("P"), fresh("C"), fresh("C")
    gone = record(http, keys["staff"], NO_POLICE, placement, other)
    assert http.delete(f"/v1/records/{gone}", headers=admin).status_code == 204
    assert http.get(f"/v1/records/{gone}", headers=admin).status_code == 404
    for _ in range(3):
        record(http, keys["staff"], NO_POLICE, placement, child)
    kept = record(http, keys["staff"], NO_POLICE, placement, other)
    r = http.post("/v1/erasures", json={"child_ref": child}, headers=admin)
    assert r.json() == {"erased": 3}
    assert http.get("/v1/records", params={"child_ref": child}, headers=admin).json() == []
    assert [x["id"] for x in http.get("/v1/records", params={"placement": placement}, headers=admin).json()] == [kept]
    audit = http.get("/v1/audit", params={"limit": 10}, headers=admin).json()
    erasure = next(e for e in audit if e["action"] == "erase_child")
    assert erasure["count"] == 3 and child not in str(audit)


def test_retention_purges_only_old_records(server):
    store = server.records.store
    placement = fresh("P")
    now = datetime.now(timezone.utc)
    ids = {age: str(uuid.uuid4()) for age in (10, 400, 800)}
    with server.records.db.session() as s:
        for age, record_id in ids.items():
            s.add(Record(id=record_id, kind="decision", created_at=now - timedelta(days=age), rulebook="sha256:x",
                         facts=NO_POLICE, recommendation="no_police", rules=["r"], decisive_rules=["r"],
                         location="in_placement", placement_ref=placement))
    store.retention_days = 365
    try:
        assert store.purge(now=now) == 2
    finally:
        store.retention_days = 0
    with server.records.db.session() as s:
        left = s.scalars(select(Record.id).where(Record.placement_ref == placement)).all()
    assert left == [ids[10]]
    assert store.purge(now=now) == 0  # 0 days keeps everything


# -- logs ----------------------------------------------------------------------------------------------
def test_logs_carry_no_facts_or_references(http, keys, caplog):
    placement, child = fresh("PLACEMENTREF"), fresh("CHILDREF")
    with caplog.at_level(logging.INFO):
        record_id = record(http, keys["staff"], NO_POLICE, placement, child)
        http.patch(f"/v1/records/{record_id}", json={"outcome": "outcome_20"}, headers=auth(keys["staff"]))
        http.get("/v1/reports/monitoring", params={"placement": placement}, headers=auth(keys["analyst"]))
        http.get("/v1/records", params={"child_ref": child}, headers=auth(keys["admin"]))
        http.post("/v1/erasures", json={"child_ref": child}, headers=auth(keys["admin"]))
    # the server's logs (the test's own HTTP client logs its URLs: that is the caller's side)
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert record_id in text  # ids are logged ...
    assert "/v1/reports/monitoring" in text  # ... and the access log is there
    for secret in (placement, child, "criminal_damage", keys["staff"]):
        assert secret not in text


# -- many writers at once -------------------------------------------------------------------------------
def test_concurrent_writers_lose_nothing(decider, database_url, server, keys):
    """Two servers (as two worker processes would) on one database, 16 clients, 96 records."""
    second = start(decider, database_url)
    placement = fresh("P")
    clients, per_client = 16, 6

    def write(n: int) -> list[str]:
        base = (server if n % 2 else second).url
        with httpx.Client(base_url=base) as client:
            ids = []
            for i in range(per_client):
                record_id = record(client, keys["staff"], NO_POLICE if i % 2 else CALL_999, placement, f"C-{n}")
                assert client.patch(f"/v1/records/{record_id}", json={"police_called": bool(i % 3)},
                                    headers=auth(keys["staff"])).status_code == 200
                ids.append(record_id)
            return ids

    try:
        with ThreadPoolExecutor(clients) as pool:
            written = [rid for ids in pool.map(write, range(clients)) for rid in ids]
    finally:
        second.stop()
    assert len(set(written)) == clients * per_client
    with httpx.Client(base_url=server.url) as http:
        report = http.get("/v1/reports/monitoring", params={"placement": placement},
                          headers=auth(keys["analyst"])).json()
        listed = http.get("/v1/records", params={"placement": placement, "limit": 1000},
                          headers=auth(keys["admin"])).json()
    assert report["total"]["questions"] == {"occurrences": clients * per_client, "people": clients}
    called = sum(1 for i in range(per_client) if i % 3) * clients
    assert report["total"]["police_called"]["occurrences"] == called
    assert report["against_recommendation"]["police_called_known"] == clients * per_client
    assert {x["id"] for x in listed} == set(written)


# -- recording by default --------------------------------------------------------------------------------
def test_record_by_default_records_staff_decisions_only(decider, database_url):
    srv = start(decider, database_url, record_by_default="true")
    try:
        staff = auth(srv.key("staff"))
        with httpx.Client(base_url=srv.url) as http:
            before = srv.records.store.count()
            open_call = http.post("/v1/decisions", json=NO_POLICE)  # the contract's checks: no key, no record
            assert open_call.status_code == 200 and "Callguide-Record-Id" not in open_call.headers
            assert srv.records.store.count() == before
            r = http.post("/v1/decisions", json=NO_POLICE, headers=staff)
            assert r.headers["Callguide-Record-Status"] == "recorded"
            assert srv.records.store.count() == before + 1
            r = http.post("/v1/decisions", params={"record": "false"}, json=NO_POLICE, headers=staff)
            assert "Callguide-Record-Id" not in r.headers
            assert srv.records.store.count() == before + 1
    finally:
        srv.stop()


def test_settings_default_to_a_sqlite_file_under_var(monkeypatch):
    for name in ("CALLGUIDE_DATABASE_URL", "CALLGUIDE_RECORD_BY_DEFAULT", "CALLGUIDE_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.database_url == "sqlite:///var/callguide.db"
    assert not settings.record_by_default and settings.retention_days > 0
    monkeypatch.setenv("CALLGUIDE_DATABASE_URL", "postgresql://u@h/db")
    assert Settings.from_env().database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("days", ["3y", "-1", "1.5", "99999999"])
def test_a_bad_retention_period_is_named_clearly(monkeypatch, days):
    monkeypatch.setenv("CALLGUIDE_RETENTION_DAYS", days)
    with pytest.raises(ValueError, match=f"CALLGUIDE_RETENTION_DAYS must be 0 .keep. or a number of days up to 36500, not '{days}'"):
        Settings.from_env()
