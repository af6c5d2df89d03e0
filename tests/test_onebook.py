"""One rulebook per service (issue 12): every worker of one ``callguide serve`` answers from the
rulebook the service started with, even a worker restarted after ``rules/`` changed on disk."""

from __future__ import annotations

import shutil
import signal
import time

import httpx
import psutil
from fastapi.testclient import TestClient

from callguide.onebook import ENV_VERSION
from callguide.rulebook import default_rules_dir
from callguide.service import create_app
from servers import server_env, serving, wait_ready

BOUND_S = 60


def test_a_worker_with_another_rulebook_refuses_and_says_why(decider, monkeypatch, tmp_path):
    monkeypatch.setenv("CALLGUIDE_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv(ENV_VERSION, "sha256:" + "0" * 64)
    with TestClient(create_app(decider)) as client:
        r = client.post("/v1/decisions", json={"incident": {"kind": "assault", "risk_to_life": True}})
        assert r.status_code == 503
        ready = client.get("/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "refused" and body["rulebook"] == decider.book.version
        assert body["service_rulebook"] == "sha256:" + "0" * 64
        assert "restart the service" in body["detail"][0]["message"]
    monkeypatch.setenv(ENV_VERSION, decider.book.version)
    with TestClient(create_app(decider)) as client:
        assert client.get("/readyz").status_code == 200


def test_a_restarted_worker_keeps_the_service_rulebook_after_rules_change_on_disk(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    env = server_env(CALLGUIDE_RULES=str(rules), CALLGUIDE_DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}")
    env.pop(ENV_VERSION, None)
    with serving(tmp_path, "--workers", "2", env=env) as served:
        original = httpx.get(f"{served.base}/readyz", timeout=10).json()["rulebook"]
        with open(rules / "parameters.yaml", "a", encoding="utf-8") as f:
            f.write("\n# edited while the service runs\n")
        pid = served.process.pid
        workers = _workers(pid)
        assert len(workers) == 2
        workers[0].send_signal(signal.SIGKILL)
        deadline = time.monotonic() + BOUND_S
        while workers[0].pid in {w.pid for w in _workers(pid)} or len(_workers(pid)) < 2:
            assert time.monotonic() < deadline, "uvicorn did not restart the worker"
            time.sleep(0.2)
        wait_ready(served.base, served.process, served.log_path)
        seen = set()
        for _ in range(60):  # fresh connections land on both workers
            with httpx.Client(base_url=served.base, timeout=10) as client:
                r = client.get("/readyz")
                assert r.status_code == 200, r.text
                seen.add(r.json()["rulebook"])
        assert seen == {original}


def _workers(pid: int) -> list[psutil.Process]:
    """uvicorn's worker processes (not multiprocessing's resource tracker)."""
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:  # gone, or a zombie: not a worker any more
            pass
    return found
