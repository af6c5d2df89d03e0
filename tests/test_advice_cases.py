"""Issue 11's adversarial set (tests/advice_cases.yaml): each case written from the guidance."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CASES = yaml.safe_load((Path(__file__).parent / "advice_cases.yaml").read_text(encoding="utf-8"))["cases"]


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
    # What a person reads: the headline, every reason and every action.
    read = " | ".join([decision.headline] + [r.because for r in decision.rationale]
                      + [a.what for a in decision.actions]).lower()
    for words in case.get("say", []):
        assert words.lower() in read, (words, read)
    for words in case.get("not_say", []):
        assert words.lower() not in read, (words, read)


def test_there_are_at_least_sixty_cases():
    assert len(CASES) >= 60
    assert len({c["id"] for c in CASES}) == len(CASES)
