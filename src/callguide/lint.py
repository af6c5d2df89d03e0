"""``callguide rules check``: what loading cannot catch on its own.

Loading already refuses unknown fact names, values outside a fact's set, unknown parameters,
missing sources and derived facts nobody derives. Here each rule is also shown to be able to
fire: callguide builds an incident from the rule's own conditions (and, for rules that need a
derived fact, from the conditions of a rule that derives it), runs the real engine on it, and
reports the rule if it never fires. A rule that can never fire is advice nobody will ever get.
"""

from __future__ import annotations

from typing import Any

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
    for name in rule.when.get("derived", []):
        producer = next((r for r in book.rules if name in r.then.derive), None)
        part = witness(producer, book, depth + 1) if producer else None
        if part is None:
            return None
        known.update(part)
    for path, test in _flat(rule.when):
        if path.startswith("outcome."):
            continue
        value = _satisfying(path, test, book)
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


def _flat(when: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for key, test in when.items():
        if key == "any":
            found.extend(_flat(test[0]))
        elif key != "derived":
            found.append((key, test))
    return found


def _satisfying(path: str, test: Any, book: Rulebook) -> Any:
    tests = test if isinstance(test, dict) else {"is": test}
    op, operand = next(iter(tests.items()))
    if isinstance(operand, str) and operand.startswith("param."):
        operand = book.parameters[operand[6:]].value
    if op == "is":
        return operand
    if op == "in":
        return operand[0]
    if op in ("not", "not_in"):
        return _UNKNOWN
    if op in ("at_least", "at_most"):
        if path in ORDINALS:
            return operand
        if path == "person.age":
            return int(operand)
        return float(operand)
    if op == "known":
        if not operand:
            return _UNKNOWN
        values = allowed_values(path)
        return values[0] if values else 1.0
    raise ValueError(op)

