"""A real ``callguide serve`` for the tests that need one: a free loopback port, waiting until it
answers, and stopping it with its worker processes (one copy of each, for every server test)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

START_BOUND_S = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base: str, process: subprocess.Popen, log_path: Path, path: str = "/readyz",
               bound: float = START_BOUND_S) -> httpx.Response:
    """The first 200 from ``path``; the test fails (with the server's log) if it exits or never answers."""
    deadline = time.monotonic() + bound
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited ({process.returncode}):\n{log_path.read_text()}")
        try:
            response = httpx.get(f"{base}{path}", timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the server did not become ready:\n{log_path.read_text()}")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    """Stop the server we started and its workers (its own process group): TERM, then KILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
