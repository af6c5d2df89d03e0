"""``callguide rules check``: what loading cannot catch on its own.

Loading already refuses unknown fact names, values outside a fact's set, unknown parameters,
missing sources and derived facts nobody derives. Here each rule is also shown to be able to
fire: callguide builds an incident from the rule's own conditions (and, for rules that need a
derived fact, from the conditions of a rule that derives it), runs the real engine on it, and
reports the rule if it never fires. A rule that can never fire is advice nobody will ever get.
"""

from __future__ import annotations

from typing import Any

from .conditions import Conditions, FactTest
from .decision import Decider
from .facts import ORDINALS, InvalidFacts, allowed_values, parse_incident
from .rulebook import Rule, Rulebook


def check_rulebook(decider: Decider) -> list[str]:
    """Problems found, one line each; empty when the rulebook is sound."""
    problems: list[str] = []
    for rule in decider.book.rules:
        if not _can_fire(rule, decider):
            problems.append(f"{rule.file}:{rule.line}: rule {rule.id}: can never fire "
                            "(no incident built from its conditions triggers it)")
    from .tablelint import table_problems  # decision tables (the call check): no row shadowed

    return problems + table_problems(decider.book)


def _can_fire(rule: Rule, decider: Decider) -> bool:
    base = witness(rule, decider.book)
    if base is None:
        return False
    tries = [base] + [{**base, path: value}
                      for path, values in decider.question_values.items() if path not in base
                      for value in values]
    for known in tries:
        if _fires(rule, known, decider):
            return True
    return False


def _fires(rule: Rule, known: dict[str, Any], decider: Decider) -> bool:
    data: dict[str, dict[str, Any]] = {}
    for path, value in known.items():
        section, name = path.split(".", 1)
        data.setdefault(section, {})[name] = value
    try:
        decision = decider.decide(parse_incident(data), explain=True)
    except InvalidFacts:
        return False
    considered = {c.rule for c in decision.considered or []}
    return rule.id not in considered


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
        if value is _UNKNOWN:
            known.pop(path, None)
        elif path in known and known[path] != value:
            return None
        else:
            known[path] = value
    if depth == 0:
        known.setdefault("incident.kind", "other")
    return known


_UNKNOWN = object()


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
