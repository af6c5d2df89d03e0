"""Loading, validation and linting of the rulebook, and what it covers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from callguide.cli import main
from callguide.decision import Decider
from callguide.facts import Level, allowed_values
from callguide.lint import check_rulebook
from callguide.rulebook import RulebookError, load_rulebook

THEMES = {"immediate-danger", "violence", "damage-and-theft", "weapons", "sexual-harm",
          "exploitation-and-drugs", "missing", "reasonable-parent", "child-first", "victims",
          "after-incident", "out-of-county"}


def add_rule(directory: Path, text: str, name: str = "zz-extra.yaml") -> None:
    (directory / name).write_text("theme: extra\ntitle: Extra\nrules:\n" + text, encoding="utf-8")


def test_every_theme_has_a_file_and_every_rule_a_source(book):
    assert THEMES <= set(book.themes)
    for rule in book.rules:
        assert rule.source.strip() and rule.because.strip()
        for action in rule.then.actions:
            assert action.source.strip()
    for name, parameter in book.parameters.items():
        assert parameter.reference.strip(), name


def test_rules_check_passes_on_the_real_rulebook():
    result = CliRunner().invoke(main, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")


def test_unknown_fact_names_file_line_and_rule(rules_copy):
    add_rule(rules_copy, """
  - id: typo-rule
    title: A rule with a typo
    when:
      incident.injurry: serious
    then: {recommend: call_101, strength: firm}
    because: "This rule has a typo in its fact."
    source: "Protocol §8.1"
""")
    with pytest.raises(RulebookError) as error:
        load_rulebook(rules_copy)
    message = str(error.value)
    assert "zz-extra.yaml:5" in message and "typo-rule" in message and "incident.injurry" in message
    result = CliRunner().invoke(main, ["rules", "check", str(rules_copy)])
    assert result.exit_code == 1 and "typo-rule" in result.output


@pytest.mark.parametrize("body, complaint", [
    ('when: {incident.injury: awful}\n    then: {recommend: call_101, strength: firm}', "awful"),
    ('when: {incident.injury: serious}\n    then: {recommend: call_101, strength: firm}\n    source: ""', "source"),
    ('when: {incident.injury: serious}\n    then: {recommend: call_101, strength: safety}', "safety"),
    ('when: {incident.injury: serious}\n    then: {recommend: call_999, strength: firm}', "immediate danger only"),
    ('when: {derived: [nobody_derives_this]}\n    then: {recommend: call_101, strength: firm}', "nobody_derives_this"),
    ('when: {incident.damage_value_gbp: {at_least: param.no_such}}\n    then: {recommend: call_101, strength: firm}', "no_such"),
    ('when: {outcome.recommendation: call_999}\n    then: {recommend: call_101, strength: firm}', "outcome"),
    # review 17: an action left out when a finding holds must name a finding some rule derives
    ('when: {incident.injury: serious}\n    then: {actions: [{id: zz-step, what: "Do the step.", by: now, '
     'source: "Protocol §8.1", unless: [nobody_derives_that]}]}\n    source: "Protocol §8.1"', r"zz-extra.yaml:\d+: rule broken-rule: action zz-step: .*nobody_derives_that"),
])
def test_broken_rules_stop_loading(rules_copy, body, complaint):
    text = f"""
  - id: broken-rule
    title: A broken rule
    {body}
    because: "Because of something specific."
"""
    if "source:" not in body:
        text += '    source: "Protocol §8.1"\n'
    add_rule(rules_copy, text)
    with pytest.raises(RulebookError, match=complaint):
        load_rulebook(rules_copy)


def test_a_rule_that_can_never_fire_fails_the_check(rules_copy):
    add_rule(rules_copy, """
  - id: contradictory
    title: Needs both answers at once
    when:
      any:
        - {incident.kind: theft}
      incident.kind: assault
      incident.in_progress: true
    then: {recommend: call_101, strength: soft}
    because: "This can never happen."
    source: "Protocol §8.1"
""")
    problems = check_rulebook(Decider(load_rulebook(rules_copy)))
    assert len(problems) == 1 and "contradictory" in problems[0] and "never fire" in problems[0]
    result = CliRunner().invoke(main, ["rules", "check", str(rules_copy)])
    assert result.exit_code == 1


def test_every_fact_needs_its_words_in_the_vocabulary(rules_copy):
    path = rules_copy / "vocabulary.yaml"
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  incident.hate_motivated:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("  ") and not lines[i].startswith("    "))
    path.write_text("".join(lines[:start] + lines[end:]))
    with pytest.raises(RulebookError, match=r"vocabulary.yaml: no words for \['incident.hate_motivated'\]"):
        load_rulebook(rules_copy)


REFUSALS = yaml.safe_load((Path(__file__).parent / "vocabulary_refusals.yaml").read_text(encoding="utf-8"))


def _edits(part: str) -> Any:
    return pytest.mark.parametrize("edit", REFUSALS[part], ids=[edit["id"] for edit in REFUSALS[part]])


@_edits("settings")
def test_a_settings_words_must_be_complete_and_its_own(rules_copy, edit):
    refused_after_edit(rules_copy, edit["old"], edit["new"], edit["refusal"])


@_edits("call_check")
def test_the_call_checks_words_are_complete_and_use_only_their_own_values(rules_copy, edit):
    refused_after_edit(rules_copy, edit["old"], edit["new"], edit["refusal"])


@_edits("asking")
def test_how_each_kind_is_asked_names_only_the_contracts_kinds_and_facts(rules_copy, edit):
    refused_after_edit(rules_copy, edit["old"], edit["new"], edit["refusal"])


@pytest.mark.parametrize("old, new, refusal", [
    ("    steps_asked: [incident.coercion]", "    steps_asked: [incident.coerced]",
     r"asking.sexual.steps_asked: \['incident.coerced'\] are not facts in the contract"),
    ("    steps_asked: [incident.coercion]", "    steps_asked:\n      - incident.coercion\n      - incident.coerced",
     r"asking.sexual.steps_asked: \['incident.coerced'\] are not facts in the contract"),
    ("asking:\n", "asking:\n  sextortion:\n    steps_asked: [incident.coercion]\n",
     r"asking.sextortion: not a kind of incident"),
], ids=["unknown fact", "unknown fact on its own line", "unknown kind"])
def test_a_fact_asked_for_its_steps_is_refused_with_its_file_and_line(rules_copy, old, new, refusal):
    """``asking.<kind>.steps_asked`` (moved out of web/flow.py): a fact or kind the contract does not
    have is refused at load, naming the file and the line of the wrong entry, as a rule's error does."""
    path = rules_copy / "vocabulary.yaml"
    text = path.read_text()
    assert old in text
    edited = text.replace(old, new, 1)
    path.write_text(edited)
    wrong = "incident.coerced" if "coerced" in new else "sextortion:"
    line = next(number for number, text in enumerate(edited.splitlines(), 1) if wrong in text)
    with pytest.raises(RulebookError, match=rf"^vocabulary.yaml:{line}: {refusal}"):
        load_rulebook(rules_copy)


def test_a_question_may_use_only_the_settings_words(rules_copy):
    refused_after_edit(rules_copy, '    ask: "Does their {words.plan} agree', '    ask: "Does their {words.planner} agree',
                       r"facts.person.police_in_plan.ask: \{words.planner\} is not a word")


def refused_after_edit(rules_copy, old: str, new: str, refusal: str) -> None:
    """Replace ``old`` by ``new`` in the copy's vocabulary.yaml: loading must refuse it with ``refusal``."""
    path = rules_copy / "vocabulary.yaml"
    text = path.read_text()
    assert old in text  # the edit below really changes the vocabulary
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(RulebookError, match=refusal):
        load_rulebook(rules_copy)


def test_rule_texts_may_only_use_words_every_setting_defines(rules_copy):
    add_rule(rules_copy, """
  - id: uses-unknown-word
    title: A rule whose reason names a word no setting defines
    when: {incident.kind: other}
    then: {recommend: report_later, strength: soft}
    because: "{Words.headteacher} decides."
    source: "Protocol §8.1"
""")
    with pytest.raises(RulebookError, match=r"refers to unknown \{Words.headteacher\}"):
        load_rulebook(rules_copy)


def test_duplicate_ids_are_refused(rules_copy):
    add_rule(rules_copy, """
  - id: risk-to-life
    title: A second rule with a used id
    when: {incident.kind: other}
    then: {recommend: report_later, strength: soft}
    because: "Duplicate id."
    source: "Protocol §8.1"
""")
    with pytest.raises(RulebookError, match="used twice"):
        load_rulebook(rules_copy)


def test_version_changes_with_any_rule_file(rules_copy, book):
    path = rules_copy / "parameters.yaml"
    path.write_text(path.read_text().replace("value: 100", "value: 150"))
    assert load_rulebook(rules_copy).version != book.version


def test_every_incident_kind_is_read_by_a_rule(book):
    read = set()
    for rule in book.rules:
        for test in rule.conditions.tests():
            if test.path == "incident.kind" and test.op in ("is", "in"):
                read.update(test.value if test.op == "in" else [test.value])
    assert set(allowed_values("incident.kind")) - {"other"} <= read


def test_a_non_monotone_rulebook_breaks_invariant_2(rules_copy):
    """The property can fail: a rule that fires only on the *less* serious value is caught."""
    add_rule(rules_copy, """
  - id: non-monotone
    title: A deliberately wrong rule that escalates only a minor injury
    when:
      incident.injury: minor
    then: {recommend: call_999, strength: safety}
    because: "This rule is deliberately wrong."
    source: "test only"
""")
    wrong = Decider(load_rulebook(rules_copy))
    base = {"incident.kind": "assault", "incident.injury": "minor", "setting.location": "in_placement",
            "incident.in_progress": False, "incident.child_calm_now": True}
    assert wrong.level(base).rank > wrong.level({**base, "incident.injury": "serious"}).rank


def test_a_ceiling_cannot_outweigh_a_firm_floor_or_safety(rules_copy):
    add_rule(rules_copy, """
  - id: lowering-ceiling
    title: A ceiling that tries to lower a serious injury
    when:
      incident.injury: {at_least: serious}
    then: {recommend: no_police, strength: ceiling}
    because: "This ceiling tries to lower a serious injury."
    source: "test only"
""")
    decider = Decider(load_rulebook(rules_copy))
    # Over and calm: a serious injury is a firm call_101 (not the ambulance rule, which is safety).
    base = {"incident.kind": "assault", "setting.location": "in_placement", "incident.in_progress": False,
            "incident.child_calm_now": True}
    assert decider.level({**base, "incident.injury": "serious"}) == Level.call_101
    assert decider.level({**base, "incident.injury": "life_threatening"}) == Level.call_999


def test_a_vocabulary_without_the_optional_setting_uses_the_unknown_words(rules_copy):
    """An older vocabulary (before `looked_after_elsewhere`) still loads, so `rules diff` can compare
    against it; a child in care living elsewhere then gets the words for a setting not said."""
    path = rules_copy / "vocabulary.yaml"
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  looked_after_elsewhere:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("  ") and not lines[i].startswith("    "))
    path.write_text("".join(lines[:start] + lines[end:]))
    book = load_rulebook(rules_copy)
    known = {"setting.type": "other", "person.status": "looked_after", "person.age": 15}
    assert book.vocabulary.words_for(known) == book.vocabulary.settings["unknown"]
    assert load_rulebook().vocabulary.words_for(known)["manager"] == "the young person's social worker"


def test_an_action_unless_a_finding_is_left_out_only_when_the_finding_holds(decider):
    """Review 17: two adults' own private life replaces the general record and adviser steps
    (`unless: [own_private_life]`); the same facts with pressure keep them."""
    private = {"person": {"age": 21, "status": "care_leaver"}, "setting": {"type": "other", "location": "in_placement"},
               "incident": {"kind": "sexual", "victim": "none", "other_person_age": "adult", "coercion": False,
                            "in_progress": False, "risk_to_life": False, "injury": "none", "weapon": "none"}}
    ids = {a.id for a in decider.decide(private).actions}
    assert "adult-private-life" in ids and not {"record-incident", "personal-adviser"} & ids, ids
    private["incident"]["coercion"] = True
    ids = {a.id for a in decider.decide(private).actions}
    assert {"record-incident", "personal-adviser"} <= ids, ids
