"""Walks the "Should I call?" pages' journey without a browser, to find answers that reach each
level in each setting (issue 14: every level the rules can reach there is reachable by answering
the pages' questions). The browser test replays the paths found; test_web_pages checks them all.
"""

from __future__ import annotations

from typing import Any

from callguide.decision import Decider
from callguide.facts import LEVEL_ORDER
from callguide.scenarios import load_scenarios
from callguide.wordsfor import setting_key
from callguide.web import flow, happened

# Who and where for each setting's journey: (person.status, person.age, setting.type).
SETTINGS: dict[str, tuple[str, str, str]] = {
    "childrens_home": ("looked_after", "15", "childrens_home"),
    "supported_accommodation": ("looked_after", "17", "supported_accommodation"),
    "foster_care": ("looked_after", "12", "foster_care"),
    "care_leaver": ("care_leaver", "19", "other"),
}
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


def _raw(fact: str, value: Any) -> str:
    """The answer a page posts for a fact's value (``unknown`` when nobody said)."""
    if value is None:
        return flow.UNKNOWN
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _choice(known: dict[str, Any]) -> str:
    """The "What happened?" choice that stands for these facts (the most specific that fits)."""
    fitting = [c for c in happened.CHOICES.values() if all(known.get(k) == v for k, v in c.facts.items())]
    return max(fitting, key=lambda c: len(c.facts)).key


def walk(decider: Decider, known: dict[str, Any], who: tuple[str, str, str]) -> tuple[str, Path]:
    """Answer the pages from the first one as a carer who knows ``known`` would (``I don't know``
    for anything else): the level the pages end at, and the answers given."""
    status, age, where = who
    truth = {"person.status": status, "person.age": age, "setting.type": where, **known}
    state: dict[str, Any] = {}
    path: Path = []
    for _ in range(3 * len(flow.fact_paths())):
        step = flow.next_step(state, decider)
        if step == "call-999":
            return "call_999", path
        if step == "check":
            return decider.decide(flow.incident(state)).recommendation.value, path
        raw = _choice(truth) if step == flow.KIND else _raw(step, truth.get(step))
        if raw == flow.UNKNOWN and flow.question(step, decider, state).kind == "number":
            raw = ""  # a number page is left empty when nobody knows
        path.append((step, raw))
        state = flow.answer(state, step, raw, decider)
    raise AssertionError(f"the pages kept asking: {path}")


def reach(decider: Decider, setting: str, wanted: set[str]) -> dict[str, Path]:
    """For each wanted level, answers on the pages that end at it: the pages walked with the facts
    of a scenario step set in this setting whose answer is that level."""
    found: dict[str, Path] = {}
    if "call_999" in wanted:
        found["call_999"] = [(flow.DANGER, "yes")]
    status, age, where = SETTINGS[setting]
    for scenario in load_scenarios():
        facts: dict[str, Any] = {}
        for step in scenario.steps:
            _merge(facts, step.facts)
            known = {f"{s}.{k}": v for s, values in facts.items() for k, v in values.items()}
            if setting_key(known) != setting or "incident.kind" not in known:
                continue
            # The pages ask about danger first, and "not sure" means 999: a carer walking through a
            # scenario that does not say anyone is in danger answers "no".
            known.setdefault(flow.DANGER, False)
            level = decider.decide(flow.incident(known)).recommendation.value
            if level not in wanted or level in found:
                continue
            who = (known.get("person.status", status), str(known.get("person.age", age)),
                   known.get("setting.type", where))
            got, path = walk(decider, known, who)
            if got == level:
                found[level] = path
        if wanted <= set(found):
            break
    return {level.value: found[level.value] for level in LEVEL_ORDER if level.value in found}
