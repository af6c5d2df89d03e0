#!/usr/bin/env python3
"""Recording benchmark and fault figures (issue 12).

Throughput: starts ``callguide serve`` on loopback (SQLite, then PostgreSQL on 127.0.0.1:5432 in
a schema of its own), and drives ``POST /v1/decisions`` with wrk at 16 connections, unrecorded
and then recorded (``?record=true`` with a staff key and references) in the same run, so the two
share the machine's state. Target: recorded >= 0.5x unrecorded throughput, p99 < 100 ms.

Faults (``--faults``): the same server behind the fault-injecting proxy of the tests
(tests/faultproxy.py); 16 clients post recorded decisions while PostgreSQL is refused, then hung,
for ``--outage`` seconds each. It counts the requests during each outage, how many got the whole
decision (200 with a recommendation), and how long records took to resume once it came back.

    .venv/bin/python bench/records_bench.py                 # both databases, 3 x 5 s per path
    .venv/bin/python bench/records_bench.py --faults        # also the fault figures

A benchmark, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests"), str(ROOT / "src")]

from http_bench import HOST, free_port, incidents, load_arguments, lua_script, run_wrk, stop, wait_ready  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"
# Each request records under a key, for one of seven placements and a child of its own.
HEADERS = ', ["Authorization"] = "Bearer %s", ["Callguide-Placement-Ref"] = "BENCH-P" .. (i %% 7), ' \
          '["Callguide-Child-Ref"] = "BENCH-C" .. i'


@contextmanager
def pg_schema() -> Iterator[str]:
    import psycopg

    schema = f"cgbench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{PG}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def server(url: str, work: Path, workers: int = 1) -> Iterator[tuple[str, str]]:
    """``callguide serve`` from this checkout on ``url``; yields (base URL, a staff key)."""
    from callguide.records.auth import create_key
    from callguide.records.config import Settings, normalise_url
    from callguide.records.core import Records

    records = Records(Settings(database_url=normalise_url(url)))
    key = create_key(records.db, "staff", provider="BENCH")[1]
    records.db.dispose()
    port = free_port()
    env = {**os.environ, "CALLGUIDE_DATABASE_URL": url, "PYTHONPATH": str(ROOT / "src"),
           "CALLGUIDE_RETENTION_DAYS": "0"}
    log = open(work / f"server-{port}.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "callguide", "serve", "--host", HOST, "--port", str(port),
                                "--workers", str(workers)], cwd=work, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://{HOST}:{port}"
    try:
        wait_ready(base, process)
        yield base, key
    finally:
        stop(process)
        log.close()


def throughput(url: str, name: str, args: argparse.Namespace, work: Path) -> dict:
    bodies = work / "bodies.jsonl"
    bodies.write_text("".join(json.dumps(doc) + "\n" for doc in incidents(args.variety)))
    with server(url, work, args.workers) as (base, key):
        scripts = {}
        for label, path in (("unrecorded", "/v1/decisions"), ("recorded", "/v1/decisions?record=true")):
            scripts[label] = work / f"{label}.lua"
            scripts[label].write_text(lua_script(bodies, path, HEADERS % key))
        run_wrk(f"{base}/v1/decisions", args.connections, 2, 3, str(scripts["recorded"]))  # warm-up both paths
        run_wrk(f"{base}/v1/decisions", args.connections, 2, 2, str(scripts["unrecorded"]))
        # interleaved rounds, the median of each: the two paths see the same machine (others' load included)
        runs: dict[str, list[dict]] = {label: [] for label in scripts}
        for _ in range(args.rounds):
            for label, script in scripts.items():
                runs[label].append(run_wrk(f"{base}/v1/decisions", args.connections, 2, args.duration, str(script)))
        figures = {label: {key: statistics.median(r[key] for r in results) for key in ("rps", "p50_ms", "p99_ms")}
                   | {"non_2xx": sum(r["non_2xx"] for r in results)} for label, results in runs.items()}
    ratio = figures["recorded"]["rps"] / figures["unrecorded"]["rps"]
    return {"database": name, **figures, "ratio": round(ratio, 3),
            "target_met": ratio >= 0.5 and figures["recorded"]["p99_ms"] < 100}


def faults(args: argparse.Namespace, work: Path) -> list[dict]:
    import httpx

    from faultproxy import FaultProxy

    out = []
    proxy = FaultProxy()
    try:
        with pg_schema() as url:
            proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
            with server(proxied, work) as (base, key):
                for fault in ("refuse", "hang"):
                    out.append(one_outage(base, key, proxy, fault, args.outage, httpx))
    finally:
        proxy.stop()
    return out


def one_outage(base: str, key: str, proxy, fault: str, outage: float, httpx) -> dict:
    log: list[tuple[float, int, str | None, bool]] = []
    stop = threading.Event()
    lock = threading.Lock()
    body = {"incident": {"kind": "assault", "risk_to_life": True}}

    def client() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while not stop.is_set():
                r = http.post("/v1/decisions", params={"record": "true"}, json=body,
                              headers={"Authorization": f"Bearer {key}", "Callguide-Child-Ref": "BENCH-C1"})
                whole = r.status_code == 200 and r.json().get("recommendation") == "call_999"
                with lock:
                    log.append((time.monotonic(), r.status_code, r.headers.get("Callguide-Record-Status"), whole))

    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(2)
    began = time.monotonic()
    getattr(proxy, fault)()
    time.sleep(outage)
    ended = time.monotonic()
    proxy.forward()
    recovered = None
    deadline = ended + 60
    while recovered is None and time.monotonic() < deadline:
        time.sleep(0.05)
        with lock:
            recovered = next((t for t, _, status, _ in log if t > ended and status == "recorded"), None)
    stop.set()
    for t in threads:
        t.join()
    during = [entry for entry in log if began <= entry[0] <= ended]
    return {"fault": fault, "outage_s": outage, "requests_during_outage": len(during),
            "got_the_decision": sum(1 for entry in during if entry[3]),
            "status_failed": sum(1 for entry in during if entry[2] == "failed"),
            "non_200": sum(1 for entry in during if entry[1] != 200),
            "records_resumed_after_s": round(recovered - ended, 2) if recovered else None}


def main() -> int:
    parser = load_arguments(__doc__, duration=5)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs of each path (medians reported)")
    parser.add_argument("--database", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--faults", action="store_true", help="also measure advice and records through outages")
    parser.add_argument("--outage", type=float, default=3.0, help="seconds each fault lasts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows = []
        if args.database in ("both", "sqlite"):
            rows.append(throughput(f"sqlite:///{work}/records.db", "SQLite", args, work))
        if args.database in ("both", "postgresql"):
            with pg_schema() as url:
                rows.append(throughput(url, "PostgreSQL", args, work))
        fault_rows = faults(args, work) if args.faults else []
    if args.json:
        print(json.dumps({"cpus": os.cpu_count(), "throughput": rows, "faults": fault_rows}, indent=2))
        return 0
    print(f"{args.workers} worker(s), {args.connections} connections, {args.rounds} x {args.duration} s per path "
          f"(medians), {args.variety} distinct incidents, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"| database | unrecorded req/s | p99 ms | recorded req/s | p50 ms | p99 ms | ratio | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        u, rec = r["unrecorded"], r["recorded"]
        print(f"| {r['database']} | {u['rps']:.0f} | {u['p99_ms']:.1f} | {rec['rps']:.0f} | {rec['p50_ms']:.1f} | "
              f"{rec['p99_ms']:.1f} | {r['ratio']:.2f} | {'met' if r['target_met'] else 'MISSED'} |")
    if fault_rows:
        print("\n| fault | outage s | requests during it | got the decision | status failed | non-200 | records resumed after s |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for f in fault_rows:
            print(f"| {f['fault']} | {f['outage_s']:.0f} | {f['requests_during_outage']} | {f['got_the_decision']} | "
                  f"{f['status_failed']} | {f['non_200']} | {f['records_resumed_after_s']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
