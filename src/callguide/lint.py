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
from .facts import InvalidFacts, parse_incident
from .rulebook import Rule
from .tablelint import table_problems
from .witness import witness


def check_rulebook(decider: Decider) -> list[str]:
    """Problems found, one line each; empty when the rulebook is sound."""
    problems: list[str] = []
    for rule in decider.book.rules:
        if not _can_fire(rule, decider):
            problems.append(f"{rule.file}:{rule.line}: rule {rule.id}: can never fire "
                            "(no incident built from its conditions triggers it)")
    return problems + table_problems(decider.book)  # decision tables (the call check): no row shadowed


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
