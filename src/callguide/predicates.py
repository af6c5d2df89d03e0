"""The parsed conditions (``conditions.py``) as Python predicates over the known facts.

A decision asks many "what if we knew this fact?" questions, the call check runs decision tables,
and ``--explain`` says which condition stopped a rule. Running the engine for each would cost a
session per question; a generated Python expression costs microseconds. These predicates read
the contract's flat facts (``{"incident.injury": "minor", ...}``, plus ``outcome.recommendation``
after the policy) and give every test the meaning the engine gives it:

- a fact that is not known (absent or ``None``) never passes a positive test; ``not`` and
  ``not_in`` pass while it is unknown ("unknown or different"); ``known`` tests presence;
- values compare only within their JSON type (``true`` is not ``1``), as durable_rules compares;
- ``at_least``/``at_most`` (and the strict ``above``/``below``) compare numbers, or positions on
  an ordered scale (``ORDINALS``).

That they agree with the engine is checked for every decision (``decision.py`` compares the rules
they fire with the engine's firing) and by property tests.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Iterable

from .conditions import AnyOf, Conditions, FactTest
from .facts import ORDINALS

Facts = dict[str, Any]
Predicate = Callable[[Facts], bool]

# Each ordered scale as {value: position}; generated code looks positions up here.
_RANKS = {path: {value: i for i, value in enumerate(scale)} for path, scale in ORDINALS.items()}
_ORDER = {"at_least": ">=", "at_most": "<=", "above": ">", "below": "<"}


def predicate(conditions: Conditions) -> Predicate:
    """``conditions`` (all items; derived findings are the engine's join, not tested here)."""
    return _compiled(_all(conditions.items))


def tests_predicate(tests: Iterable[FactTest | AnyOf]) -> Predicate:
    """The conjunction of some of a rule's items (one fact's tests, one ``any`` group)."""
    return _compiled(_all(tuple(tests)))


@lru_cache(maxsize=65_536)
def _compiled(source: str) -> Predicate:
    """One generated function per distinct condition (rules and questions share many); pure, so shared."""
    scope = {"__builtins__": {}, "int": int, "float": float, "R": _RANKS}
    return eval(f"lambda f: {source}", scope)  # noqa: S307 - built from parsed, validated conditions


def _all(items: tuple[FactTest | AnyOf, ...]) -> str:
    return _join(" and ", [_item(item) for item in items])


def _item(item: FactTest | AnyOf) -> str:
    if isinstance(item, AnyOf):
        return _join(" or ", [_all(group.items) for group in item.groups]) if item.groups else "False"
    return _test(item)


def _test(test: FactTest) -> str:
    path, op, value = test.path, test.op, test.value
    if op == "known":
        return f"(f.get({path!r}) is {'not ' if value else ''}None)"
    if op == "is":
        return _equal(path, value)
    if op == "in":
        return _join(" or ", [_equal(path, v) for v in value])
    if op == "not":
        return f"(not {_equal(path, value)})"
    if op == "not_in":
        return f"(not {_join(' or ', [_equal(path, v) for v in value])})"
    if path in _RANKS:
        return f"((x := R[{path!r}].get(f.get({path!r}))) is not None and x {_ORDER[op]} {_RANKS[path][value]!r})"
    return f"((x := f.get({path!r})).__class__ in (int, float) and x {_ORDER[op]} {_number(value)})"


def _equal(path: str, value: Any) -> str:
    """The fact is known and equal to ``value``, compared within its JSON type."""
    get = f"(x := f.get({path!r}))"
    if isinstance(value, bool):
        return f"({get} is {value})"
    if isinstance(value, (int, float)):
        return f"({get}.__class__ in (int, float) and x == {_number(value)})"
    if isinstance(value, str):
        return f"({get} == {value!r})"
    raise ValueError(f"no Python meaning for the value {value!r}")


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    if value != value or value in (float("inf"), float("-inf")):
        return f"float('{value}')"
    return repr(value)


def _join(glue: str, parts: list[str]) -> str:
    return "(" + glue.join(parts) + ")" if parts else "True"
