"""What a rule's ``when:`` means: parsed once, at load, into typed conditions.

A ``when:`` block maps fact paths to tests::

    incident.kind: {in: [assault, threats]}          # in / not_in: one of a list
    incident.injury: {at_most: minor}                 # at_least / at_most: an ordered scale or a number
    incident.damage_value_gbp: {above: param.low_value_damage_gbp}   # above / below: strictly
    incident.damage_value_gbp: {at_most: param.low_value_damage_gbp}
    incident.child_calm_now: true                     # a bare value means "is"
    incident.risk_to_life: {not: true}                # not: unknown or different
    incident.victim: {known: true}                    # known: said at all
    any: [{...}, {...}]                               # at least one group holds
    derived: [home_matter]                            # findings other rules derived (top level only)

Everything else (the compiler, the what-ifs, lint, explanations, questions) reads the
:class:`Conditions` built here; nobody else strips ``param.`` or walks the raw YAML. A mistake is a
:class:`ConditionError` whose message names the fact and what is wrong; the loader adds file,
line and rule id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Literal, Mapping, Protocol, Union

from .facts import LEVEL_ORDER, ORDINALS, allowed_values, fact_paths

Op = Literal["is", "in", "not", "not_in", "at_least", "at_most", "above", "below", "known"]
OPS: tuple[str, ...] = ("is", "in", "not", "not_in", "at_least", "at_most", "above", "below", "known")
COMPARISONS = ("at_least", "at_most", "above", "below")  # on a number or an ordered scale
# Facts that only exist after the conflict policy has chosen a level (stage 2 of a decision).
OUTCOME_FACTS: dict[str, list[str]] = {"outcome.recommendation": [level.value for level in LEVEL_ORDER]}
PARAM = "param."


class ConditionError(ValueError):
    """A condition that cannot mean anything; the message says which fact and why."""


class HasValue(Protocol):
    value: float


@dataclass(frozen=True)
class FactTest:
    """One test on one fact. ``value`` is resolved: a parameter's number, never ``param.x``."""

    path: str
    op: Op
    value: Any
    parameter: str | None = None  # the parameter's name when the rule wrote ``param.x``


@dataclass(frozen=True)
class AnyOf:
    groups: tuple["Conditions", ...]


Item = Union[FactTest, AnyOf]


@dataclass(frozen=True)
class Conditions:
    items: tuple[Item, ...]
    derived: tuple[str, ...] = ()

    def tests(self) -> Iterator[FactTest]:
        """Every test, including those inside ``any`` groups."""
        for item in self.items:
            if isinstance(item, FactTest):
                yield item
            else:
                for group in item.groups:
                    yield from group.tests()

    def top_tests(self) -> list[FactTest]:
        """The tests that must all hold (not those inside ``any``)."""
        return [item for item in self.items if isinstance(item, FactTest)]

    def reads(self) -> list[str]:
        """The fact paths read, in the order written, each once."""
        return list(dict.fromkeys(test.path for test in self.tests()))

    def reads_outcome(self) -> bool:
        return any(path in OUTCOME_FACTS for path in self.reads())

    def terms(self) -> list[dict[str, list[FactTest]]]:
        """The conditions as alternatives, each all of its tests (each fact's together): they hold
        exactly when one alternative's tests all hold. Tests are only ever joined by "and" and "or"
        (``not`` is a test on one fact), so multiplying out the ``any`` groups loses nothing."""
        found: list[dict[str, list[FactTest]]] = [{}]
        for item in self.items:
            options = [{item.path: [item]}] if isinstance(item, FactTest) else [
                term for group in item.groups for term in group.terms()]
            found = [{path: term.get(path, []) + option.get(path, []) for path in {**term, **option}}
                     for term in found for option in options]
        return found

    def kinds(self) -> frozenset[str] | None:
        """The kinds of incident these conditions can match, from top-level ``incident.kind``
        ``is``/``in`` tests (None: any kind)."""
        kinds: frozenset[str] | None = None
        for test in self.top_tests():
            if test.path == "incident.kind" and test.op in ("is", "in"):
                these = frozenset([test.value] if test.op == "is" else test.value)
                kinds = these if kinds is None else kinds & these
        return kinds


def parse_when(when: Mapping[str, Any], parameters: Mapping[str, HasValue], top: bool = True) -> Conditions:
    """Parse and check one ``when:`` block (or one ``any`` group, with ``top=False``)."""
    if not isinstance(when, Mapping) or not when:
        raise ConditionError("a condition block needs at least one condition")
    items: list[Item] = []
    derived: tuple[str, ...] = ()
    for key, test in when.items():
        if key == "derived":
            if not top:
                raise ConditionError("'derived' cannot go inside 'any': each derived finding is a separate "
                                     "fact to the engine; write one rule per alternative instead")
            if not isinstance(test, list) or not all(isinstance(n, str) and n for n in test):
                raise ConditionError("'derived' takes a list of finding names")
            derived = tuple(test)
        elif key == "any":
            if not isinstance(test, list) or not test:
                raise ConditionError("'any' takes a list of condition groups")
            items.append(AnyOf(tuple(parse_when(group, parameters, top=False) for group in test)))
        else:
            items.extend(_tests(str(key), test, parameters))
    return Conditions(tuple(items), derived)


def _tests(path: str, test: Any, parameters: Mapping[str, HasValue]) -> list[FactTest]:
    if path not in fact_paths() and path not in OUTCOME_FACTS:
        raise ConditionError(f"'{path}' is not a fact in the contract")
    tests = test if isinstance(test, Mapping) else {"is": test}
    if not tests:
        raise ConditionError(f"{path}: an empty test")
    return [_test(path, str(op), operand, parameters) for op, operand in tests.items()]


def _test(path: str, op: str, operand: Any, parameters: Mapping[str, HasValue]) -> FactTest:
    if op not in OPS:
        raise ConditionError(f"{path}: unknown test '{op}' (use {', '.join(OPS)})")
    allowed = OUTCOME_FACTS.get(path) or allowed_values(path)
    if op == "known":
        if not isinstance(operand, bool):
            raise ConditionError(f"{path}: 'known' takes true or false")
        return FactTest(path, "known", operand)
    if op in ("in", "not_in"):
        if not isinstance(operand, list) or not operand:
            raise ConditionError(f"{path}: '{op}' takes a list of values")
        values = [_value(path, op, v, allowed, parameters)[0] for v in operand]
        return FactTest(path, op, values)  # type: ignore[arg-type]
    value, parameter = _value(path, op, operand, allowed, parameters)
    if op in COMPARISONS and allowed is not None and path not in ORDINALS:
        raise ConditionError(f"{path}: {op} needs a number or an ordered scale")
    return FactTest(path, op, value, parameter)  # type: ignore[arg-type]


def _value(path: str, op: str, operand: Any, allowed: list[Any] | None,
           parameters: Mapping[str, HasValue]) -> tuple[Any, str | None]:
    """The operand resolved and checked against the fact's type: (value, parameter name or None)."""
    if isinstance(operand, str) and operand.startswith(PARAM):
        name = operand[len(PARAM):]
        if name not in parameters:
            raise ConditionError(f"{path}: unknown parameter '{operand}'")
        if allowed is not None:
            raise ConditionError(f"{path}: a parameter is a number, but this fact is one of {allowed}")
        return parameters[name].value, name
    if allowed is None:  # a number
        if isinstance(operand, bool) or not isinstance(operand, (int, float)):
            hint = (f" (write param.{operand} for the parameter)" if isinstance(operand, str)
                    and operand in parameters else "")
            raise ConditionError(f"{path}: '{op}' needs a number or param.NAME, not {operand!r}{hint}")
        return operand, None
    if operand not in allowed or (isinstance(operand, bool) != isinstance(allowed[0], bool)):
        raise ConditionError(f"{path}: {operand!r} is not one of {allowed}")
    return operand, None
