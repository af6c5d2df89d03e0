"""The server's log carries no personal data and no terminal escapes (issue 12).

A real ``callguide serve`` (access log on) writes its log to a file; requests carry a child's
name as a JSON field name, child and placement references, and ANSI escapes in a field name, a
path, a key and a header. The log is then read: none of them is there, while the lines that
should be (decisions, record ids, failed logins by key id, the access log) are.
"""

from __future__ import annotations

import copy
import logging
import pickle

import httpx
import pytest

from callguide.records.auth import create_key
from callguide.records.config import Settings
from callguide.records.core import Records
from servers import server_env, serving

ESC = "\x1b"
NAME = "Jayden Okonkwo-Smith"
CHILD, PLACEMENT = "CHILDREF-8842", "PLACEREF-5531"


@pytest.fixture
def logged_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    records = Records(Settings(database_url=url))
    staff, admin = create_key(records.db, "staff")[1], create_key(records.db, "admin")[1]
    records.db.dispose()
    with serving(tmp_path, "--access-log", env=server_env(CALLGUIDE_DATABASE_URL=url)) as served:
        yield served.base, served.log_path, staff, admin


def test_the_log_has_no_names_references_or_escapes(logged_server):
    base, log_path, staff, admin = logged_server
    bearer = {"Authorization": f"Bearer {staff}"}
    with httpx.Client(base_url=base, timeout=20) as client:
        # a child's name as a field name, and an escape in another: refused with 422, naming them to the caller
        r = client.post("/v1/decisions", json={"incident": {"kind": "assault", NAME: True}})
        assert r.status_code == 422 and NAME in r.text
        r = client.post("/v1/decisions", json={"incident": {"kind": "other"}, f"{ESC}[2J{ESC}[31mforged": 1})
        assert r.status_code == 422
        # references, recorded and refused
        r = client.post("/v1/decisions", params={"record": "true"}, json={"incident": {"kind": "assault"}},
                        headers=bearer | {"Callguide-Child-Ref": CHILD, "Callguide-Placement-Ref": PLACEMENT})
        assert r.headers["Callguide-Record-Status"] == "recorded"
        record_id = r.headers["Callguide-Record-Id"]
        r = client.post("/v1/decisions", params={"record": "true"}, json={"incident": {"kind": "assault"}},
                        headers=bearer | {"Callguide-Child-Ref": NAME})
        assert r.status_code == 200 and r.headers["Callguide-Record-Reason"] == "bad-reference"
        assert client.patch(f"/v1/records/{record_id}", json={"police_called": True}, headers=bearer).status_code == 200
        admin_h = {"Authorization": f"Bearer {admin}"}
        assert client.get("/v1/records", params={"child_ref": CHILD}, headers=admin_h).status_code == 200
        assert client.get("/v1/reports/monitoring", params={"placement": PLACEMENT}, headers=admin_h).status_code == 200
        assert client.post("/v1/erasures", json={"child_ref": CHILD}, headers=admin_h).json() == {"erased": 1}
        # escapes in a path, a key and a header; a child's name as a key
        assert client.get("/v1/rules/%1B[31mred").status_code == 404
        assert client.get("/v1/audit", headers={"Authorization": f"Bearer cgk_{ESC}[31m_x"}).status_code == 401
        assert client.get("/v1/audit", headers={"Authorization": f"Bearer {NAME}"}).status_code == 401
        assert client.get("/v1/audit", headers={"Authorization": "Bearer cgk_0123456789ab_nope"}).status_code == 401
        assert client.get("/healthz", headers={"User-Agent": f"{ESC}]0;pwned{ESC}\\"}).status_code == 200
    text = log_path.read_text(encoding="utf-8", errors="replace")
    # the log is really there and really read ...
    assert "decision " in text and f"decision {record_id} by key" in text
    assert "failed login: key 0123456789ab (unknown)" in text and "failed login: key (malformed)" in text
    assert "invalid input /v1/decisions: 1 problems (extra_forbidden)" in text
    assert '"GET /v1/records?… HTTP/1.1" 200' in text  # the access log, without its query string
    # ... and holds none of this
    for secret in (NAME, "Jayden", CHILD, PLACEMENT, "forged", ESC, staff, admin):
        assert secret not in text, secret
    assert "Traceback" not in text


def test_every_log_line_has_its_control_characters_escaped_and_exceptions_lose_their_text():
    """Whatever a module logs (a value that slipped through, a driver's exception), the line that
    reaches the handler has no raw control characters and no exception message."""
    import io
    import logging

    from callguide.records.logfilter import install_log_hygiene

    install_log_hygiene()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("callguide.test-hygiene")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("value %s", f"{ESC}[31mred\nINFO forged line\r\x00")
        try:
            raise ValueError(f"duplicate key (child_ref)=({CHILD})")
        except ValueError:
            logger.exception("database said no")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert ESC not in text and "\x00" not in text and "\r" not in text
    assert "value \\x1b[31mred\\nINFO forged line\\r\\x00" in text
    assert "Traceback (most recent call last)" in text and "ValueError (message withheld" in text
    assert CHILD not in text


class LibraryRecord(logging.LogRecord):
    """What another library's record factory might make: its own class, its own attribute."""

    def getMessage(self) -> str:  # noqa: N802
        return "[lib] " + super().getMessage()


@pytest.fixture
def library_factory():
    """Another library's record factory in place (as it would be had it installed itself first);
    whatever was there before the test is put back after it."""
    saved = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = LibraryRecord(*args, **kwargs)
        record.library_tag = "from-the-library"
        return record

    logging.setLogRecordFactory(factory)
    try:
        yield factory
    finally:
        logging.setLogRecordFactory(saved)


def _one_record(**extra) -> logging.LogRecord:
    return logging.getLogRecordFactory()("callguide.test-hygiene", logging.WARNING, __file__, 1,
                                         "value %s", (f"{ESC}[31mred\nforged",), None, **extra)


def test_log_hygiene_wraps_another_librarys_record_factory(library_factory):
    from callguide.records.logfilter import install_log_hygiene

    install_log_hygiene()
    assert logging.getLogRecordFactory() is not library_factory
    record = _one_record()
    assert isinstance(record, LibraryRecord) and record.library_tag == "from-the-library"  # the library's still works
    assert record.getMessage() == "[lib] value \\x1b[31mred\\nforged"  # ... and ours too
    for copied in (copy.copy(record), pickle.loads(pickle.dumps(record))):  # QueueHandler copies and pickles
        assert isinstance(copied, LibraryRecord) and copied.library_tag == "from-the-library"
        assert copied.getMessage() == "[lib] value \\x1b[31mred\\nforged"


def test_installing_log_hygiene_twice_wraps_once(library_factory):
    from callguide.records.logfilter import DropQueryString, install_log_hygiene

    install_log_hygiene()
    installed = logging.getLogRecordFactory()
    install_log_hygiene()
    assert logging.getLogRecordFactory() is installed
    assert installed.callguide_wraps is library_factory  # one layer, round the library's factory
    assert sum(isinstance(f, DropQueryString) for f in logging.getLogger("uvicorn.access").filters) == 1
    assert _one_record().getMessage() == "[lib] value \\x1b[31mred\\nforged"
