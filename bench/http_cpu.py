#!/usr/bin/env python3
"""CPU per request: `/healthz` against distinct decisions, in the server process itself.

On a shared 2-core vm requests per second swing with everyone else's load; the CPU seconds the
server process spends per request do not. This starts ``callguide serve`` (1 worker) on
127.0.0.1, loads it with wrk (16 connections, each wrk thread sending its own share of 40,000
distinct incidents, after a warm-up with others), and reads the process's user + system time
from ``/proc/PID/stat`` around each run.

    .venv/bin/python bench/http_cpu.py [--duration 8]

A benchmark, not a test: nothing here asserts. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import HOST, free_port, incidents, lua_script, stop, wait_ready  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def load(url: str, script: str | None, duration: int) -> tuple[int, float]:
    command = ["wrk", "-t2", "-c16", f"-d{duration}s"] + (["-s", script] if script else []) + [url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return (int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
            float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))  # type: ignore[union-attr]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8)
    args = parser.parse_args()
    serve = Path(sys.executable).parent / "callguide"
    port = free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory() as work:
        scripts = {}
        for name, count, seed in (("measured", 40_000, 3), ("warm-up", 3_000, 4)):
            bodies = Path(work, f"{name}.jsonl")
            bodies.write_text("".join(json.dumps(doc) + "\n" for doc in incidents(count, seed=seed)))
            scripts[name] = Path(work, f"{name}.lua")
            scripts[name].write_text(lua_script(bodies))
        env = {**os.environ, "CALLGUIDE_DATABASE_URL": f"sqlite:///{work}/records.db"}
        process = subprocess.Popen([str(serve), "serve", "--host", HOST, "--port", str(port)], cwd=work, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_ready(base, process)
            load(f"{base}/v1/decisions", str(scripts["warm-up"]), 3)
            for name, url, script in (("GET /healthz", f"{base}/healthz", None),
                                      ("POST /v1/decisions", f"{base}/v1/decisions", str(scripts["measured"]))):
                before = cpu_seconds(process.pid)
                count, rps = load(url, script, args.duration)
                per_request = (cpu_seconds(process.pid) - before) / count * 1e3
                print(f"{name:20} {count:7d} requests  {rps:7.0f} req/s  {per_request:.3f} ms CPU per request")
        finally:
            stop(process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
