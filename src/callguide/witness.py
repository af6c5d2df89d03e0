"""Facts that satisfy a rule's (or a decision table row's) own conditions, for ``rules check``.

One way through the conditions: every top-level test, the first group of each ``any``, and for
each derived finding the conditions of a rule that derives it.
"""

from __future__ import annotations

from typing import Any

from .conditions import Conditions, FactTest
from .facts import ORDINALS, allowed_values
from .predicates import tests_predicate
from .rulebook import Rule, Rulebook


def witness(rule: Rule, book: Rulebook, depth: int = 0) -> dict[str, Any] | None:
    """Known facts that satisfy the rule's own conditions, or None if they contradict."""
    if depth > 5:
        return None
    known: dict[str, Any] = {}
    for name in rule.conditions.derived:
        producer = next((r for r in book.rules if name in r.then.derive), None)
        part = witness(producer, book, depth + 1) if producer else None
        if part is None:
            return None
        known.update(part)
    for test in _first_way(rule.conditions):
        path = test.path
        if path.startswith("outcome."):
            continue
        value = _satisfying(test)
        if value is _IMPOSSIBLE:  # above the top of its scale
            return None
        if value is _UNKNOWN:
            known.pop(path, None)
        elif path in known and known[path] != value:
            # Two tests on one fact ({above: 250, below: 1000}): keep a value both allow, or none.
            if tests_predicate([test])(known):
                continue
            if not all(tests_predicate([t])({path: value}) for t in _first_way(rule.conditions) if t.path == path):
                return None
            known[path] = value
        else:
            known[path] = value
    if depth == 0:
        known.setdefault("incident.kind", "other")
    return known


_UNKNOWN, _IMPOSSIBLE = object(), object()


def _first_way(conditions: Conditions) -> list[FactTest]:
    """The tests of one way to satisfy the conditions: all top-level tests, the first group of each ``any``."""
    found: list[FactTest] = []
    for item in conditions.items:
        found.extend([item] if isinstance(item, FactTest) else _first_way(item.groups[0]))
    return found


def _satisfying(test: FactTest) -> Any:
    op, value = test.op, test.value
    if op == "is":
        return value
    if op == "in":
        return value[0]
    if op in ("not", "not_in"):
        return _UNKNOWN
    if op in ("above", "below"):  # one step past the operand, on its scale or by one
        step = 1 if op == "above" else -1
        if test.path in ORDINALS:
            scale = ORDINALS[test.path]
            index = scale.index(value) + step
            return scale[index] if 0 <= index < len(scale) else _IMPOSSIBLE
        return int(value) + step if test.path == "person.age" else float(value) + step
    if op in ("at_least", "at_most"):
        if test.path in ORDINALS:
            return value
        if test.path == "person.age":
            return int(value)
        return float(value)
    if op == "known":
        if not value:
            return _UNKNOWN
        values = allowed_values(test.path)
        return values[0] if values else 1.0
    raise ValueError(op)
