"""From incident facts to the contract's decision object.

A straight pipe of typed steps, each a function of the one before:

    Incident -> known facts -> evaluate (engine, policy, after-incident rules: ``evaluation.py``)
             -> explanation (rationale, actions, headline: ``explanation.py``)
             -> questions (``questions.py``) -> Decision

The questions are computed, not written: the unknown facts of the rules that could still fire,
when answering them (alone, or with that rule's other unknown conditions) would change the answer
(``questions.py``; ``whatif.py`` evaluates the parsed conditions, checked against the engine's own
firing for every decision).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from functools import cached_property
from typing import Any, Iterable

from pydantic import BaseModel, Field

from . import explanation
from .engine import Engine
from .evaluation import Evaluation, evaluate
from .explanation import ActionOut, Considered, Reason
from .facts import SAFETY_CRITICAL, Incident, Level, admissible, allowed_values, parse_incident
from .policy import resolve
from .questions import QuestionFinder, QuestionOut
from .releases import RulebookRelease
from .rulebook import Rulebook, load_rulebook
from .whatif import WhatIf


class Decision(BaseModel):
    recommendation: Level
    headline: str
    rationale: list[Reason] = Field(min_length=1)
    questions: list[QuestionOut]
    actions: list[ActionOut]
    rulebook: str
    rulebook_release: RulebookRelease | None = Field(None, description=(
        "The reviewed release of the rulebook that decided: reviewed is true only when practitioners "
        "signed off this exact rulebook sha (rules/releases.yaml)."))
    considered: list[Considered] | None = Field(
        None, description="Rules that did not apply (only with explain).")


LEVEL_CACHE_SIZE = 50_000
log = logging.getLogger(__name__)


class Decider:
    """Decides incidents with one compiled rulebook. Safe to share between threads."""

    def __init__(self, book: Rulebook | None = None, engine: Engine | None = None):
        self.book = book or load_rulebook()
        self.engine = engine or Engine(self.book)
        self._levels: OrderedDict[tuple, Level] = OrderedDict()

    # -- public -----------------------------------------------------------------------------
    def decide(self, facts: Incident | dict[str, Any], explain: bool = False,
               settled: Iterable[str] = ()) -> Decision:
        """``settled``: unknown facts that stay unknown (a carer answered "I don't know"); the
        questions leave out those that could change the answer only if one of them were known,
        but never a safety-critical question that could raise it, nor one that could make it 999."""
        incident = facts if isinstance(facts, Incident) else parse_incident(facts)
        return self.decision(self.evaluate(incident.known()), explain, frozenset(settled))

    def evaluate(self, known: dict[str, Any]) -> Evaluation:
        """Phase one: the rules that fired, the policy's level and the after-incident rules."""
        return evaluate(self.engine, self.book, known)

    def decision(self, evaluation: Evaluation, explain: bool = False,
                 settled: frozenset[str] = frozenset()) -> Decision:
        """Phase two: the words, actions and questions for an evaluation."""
        book = self.book
        actions = explanation.actions(evaluation, book)
        return Decision(
            recommendation=evaluation.level,
            headline=explanation.headline(evaluation, actions, book),
            rationale=explanation.rationale(evaluation, book),
            questions=self._questions(evaluation, settled),
            actions=actions,
            rulebook=book.version,
            rulebook_release=book.release,
            considered=explanation.considered(evaluation, book) if explain else None,
        )

    def level(self, known: dict[str, Any]) -> Level:
        """Only the recommendation for known facts, from the engine (stage 1 and the policy), memoised.

        The what-ifs' fallback, the call check's what-ifs, `rules diff`'s call checks, the rulebook linter and the
        tests use it; ``decide`` does not.
        """
        key = tuple(sorted(known.items()))
        level = self._levels.get(key)
        if level is None:
            fired = self.engine.fire(known).rules
            level = self._levels[key] = resolve([self.book.rule(rule_id) for rule_id in fired]).level
            if len(self._levels) > LEVEL_CACHE_SIZE:
                self._levels.popitem(last=False)
        return level

    # -- questions --------------------------------------------------------------------------
    @cached_property
    def question_values(self) -> dict[str, list[Any]]:
        """For each fact a stage-1 rule reads, the values worth trying in a what-if."""
        thresholds: dict[str, set[float]] = {}
        paths: list[str] = []
        for rule in self.book.rules:
            for test in rule.conditions.tests():
                path = test.path
                if path.startswith("outcome.") or path == "incident.kind":
                    continue
                if path not in paths:
                    paths.append(path)
                if allowed_values(path) is None:
                    thresholds.setdefault(path, set()).update(_edges(test.value))
        order = {path: i for i, path in enumerate(SAFETY_CRITICAL)}
        paths.sort(key=lambda p: (order.get(p, len(order)), p))
        return {path: allowed_values(path) or [v for v in sorted(thresholds.get(path, {0.0})) if admissible(path, v)]
                for path in paths}

    @cached_property
    def _what_if(self) -> WhatIf:
        return WhatIf(self.book)

    @cached_property
    def _finder(self) -> QuestionFinder:
        return QuestionFinder(self.book, self._what_if.rules, self.question_values)

    def _questions(self, evaluation: Evaluation, settled: frozenset[str] = frozenset()) -> list[QuestionOut]:
        """The questions (below), less those that need a ``settled`` fact to change the answer."""
        listed = self._all_questions(evaluation)
        if not settled:
            return listed
        still = {q.fact for q in self._all_questions(evaluation, settled)}
        level = evaluation.level
        return [q for q in listed if q.fact not in settled and (
            q.fact in still or q.would_become is Level.call_999
            or (q.safety_critical and q.would_become.rank > level.rank))]

    def _all_questions(self, evaluation: Evaluation, settled: frozenset[str] = frozenset()) -> list[QuestionOut]:
        """The unknown facts that could change the answer, alone or together (``questions.py``).

        The what-ifs evaluate the compiled conditions in Python (``whatif.WhatIf``), but only after
        checking that they give exactly the rules the engine fired for ``known``; if they ever
        disagree, every what-if runs the engine instead, as it always could.
        """
        known, level = evaluation.known, evaluation.level
        fired = [rule.id for rule in evaluation.fired]
        base = self._what_if.start(known)
        engine_fired = self._what_if.mask_of(fired)
        # The same rules, and none the what-ifs do not know (mask_of leaves those out).
        if engine_fired == base.fired and engine_fired.bit_count() == len(fired):
            return self._finder.find(known, base.fired, base.admitting, level, base.levels, base.level_with, settled)
        log.warning("what-if evaluation disagrees with the engine; using engine runs (rules %s vs %s)",
                    sorted(base.fired_ids()), sorted(fired))
        return self._finder.find(
            known, engine_fired, base.admitting, level,
            lambda path, values: [self.level({**known, path: value}) for value in values],
            lambda assignment: self.level({**known, **assignment}), settled)


def _edges(operand: Any) -> set[float]:
    """The numbers worth trying around a test's operand: a threshold, one below and one above; for
    a list of whole numbers, each run of consecutive ones at its two ends and just outside them
    (ages 18 to 25 are one answer to a list test; trying each would multiply the what-ifs)."""
    numbers = sorted(v for v in (operand if isinstance(operand, list) else [operand])
                     if isinstance(v, (int, float)) and not isinstance(v, bool))
    if not all(float(v).is_integer() for v in numbers):
        return {x for v in numbers for x in (max(0.0, v - 1), v, v + 1)}
    edges: set[float] = set()
    for i, v in enumerate(numbers):
        if i == 0 or numbers[i - 1] != v - 1:  # a run starts
            edges.update({max(0.0, v - 1), v})
        if i == len(numbers) - 1 or numbers[i + 1] != v + 1:  # a run ends
            edges.update({v, v + 1})
    return edges


def applied_rules(decision: Decision, book: Rulebook) -> list[str]:
    """The ids of the rules that applied, in rulebook order (the decision must be made with explain)."""
    if decision.considered is None:
        raise ValueError("applied_rules needs a decision made with explain=True")
    not_applied = {c.rule for c in decision.considered}
    return [rule.id for rule in book.rules if rule.id not in not_applied]
