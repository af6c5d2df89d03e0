"""The trainer walkthrough: --auto, --markdown, and step by step in a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from callguide.cli import main
from callguide.scenarios import load_scenarios
from callguide.walkthrough import build

SCENARIO = "broken-window-glass"   # no police -> 999 -> report later


def test_build_shows_what_started_and_stopped_and_why(decider):
    scenario = {s.id: s for s in load_scenarios()}[SCENARIO]
    views = build(decider, scenario)
    assert [v.level.value for v in views] == ["report_later", "no_police", "call_999", "report_later"]
    third, fourth = views[2], views[3]
    started = {c.rule: c.why for c in third.started}
    assert "incident.weapon none -> improvised" in started["weapon-in-use-now"]
    stopped = {c.rule: c.why for c in third.stopped}
    assert "incident.in_progress no -> yes" in stopped["low-value-damage-in-home"]
    assert "the answer is now call 999" in stopped["always-call-999-if-danger"]
    assert "weapon-in-use-now" in {c.rule for c in fourth.stopped}
    assert "improvised-weapon-afterwards" in {c.rule for c in fourth.started}
    assert third.new_facts["incident.in_progress"] == (False, True)
    assert any("went up from no police to call 999" in p for p in third.prompts)
    assert any("went down from call 999 to report later" in p for p in fourth.prompts)
    # the default rule is never reported as starting or stopping
    assert all(c.rule != "slow-time-baseline" for v in views for c in v.started + v.stopped)


def test_auto_prints_every_step():
    outcome = CliRunner().invoke(main, ["walkthrough", SCENARIO, "--auto"])
    assert outcome.exit_code == 0, outcome.output
    out = outcome.output
    for n in range(1, 5):
        assert f"--- Step {n} of 4 ---" in out
    assert out.index("Step 3 of 4") < out.index("CALL 999 NOW") < out.index("Step 4 of 4")
    assert "Started to apply:" in out and "Stopped applying:" in out
    assert "For discussion:" in out and "Why does the value of the window no longer matter?" in out
    assert "incident.weapon: improvised  (was none)" in out
    assert "--- Learning points ---" in out and "Press Enter" not in out


def test_markdown_handout(tmp_path):
    target = tmp_path / "handout.md"
    outcome = CliRunner().invoke(main, ["walkthrough", SCENARIO, "--markdown", str(target)])
    assert outcome.exit_code == 0, outcome.output
    text = target.read_text()
    assert text.startswith("# A broken window and a piece of glass")
    assert text.count("\n## Step ") == 4
    assert "| `incident.weapon` | improvised **(was none)** |" in text
    assert "**Recommendation: CALL 999 NOW** (was no police)" in text
    to_stdout = CliRunner().invoke(main, ["walkthrough", SCENARIO, "--markdown"])
    assert to_stdout.exit_code == 0 and to_stdout.output == text


def test_unknown_scenario_is_refused():
    outcome = CliRunner().invoke(main, ["walkthrough", "no-such-scenario", "--auto"])
    assert outcome.exit_code == 2 and "no scenario with id no-such-scenario" in outcome.output


def test_piped_input_reveals_one_step_per_line_and_q_stops():
    outcome = CliRunner().invoke(main, ["walkthrough", SCENARIO], input="\n\nq\n")
    assert outcome.exit_code == 0
    assert "Step 2 of 4 ---" in outcome.output and "Step 3 of 4 ---" not in outcome.output
    assert "Walkthrough stopped." in outcome.output


# -- a real terminal -----------------------------------------------------------------------------

def _callguide() -> list[str]:
    script = Path(sys.executable).with_name("callguide")
    return [str(script)] if script.exists() else [sys.executable, "-m", "callguide.cli"]


class Terminal:
    """The walkthrough in a pseudo-terminal, read until a marker appears (no timing in asserts)."""

    def __init__(self, args: list[str]):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(_callguide() + args, stdin=slave, stdout=slave, stderr=slave,
                                     env={**os.environ, "COLUMNS": "120"}, close_fds=True)
        os.close(slave)
        self.seen = ""

    def read_until(self, marker: str, limit: float = 60.0) -> str:
        while marker not in self.seen:
            ready, _, _ = select.select([self.master], [], [], limit)
            if not ready:
                raise AssertionError(f"{marker!r} never appeared; screen so far:\n{self.seen[-2000:]}")
            try:
                chunk = os.read(self.master, 65536).decode("utf-8", "replace")
            except OSError:
                chunk = ""
            if not chunk:
                raise AssertionError(f"the walkthrough ended before {marker!r}:\n{self.seen[-2000:]}")
            self.seen += chunk
        return self.seen

    def press_enter(self) -> None:
        os.write(self.master, b"\r")

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=60)
        finally:
            os.close(self.master)


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_interactive_walkthrough_in_a_pseudo_terminal():
    term = Terminal(["walkthrough", SCENARIO])
    try:
        term.read_until("Press Enter to reveal step 1 of 4")
        assert "Step 1 of 4 ---" not in term.seen     # nothing is revealed before Enter
        term.press_enter()
        term.read_until("Press Enter to reveal step 2 of 4")
        assert "--- Step 1 of 4 ---" in term.seen and "Step 2 of 4 ---" not in term.seen
        for n in (2, 3):
            term.press_enter()
            term.read_until(f"Press Enter to reveal step {n + 1} of 4")
        assert "CALL 999 NOW" in term.seen and "--- Step 4 of 4 ---" not in term.seen
        term.press_enter()
        term.read_until("--- Learning points ---")
    finally:
        code = term.close()
    assert code == 0
    screen = term.seen
    step3 = screen[screen.index("--- Step 3 of 4 ---"):screen.index("--- Step 4 of 4 ---")]
    assert "Stopped applying:" in step3 and "  - low-value-damage-in-home: " in step3
    assert "(was call 999)" in screen


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_interactive_walkthrough_can_be_stopped_early():
    term = Terminal(["walkthrough", "foster-late-home"])
    try:
        term.read_until("reveal step 1 of 3")
        term.press_enter()
        term.read_until("reveal step 2 of 3")
        os.write(term.master, b"q\r")
        term.read_until("Walkthrough stopped.")
    finally:
        code = term.close()
    assert code == 0 and "--- Step 2 of 3 ---" not in term.seen


def test_a_fact_that_becomes_unknown_is_shown_in_both_the_terminal_and_the_handout(decider):
    from callguide.scenarios import parse_scenario
    from callguide.walkthrough import render_markdown, render_step

    scenario = parse_scenario({
        "id": "injury-unsure", "title": "Not sure about the injury", "audience": ["childrens_home_staff"],
        "learning_points": [{"point": "Unknown is not the same as none.", "source": "Protocol §8.1"}],
        "steps": [
            {"reveal": "A push; a scratch.", "facts": {"incident": {"kind": "assault", "injury": "minor"}},
             "expect": {"recommendation": "report_later"}},
            {"reveal": "Nobody is sure about the scratch now.", "facts": {"incident": {"injury": None}},
             "expect": {"recommendation": "report_later"}},
        ]})
    views = build(decider, scenario)
    assert "incident.injury: unknown  (was minor)" in render_step(views[1], 2)
    assert "| `incident.injury` | unknown **(was minor)** |" in render_markdown(scenario, views)
