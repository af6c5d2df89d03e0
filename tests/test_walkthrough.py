"""The trainer walkthrough: two stages per step, plain words, --auto, handouts, and a real terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from callguide.cli import main
from callguide.scenarios import load_scenarios
from callguide.walkthrough import build

SCENARIO = "broken-window-glass"   # report later -> no police -> 999 -> report later
CONTRACT_NAME = re.compile(r"\b(person|setting|incident|response_so_far|missing)\.[a-z_]+")
LIBRARY = {s.id: s for s in load_scenarios()}


def assert_plain(text: str, book) -> None:
    """No contract names, rule ids or the project's private brief in what a group or trainer reads."""
    assert not CONTRACT_NAME.search(text), CONTRACT_NAME.search(text).group(0)
    ids = [rule.id for rule in book.rules if "-" in rule.id and re.search(rf"(?<![\w-]){re.escape(rule.id)}(?![\w-])", text)]
    assert ids == [], ids
    assert "DOMAIN" not in text


def test_build_shows_what_started_and_stopped_and_why_in_plain_words(decider):
    views = build(decider, LIBRARY[SCENARIO])
    assert [v.level.value for v in views] == ["report_later", "no_police", "call_999", "report_later"]
    third, fourth = views[2], views[3]
    started = {c.title: c.why for c in third.started}
    assert "Weapon: No weapon → An everyday object" in started["A weapon is being used or brandished right now"]
    stopped = {c.title: c.why for c in third.stopped}
    assert "Still happening: No → Yes" in stopped["Low-value damage to things where the young person lives"]
    assert "An everyday object was used as a weapon, and nobody has said it is still going on" in {c.title for c in fourth.started}
    assert third.new_facts["incident.in_progress"] == (False, True)
    assert any("went up from no police to call 999" in p for p in third.prompts)
    assert any("went down from call 999 to report later" in p for p in fourth.prompts)
    rows = {row.label: (row.value, row.mark) for row in third.fact_rows()}
    assert rows["Still happening"] == ("Yes", "was No") and rows["Age"] == ("15", "")
    # the default rule and action-only rules are never reported as starting or stopping
    assert all(c.title != decider.book.rule("slow-time-baseline").title for v in views for c in v.started + v.stopped)


def test_auto_prints_the_facts_before_each_answer_in_plain_words(decider):
    outcome = CliRunner().invoke(main, ["walkthrough", SCENARIO, "--auto"])
    assert outcome.exit_code == 0, outcome.output
    out = outcome.output
    for n in range(1, 5):
        assert f"--- Step {n} of 4 ---" in out
    step3 = out[out.index("--- Step 3 of 4 ---"):out.index("--- Step 4 of 4 ---")]
    assert step3.index("What we know:") < step3.index("Ask the group") < step3.index("Answer: CALL 999 NOW")
    assert "Weapon: An everyday object used to threaten or hurt (for example a chair or a bottle)  (was No weapon)" in step3
    assert "Now applies:" in step3 and "No longer applies:" in step3
    assert "Why does the value of the window no longer matter?" in out
    assert "--- Learning points ---" in out and "Press Enter" not in out
    assert_plain(out, decider.book)


def test_handout_hides_the_answers_and_the_answer_sheet_gives_them(tmp_path, decider):
    handout, answers = tmp_path / "handout.md", tmp_path / "answers.md"
    outcome = CliRunner().invoke(main, ["walkthrough", SCENARIO, "--handout", str(handout), "--answers", str(answers)])
    assert outcome.exit_code == 0, outcome.output
    group, sheet = handout.read_text(), answers.read_text()
    assert group.startswith("# A broken window and a piece of glass")
    assert group.count("\n## Step ") == 4 and group.count("What would you do now, and why?") == 4
    for answer_words in ("Call 999 now", "No need to call the police", "Don't call the police now", "Learning points"):
        assert answer_words not in group, answer_words      # nothing is given away
    assert "- Weapon: An everyday object used to threaten or hurt (for example a chair or a bottle) *(was No weapon)*" in group
    assert "- Age: 15" in group
    assert sheet.startswith("# Answers: A broken window and a piece of glass")
    assert "**Answer: Call 999 now** (was: No need to call the police)" in sheet
    assert sheet.index("## Step 4") < sheet.index("## Learning points")   # learning points come last
    for text in (group, sheet):
        assert_plain(text, decider.book)
    assert len(group.splitlines()) < 100 and len(sheet.splitlines()) < 160
    to_stdout = CliRunner().invoke(main, ["walkthrough", SCENARIO, "--handout", "-"])
    assert to_stdout.exit_code == 0 and to_stdout.output == group


def test_unknown_scenario_is_refused():
    outcome = CliRunner().invoke(main, ["walkthrough", "no-such-scenario", "--auto"])
    assert outcome.exit_code == 2 and "no scenario with id no-such-scenario" in outcome.output
    assert "--dir" in outcome.output and "CALLGUIDE_SCENARIOS" in outcome.output


def test_piped_input_reveals_facts_then_the_answer_and_q_stops():
    outcome = CliRunner().invoke(main, ["walkthrough", SCENARIO], input="\n\n\nq\n")
    assert outcome.exit_code == 0
    out = outcome.output
    assert "--- Step 1 of 4 ---" in out and "Answer: DON'T CALL NOW" in out
    assert "--- Step 2 of 4 ---" in out and "Answer: NO POLICE" not in out   # step 2's answer not yet shown
    assert "Walkthrough stopped." in out


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
        term.read_until("Press Enter to show the answer")
        assert "--- Step 1 of 4 ---" in term.seen and "Answer:" not in term.seen   # the group decides first
        term.press_enter()
        term.read_until("Press Enter to reveal step 2 of 4")
        assert "Answer: DON'T CALL NOW" in term.seen and "Step 2 of 4 ---" not in term.seen
        for n in (2, 3):
            term.press_enter()
            term.read_until(f"--- Step {n} of 4 ---")
            term.press_enter()
            term.read_until(f"Press Enter to reveal step {n + 1} of 4")
        assert "CALL 999 NOW" in term.seen and "--- Step 4 of 4 ---" not in term.seen
        term.press_enter()
        term.read_until("--- Step 4 of 4 ---")
        term.press_enter()
        term.read_until("--- Learning points ---")
    finally:
        code = term.close()
    assert code == 0
    screen = term.seen
    step3 = screen[screen.index("--- Step 3 of 4 ---"):screen.index("--- Step 4 of 4 ---")]
    assert "No longer applies:" in step3 and "Low-value damage to things where the young person lives: it no longer fits" in step3
    assert "(was Call 999 now)" in screen


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_interactive_walkthrough_can_be_stopped_early():
    term = Terminal(["walkthrough", "foster-late-home"])
    try:
        term.read_until("reveal step 1 of 3")
        term.press_enter()
        term.read_until("show the answer")
        os.write(term.master, b"q\r")
        term.read_until("Walkthrough stopped.")
    finally:
        code = term.close()
    assert code == 0 and "Answer:" not in term.seen


def test_a_fact_that_becomes_unknown_is_shown_in_both_the_terminal_and_the_handout(decider):
    from callguide.handout import answers_markdown, group_markdown
    from callguide.scenarios import parse_scenario
    from callguide.walkthrough import render_step

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
    assert "Injury: Not known now  (was A minor injury" in render_step(views[1], 2)
    assert "- Injury: Not known now *(was A minor injury" in group_markdown([(scenario, views)])
    assert "Not sure about the injury" in answers_markdown([(scenario, views)])


@pytest.mark.parametrize("scenario_id", sorted(LIBRARY))
def test_every_handout_and_answer_sheet_is_in_plain_words(decider, scenario_id):
    from callguide.handout import answers_markdown, group_markdown
    from callguide.walkthrough import render_auto

    scenario = LIBRARY[scenario_id]
    views = build(decider, scenario)
    for text in (group_markdown([(scenario, views)]), answers_markdown([(scenario, views)]),
                 render_auto(scenario, views)):
        assert_plain(text, decider.book)
