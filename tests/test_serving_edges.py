"""Slow and odd clients against the real server (issue 16): ``callguide serve`` on a loopback port,
driven with raw sockets.

Before this, nothing bounded how long a client could take over a request's head or body, and 130
half-open connections against a 128-descriptor limit kept ``/healthz`` and every page out for as
long as they were held. Nothing here is timed: the waits are bounds, so a broken server fails a
test instead of hanging it.
"""

from __future__ import annotations

import resource
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
from servers import server_env, serving

CLOSE_BOUND_S = 15  # a connection the server should close must be closed within this
HALF_OPEN = 200  # connections, against a 128-descriptor limit


@contextmanager
def running(tmp_path: Path, *options: str, descriptors: int | None = None) -> Iterator[tuple[int, Path]]:
    """``callguide serve`` with ``options``, optionally under a file-descriptor limit; yields (port, log)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))

    env = server_env(CALLGUIDE_DATABASE_URL=f"sqlite:///{tmp_path / 'records.db'}")
    with serving(tmp_path, *options, env=env, ready="/healthz", preexec_fn=limit if descriptors else None) as served:
        yield served.port, served.log_path


def _connect(port: int, data: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=CLOSE_BOUND_S)
    if data:
        sock.sendall(data)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a socket timeout fails the test)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _healthz(port: int) -> int:
    return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code


HALF_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # no blank line: the head never ends


def test_half_open_connections_do_not_keep_healthz_out(tmp_path):
    with running(tmp_path, descriptors=128) as (port, log):
        held = [_connect(port, HALF_HEAD) for _ in range(HALF_OPEN)]
        try:
            assert [_healthz(port) for _ in range(3)] == [200, 200, 200]
            page = httpx.get(f"http://127.0.0.1:{port}/should-i-call", timeout=10)
            assert page.status_code == 200
        finally:
            for sock in held:
                sock.close()
        text = log.read_text()
    assert "out of system resource" not in text and "Too many open files" not in text


def test_a_head_or_body_that_never_ends_is_closed_with_408(tmp_path):
    with running(tmp_path, "--header-timeout", "1", "--body-timeout", "1") as (port, _):
        head = _connect(port, HALF_HEAD)
        body = _connect(port, b"POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 100\r\n\r\n{\"incident\":")
        idle = _connect(port)  # sends nothing at all: closed without a 408 (it asked nothing)
        for sock in (head, body):
            assert _read_until_closed(sock).startswith(b"HTTP/1.1 408 ")
            sock.close()
        assert _read_until_closed(idle) == b""
        idle.close()
        # A keep-alive connection gets its answer, then the same bound for its next request's head.
        sock = _connect(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + HALF_HEAD)
        received = _read_until_closed(sock)
        assert received.startswith(b"HTTP/1.1 200 ") and b"HTTP/1.1 408 " in received
        sock.close()
        assert _healthz(port) == 200


def test_requests_over_the_concurrency_limit_are_answered_503(tmp_path):
    with running(tmp_path, "--limit-concurrency", "2", "--body-timeout", "60") as (port, _):
        slow = [_connect(port, b"POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 100\r\n\r\n{") for _ in range(2)]
        try:
            deadline = time.monotonic() + CLOSE_BOUND_S
            while (busy := httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)).status_code != 503:
                assert time.monotonic() < deadline, "the two slow requests never counted as in flight"
                time.sleep(0.1)
            assert busy.headers["retry-after"] == "1"
            assert busy.json()["detail"][0]["message"].startswith("the service is busy")
            assert busy.json()["detail"][0]["field"] == "(request)"  # the one error shape
        finally:
            for sock in slow:
                sock.close()
        deadline = time.monotonic() + CLOSE_BOUND_S
        while _healthz(port) != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_framing_hosts_redirects_and_forwarded_headers(tmp_path):
    with running(tmp_path, "--access-log") as (port, log):
        smuggle = _connect(port, b"POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        answer = _read_until_closed(smuggle)
        smuggle.close()
        assert answer.startswith(b"HTTP/1.1 400 ") and b"not both" in answer

        long_address = _connect(port, b"GET /should-i-call/result?" + b"incident.kind=assault&" * 5500 +
                                b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # about 120 KB, in one write
        answer = long_address.recv(65536)
        long_address.close()
        assert answer.split(b" ", 2)[1] in (b"414", b"400")  # 414 from the app, or 400 from h11's head limit

        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz", headers={"Host": "evil.example"}).status_code == 400
        assert httpx.get(f"{base}/healthz", headers={"Host": f"localhost:{port}"}).status_code == 200
        redirect = httpx.get(f"{base}/walkthrough/", follow_redirects=False)
        assert redirect.status_code in (307, 308) and redirect.headers["location"] == "/walkthrough"

        assert httpx.get(f"{base}/healthz", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
        time.sleep(0.5)  # the access log line is written after the response
        text = log.read_text()
        assert "127.0.0.1" in text and "203.0.113.9" not in text  # not believed from anyone by default


def test_forwarded_headers_are_believed_from_a_configured_proxy(tmp_path):
    with running(tmp_path, "--access-log", "--forwarded-allow-ips", "127.0.0.1") as (port, log):
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
        deadline = time.monotonic() + CLOSE_BOUND_S
        while "203.0.113.9" not in log.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_a_flood_of_slow_clients_is_not_a_flood_of_log_lines(caplog):
    from callguide.serving import _Tally

    tally = _Tally(every=3600)
    with caplog.at_level("WARNING", logger="callguide.serving"):
        for _ in range(1000):
            tally.note("closed: request head too slow")
    assert len(caplog.records) == 1  # the first at once; the rest counted for the next line
    assert tally.counts == {"closed: request head too slow": 999}
