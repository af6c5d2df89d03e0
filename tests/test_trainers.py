"""A trainer's journey (issue 18): own scenarios beside the library, call-handler walkthroughs,
course handouts, and every authoring trap ending in one plain line."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient

from callguide.cli import main
from callguide.why_not import stopped_by
from callguide.facts import parse_incident
from callguide.scenarios import (AUDIENCES, ScenarioError, cumulative_facts, load_scenarios, parse_scenario,
                                 run_scenario)
from callguide.service import create_app

LIBRARY = load_scenarios()

OWN = {
    "id": "glass-in-the-kitchen", "title": "A glass smashed in the kitchen", "audience": ["foster_carers"],
    "summary": "Sam, 13, is told there is no phone after ten.",
    "learning_points": [{"point": "A smashed glass at home is for a parent, not the police.",
                         "source": "Protocol §8.1 (reasonable parent test)"}],
    "steps": [
        {"reveal": "Sam throws a glass at the kitchen wall. Nobody is hurt.",
         "facts": {"person": {"age": 13, "status": "looked_after"},
                   "setting": {"type": "foster_care", "location": "in_placement"},
                   "incident": {"kind": "criminal_damage", "damage_value_gbp": 3, "injury": "none",
                                "weapon": "none", "in_progress": False}},
         "expect": {"recommendation": "no_police"},
         "notes": "Let the group say what a parent would do before you show the answer.",
         "minutes": 5},
        {"reveal": "Sam picks up a shard and waves it at the carer, shouting.",
         "facts": {"incident": {"in_progress": True, "weapon": "improvised"}},
         "expect": {"recommendation": "call_999"},
         "discuss": ["What changed, and what would you do first?"],
         "minutes": 7},
    ]}


def own_folder(tmp_path: Path, data: dict | None = None, name: str = "glass.yaml") -> Path:
    folder = tmp_path / "my-scenarios"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(yaml.safe_dump(data or OWN, sort_keys=False), encoding="utf-8")
    return folder


def run(*args: str, env: dict | None = None, input: str | None = None):
    return CliRunner().invoke(main, list(args), env=env, input=input)


# -- own scenarios beside the library ----------------------------------------------------------

def test_own_folder_adds_to_the_built_in_scenarios_by_setting_or_dir(tmp_path):
    folder = own_folder(tmp_path)
    env = {"CALLGUIDE_SCENARIOS": str(folder)}
    listed = run("scenarios", "list", env=env)
    ids = [line.split()[0] for line in listed.output.splitlines()]
    assert "glass-in-the-kitchen" in ids and "broken-window-glass" in ids and len(ids) == len(LIBRARY) + 1
    by_dir = run("scenarios", "list", "--dir", str(folder))
    assert by_dir.output == listed.output
    walked = run("walkthrough", "glass-in-the-kitchen", "--auto", env=env)
    assert walked.exit_code == 0, walked.output
    assert "Answer: CALL 999 NOW" in walked.output and "about 12 minutes" in walked.output
    assert run("walkthrough", "broken-window-glass", "--auto", env=env).exit_code == 0   # built-in still there


def test_an_id_already_used_names_both_files(tmp_path):
    clash = copy.deepcopy(OWN)
    clash["id"] = "broken-window-glass"
    folder = own_folder(tmp_path, clash, "mine.yaml")
    outcome = run("scenarios", "list", "--dir", str(folder))
    assert outcome.exit_code == 2
    line = outcome.output.strip()
    assert f"{folder}/mine.yaml: id 'broken-window-glass' is already used in " in line
    assert "scenarios/broken-window-glass.yaml" in line and "Traceback" not in line


def test_serve_shows_own_scenarios_beside_the_library(tmp_path, monkeypatch, decider):
    monkeypatch.setenv("CALLGUIDE_SCENARIOS", str(own_folder(tmp_path)))
    with TestClient(create_app(decider)) as client:
        page = client.get("/walkthrough")
        assert 'href="/walkthrough/glass-in-the-kitchen"' in page.text
        assert 'href="/walkthrough/broken-window-glass"' in page.text
        assert client.get("/v1/scenarios/glass-in-the-kitchen").status_code == 200


def test_a_missing_own_folder_is_one_line(tmp_path):
    outcome = run("scenarios", "list", "--dir", str(tmp_path / "nope"))
    assert outcome.exit_code == 2
    assert outcome.output.strip() == f"callguide: {tmp_path / 'nope'}: no such folder of scenarios"


# -- a failing scenario is refused before it reaches a group ------------------------------------

def failing(tmp_path: Path) -> Path:
    data = copy.deepcopy(OWN)
    data["steps"][1]["expect"]["recommendation"] = "call_101"
    return own_folder(tmp_path, data)


def test_a_failing_scenario_is_not_walked_through_or_printed(tmp_path):
    folder = failing(tmp_path)
    for args in (["--auto"], [], ["--handout", str(tmp_path / "h.md")]):
        outcome = run("walkthrough", "glass-in-the-kitchen", "--dir", str(folder), *args, input="\n\n")
        assert outcome.exit_code == 1, args
        assert "does not pass `callguide scenarios check`" in outcome.output
        assert "step 2: expected call_101, got call_999" in outcome.output
        assert "--- Step 1" not in outcome.output
    assert not (tmp_path / "h.md").exists()


def test_a_failing_scenario_shows_its_reasons_on_the_web(tmp_path, decider):
    with TestClient(create_app(decider, scenarios_dir=failing(tmp_path))) as client:
        listing = client.get("/walkthrough")
        assert "Needs fixing" in listing.text
        for url in ("/walkthrough/glass-in-the-kitchen?step=1", "/walkthrough/glass-in-the-kitchen/handout",
                    "/walkthrough/glass-in-the-kitchen/answers"):
            page = client.get(url)
            assert page.status_code == 422
            assert "expected call_101, got call_999" in page.text and "Call 999 now" not in page.text


# -- friendly authoring --------------------------------------------------------------------------

def test_a_colon_in_step_text_gets_a_hint_to_use_quotes(tmp_path):
    text = yaml.safe_dump(OWN, sort_keys=False).replace(
        "reveal: Sam throws a glass at the kitchen wall. Nobody is hurt.",
        "reveal: Sam says: I hate it here. He throws a glass.")
    path = tmp_path / "colon.yaml"
    path.write_text(text)
    outcome = run("scenarios", "check", str(path))
    assert outcome.exit_code == 1
    line = outcome.output.strip()
    assert line.startswith(f"{path}: line ") and "not valid YAML" in line
    assert "text with a colon in it must be in quotes" in line and "\n" not in line


def test_a_bad_id_says_how_to_write_one_not_a_regular_expression(tmp_path):
    data = copy.deepcopy(OWN)
    data["id"] = "Glass In The Kitchen"
    path = tmp_path / "bad-id.yaml"
    path.write_text(yaml.safe_dump(data))
    outcome = run("scenarios", "check", str(path))
    assert outcome.exit_code == 1
    assert "id: use lower-case words joined by hyphens, like 'broken-window-glass'" in outcome.output
    assert "^[a-z" not in outcome.output and "pattern" not in outcome.output


def test_vocabulary_lists_what_a_scenario_may_name(book):
    outcome = run("scenarios", "vocabulary")
    assert outcome.exit_code == 0
    out = outcome.output
    for audience in AUDIENCES:
        assert f"\n  {audience}\n" in out
    for heading in ("action ids (expect.actions):", "rule ids (expect.rules, not_rules, decisive):", "topics",
                    "expect.police_response (call handlers):", "scenario ids already taken:"):
        assert heading in out
    assert "  restorative-repair " in out and "  weapon-in-use-now " in out and "  missing " in out
    assert "  incident.weapon" in out and "none, improvised, bladed, firearm" in out
    assert "  non_emergency_attendance" in out and "  broken-window-glass" in out


@pytest.mark.parametrize("args", [["scenarios", "list", "--audience", "carers"],
                                  ["walkthrough", "--audience", "carers", "--handout", "-"]])
def test_an_unknown_audience_is_named_with_the_known_ones(args):
    outcome = run(*args)
    assert outcome.exit_code == 2
    assert "unknown audience 'carers'; use one of: childrens_home_staff," in outcome.output
    assert "foster_carers" in outcome.output


def test_an_unknown_topic_is_named_with_the_known_ones():
    outcome = run("scenarios", "list", "--topic", "fires")
    assert outcome.exit_code == 2 and "unknown topic 'fires'; use one of:" in outcome.output
    assert "missing" in outcome.output


def test_a_handout_into_a_missing_folder_is_one_line(tmp_path):
    target = tmp_path / "no-such-folder" / "handout.md"
    command = [sys.executable, "-m", "callguide", "walkthrough", "broken-window-glass", "--handout", str(target)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")})
    assert done.returncode == 1
    assert done.stderr.strip() == f"callguide: cannot write the handout to {target}: the folder does not exist"
    assert "Traceback" not in done.stderr + done.stdout


def test_notes_and_minutes_are_for_the_facilitator_only(tmp_path):
    folder = own_folder(tmp_path)
    handout, answers = tmp_path / "h.md", tmp_path / "a.md"
    outcome = run("walkthrough", "glass-in-the-kitchen", "--dir", str(folder), "--handout", str(handout),
                  "--answers", str(answers))
    assert outcome.exit_code == 0, outcome.output
    group, sheet = handout.read_text(), answers.read_text()
    assert "Let the group say what a parent would do" in sheet and "## Step 1 (about 5 minutes)" in sheet
    assert "Let the group say" not in group and "about 12 minutes" in group
    refused = copy.deepcopy(OWN)
    refused["steps"][0]["minutes"] = 0
    with pytest.raises(ScenarioError, match="step 1: minutes: "):
        parse_scenario(refused)


def test_decide_explain_names_the_condition_that_stopped_each_rule(tmp_path):
    incident = tmp_path / "incident.yaml"
    incident.write_text("setting: {type: childrens_home, location: in_placement}\n"
                        "incident: {kind: criminal_damage, damage_value_gbp: 40, child_calm_now: true, weapon: none}\n")
    out = run("decide", "--explain", str(incident)).output
    block = out[out.index("  - bladed-weapon:"):]
    # the weapon finding it needs (no weapon, no finding) is named first, then the weapon itself
    line = block.splitlines()[1].strip()
    assert line.startswith("Stopped by: needs the finding 'weapon_to_review'")
    assert "incident.weapon is none (the rule needs bladed)" in line
    block = out[out.index("  - assault-in-progress:"):]
    assert ("incident.kind is criminal_damage (the rule needs one of assault, threats, disorder); "
            "incident.in_progress is unknown (the rule needs true)") in block.splitlines()[1]
    block = out[out.index("  - manager-review-next-day:"):]
    assert "outcome.recommendation is no_police (the rule needs report_later)" in block.splitlines()[1]


def test_explain_finds_a_stopping_condition_for_every_rule_the_engine_did_not_fire(decider):
    """explain evaluates each condition alone; for every rule the engine did not fire, on every step
    of the library, at least one condition (or missing finding) must be what stopped it."""
    for scenario in LIBRARY:
        for facts in cumulative_facts(scenario.steps):
            decision = decider.decide(facts, explain=True)
            named = stopped_by(decision, parse_incident(facts).known(), decider.book)
            assert set(named) == {c.rule for c in decision.considered}
            assert all(reason and "hold, but" not in reason for reason in named.values()), scenario.id


# -- call handlers --------------------------------------------------------------------------------

def test_call_handler_walkthrough_shows_the_call_check_not_the_staff_answer(decider):
    outcome = run("walkthrough", "call-handler-stab-wound-after-fight", "--auto")
    assert outcome.exit_code == 0
    out = outcome.output
    assert "Answer for the call handler" in out and "Police response: Not enough known yet" in out  # ask first
    assert "THRIVE" in out and "Ask the caller:" in out and "Say to the caller:" in out
    assert "Police response: Emergency attendance" in out
    assert "Answer: CALL 101" not in out and "What to do next:" not in out
    staff = run("walkthrough", "knife-threat-kitchen", "--auto").output          # staff first
    handler = run("walkthrough", "knife-threat-kitchen", "--auto", "--audience", "call_handlers").output
    assert "Police response:" not in staff and "Police response:" in handler


def test_a_scenario_may_expect_the_call_checks_police_response(decider):
    data = copy.deepcopy(OWN)
    data["audience"] = ["call_handlers"]
    data["steps"][0]["expect"]["police_response"] = "advice_and_signposting"
    data["steps"][1]["expect"]["police_response"] = "emergency_attendance"
    assert run_scenario(decider, parse_scenario(data)).passed
    data["steps"][0]["expect"]["police_response"] = "non_emergency_attendance"
    failures = run_scenario(decider, parse_scenario(data)).failures
    assert len(failures) == 1 and failures[0].startswith(
        "step 1: expected the call check's non_emergency_attendance, got advice_and_signposting")
    data["steps"][0]["expect"]["police_response"] = "send_a_car"
    with pytest.raises(ScenarioError, match="step 1: expect.police_response: must be one of"):
        parse_scenario(data)


# -- courses --------------------------------------------------------------------------------------

def test_a_course_handout_for_several_scenarios_or_a_topic(decider):
    two = run("walkthrough", "broken-window-glass", "foster-late-home", "--handout", "-")
    assert two.exit_code == 0, two.output
    assert two.output.startswith("# Course handout\n\n1. A broken window and a piece of glass\n2. ")
    assert two.output.count("\n## ") == 2
    missing = run("walkthrough", "--topic", "missing", "--answers", "-")
    assert missing.exit_code == 0, missing.output
    expected = [s.title for s in LIBRARY if any(
        decider.book.rule(r).theme == "missing" for step in run_scenario(decider, s).steps for r in step.fired)]
    assert len(expected) >= 3
    for title in expected:
        assert f"## Answers: {title}" in missing.output
    handlers = run("walkthrough", "--audience", "call_handlers", "--handout", "-").output
    assert handlers.count("\n## ") == sum("call_handlers" in s.audience for s in LIBRARY)
    one_needed = run("walkthrough", "--topic", "missing")
    assert one_needed.exit_code == 2 and "name one scenario" in one_needed.output


def test_the_web_takes_the_call_handlers_view_when_asked(decider):
    with TestClient(create_app(decider)) as client:
        staff = client.get("/walkthrough/knife-threat-kitchen?step=1&answer=1")
        handler = client.get("/walkthrough/knife-threat-kitchen?step=1&answer=1&audience=call_handlers")
        other = client.get("/walkthrough/knife-threat-kitchen?step=1&answer=1&audience=nobody")
        assert "data-police-response" not in staff.text and "data-police-response" in handler.text
        assert other.status_code == 200 and "data-police-response" not in other.text
        listing = client.get("/walkthrough?audience=call_handlers")
        assert 'href="/walkthrough/knife-threat-kitchen?audience=call_handlers"' in listing.text
        facts = client.get("/walkthrough/knife-threat-kitchen?step=1")
        assert 'id="answer"' not in facts.text and "Show the answer" in facts.text


def test_a_session_keeps_the_lists_topic_and_audience_filters(decider):
    """A trainer who filters the list by topic (and audience) and builds a session finds the list as
    they left it: the session form carries both filters, and the session page, its moves, its start,
    each step's links and the way back keep them (H26-journeys6-1; the audience alone was H25-journeys5-1).
    A topic nobody offers (a hand-edited address) is dropped, never echoed."""
    import re as _re

    with TestClient(create_app(decider)) as client:
        listing = client.get("/walkthrough?audience=foster_carers&topic=missing")
        assert '<input type="hidden" name="topic" value="missing">' in listing.text
        ids = ["foster-late-home", "missing-twelve-year-old"]
        query = "&".join(f"id={i}" for i in ids) + "&audience=foster_carers&topic=missing"
        session = client.get(f"/walkthrough/session?{query}")
        assert 'href="/walkthrough?audience=foster_carers&amp;topic=missing" class="govuk-back-link"' in session.text
        links = _re.findall(r'href="(/walkthrough/(?:session\?|[a-z-]+\?step)[^"]*)"', session.text)
        assert links and all("topic=missing" in link for link in links), links
        start = _re.search(r'href="([^"]*)" id="session-start"', session.text).group(1).replace("&amp;", "&")
        step = client.get(start)
        for found in _re.findall(r'data-(?:next|prev)="([^"]*)"', step.text):
            assert "topic=missing" in found, found
        last = client.get(f"/walkthrough/{ids[-1]}?step=99&{query}")
        assert 'href="/walkthrough?audience=foster_carers&amp;topic=missing"' in last.text
        # one scenario opened from the filtered list, not in a session: its way back finds the list too
        assert 'href="/walkthrough/foster-late-home?audience=foster_carers&amp;topic=missing"' in listing.text
        alone = client.get("/walkthrough/foster-late-home?audience=foster_carers&topic=missing")
        assert 'href="/walkthrough?audience=foster_carers&amp;topic=missing" class="govuk-back-link"' in alone.text
        end = client.get("/walkthrough/foster-late-home?step=99&audience=foster_carers&topic=missing")
        assert 'href="/walkthrough?audience=foster_carers&amp;topic=missing">Choose another scenario' in end.text
        odd = client.get(f"/walkthrough/session?id={ids[0]}&topic=%22%3E%3Cb%3E")
        assert odd.status_code == 200 and "topic=" not in odd.text and "<b>" not in odd.text


def test_why_a_rule_did_not_apply_names_only_the_conditions_that_failed(decider):
    """Only what stopped the rule: a condition that holds is not listed (it was, while each condition
    was 'checked alone' on a copy that kept the whole rule's conditions)."""
    from callguide.why_not import why_not

    known = {"incident.kind": "drugs", "incident.in_progress": True}
    decision = decider.decide({"incident": {"kind": "drugs", "in_progress": True}}, explain=True)
    stopped = why_not(decider.book.rule("assault-in-progress"), known, decision.recommendation, set())
    assert stopped == ["incident.kind is drugs (the rule needs one of assault, threats, disorder)"]
