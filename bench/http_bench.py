#!/usr/bin/env python3
"""HTTP benchmark: POST /v1/decisions beside the same server's GET /healthz (issue 3).

Starts ``callguide serve`` on a free port on 127.0.0.1 (only ever loopback), drives it with
wrk (Debian package ``wrk``: ``apt-get install -y wrk``) at 16 connections, and reports
requests/s and p50/p99 for the no-op ``/healthz`` and for decisions, then the ratio.
Target (issue 3): decisions >= 0.5x the no-op's throughput and p99 < 50 ms on a 2-core machine.

    .venv/bin/python bench/http_bench.py                    # 1 worker, 10 s per run
    .venv/bin/python bench/http_bench.py --workers 2 --duration 20 --variety 500

``--variety`` is how many different incidents the load rotates through (deterministic); the
decider memoises its what-if runs, so few distinct incidents measure the warm path and many
measure something nearer the cold one. This is a benchmark, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # never anything else

# Each wrk thread has its own Lua state and would walk the same bodies from the first: with two
# threads every incident was sent twice, and the second copy was answered from the service's answer
# cache. Each thread therefore starts at its own share of the bodies (``setup`` numbers the threads).
LUA = r"""
local started = 0
setup = function(thread)
  thread:set("id", started)
  started = started + 1
end
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local i = 0
init = function(args)
  i = (id or 0) * math.floor(#bodies / %(threads)d)
end
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json"%(headers)s}, bodies[i])
end
"""


def lua_script(bodies: Path, path: str = "/v1/decisions", headers: str = "", threads: int = 2) -> str:
    """wrk's script: POST each line of ``bodies`` in turn to ``path``, each of ``threads`` wrk threads
    from its own share of them; ``headers``: more Lua table entries (``, ["Name"] = "value" .. i``)."""
    return LUA % {"bodies": bodies, "path": path, "headers": headers, "threads": max(threads, 1)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def incidents(count: int, seed: int = 3) -> list[dict]:
    sys.path.insert(0, str(ROOT / "src"))
    from callguide.facts import allowed_values, fact_paths

    numbers = {"person.age": [10, 13, 15, 17, 21], "incident.damage_value_gbp": [0.0, 40.0, 100.0, 450.0, 5000.0],
               "missing.hours_absent": [0.5, 3.0, 24.0], "call.recent_calls": [0, 2, 10]}
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        doc: dict[str, dict] = {"incident": {"kind": rng.choice(allowed_values("incident.kind"))}}
        for path in fact_paths():
            if path != "incident.kind" and rng.random() < 0.5:
                section, name = path.split(".", 1)
                doc.setdefault(section, {})[name] = rng.choice(allowed_values(path) or numbers[path])
        out.append(doc)
    return out


def wait_ready(base: str, process: subprocess.Popen, bound_s: float = 60) -> None:
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not become ready")


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def stop(process: subprocess.Popen) -> None:
    """Stop the server we started and its workers (its own process group): TERM, then KILL."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def run_wrk(url: str, connections: int, threads: int, duration: int, script: str | None) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        result[f"p{pct}_ms"] = _ms(re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non_2xx"] = int(errors.group(1)) if errors else 0
    socket_errors = re.search(r"Socket errors: (.*)", output)
    result["socket_errors"] = socket_errors.group(1) if socket_errors else ""
    return result


def load_arguments(description: str | None, duration: int) -> argparse.ArgumentParser:
    """The options every HTTP benchmark here takes: the server's workers and the load."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=duration, help="seconds per measured run")
    parser.add_argument("--variety", type=int, default=64, help="distinct incidents in the rotation")
    return parser


def main() -> int:
    parser = load_arguments(__doc__, duration=10)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    serve = shutil.which("callguide", path=str(Path(sys.executable).parent)) or shutil.which("callguide")
    if not serve:
        print("callguide is not installed: make install", file=sys.stderr)
        return 2

    port = free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory() as work:
        bodies = Path(work, "bodies.jsonl")
        bodies.write_text("".join(json.dumps(doc) + "\n" for doc in incidents(args.variety)))
        script = Path(work, "decisions.lua")
        script.write_text(lua_script(bodies, threads=args.threads))
        # The warm-up sends other incidents (another seed), so that it fills no answer the measured run asks for.
        warm_bodies = Path(work, "warm-up.jsonl")
        warm_bodies.write_text("".join(json.dumps(doc) + "\n" for doc in incidents(args.variety, seed=4)))
        warm_script = Path(work, "warm-up.lua")
        warm_script.write_text(lua_script(warm_bodies, threads=args.threads))
        env = {**os.environ, "CALLGUIDE_DATABASE_URL": f"sqlite:///{work}/records.db"}
        log = open(Path(work, "server.log"), "wb")
        process = subprocess.Popen([serve, "serve", "--host", HOST, "--port", str(port), "--workers",
                                    str(args.workers)], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            wait_ready(base, process)
            run_wrk(f"{base}/v1/decisions", args.connections, args.threads, 3, str(warm_script))  # warm-up
            run_wrk(f"{base}/healthz", args.connections, args.threads, 2, None)
            noop = run_wrk(f"{base}/healthz", args.connections, args.threads, args.duration, None)
            decisions = run_wrk(f"{base}/v1/decisions", args.connections, args.threads, args.duration, str(script))
        finally:
            stop(process)
            log.close()

    ratio = decisions["rps"] / noop["rps"] if noop["rps"] else 0.0
    met = ratio >= 0.5 and decisions["p99_ms"] < 50
    figures = {"workers": args.workers, "connections": args.connections, "duration_s": args.duration,
               "variety": args.variety, "cpus": os.cpu_count(), "healthz": noop, "decisions": decisions,
               "ratio": round(ratio, 3), "target_met": met}
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"{args.workers} worker(s), {args.connections} connections, {args.duration} s per run, "
              f"{args.variety} distinct incidents, {os.cpu_count()} CPUs")
        for name, result in (("GET /healthz", noop), ("POST /v1/decisions", decisions)):
            print(f"  {name:20} {result['rps']:9.0f} req/s   p50 {result['p50_ms']:7.2f} ms   "
                  f"p99 {result['p99_ms']:7.2f} ms   non-2xx {result['non_2xx']}")
        print(f"  ratio {ratio:.2f} (target >= 0.5), decisions p99 {decisions['p99_ms']:.1f} ms (target < 50): "
              f"{'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
