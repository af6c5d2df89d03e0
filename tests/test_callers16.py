"""Who is ringing (callers16): the young person asked as "you" from the vocabulary, and
``call.professional`` read by the call check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from callguide.callcheck import CallCheckRequest, check_call
from callguide.rulebook import default_rules_dir
from callguide.vocabulary import VocabularyError, load_vocabulary

VOCABULARY = default_rules_dir() / "vocabulary.yaml"
RAW = yaml.safe_load(VOCABULARY.read_text(encoding="utf-8"))


def test_a_young_person_ringing_is_asked_in_the_vocabularys_words_for_them():
    vocabulary = load_vocabulary(VOCABULARY)
    theirs = RAW["to_the_young_person"]["asks"]
    assert theirs  # the section is there and says something
    for path, question in theirs.items():
        assert vocabulary.ask(path, {"call.caller": "young_person"}) == vocabulary.fill(question, {})
        assert vocabulary.ask(path, {"call.caller": "foster_carer"}) != question
        assert vocabulary.ask(path, {}) != question
    for kind, asks in RAW["to_the_young_person"].get("kinds", {}).items():
        for path, question in asks.items():
            assert vocabulary.ask(path, {"call.caller": "young_person", "incident.kind": kind}) == question


@pytest.mark.parametrize("section, message", [
    ({"asks": {"incident.not_a_fact": "Are you?"}}, "not_a_fact"),
    ({"asks": {"person.age": "How old is {name}?"}}, "person.age"),
    ({"kinds": {"not_a_kind": {"person.age": "How old are you?"}}}, "not_a_kind"),
])
def test_the_young_persons_words_are_checked_at_load(tmp_path: Path, section, message):
    raw = dict(RAW, to_the_young_person=section)
    path = tmp_path / "vocabulary.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(VocabularyError, match=message):
        load_vocabulary(path)


def test_the_handler_asks_a_young_person_caller_as_you(decider):
    facts = {"incident": {"kind": "other", "in_progress": False, "risk_to_life": False},
             "health": {"mental_health_crisis": True}, "person": {"age": 16}}
    theirs = _asks(decider, {**facts, "call": {"caller": "young_person"}})
    carers = _asks(decider, {**facts, "call": {"caller": "foster_carer"}})
    assert not any("the young person" in q.lower() or q.lower().startswith(("have they", "do they")) for q in theirs)
    assert any(q.lower().startswith(("have they", "do they", "is the young person")) for q in carers)


def _asks(decider, facts):
    return [q.ask for q in check_call(facts, decider).questions]


def test_which_professional_rings_says_a_professional_rings():
    request = CallCheckRequest.model_validate({"incident": {"kind": "other"}, "call": {"professional": "teacher"}})
    assert request.incident_facts().known()["call.caller"] == "other_professional"


def test_a_support_worker_is_asked_the_carers_steps_and_a_teacher_is_not(decider):
    facts = {"person": {"age": 20, "status": "care_leaver"}, "setting": {"type": "other", "location": "in_placement"},
             "incident": {"kind": "criminal_damage", "victim": "none", "damage_value_gbp": 30, "in_progress": False,
                          "risk_to_life": False, "child_calm_now": True, "injury": "none", "weapon": "none"}}
    def asked(professional):
        check = check_call({**facts, "call": {"caller": "other_professional", "professional": professional}}, decider)
        return {q.fact for q in check.questions}, " ".join(check.say_to_caller)
    support, support_words = asked("support_worker")
    teacher, _ = asked("teacher")
    assert "response_so_far.manager_consulted" in support and "response_so_far.manager_consulted" not in teacher
    assert "person.police_in_plan" not in teacher
    assert "ask their support workers" not in support_words.lower()


def test_rules_diff_lists_a_changed_question_to_the_young_person():
    from dataclasses import replace

    from callguide.callerwords import ToTheCaller
    from callguide.tablediff import compare_vocabulary

    base = load_vocabulary(VOCABULARY)
    head = replace(base, to_young_person=ToTheCaller(asks={**base.to_young_person.asks, "person.age": "Your age?"},
                                                     kinds=base.to_young_person.kinds))
    lines = [change.line() for change in compare_vocabulary(base, head)]
    assert any("to the young person asks.person.age" in line and "Your age?" in line for line in lines), lines
