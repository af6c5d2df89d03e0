"""Shared actions (rules/actions.yaml): written once, used by name, and refused with file and line."""

from __future__ import annotations


import pytest
from click.testing import CliRunner

from callguide.cli import main
from callguide.rulebook import RulebookError, load_rulebook

USER = """theme: extra
title: Extra
rules:
  - id: uses-a-shared-action
    title: A rule that gives a shared action
    when: {incident.kind: other, incident.risk_to_life: true}
    then:
      recommend: call_999
      strength: safety
      actions:
        - %s
    because: "Someone's life is at risk."
    source: "NHS guidance on when to call 999"
"""


def test_every_rule_that_uses_the_ambulance_says_the_same_words(book):
    actions = [action for rule in book.rules for action in rule.then.actions if action.id == "ambulance"]
    assert len(actions) >= 5  # the ambulance step was written out in six rules before it had one home
    assert {action.model_dump_json() for action in actions} == {actions[0].model_dump_json()}
    assert actions[0].first == "ambulance" and actions[0].by == "now"


def test_a_change_to_a_shared_action_reaches_every_rule_that_uses_it(rules_copy):
    path = rules_copy / "actions.yaml"
    text = path.read_text()
    assert "Ask the 999 operator for an ambulance." in text
    path.write_text(text.replace("Ask the 999 operator for an ambulance.", "Ask the operator for an ambulance now.", 1))
    book = load_rulebook(rules_copy)
    users = [rule.id for rule in book.rules for action in rule.then.actions if action.id == "ambulance"]
    texts = {action.what for rule in book.rules for action in rule.then.actions if action.id == "ambulance"}
    assert len(users) >= 5 and all(text.startswith("Ask the operator for an ambulance now.") for text in texts)


@pytest.mark.parametrize("action, refusal", [
    ("{use: helicopter}", r"zz-extra.yaml:4: rule uses-a-shared-action: action at line 11: no shared action 'helicopter' in actions.yaml"),
    ("{use: ambulance, by: 24h}", r"zz-extra.yaml:4: rule uses-a-shared-action: .*give only 'use' \(found by\)"),
])
def test_a_wrong_use_is_refused_with_file_line_and_rule(rules_copy, action, refusal):
    (rules_copy / "zz-extra.yaml").write_text(USER % action, encoding="utf-8")
    with pytest.raises(RulebookError, match=refusal):
        load_rulebook(rules_copy)
    result = CliRunner().invoke(main, ["rules", "check", str(rules_copy)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "uses-a-shared-action" in result.output


def test_a_shared_action_that_no_rule_uses_is_refused(rules_copy):
    path = rules_copy / "actions.yaml"
    path.write_text(path.read_text() + "  tidy-up:\n    what: \"Tidy up afterwards.\"\n    by: 24h\n"
                    "    source: \"Protocol §8.1\"\n")
    with pytest.raises(RulebookError, match=r"actions.yaml:\d+: shared action tidy-up is used by no rule"):
        load_rulebook(rules_copy)


def test_a_shared_action_is_validated_as_any_action(rules_copy):
    path = rules_copy / "actions.yaml"
    text = path.read_text()
    path.write_text(text.replace("    by: now\n", "    by: soonish\n", 1))
    with pytest.raises(RulebookError, match=r"^actions.yaml:\d+: shared action ambulance: by: Input should be"):
        load_rulebook(rules_copy)


def test_a_shared_action_names_itself_by_its_key(rules_copy):
    path = rules_copy / "actions.yaml"
    path.write_text(path.read_text().replace("  evacuate:\n", "  evacuate:\n    id: get-out\n", 1))
    with pytest.raises(RulebookError, match="shared action evacuate: its id is its key"):
        load_rulebook(rules_copy)
