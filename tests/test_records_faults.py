"""Advice is never withheld because records failed (issue 12): a real PostgreSQL behind a
fault-injecting TCP proxy (tests/faultproxy.py), a real server on loopback, no mocks.

The time bounds here are correctness bounds, not benchmarks: a request that waited on the hung
database would take the database timeout plus a second (4 s here), so the pages and /healthz are
held to well under that, and a recorded decision to a few seconds rather than minutes.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from callguide.service import create_app
from faultproxy import FaultProxy
from servers import server_env, serving
from test_records import CALL_999, NO_POLICE, Server, auth, environment, fresh, postgres_schema, refs

DB_TIMEOUT = 3.0                 # CALLGUIDE_DATABASE_TIMEOUT_SECONDS in these tests
HUNG_REQUEST_BOUND = DB_TIMEOUT + 4  # the guard's deadline is the timeout + 1 s; the rest is slack
NOT_WAITING_BOUND = 2.0          # well under the 4 s a request that waited on the database would take
RECOVERY_BOUND = 30.0


@pytest.fixture
def proxy():
    p = FaultProxy()
    yield p
    p.stop()


@contextmanager
def server_behind(proxy: FaultProxy, decider, url: str):
    proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert proxied != url
    with environment(CALLGUIDE_DATABASE_URL=proxied, CALLGUIDE_RECORD_BY_DEFAULT="false",
                     CALLGUIDE_RETENTION_DAYS="0", CALLGUIDE_DATABASE_TIMEOUT_SECONDS=str(DB_TIMEOUT)):
        srv = Server(create_app(decider))
    srv.records.guard.max_cooldown = 1.0  # probe every second while down (the default backs off to 10 s)
    try:
        yield srv
    finally:
        srv.stop()


def expected(decider, facts) -> dict:
    return decider.decide(facts).model_dump(mode="json", exclude_none=True)


def post_recorded(client: httpx.Client, key: str, facts=NO_POLICE, path="/v1/decisions") -> httpx.Response:
    return client.post(path, params={"record": "true"}, json=facts,
                       headers=auth(key) | refs(fresh("P"), fresh("C")), timeout=30)


def wait_until_recorded(client: httpx.Client, key: str) -> float:
    """Seconds until a recorded decision is kept again."""
    start = time.monotonic()
    while time.monotonic() - start < RECOVERY_BOUND:
        r = post_recorded(client, key)
        assert r.status_code == 200
        if r.headers["Callguide-Record-Status"] == "recorded":
            return time.monotonic() - start
        time.sleep(0.1)
    pytest.fail("records did not resume after the database came back")


@pytest.fixture
def pg_url():
    with postgres_schema() as url:
        yield url


def test_advice_continues_while_the_database_is_down_and_records_resume(proxy, decider, pg_url):
    with server_behind(proxy, decider, pg_url) as srv, httpx.Client(base_url=srv.url) as client:
        staff, analyst = srv.key("staff"), srv.key("analyst")
        assert post_recorded(client, staff).headers["Callguide-Record-Status"] == "recorded"
        before = srv.records.store.count()

        proxy.refuse()
        answers = [post_recorded(client, staff, facts) for facts in (NO_POLICE, CALL_999) * 10]
        answers.append(post_recorded(client, staff, CALL_999, path="/v1/call-checks"))
        for r, facts in zip(answers, (NO_POLICE, CALL_999) * 10):
            assert r.status_code == 200
            assert r.json() == expected(decider, facts)  # the whole decision, as without records
        assert {r.headers["Callguide-Record-Status"] for r in answers} == {"failed"}
        assert {r.headers["Callguide-Record-Reason"] for r in answers} <= {"database-unavailable", "database-timeout"}
        assert answers[-1].json()["recommendation"] == "call_999"
        ready = client.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["advice"] == "ready" and body["records"]["status"] == "unavailable"
        assert body["records"]["since"] and body["records"]["not_saved"] >= 1
        # the records routes say so plainly too (503, a JSON problem), not a 500
        down = client.get("/v1/reports/monitoring", headers=auth(analyst))
        assert down.status_code == 503 and down.json()["detail"][0]["field"] == "(records)"

        proxy.forward()
        wait_until_recorded(client, staff)  # no restart
        assert client.get("/readyz").json()["records"]["status"] == "ok"
        assert srv.records.store.count() == before + 1


def test_a_hung_database_costs_seconds_and_never_holds_up_pages_or_health(proxy, decider, pg_url):
    with server_behind(proxy, decider, pg_url) as srv, httpx.Client(base_url=srv.url) as client:
        staff = srv.key("staff")
        assert post_recorded(client, staff).headers["Callguide-Record-Status"] == "recorded"

        proxy.hang()

        def timed_recorded(i: int) -> tuple[float, httpx.Response]:
            with httpx.Client(base_url=srv.url) as own:
                start = time.monotonic()
                r = post_recorded(own, staff, CALL_999 if i % 2 else NO_POLICE)
                return time.monotonic() - start, r

        with ThreadPoolExecutor(20) as pool:
            hung = [pool.submit(timed_recorded, i) for i in range(20)]
            time.sleep(0.5)  # the recorded requests are now waiting on the hung database
            for path in ("/healthz", "/should-i-call", "/call-check", "/readyz"):
                start = time.monotonic()
                r = client.get(path)
                took = time.monotonic() - start
                assert r.status_code == 200, path
                assert took < NOT_WAITING_BOUND, (path, took)
            start = time.monotonic()
            open_call = client.post("/v1/decisions", json=CALL_999)  # the open endpoint: no records asked
            assert open_call.json() == expected(decider, CALL_999)
            assert time.monotonic() - start < NOT_WAITING_BOUND
            results = [f.result() for f in hung]
        for took, r in results:
            assert r.status_code == 200 and r.json()["recommendation"] in ("call_999", "no_police")
            assert r.headers["Callguide-Record-Status"] == "failed"
            assert took < HUNG_REQUEST_BOUND, took
        assert client.get("/readyz").json()["records"]["status"] == "unavailable"

        proxy.forward()
        wait_until_recorded(client, staff)
        assert client.get("/readyz").json()["records"]["status"] == "ok"


def test_the_service_starts_without_its_database_and_migrates_when_it_appears(proxy, decider, pg_url, caplog):
    proxy.refuse()
    with caplog.at_level(logging.INFO, logger="callguide"), server_behind(proxy, decider, pg_url) as srv, \
            httpx.Client(base_url=srv.url) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["records"]["status"] == "unavailable"
        assert ready.json()["records"]["reason"] == "database-not-ready"
        r = post_recorded(client, "cgk_000000000000_unknown")
        assert r.status_code == 200 and r.json() == expected(decider, NO_POLICE)
        assert (r.headers["Callguide-Record-Status"], r.headers["Callguide-Record-Reason"]) == (
            "failed", "database-not-ready")
        lines = [rec.getMessage() for rec in caplog.records if "unavailable at start-up" in rec.getMessage()]
        assert len(lines) == 1 and "postgresql 127.0.0.1:" in lines[0] and "postgres@" not in lines[0]

        proxy.forward()
        deadline = time.monotonic() + RECOVERY_BOUND
        while client.get("/readyz").json()["records"]["status"] != "ok":
            assert time.monotonic() < deadline, "the service did not migrate once the database appeared"
            time.sleep(0.2)
        staff = srv.key("staff")
        assert post_recorded(client, staff).headers["Callguide-Record-Status"] == "recorded"


def test_a_sqlite_file_that_cannot_be_made_yet_does_not_stop_the_service(tmp_path, decider):
    blocker = tmp_path / "var"
    blocker.write_text("a file where the database's folder should be")
    with environment(CALLGUIDE_DATABASE_URL=f"sqlite:///{blocker / 'callguide.db'}", CALLGUIDE_RETENTION_DAYS="0",
                     CALLGUIDE_RECORD_BY_DEFAULT="false"):
        srv = Server(create_app(decider))
    try:
        with httpx.Client(base_url=srv.url) as client:
            assert client.get("/readyz").json()["records"]["status"] == "unavailable"
            r = post_recorded(client, "cgk_000000000000_unknown", CALL_999)
            assert r.json() == expected(decider, CALL_999)
            assert r.headers["Callguide-Record-Reason"] == "database-not-ready"
            blocker.unlink()  # the folder can be made now: the next attempt migrates
            deadline = time.monotonic() + RECOVERY_BOUND
            while client.get("/readyz").json()["records"]["status"] != "ok":
                assert time.monotonic() < deadline
                time.sleep(0.2)
            assert post_recorded(client, srv.key("staff")).headers["Callguide-Record-Status"] == "recorded"
    finally:
        srv.stop()


def test_a_database_that_hangs_at_start_up_does_not_hold_the_service(proxy, decider, pg_url):
    proxy.hang()
    began = time.monotonic()
    with server_behind(proxy, decider, pg_url) as srv, httpx.Client(base_url=srv.url) as client:
        assert time.monotonic() - began < DB_TIMEOUT * 3 + 2 + 10  # the wait is bounded, then it serves
        r = post_recorded(client, "cgk_000000000000_unknown", CALL_999)
        assert r.status_code == 200 and r.json() == expected(decider, CALL_999)
        assert r.headers["Callguide-Record-Reason"] == "database-not-ready"
        assert client.get("/readyz").json()["records"]["status"] == "unavailable"
        proxy.forward()
        deadline = time.monotonic() + RECOVERY_BOUND * 3  # the hung attempt gives up first, then a retry
        while client.get("/readyz").json()["records"]["status"] != "ok":
            assert time.monotonic() < deadline, "records never became available"
            time.sleep(0.2)
        assert post_recorded(client, srv.key("staff")).headers["Callguide-Record-Status"] == "recorded"


def test_callguide_serve_starts_and_advises_with_no_database_there(tmp_path, decider):
    """The issue's first report, for real: two workers, a PostgreSQL URL nobody listens on."""
    env = server_env(CALLGUIDE_DATABASE_URL="postgresql://callguide:secret-pw@127.0.0.1:1/records")
    with serving(tmp_path, "--workers", "2", env=env) as served:
        with httpx.Client(base_url=served.base, timeout=20) as client:
            r = client.post("/v1/decisions", params={"record": "true"}, json=CALL_999,
                            headers=auth("cgk_000000000000_unknown"))
            assert r.status_code == 200 and r.json() == expected(decider, CALL_999)
            assert r.headers["Callguide-Record-Reason"] == "database-not-ready"
            assert client.get("/readyz").json()["records"]["reason"] == "database-not-ready"
        # The second worker may still be starting when the first has answered: wait for its line.
        deadline = time.monotonic() + 60
        while served.log_path.read_text().count("unavailable at start-up") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    text = served.log_path.read_text()
    lines = [line for line in text.splitlines() if "unavailable at start-up" in line]
    assert len(lines) == 2, text  # one line per worker, saying where and what
    assert all("postgresql 127.0.0.1:1/records" in line and "OperationalError" in line for line in lines)
    assert "secret-pw" not in text and "Traceback" not in text
