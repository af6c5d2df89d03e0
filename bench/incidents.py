"""Random incidents for the benchmarks, drawn from the contract's fact sets (seeded, so repeatable)."""

from __future__ import annotations

import random
from typing import Any

from callguide.facts import allowed_values, fact_paths

# Numbers the contract allows, with values around the rulebook's thresholds.
NUMBERS: dict[str, list[Any]] = {
    "person.age": [10, 12, 13, 14, 15, 16, 17, 18, 21, 25],
    "incident.damage_value_gbp": [0.0, 20.0, 99.0, 100.0, 101.0, 500.0, 999.0, 1000.0, 5000.0],
    "missing.hours_absent": [0.0, 1.0, 3.0, 6.0, 12.0, 24.0, 48.0, 72.0],
    "call.recent_calls": [0, 1, 3, 10],
}


def incidents(count: int, seed: int = 7, known_share: float = 0.5) -> list[dict[str, Any]]:
    """``count`` valid incident documents; each optional fact is known with ``known_share``."""
    rng = random.Random(seed)
    paths = list(fact_paths())
    out: list[dict[str, Any]] = []
    for _ in range(count):
        doc: dict[str, dict[str, Any]] = {}
        for path in paths:
            if path != "incident.kind" and rng.random() > known_share:
                continue
            values = allowed_values(path) or NUMBERS[path]
            section, name = path.split(".", 1)
            doc.setdefault(section, {})[name] = rng.choice(values)
        out.append(doc)
    return out
