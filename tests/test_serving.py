"""The service's connections send each response at once (TCP_NODELAY), with any number of workers."""

from __future__ import annotations

import asyncio
import os
import socket
import time

import httpx
import uvicorn
from uvicorn.server import ServerState

from callguide.serving import NoDelayH11Protocol
from servers import server_env, serving


class _Transport(asyncio.Transport):
    def __init__(self, sock: socket.socket):
        super().__init__()
        self.sock = sock

    def get_extra_info(self, name, default=None):
        extra = {"socket": self.sock, "peername": self.sock.getpeername(), "sockname": self.sock.getsockname()}
        return extra.get(name, default)


def test_connections_get_tcp_nodelay_even_on_a_socket_bound_like_workers_bind_it():
    listener = socket.socket(socket.AF_INET)  # proto 0: how uvicorn binds for --workers
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        config = uvicorn.Config(app=lambda *a: None, http=NoDelayH11Protocol)
        config.load()
        loop = asyncio.new_event_loop()
        try:
            protocol = NoDelayH11Protocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
            protocol.connection_made(_Transport(accepted))
        finally:
            loop.close()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        for sock in (client, accepted, listener):
            sock.close()


def test_workers_that_are_slow_to_start_are_not_killed_while_starting(tmp_path):
    """uvicorn kills a worker that has not answered its parent's ping 5 s after the spawn: on a
    busy machine every new worker was killed while importing, and the service never came up.
    Here each worker process is held 8 s before it starts (a slow machine, made certain)."""
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(
        "import sys, time\n"
        "if '--multiprocessing-fork' in sys.argv:  # a worker process that uvicorn spawned\n"
        "    time.sleep(8)\n", encoding="utf-8")
    env = server_env(CALLGUIDE_DATABASE_URL=f"sqlite:///{tmp_path / 'records.db'}")
    env["PYTHONPATH"] = os.pathsep.join([str(slow), env["PYTHONPATH"]])
    with serving(tmp_path, "--workers", "2", env=env) as served:
        assert httpx.get(f"{served.base}/healthz", timeout=10).status_code == 200
        deadline = time.monotonic() + 60  # a bound, not a timing: the second worker may finish later
        while served.log_path.read_text().count("Application startup complete") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    log = served.log_path.read_text()
    assert "died" not in log, log
    assert log.count("Application startup complete") == 2, log
