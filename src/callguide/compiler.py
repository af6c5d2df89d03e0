"""Compiling rules into durable_rules ruleset definitions.

Each rule becomes one durable_rules rule. Its conditions on the incident become a single
``$and`` over the one ``incident`` fact (durable_rules joins every ``all`` entry to a *different*
fact), and each derived conclusion it needs becomes one more entry matching a ``derived`` fact
that another rule asserted. That is where the forward chaining happens: a rule's action asserts
its conclusions, and the engine fires the rules waiting on them.

Unknown facts are absent from the asserted fact, and durable_rules never matches an absent
property with ``$neq``; "not true" therefore compiles to "absent or different".
"""

from __future__ import annotations

from typing import Any

from .conditions import AnyOf, Conditions
from .facts import ORDINALS
from .rulebook import Rule, Rulebook, reads_outcome

INCIDENT = "incident"
DERIVED = "derived"
OUTCOME = "outcome"


def engine_path(path: str) -> str:
    """Where a contract fact lives in the asserted fact (ordinals become numbers)."""
    return f"{path}_level" if path in ORDINALS else path


def engine_fact(known: dict[str, Any]) -> dict[str, Any]:
    """The one ``incident`` fact asserted for a decision, from the known facts."""
    nested: dict[str, Any] = {"t": INCIDENT}
    for path, value in known.items():
        section, name = path.split(".", 1)
        if path in ORDINALS:
            name, value = f"{name}_level", ORDINALS[path].index(value)
        nested.setdefault(section, {})[name] = value
    return nested


def compile_rulebook(book: Rulebook) -> dict[str, dict[str, Any]]:
    """``{rule_id: durable_rules rule}`` without ``run`` (the adapter attaches actions)."""
    return {rule.id: compile_rule(rule, book) for rule in book.rules}


def compile_rule(rule: Rule, book: Rulebook) -> dict[str, Any]:
    conditions = rule.conditions
    fact_type = OUTCOME if reads_outcome(rule) else INCIDENT
    entries: list[dict[str, Any]] = []
    if conditions.items:
        terms = [{"t": fact_type}] + _terms(conditions)
        entries.append({"m": {"$and": terms}})
    for index, name in enumerate(conditions.derived):
        entries.append({f"d{index}": {"$and": [{"t": DERIVED}, {"name": name}]}})
    return {"all": entries}


def _terms(conditions: Conditions) -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = []
    for item in conditions.items:
        if isinstance(item, AnyOf):
            groups = [{"$and": _terms(group) or [{"t": INCIDENT}]} for group in item.groups]
            terms.append({"$or": groups})
        else:
            terms.append(_one_test(item.path, item.op, item.value))
    return terms


def _one_test(path: str, op: str, operand: Any) -> dict[str, Any]:
    target = engine_path(path)
    if path in ORDINALS and op in ("is", "in", "not", "not_in", "at_least", "at_most"):
        scale = ORDINALS[path]
        operand = [scale.index(v) for v in operand] if isinstance(operand, list) else scale.index(operand)
    if op == "is":
        return {target: operand}
    if op == "in":
        return {"$or": [{target: value} for value in operand]}
    if op == "not":
        return {"$or": [{"$nex": {target: 1}}, {"$neq": {target: operand}}]}
    if op == "not_in":
        return {"$or": [{"$nex": {target: 1}}, {"$and": [{"$neq": {target: v}} for v in operand]}]}
    if op == "at_least":
        return {"$gte": {target: operand}}
    if op == "at_most":
        return {"$lte": {target: operand}}
    if op == "known":
        return {"$ex": {target: 1}} if operand else {"$nex": {target: 1}}
    raise ValueError(f"unknown test {op}")


# -- the same compiled conditions as Python predicates ----------------------------------------
# decision.py asks many "what if we knew this fact?" questions per decision. Re-running the
# engine for each costs a session per question; evaluating the *compiled* conditions (the very
# JSON given to durable_rules) in Python costs a few microseconds. Only the operators this
# compiler emits are understood, with durable_rules' meaning: a test on an absent property is
# false (except ``$nex``), and values compare only within their JSON type (``true`` is not 1).

Predicate = Any  # Callable[[dict[str, Any]], bool] over the flattened fact


def flat_fact(fact: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"incident": {"injury_level": 2}}`` -> ``{"incident.injury_level": 2}`` (durable_rules' dotted paths)."""
    flat: dict[str, Any] = {}
    for key, value in fact.items():
        if isinstance(value, dict):
            flat.update(flat_fact(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def predicate(term: dict[str, Any]) -> Predicate:
    """A compiled condition term as a function of the flattened fact (generated Python)."""
    scope = {"__builtins__": {}, "int": int, "float": float, "bool": bool}
    return eval(f"lambda f: {_source(term)}", scope)  # noqa: S307 - built from our own terms


def _source(term: dict[str, Any]) -> str:
    """One Python boolean expression over ``f`` for a condition term; constants via repr()."""
    if len(term) != 1:
        return _join(" and ", [_source({k: v}) for k, v in term.items()])
    (key, operand), = term.items()
    if key == "$and":
        return _join(" and ", [_source(t) for t in operand])
    if key == "$or":
        return _join(" or ", [_source(t) for t in operand]) if operand else "False"
    if key in ("$ex", "$nex"):
        (path, _), = operand.items()
        return f"({_const(path)} {'in' if key == '$ex' else 'not in'} f)"
    (path, value), = operand.items() if key.startswith("$") else [(key, operand)]
    get = f"(x := f.get({_const(path)}))"
    if key in _ORDER:
        if not _number(value):
            return "False"
        return f"({get}.__class__ in (int, float) and x {_ORDER[key]} {_const(value)})"
    if key == "$neq":
        if isinstance(value, bool):
            return f"({get} is not None and x is not {value})"
        if _number(value):
            return f"({get} is not None and (x.__class__ is bool or x != {_const(value)}))"
        return f"({get} is not None and x != {_const(value)})"
    if key.startswith("$"):
        raise ValueError(f"no Python meaning for durable_rules operator {key}")
    if isinstance(value, bool):
        return f"({get} is {value})"
    if _number(value):
        return f"({get} is not None and x.__class__ is not bool and x == {_const(value)})"
    if isinstance(value, str):
        return f"({get} == {_const(value)})"
    raise ValueError(f"no Python meaning for the value {value!r}")


def _join(glue: str, parts: list[str]) -> str:
    return "(" + glue.join(parts) + ")" if parts else "True"


def _const(value: Any) -> str:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return f"float('{value}')"
    if isinstance(value, str) or _number(value):
        return repr(value)
    raise ValueError(f"no Python meaning for the value {value!r}")


def reads(term: Any) -> set[str]:
    """The fact paths a compiled condition term looks at."""
    found: set[str] = set()
    if isinstance(term, list):
        for t in term:
            found |= reads(t)
    elif isinstance(term, dict):
        for key, operand in term.items():
            if key in ("$and", "$or"):
                found |= reads(operand)
            elif key.startswith("$"):
                found |= set(operand)
            else:
                found.add(key)
    return found


_ORDER = {"$gte": ">=", "$lte": "<=", "$gt": ">", "$lt": "<"}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
