"""Incidents written from the public guidance before running the engine (tests/guidance_cases.yaml).

A second author's check that the rulebook generalises: levels as bounds where the guidance allows
more than one answer, and the words a person must (or must never) read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from callguide.decision import Decision
from callguide.facts import Level
from casefiles import load_cases

CASES = load_cases("guidance_cases.yaml")


def _text(decision: Decision) -> str:
    parts = [decision.headline] + [r.because for r in decision.rationale] + [a.what for a in decision.actions]
    return "\n".join(parts).lower()


def _rank(level: str) -> int:
    return Level(level).rank


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_guidance_case(case, decider):
    decision = decider.decide(case["facts"])
    got = decision.recommendation
    where = f"{case['name']} ({case['why']}): got {got.value} — {decision.headline}"
    if "level" in case:
        assert got.value == case["level"], where
    if "at_least" in case:
        assert got.rank >= _rank(case["at_least"]), where
    if "at_most" in case:
        assert got.rank <= _rank(case["at_most"]), where
    text = _text(decision)
    for phrase in case.get("say", []):
        assert phrase.lower() in text, f"{where}: should say {phrase!r}"
    for phrase in case.get("not_say", []):
        assert phrase.lower() not in text, f"{where}: should not say {phrase!r}"
    actions = [a for a in decision.actions if a.id != "call-999"]
    first = " ".join(a.what for a in actions[:2]).lower()
    for pattern in case.get("first_actions_say", []):
        assert re.search(pattern.lower(), first), f"{where}: first actions should say {pattern!r}: {first}"


def test_the_cases_cover_every_setting_and_role():
    settings = {case["facts"].get("setting", {}).get("type") for case in CASES}
    victims = {case["facts"]["incident"].get("victim") for case in CASES}
    assert {"childrens_home", "foster_care", "supported_accommodation", "other"} <= settings
    assert {"self", "staff", "carer", "public"} <= victims
    assert any(case["facts"].get("health") for case in CASES)
    assert any(case["facts"].get("person", {}).get("status") == "care_leaver" for case in CASES)
