"""Bad input gets a clean 4xx JSON problem, never a 500 (issue 12): the records, report, audit and
key-checking routes over real HTTP (SQLite and PostgreSQL), the command line's options, and a
first start interrupted in the middle of its migration.
"""

from __future__ import annotations

import os
import string
import subprocess
import sys
import textwrap
import uuid
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from callguide.records.config import Settings
from callguide.records.core import Records
from test_records import CALL_999, NO_POLICE, auth, database_url, postgres_schema, record, refs, start  # noqa: F401

ROOT_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


@pytest.fixture(scope="module")
def served(decider, database_url):
    srv = start(decider, database_url)
    srv.records.logins.per_client = 10**9  # the fuzzing sends many bad keys; the limit has its own test
    keys = {role: srv.key(role) for role in ("staff", "analyst", "admin")}
    with httpx.Client(base_url=srv.url, timeout=30) as client:
        record_id = record(client, keys["staff"], NO_POLICE, "P-FUZZ", "C-FUZZ")
        yield srv, client, keys, record_id
    srv.stop()


def problem(r: httpx.Response) -> None:
    """A 4xx with the service's one error shape."""
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    detail = r.json()["detail"]
    assert detail and all(p["field"] and p["message"] for p in detail)


# -- values a client might send ------------------------------------------------------------------
DATES = st.one_of(
    st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "2026-13-01", "99999-01-01", "-2026-01-01",
                     "2026-01-01T00:00:00", "1e9", "", "\x00", "2026-01-01\x00", "today"]),
    st.dates().map(str), st.text(max_size=20))
NUMBERS = st.one_of(st.integers(-10**30, 10**30).map(str),
                    st.sampled_from(["1e400", "NaN", "-0", "0x10", "9" * 400, "1.5", " 7", "\x00"]))
TEXT = st.text(st.characters(codec="utf-8"), max_size=80)
# what HTTP/1.1 lets a client put in a header value: visible ASCII, bytes over 0x7f, inner spaces
HEADER_BYTES = st.binary(max_size=120).map(
    lambda b: bytes(c for c in b if c == 0x20 or 0x21 <= c <= 0x7E or c >= 0x80).strip(b" "))
AUTH = st.one_of(
    st.just(None), HEADER_BYTES,
    st.builds(lambda b: (b"Bearer " + b).strip(), HEADER_BYTES), st.builds(lambda b: (b"Basic " + b).strip(), HEADER_BYTES),
    st.sampled_from([b"Bearer cgk_", b"Bearer cgk__x", b"Bearer cgk_\xff\xfe_x", b"Basic !!!!", b"Basic Og==",
                     b"Bearer cgk_" + b"a" * 5000 + b"_x", b"Bearer cgk_000000000000_" + b"\xe9" * 10]))
PARAMS = st.dictionaries(st.sampled_from(["from", "to", "placement", "child_ref", "limit", "offset", "format",
                                          "record"]),
                         st.one_of(DATES, NUMBERS, TEXT), max_size=6)
GETS = ["/v1/records", "/v1/reports/monitoring", "/reports/monitoring", "/v1/audit", "/v1/records/{id}",
        "/v1/records/{junk}"]


def _path(template: str, record_id: str, junk: str) -> str:
    return template.replace("{id}", record_id).replace("{junk}", quote(junk, safe="") or "x")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(GETS), params=PARAMS, authorization=AUTH, role=st.sampled_from(["admin", "analyst", None]),
       junk=TEXT)
def test_records_and_reports_never_answer_5xx(served, path, params, authorization, role, junk):
    srv, client, keys, record_id = served
    headers = {}
    if role is not None:
        headers["Authorization"] = f"Bearer {keys[role]}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    r = client.get(_path(path, record_id, junk), params=params, headers=headers)
    assert r.status_code < 500, (path, params, r.status_code, r.text[:300])
    if r.status_code >= 400:
        problem(r)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=st.sampled_from(["PATCH", "DELETE"]), junk=TEXT, body=st.one_of(
    st.binary(max_size=60), st.dictionaries(TEXT, st.one_of(TEXT, st.integers(), st.booleans(), st.none()), max_size=4)),
    authorization=AUTH, staff=st.booleans())
def test_writes_to_records_never_answer_5xx(served, method, junk, body, authorization, staff):
    srv, client, keys, record_id = served
    headers = {"Authorization": f"Bearer {keys['staff' if method == 'PATCH' else 'admin']}"} if staff else (
        {"Authorization": authorization} if authorization is not None else {})
    path = _path("/v1/records/{junk}", record_id, junk)
    kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
    r = client.request(method, path, headers=headers | {"Content-Type": "application/json"}, **kwargs)
    assert r.status_code < 500, (method, path, r.status_code, r.text[:300])
    if r.status_code >= 400:
        problem(r)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(child=HEADER_BYTES, placement=HEADER_BYTES, authorization=AUTH, flag=st.one_of(st.none(), TEXT),
       staff=st.booleans(), path=st.sampled_from(["/v1/decisions", "/v1/call-checks"]))
def test_recording_headers_never_cost_the_advice(served, decider, child, placement, authorization, flag, staff, path):
    """Whatever arrives in the recording headers and parameters, the answer is 200 and whole."""
    srv, client, keys, _ = served
    headers = {"Callguide-Child-Ref": child, "Callguide-Placement-Ref": placement}
    if staff:
        headers["Authorization"] = f"Bearer {keys['staff']}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    r = client.post(path, params={} if flag is None else {"record": flag}, json=CALL_999, headers=headers)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["recommendation"] == "call_999"
    assert r.headers.get("Callguide-Record-Status") in (None, "recorded", "failed")


def test_the_bad_inputs_the_issue_names(served):
    srv, client, keys, record_id = served
    admin, analyst = auth(keys["admin"]), auth(keys["analyst"])
    far = client.get("/v1/reports/monitoring", params={"to": "9999-12-31"}, headers=analyst)
    assert far.status_code == 200 and far.json()["period"]["to"] == "9999-12-31"
    assert client.get("/v1/reports/monitoring", params={"from": "0001-01-01"}, headers=analyst).status_code == 200
    backwards = client.get("/v1/records", params={"from": "2026-02-01", "to": "2026-01-01"}, headers=admin)
    problem(backwards)
    assert backwards.json()["detail"][0]["field"] == "from"
    for params in ({"offset": str(10**30)}, {"limit": "1e400"}, {"placement": "P\x00"},
                   {"child_ref": "Jane Smith"}, {"from": "2026-02-30"}):
        problem(client.get("/v1/records", params=params, headers=admin))
    problem(client.get("/v1/reports/monitoring", params={"placement": "a\x00b"}, headers=analyst))
    problem(client.get("/v1/records/not-a-uuid%00", headers=admin))
    problem(client.patch(f"/v1/records/{uuid.uuid4()}", json={"outcome": "nfa"}, headers=auth(keys["staff"])))
    for bad in (b"Basic !!!!", b"Bearer cgk_zz\xff_x", b"Bearer cgk_abc_" + b"x" * 300):
        r = client.get("/v1/audit", headers={"Authorization": bad})
        problem(r)
        assert r.status_code == 401


def test_a_flood_of_invalid_keys_is_refused_and_logged_by_key_id_only(decider, tmp_path, caplog):
    import logging

    srv = start(decider, f"sqlite:///{tmp_path / 'flood.db'}")
    try:
        with caplog.at_level(logging.INFO, logger="callguide"), httpx.Client(base_url=srv.url) as client:
            statuses = [client.get("/v1/audit", headers=auth(f"cgk_{i:012x}_secret{i}")).status_code
                        for i in range(40)]
            assert statuses[:30] == [401] * 30 and set(statuses[30:]) == {429}
            # A body that fails validation is no way round the limit: who is asking comes first.
            patched = client.patch(f"/v1/records/{uuid.uuid4()}", json={"outcome": 7}, headers=auth("cgk_000000000000_x"))
            assert patched.status_code == 429, patched.text
            refused = client.post("/v1/decisions", params={"record": "true"}, json=CALL_999,
                                  headers=auth(srv.key("staff")) | refs("P1"))
            assert refused.status_code == 200 and refused.json()["recommendation"] == "call_999"
            assert refused.headers["Callguide-Record-Reason"] == "too-many-failed-keys"
        lines = [r.getMessage() for r in caplog.records if "failed login" in r.getMessage()]
        assert 1 <= len(lines) <= 10  # rate-limited
        assert lines[0] == "failed login: key 000000000000 (unknown)"
        assert not any("secret" in line for line in lines)
    finally:
        srv.stop()


# -- the command line ----------------------------------------------------------------------------
def _cli(args: list[str], tmp_path, **env) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": ROOT_SRC, "CALLGUIDE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
               **env}
    return subprocess.run([sys.executable, "-m", "callguide", *args], env=environ, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def _run(args: list[str], tmp_path, monkeypatch, **env):
    """In process (the subprocess tests below show the same for real): exit code and stderr."""
    from click.testing import CliRunner

    from callguide.cli import main

    monkeypatch.setenv("CALLGUIDE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize("variable,value,named", [
    ("CALLGUIDE_RETENTION_DAYS", "99999999", "CALLGUIDE_RETENTION_DAYS must be 0 (keep) or a number of days up to 36500"),
    ("CALLGUIDE_RECORD_BY_DEFAULT", "perhaps", "CALLGUIDE_RECORD_BY_DEFAULT must be true or false"),
    ("CALLGUIDE_DATABASE_URL", "not a url", "CALLGUIDE_DATABASE_URL must be a database URL"),
    ("CALLGUIDE_DATABASE_TIMEOUT_SECONDS", "inf", "CALLGUIDE_DATABASE_TIMEOUT_SECONDS must be a number of seconds"),
    ("CALLGUIDE_REPORT_MIN_RECORDS", "0", "CALLGUIDE_REPORT_MIN_RECORDS must be a number from 1 to 1000"),
])
@pytest.mark.parametrize("command", [["report"], ["keys", "list"], ["records", "purge"], ["serve", "--port", "1"]])
def test_bad_settings_are_one_line_and_exit_2(tmp_path, monkeypatch, variable, value, named, command):
    done = _run(command, tmp_path, monkeypatch, **{variable: value})
    assert done.exit_code == 2, done.output
    assert done.stderr.startswith(f"callguide: {named}") and done.stderr.count("\n") == 1, done.stderr


def test_cli_options_are_one_line_and_exit_2(tmp_path, monkeypatch):
    for args in (["report", "--to", "2026-02-30"], ["report", "--from", "2026-02-01", "--to", "2026-01-01"],
                 ["keys", "create", "--role", "staff", "--provider", "two words"],
                 ["keys", "list", "--database-url", "nonsense"]):
        done = _run(args, tmp_path, monkeypatch)
        assert done.exit_code == 2, (args, done.output)
        assert "Traceback" not in done.output
    far = _run(["report", "--to", "9999-12-31", "--format", "json"], tmp_path, monkeypatch)
    assert far.exit_code == 0, far.output


def test_for_real_a_bad_setting_or_a_missing_database_is_one_line_not_a_traceback(tmp_path):
    serve = _cli(["serve", "--port", "1"], tmp_path, CALLGUIDE_RETENTION_DAYS="99999999")
    assert serve.returncode == 2 and serve.stderr == (
        "callguide: CALLGUIDE_RETENTION_DAYS must be 0 (keep) or a number of days up to 36500, not '99999999'\n")
    down = _cli(["keys", "list", "--database-url", "postgresql://nobody@127.0.0.1:1/none"], tmp_path)
    assert down.returncode == 1 and down.stderr.count("\n") == 1 and "Traceback" not in down.stderr
    assert down.stderr.startswith("callguide: the records database cannot be used (OperationalError")
    assert "nobody" not in down.stderr


# -- an interrupted first start --------------------------------------------------------------------
CRASH_MID_MIGRATION = textwrap.dedent("""
    import os, sys
    from alembic.operations import BatchOperations
    real = BatchOperations.create_index
    def crash(self, *a, **k):  # the process dies here, as on a power cut: no rollback code runs
        if "records" in repr(self.impl.table_name):
            os._exit(9)
        return real(self, *a, **k)
    BatchOperations.create_index = crash
    from callguide.records.config import Settings
    from callguide.records.core import Records
    Records(Settings(database_url=sys.argv[1])).db.ready()
""")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_interrupted_first_migration_leaves_a_database_that_starts(tmp_path, backend):
    def check(url: str) -> None:
        crashed = subprocess.run([sys.executable, "-c", CRASH_MID_MIGRATION, url], capture_output=True, text=True,
                                 env={**os.environ, "PYTHONPATH": ROOT_SRC}, timeout=120)
        assert crashed.returncode == 9, crashed.stderr  # it died after creating api_keys and audit_log
        records = Records(Settings(database_url=url, retention_days=0))
        try:
            records.start()  # before issue 12: "table api_keys already exists"
            assert records.store.count() == 0
            from callguide.records.auth import create_key

            create_key(records.db, "staff", provider="PROV-1")
        finally:
            records.db.dispose()

    if backend == "sqlite":
        check(f"sqlite:///{tmp_path / 'first.db'}")
        return
    with postgres_schema() as url:
        check(url)


def test_printable_messages_only():
    """The CLI quotes a bad value back, but never raw control characters."""
    from callguide.records.config import SettingsError

    os.environ["CALLGUIDE_RETENTION_DAYS"] = "\x1b[31m7"
    try:
        with pytest.raises(SettingsError) as info:
            Settings.from_env()
    finally:
        del os.environ["CALLGUIDE_RETENTION_DAYS"]
    assert "\x1b" not in str(info.value) and all(c in string.printable for c in str(info.value))
