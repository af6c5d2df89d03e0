"""Walks the "Should I call?" pages' journey without a browser, to find answers that reach each
level in each setting (issue 14: every level the rules can reach there is reachable by answering
the pages' questions). The browser test replays the paths found; test_web_pages checks them all.
"""

from __future__ import annotations

from typing import Any

from callguide.decision import Decider
from callguide.facts import LEVEL_ORDER
from callguide.scenarios import load_scenarios
from callguide.vocabulary import setting_key
from callguide.web import flow, happened

# Who and where for each setting's journey: (person.status, person.age, setting.type).
SETTINGS: dict[str, tuple[str, str, str]] = {
    "childrens_home": ("looked_after", "15", "childrens_home"),
    "supported_accommodation": ("looked_after", "17", "supported_accommodation"),
    "foster_care": ("looked_after", "12", "foster_care"),
    "care_leaver": ("care_leaver", "19", "other"),
}
# Numbers worth trying: a small and a large one (the rules' thresholds sit between).
NUMBERS: dict[str, list[str]] = {"incident.damage_value_gbp": ["40", "2000"], "missing.hours_absent": ["1", "30"],
                                 "person.age": ["15"]}

Path = list[tuple[str, str]]  # (fact, the raw answer the page posts)


def _merge(into: dict[str, Any], facts: dict[str, Any]) -> None:
    for section, values in facts.items():
        into.setdefault(section, {}).update(values)


def levels_in_scenarios(decider: Decider) -> dict[str, set[str]]:
    """For each setting, the levels the rules give at some step of a scenario set there."""
    found: dict[str, set[str]] = {key: set() for key in SETTINGS}
    for scenario in load_scenarios():
        facts: dict[str, Any] = {}
        for step in scenario.steps:
            _merge(facts, step.facts)
            known = {f"{s}.{k}": v for s, values in facts.items() for k, v in values.items()}
            key = setting_key(known)
            if key in found and "kind" in facts.get("incident", {}):
                found[key].add(decider.decide(facts).recommendation.value)
    return found


def reach(decider: Decider, setting: str, wanted: set[str], budget_per_choice: int = 120) -> dict[str, Path]:
    """Answers on the pages (from the first page) that end at each wanted level, where found."""
    status, age, where = SETTINGS[setting]
    start: Path = [(flow.DANGER, "no"), ("person.status", status), ("person.age", age), ("setting.type", where)]
    found: dict[str, Path] = {}
    if "call_999" in wanted:
        found["call_999"] = [(flow.DANGER, "yes")]
    for choice in happened.CHOICES:
        state: dict[str, Any] = {}
        for fact, raw in start:
            state = flow.answer(state, fact, raw, decider)
        stack = [(flow.answer(state, flow.KIND, choice, decider), [*start, (flow.KIND, choice)])]
        budget = budget_per_choice
        while stack and budget > 0 and not wanted <= set(found):
            state, path = stack.pop()
            budget -= 1
            step = flow.next_step(state, decider)
            if step in ("check", "call-999"):
                level = "call_999" if step == "call-999" else decider.decide(flow.incident(state)).recommendation.value
                found.setdefault(level, path)
                continue
            q = flow.question(step, decider, state)
            raws = NUMBERS.get(step, ["5"]) if q.kind == "number" else [value for value, _ in q.options]
            for raw in reversed(raws):
                stack.append((flow.answer(state, step, raw, decider), [*path, (step, raw)]))
        if wanted <= set(found):
            break
    return {level.value: found[level.value] for level in LEVEL_ORDER if level.value in found}
