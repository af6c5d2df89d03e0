"""A real ``callguide serve`` for the tests that need one: a free loopback port, waiting until it
answers, and stopping it with its worker processes (one copy of each, for every server test).

:func:`serving` does all of it; the parts stay public for a test that restarts a worker and waits
again."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping

import httpx
import pytest

START_BOUND_S = 60
SRC = Path(__file__).resolve().parents[1] / "src"


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


def serve_command(port: int, *options: str) -> list[str]:
    """``callguide serve`` on 127.0.0.1:``port`` with ``options``: the environment's script, or
    the CLI run by this Python where there is none."""
    script = shutil.which("callguide", path=str(Path(sys.executable).parent))
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), *options]
    return [script, *args] if script else [sys.executable, "-c", "from callguide.cli import main; main()", *args]


def server_env(**settings: str) -> dict[str, str]:
    """This process's environment with this checkout's ``src`` first on the path, and ``settings``."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
            **settings}


@dataclass(frozen=True)
class Served:
    base: str
    port: int
    process: subprocess.Popen
    log_path: Path


@contextmanager
def serving(workdir: Path, *options: str, env: Mapping[str, str] | None = None, ready: str = "/readyz",
            preexec_fn: Callable[[], None] | None = None) -> Iterator[Served]:
    """``callguide serve`` with ``options``, run in ``workdir`` (its output in ``server-PORT.log``
    there), answering 200 on ``ready`` when the block starts; stopped with its workers at the end."""
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(serve_command(port, *options), cwd=workdir, env=dict(env or server_env()),
                                   stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec_fn,
                                   start_new_session=True)
    served = Served(f"http://127.0.0.1:{port}", port, process, log_path)
    try:
        wait_ready(served.base, process, log_path, path=ready)
        yield served
    finally:
        stop(process)  # the server we started, and its workers
