"""Issue 11's adversarial set (tests/advice_cases.yaml): each case written from the guidance."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from callguide.facts import SAFETY_CRITICAL, allowed_values, parse_incident
from casefiles import load_cases

CASES = load_cases("advice_cases.yaml")["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_advice_case(decider, case):
    decision = decider.decide(case["facts"])
    ids = [a.id for a in decision.actions]
    assert decision.recommendation.value == case["level"], (decision.headline, [r.rule for r in decision.rationale])
    assert set(case.get("has", [])) <= set(ids), ids
    assert not set(case.get("hasnt", [])) & set(ids), ids
    if "first" in case:
        assert ids[0] == case["first"], ids
    if "second" in case:
        assert ids[1] == case["second"], ids
    # `in_first: {n, ids}`: each id is among the first n actions (a phone's first screen: at 999 the
    # call and the three steps the "Call 999 now" page lists under "Do now").
    if "in_first" in case:
        top = ids[:case["in_first"]["n"]]
        assert set(case["in_first"]["ids"]) <= set(top), top
    # `order`: these ids are listed, in this order (others may come between them).
    if "order" in case:
        assert [i for i in ids if i in case["order"]] == case["order"], ids
    # The deadline each named action carries (`by`: {action id: deadline}).
    deadlines = {a.id: a.by for a in decision.actions}
    for action, by in case.get("by", {}).items():
        assert deadlines.get(action) == by, (action, deadlines.get(action))
    # What a person reads: the headline, every reason and every action.
    read = " | ".join([decision.headline] + [r.because for r in decision.rationale]
                      + [a.what for a in decision.actions]).lower()
    for words in case.get("say", []):
        assert words.lower() in read, (words, read)
    for words in case.get("not_say", []):
        assert words.lower() not in read, (words, read)
    _check_questions(decider, case, decision)


def _check_questions(decider, case, decision):
    """`first_question`: the fact asked first (`safety_critical`: one of the contract's safety-critical
    facts); `asks` / `asks_not`: facts that are (not) asked. Every case: no question asks a known fact,
    and each question's would_become is what answering it gives."""
    asked = [q.fact for q in decision.questions]
    wanted = case.get("first_question")
    if wanted == "safety_critical":
        assert asked and asked[0] in SAFETY_CRITICAL, asked
    elif wanted:
        assert asked and asked[0] == wanted, asked
    assert set(case.get("asks", [])) <= set(asked), asked
    assert not set(case.get("asks_not", [])) & set(asked), asked
    known = parse_incident(case["facts"]).known()
    for question in decision.questions:
        facts = [question.fact, *question.together_with]
        assert not set(facts) & set(known), (question.fact, "is already known")
        tries = [allowed_values(f) or decider.question_values.get(f) or [0.0] for f in facts]
        outcomes = {decider.level({**known, **dict(zip(facts, combo))}) for combo in itertools.product(*tries)}
        assert question.would_become in outcomes, (question.fact, question.would_become, outcomes)


def test_there_are_at_least_sixty_cases():
    assert len(CASES) >= 60
    assert len({c["id"] for c in CASES}) == len(CASES)


def test_a_case_with_a_key_written_twice_is_refused():
    import yaml

    from casefiles import _NoRepeatedKeys

    text = "- id: two-hasnt\n  hasnt: [weapon-talk]\n  hasnt: [weapon-safe-storage]\n"
    with pytest.raises(yaml.YAMLError, match="hasnt written twice"):
        yaml.load(text, Loader=_NoRepeatedKeys)
