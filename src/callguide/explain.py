"""Why a rule did not apply: the conditions that were false or unknown for these facts.

Each condition of a rule is compiled alone by the compiler (the very terms durable_rules gets)
and evaluated as a Python predicate over the asserted fact, the way ``whatif.py`` does; so the
meaning of ``not``, ``at_least`` or an ``any`` group is never written a second time here.
For ``decide --explain`` (people who maintain the rules), so it names facts by their contract path.
"""

from __future__ import annotations

from typing import Any

from .compiler import compile_rule, engine_fact, flat_fact, predicate
from .decision import Decision
from .facts import Level
from .rulebook import Rule, Rulebook, reads_outcome

OUTCOME = "outcome.recommendation"


def _holds(rule: Rule, key: str, test: Any, flat: dict[str, Any], book: Rulebook) -> bool:
    one = rule.model_copy(update={"when": {key: test}})
    entries = compile_rule(one, book)["all"]
    # The fact-type term ({"t": ...}) says which asserted fact is meant; both are in ``flat`` here.
    terms = [t for entry in entries if "m" in entry for t in entry["m"]["$and"] if "t" not in t]
    return predicate({"$and": terms})(flat)


def _value(path: str, known: dict[str, Any]) -> str:
    value = known.get(path)
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _test_words(test: Any) -> str:
    """The test as written in the rule ('bladed', 'at least serious')."""
    tests = test if isinstance(test, dict) else {"is": test}
    words = []
    for op, operand in tests.items():
        shown = ", ".join(map(str, operand)) if isinstance(operand, list) else str(operand).lower() \
            if isinstance(operand, bool) else str(operand)
        words.append({"is": shown, "in": f"one of {shown}", "not": f"anything but {shown}",
                      "not_in": f"none of {shown}", "at_least": f"at least {shown}", "at_most": f"at most {shown}",
                      "known": "it known" if operand else "it unknown"}.get(op, f"{op} {shown}"))
    return " and ".join(words)


def why_not(rule: Rule, known: dict[str, Any], level: Level, derived: set[str], book: Rulebook) -> list[str]:
    """Each condition of ``rule`` that stopped it, in the rule's order
    ('incident.weapon is none (the rule needs at least bladed)')."""
    facts = {**known, OUTCOME: level.value} if reads_outcome(rule) else known
    # The engine asserts the outcome inside the incident fact for stage 2 (engine.run).
    flat = flat_fact({**engine_fact(known), "outcome": {"recommendation": level.value}})
    stopped: list[str] = []
    for key, test in rule.when.items():
        if key == "derived":
            missing = [name for name in test if name not in derived]
            stopped += [f"needs the finding '{name}', which no rule made" for name in missing]
        elif key == "any":
            if not _holds(rule, key, test, flat, book):
                stopped.append("none of its 'any' groups holds")
        elif not _holds(rule, key, test, flat, book):
            stopped.append(f"{key} is {_value(key, facts)} (the rule needs {_test_words(test)})")
    return stopped or ["its conditions hold, but it joins facts the engine did not assert together"]


def stopped_by(decision: Decision, known: dict[str, Any], book: Rulebook) -> dict[str, str]:
    """For each rule the decision considered and did not apply, the conditions that stopped it."""
    if decision.considered is None:
        return {}
    not_applied = {c.rule for c in decision.considered}
    derived = {name for rule in book.rules if rule.id not in not_applied for name in rule.then.derive}
    return {c.rule: "; ".join(why_not(book.rule(c.rule), known, decision.recommendation, derived, book))
            for c in decision.considered}
