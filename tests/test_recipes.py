"""docs/architecture.md's recipe is true: a rule on a fact the contract already has takes two files
(the rule in its theme's file and a scenario), and every check passes with nothing else touched
(``rules check`` refuses a rule whose fact or text has no words in vocabulary.yaml)."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from callguide.cli import main
from callguide.rulebook import default_rules_dir

RULE = '''
  - id: recipe-young-child-damage-talk
    title: A young child damaged something at home
    when:
      incident.kind: criminal_damage
      setting.location: in_placement
      person.age: {at_most: param.young_child_age}
    then:
      actions:
        - id: recipe-talk-it-through
          what: "When the child is calm, talk with them about what happened and what they were feeling, as a parent would."
          by: next working day
          for: [suspect]
          source: "Protocol §8.4 (reparative activity within the home)"
    because: "The child is {person.age}; a young child's damage at home is met with care and a conversation, as a parent would."
    source: "Protocol §8.1 ('Police should not be called for matters where a reasonable parent would not call the police')"
'''

SCENARIO = '''id: recipe-young-child-damage
title: An eleven-year-old breaks a picture frame
audience: [foster_carers]
learning_points:
  - point: A young child's damage at home is met with care and a conversation.
    source: "Protocol §8.1"
steps:
  - reveal: Sam, 11, throws a picture frame at the wall in his foster home; it breaks.
    facts:
      person: {age: 11, status: looked_after}
      setting: {type: foster_care, location: in_placement}
      incident: {kind: criminal_damage, harmed_by: young_person, damage_value_gbp: 15, in_progress: false}
    expect:
      recommendation: no_police
      rules: [recipe-young-child-damage-talk]
      actions: [recipe-talk-it-through]
'''


def test_adding_a_rule_on_an_existing_fact_takes_two_files(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    theme = rules / "damage-and-theft.yaml"
    theme.write_text(theme.read_text().rstrip() + "\n" + RULE)  # file 1: the rule, in its theme
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "recipe.yaml").write_text(SCENARIO)  # file 2: a scenario that shows it
    monkeypatch.setenv("CALLGUIDE_RULES", str(rules))

    runner = CliRunner()
    checked = runner.invoke(main, ["rules", "check"])
    assert checked.exit_code == 0, checked.output
    ran = runner.invoke(main, ["scenarios", "run", "recipe-young-child-damage", "--dir", str(scenarios)])
    assert ran.exit_code == 0, ran.output
    covered = runner.invoke(main, ["rules", "coverage", "--dir", str(scenarios)])
    assert covered.exit_code == 0, covered.output
    assert "recipe-young-child-damage-talk" in covered.output
