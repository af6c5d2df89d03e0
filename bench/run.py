"""callguide's benchmark: one command, one table.

    .venv/bin/python bench/run.py            # full run (a few minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # small counts, seconds (what the test runs)
    .venv/bin/python bench/run.py --soak 100000

Every figure is measured in this run, on the same generated incidents, and shown against the
raw durable_rules run (the rulebook compiled by callguide, driven through durable_rules' own
Python API: a new session per decision, actions that assert the derived facts, delete_state).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from incidents import incidents  # noqa: E402

from callguide.decision import Decider  # noqa: E402
from callguide.engine import compile_rulebook, engine_fact  # noqa: E402
from callguide.facts import parse_incident  # noqa: E402
from callguide.policy import resolve  # noqa: E402
from callguide.rulebook import load_rulebook  # noqa: E402


def rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # Linux without psutil
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class RawDurable:
    """The compiled rulebook through durable_rules' documented Host API, nothing else."""

    def __init__(self, book):
        from durable import engine as durable

        class QuietHost(durable.Host):
            def _run(self):  # no timer threads (they race the caller)
                return None

        self.durable = durable
        self.host = QuietHost()
        self.name = "raw_" + book.version[7:23]
        definitions = compile_rulebook(book)
        for rule in book.rules:
            definitions[rule.id]["run"] = self._action(rule.id, list(rule.then.derive))
        self.host.set_rulesets({self.name: definitions})
        self.sid = 0

    def _action(self, rule_id: str, derives: list[str]):
        def run(c):
            fired = c.s.fired or []
            if rule_id not in fired:
                c.s.fired = fired + [rule_id]
            for name in derives:
                if name not in (c.s.derived or []):
                    c.s.derived = (c.s.derived or []) + [name]
                    c.assert_fact({"t": "derived", "name": name})
        return run

    def fired(self, fact: dict[str, Any]) -> list[str]:
        self.sid += 1
        sid = str(self.sid)
        try:
            state = self.host.assert_fact(self.name, {**fact, "sid": sid})
            return list(state.get("fired") or [])
        except self.durable.MessageNotHandledException:
            return []
        finally:
            self.host.delete_state(self.name, sid)


def timed(fn: Callable[[Any], Any], items: list[Any], repeat: int) -> list[float]:
    """Seconds per call, over ``repeat`` passes of ``items`` (after one warm-up pass)."""
    for item in items[: min(len(items), 50)]:
        fn(item)
    gc.collect()
    times = []
    for _ in range(repeat):
        for item in items:
            start = time.perf_counter()
            fn(item)
            times.append(time.perf_counter() - start)
    return times


def pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(name: str, times: list[float], base: float | None, note: str = "") -> str:
    mean = statistics.fmean(times)
    ratio = f"{mean / base:.2f}x" if base else "1.00x"
    return (f"| {name} | {1 / mean:,.0f} | {pct(times, 0.5) * 1e6:,.0f} | {pct(times, 0.99) * 1e6:,.0f} "
            f"| {ratio} | {note} |")


def engine_floor(book, decider: Decider, docs: list[dict], repeat: int, out: list[str]) -> None:
    knowns = [parse_incident(doc).known() for doc in docs]
    facts = [engine_fact(known) for known in knowns]
    raw = RawDurable(book)
    for known, fact in zip(knowns, facts):  # same firing, checked before timing
        assert set(raw.fired(fact)) == set(decider.engine.fire(known).rules), known
    base_times = timed(raw.fired, facts, repeat)
    base = statistics.fmean(base_times)

    def recommendation(known):
        return resolve([book.rule(r) for r in decider.engine.fire(known).rules]).level

    rows = [row("raw durable_rules (Host API, session per decision)", base_times, None, "stage 1 only")]
    rows.append(row("callguide Engine.fire (stage 1)", timed(decider.engine.fire, knowns, repeat), base,
                    "C API, one reused session id"))
    rows.append(row("callguide recommendation (engine + policy)", timed(recommendation, knowns, repeat), base, ""))
    rows.append(row("callguide full decision (Decider.decide)", timed(decider.decide, docs, repeat), base,
                    "validation, 2 stages, policy, explanation, questions, actions"))
    peers = []
    try:
        from peers import ClipsPeer, ZenPeer

        peers = [ZenPeer(book), ClipsPeer(book)]
    except ImportError as exc:
        rows.append(f"| peers | - | - | - | - | not installed ({exc.name}): pip install -e '.[bench]' |")
    for peer in peers:
        for known in knowns:  # equal answers before timing
            expected = recommendation(known)
            assert peer.level(known) == expected, (peer.name, known)
        rows.append(row(f"{peer.name} (recommendation)", timed(peer.level, knowns, repeat), base,
                        f"same {len(knowns)} incidents, answers checked equal"))
    out += ["### Engine floor and peers", "",
            f"{len(docs)} generated incidents x {repeat} passes; ratio = mean time / raw durable_rules mean time.", "",
            "| what | decisions/s | p50 us | p99 us | time vs raw | notes |", "|---|---:|---:|---:|---:|---|", *rows, "",
            paired(raw.fired, facts, decider.decide, docs, 2 if len(docs) < 100 else 7), ""]


def paired(base: Callable[[Any], Any], base_items: list[Any], fn: Callable[[Any], Any], items: list[Any],
           pairs: int) -> str:
    """The full decision against raw durable_rules in alternating whole passes: each ratio compares
    two passes a second apart, so a noisy neighbour or a slower vm moves both sides of it."""
    ratios = []
    for _ in range(pairs):
        ratios.append(_pass(fn, items) / _pass(base, base_items))
    ratios.sort()
    return (f"Full decision vs raw durable_rules in {pairs} alternating pass pairs: median "
            f"{statistics.median(ratios):.2f}x (from {ratios[0]:.2f}x to {ratios[-1]:.2f}x).")


def _pass(fn: Callable[[Any], Any], items: list[Any]) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return time.perf_counter() - start


def scale(sizes: list[int], count: int, out: list[str]) -> None:
    from synthetic import write_rulebook

    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            directory = write_rulebook(Path(tmp) / "rules", size)
            gc.collect()
            before = rss_mb()
            start = time.perf_counter()
            book = load_rulebook(directory)
            loaded = time.perf_counter()
            decider = Decider(book)
            decider._what_if  # built on first use; count it in compiling
            compiled = time.perf_counter()
            memory = rss_mb() - before
            docs = incidents(count, seed=size)
            times = timed(decider.decide, docs, 1)  # first pass: the what-if caches are filling
            warm = timed(decider.decide, docs, 1)  # the same incidents again, as a running service sees
            rows.append(f"| {size:,} | {len(decider.engine.rulesets)} | {loaded - start:.2f} | "
                        f"{compiled - loaded:.2f} | {memory:.0f} | {pct(times, 0.5) * 1e3:.2f} | "
                        f"{pct(times, 0.99) * 1e3:.2f} | {pct(warm, 0.5) * 1e3:.2f} |")
            del decider, book
            gc.collect()
    out += ["### Scale (synthetic rulebooks in the YAML format)", "",
            "| rules | rulesets | load YAML s | compile s | memory MB | full decision p50 ms | p99 ms | warm p50 ms |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|", *rows, ""]


def soak(decider: Decider, count: int, out: list[str]) -> None:
    docs = incidents(5000, seed=99)
    for doc in docs[:1000]:
        decider.decide(doc)
    gc.collect()
    start_rss = rss_mb()
    most_live = 0
    started = time.perf_counter()
    marks = []
    for n in range(count):
        decider.decide(docs[n % len(docs)])
        most_live = max(most_live, decider.engine.live_sessions())
        if (n + 1) % max(1, count // 4) == 0:
            marks.append(f"{rss_mb():.0f}")
    elapsed = time.perf_counter() - started
    gc.collect()
    out += ["### Soak", "",
            f"{count:,} full decisions in one process in {elapsed:.0f} s ({count / elapsed:,.0f}/s); "
            f"live sessions between decisions: max {most_live}; resident memory {start_rss:.0f} MB at start, "
            f"{' / '.join(marks)} MB at each quarter, {rss_mb():.0f} MB at the end.", ""]


def http(out: list[str], duration: int) -> None:
    """bench/http_bench.py (another engineer's) at 1, 16 and 64 connections, 1 and 2 workers."""
    script = HERE / "http_bench.py"
    if not script.exists():
        out += ["### HTTP", "", "bench/http_bench.py is not there: no HTTP rows in this run.", ""]
        return
    import json

    rows = []
    for workers in (1, 2):
        for connections in (1, 16, 64):
            command = [sys.executable, str(script), "--json", "--workers", str(workers), "--connections",
                       str(connections), "--threads", str(min(2, connections)), "--duration", str(duration)]
            result = subprocess.run(command, capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                rows.append(f"| {workers} | {connections} | failed: {result.stderr.strip().splitlines()[-1:]} |||||")
                continue
            figures = json.loads(result.stdout)
            h, d = figures["healthz"], figures["decisions"]
            rows.append(f"| {workers} | {connections} | {h['rps']:,.0f} | {h['p50_ms']:.2f} / {h['p99_ms']:.2f} "
                        f"| {d['rps']:,.0f} | {d['p50_ms']:.2f} / {d['p99_ms']:.2f} | {figures['ratio']:.2f}x |")
    out += ["### HTTP (bench/http_bench.py: wrk on 127.0.0.1, uvicorn)", "",
            f"{duration} s per run; decisions rotate through the script's default incidents.", "",
            "| workers | connections | /healthz req/s | p50 / p99 ms | POST /v1/decisions req/s | p50 / p99 ms "
            "| decisions vs healthz |", "|---:|---:|---:|---:|---:|---:|---:|", *rows, ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts, to check the script runs")
    parser.add_argument("--soak", type=int, default=0, metavar="N", help="also run N decisions in one process")
    parser.add_argument("--no-http", action="store_true", help="leave out bench/http_bench.py")
    parser.add_argument("--http-seconds", type=int, default=5, help="seconds per HTTP run")
    args = parser.parse_args(argv)
    count, repeat = (40, 1) if args.quick else (1000, 3)
    sizes = [100, 300] if args.quick else [100, 500, 2000]
    book = load_rulebook()
    decider = Decider(book)
    docs = incidents(count)
    out = ["## callguide benchmark", "",
           f"{dt.date.today().isoformat()}, {platform.node()}: {os.cpu_count()} cores, {platform.machine()}, "
           f"Python {platform.python_version()}; rulebook {book.version[:19]} ({len(book.rules)} rules)"
           + (" (quick mode: counts too small for real figures)" if args.quick else ""), ""]
    engine_floor(book, decider, docs, repeat, out)
    if not (args.quick or args.no_http):
        http(out, args.http_seconds)
    scale(sizes, 30 if args.quick else 300, out)
    if args.soak:
        soak(decider, args.soak, out)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
