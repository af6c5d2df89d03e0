"""Hypothesis strategies for incidents, including unknown facts (absent keys)."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import strategies as st

from callguide.facts import allowed_values, fact_paths

NUMBERS = {
    "person.age": st.integers(min_value=10, max_value=25),
    "incident.damage_value_gbp": st.sampled_from([0.0, 15.0, 99.0, 100.0, 101.0, 450.0, 999.0, 1000.0, 5000.0]),
    "missing.hours_absent": st.sampled_from([0.5, 2.0, 6.0, 24.0, 72.0]),
    "call.recent_calls": st.sampled_from([0, 1, 3, 10]),
}


def _value(path: str) -> st.SearchStrategy[Any]:
    values = allowed_values(path)
    return st.sampled_from(values) if values is not None else NUMBERS[path]


@st.composite
def known_facts(draw: st.DrawFn) -> dict[str, Any]:
    """A flat ``{"section.field": value}`` map; each optional fact is known about half the time."""
    known: dict[str, Any] = {"incident.kind": draw(st.sampled_from(allowed_values("incident.kind")))}
    for path in fact_paths():
        if path == "incident.kind":
            continue
        if draw(st.booleans()):
            known[path] = draw(_value(path))
    return known


def nest(known: dict[str, Any]) -> dict[str, Any]:
    """The contract's nested input document for a flat fact map."""
    data: dict[str, dict[str, Any]] = {}
    for path, value in known.items():
        section, name = path.split(".", 1)
        data.setdefault(section, {})[name] = value
    return data


SAMPLE_NUMBERS = {"person.age": [10, 13, 15, 17, 21], "incident.damage_value_gbp": [0.0, 40.0, 100.0, 450.0, 5000.0],
                  "missing.hours_absent": [0.5, 3.0, 24.0], "call.recent_calls": [0, 2, 10]}


def random_incidents(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Deterministic mixed incidents (nested documents); each optional fact known about half the time."""
    rng = random.Random(seed)
    incidents = []
    for _ in range(count):
        known: dict[str, Any] = {"incident.kind": rng.choice(allowed_values("incident.kind"))}
        for path in fact_paths():
            if path != "incident.kind" and rng.random() < 0.5:
                known[path] = rng.choice(allowed_values(path) or SAMPLE_NUMBERS[path])
        incidents.append(nest(known))
    return incidents
