"""The condition format has one home (conditions.py): malformed ``when:`` blocks are refused at load
with file, line and rule id, by ``callguide rules check DIR`` too, never with a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from callguide.cli import main
from callguide.conditions import AnyOf, ConditionError, FactTest, parse_when
from callguide.rulebook import RulebookError, default_rules_dir, load_rulebook


class P:  # a parameter as the parser sees it
    def __init__(self, value: float):
        self.value = value


PARAMS = {"low_value_damage_gbp": P(100)}


def test_parameters_are_resolved_once_and_named():
    conditions = parse_when({"incident.damage_value_gbp": {"at_most": "param.low_value_damage_gbp"},
                             "any": [{"incident.kind": "theft"}, {"incident.injury": {"at_least": "minor"}}],
                             "derived": ["home_matter"]}, PARAMS)
    first = conditions.items[0]
    assert first == FactTest("incident.damage_value_gbp", "at_most", 100, "low_value_damage_gbp")
    assert isinstance(conditions.items[1], AnyOf)
    assert conditions.derived == ("home_matter",)
    assert conditions.reads() == ["incident.damage_value_gbp", "incident.kind", "incident.injury"]


@pytest.mark.parametrize("when, message", [
    ({"incident.damage_value_gbp": {"at_most": "low_value_damage_gbp"}}, "write param.low_value_damage_gbp"),
    ({"incident.damage_value_gbp": {"at_most": "a hundred"}}, "needs a number or param.NAME"),
    ({"incident.damage_value_gbp": {"at_most": "param.nope"}}, "unknown parameter 'param.nope'"),
    ({"incident.colour": "red"}, "'incident.colour' is not a fact"),
    ({"incident.injury": {"worse_than": "minor"}}, "unknown test 'worse_than'"),
    ({"any": [{"derived": ["home_matter"]}, {"incident.kind": "theft"}]}, "'derived' cannot go inside 'any'"),
    ({"incident.child_calm_now": "yes"}, "'yes' is not one of [True, False]"),
    ({"incident.child_calm_now": 1}, "1 is not one of [True, False]"),
    ({"incident.kind": {"in": "theft"}}, "'in' takes a list"),
    ({"incident.victim": {"at_least": "staff"}}, "need a number or an ordered scale"),
    ({"incident.kind": {"is": "param.low_value_damage_gbp"}}, "a parameter is a number"),
    ({"incident.victim": {"known": "yes"}}, "'known' takes true or false"),
])
def test_malformed_conditions_are_refused(when, message):
    with pytest.raises(ConditionError) as caught:
        parse_when(when, PARAMS)
    assert message in str(caught.value)


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), target)
    return target


@pytest.mark.parametrize("condition, message", [
    ("{incident.damage_value_gbp: {at_most: low_value_damage_gbp}}", "write param.low_value_damage_gbp"),
    ("{incident.damage_value_gbp: {at_most: \"a hundred\"}}", "needs a number"),
    ("{incident.colour: red}", "is not a fact in the contract"),
    ("{incident.damage_value_gbp: {at_most: param.nope}}", "unknown parameter"),
    ("{incident.injury: {worse_than: minor}}", "unknown test"),
    ("{any: [{derived: [home_matter]}, {incident.kind: theft}]}", "'derived' cannot go inside 'any'"),
])
def test_rules_check_names_file_line_and_rule(rules_copy, condition, message):
    (rules_copy / "zz-bad.yaml").write_text(
        "theme: bad\ntitle: Bad\nrules:\n"
        "  - id: bad-rule\n"
        "    title: A rule with a broken condition\n"
        f"    when: {condition}\n"
        "    then: {recommend: report_later, strength: soft}\n"
        "    because: \"This rule is broken on purpose.\"\n"
        "    source: \"Protocol §8.1\"\n", encoding="utf-8")
    with pytest.raises(RulebookError, match="zz-bad.yaml:4: rule bad-rule: .*" + message.replace("(", r"\(")):
        load_rulebook(rules_copy)
    result = CliRunner().invoke(main, ["rules", "check", str(rules_copy)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "zz-bad.yaml:4: rule bad-rule" in result.output


def test_every_rule_of_the_rulebook_is_parsed(book):
    for rule in book.rules:
        assert rule.conditions is not None and (rule.conditions.items or rule.conditions.derived)
