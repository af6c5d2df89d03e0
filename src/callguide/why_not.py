"""Why a rule did not apply: the conditions that were false or unknown for these facts.

Each of a rule's parsed conditions (``conditions.py``: the tests on one fact, or one ``any``
group) is evaluated alone by ``predicates.py``, the Python reading of conditions the what-ifs
use and check against the engine; so the meaning of ``not``, ``at_least`` or an ``any`` group is
never written a second time here. For ``decide --explain`` (people who maintain the rules), so it
names facts by their contract path.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from .conditions import AnyOf, FactTest
from .decision import Decision
from .facts import Level
from .predicates import tests_predicate
from .rulebook import Rule, Rulebook, reads_outcome

OUTCOME = "outcome.recommendation"


def _value(path: str, known: dict[str, Any]) -> str:
    value = known.get(path)
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(test: FactTest) -> str:
    """The operand as the rule wrote it (``param.x`` for a parameter)."""
    if test.parameter:
        return f"param.{test.parameter}"
    if isinstance(test.value, list):
        return ", ".join(map(str, test.value))
    return str(test.value).lower() if isinstance(test.value, bool) else str(test.value)


def _test_words(tests: list[FactTest]) -> str:
    """The tests on one fact as written in the rule ('bladed', 'at least serious')."""
    words = []
    for test in tests:
        shown = _shown(test)
        words.append({"is": shown, "in": f"one of {shown}", "not": f"anything but {shown}",
                      "not_in": f"none of {shown}", "at_least": f"at least {shown}", "at_most": f"at most {shown}",
                      "above": f"more than {shown}", "below": f"less than {shown}",
                      "known": "it known" if test.value else "it unknown"}[test.op])
    return " and ".join(words)


def why_not(rule: Rule, known: dict[str, Any], level: Level, derived: set[str]) -> list[str]:
    """Each condition of ``rule`` that stopped it, in the rule's order
    ('incident.weapon is none (the rule needs at least bladed)')."""
    facts = {**known, OUTCOME: level.value} if reads_outcome(rule) else known
    # The findings it needs first: the rulebook writes ``derived`` before a rule's other conditions.
    stopped = [f"needs the finding '{name}', which no rule made"
               for name in rule.conditions.derived if name not in derived]
    # The tests on one fact sit side by side in the parsed conditions, as in the YAML.
    for _, group in groupby(rule.conditions.items, key=lambda item: getattr(item, "path", id(item))):
        items = list(group)
        if tests_predicate(items)(facts):
            continue
        if isinstance(items[0], AnyOf):
            stopped.append("none of its 'any' groups holds")
        else:
            path = items[0].path
            stopped.append(f"{path} is {_value(path, facts)} (the rule needs {_test_words(items)})")
    return stopped or ["its conditions hold, but it joins facts the engine did not assert together"]


def stopped_by(decision: Decision, known: dict[str, Any], book: Rulebook) -> dict[str, str]:
    """For each rule the decision considered and did not apply, the conditions that stopped it."""
    if decision.considered is None:
        return {}
    not_applied = {c.rule for c in decision.considered}
    derived = {name for rule in book.rules if rule.id not in not_applied for name in rule.then.derive}
    return {c.rule: "; ".join(why_not(book.rule(c.rule), known, decision.recommendation, derived))
            for c in decision.considered}
