"""Phase one of a decision: what the rulebook concludes from the known facts, before any words.

    known facts -> engine (stage 1: the incident's rules, forward chaining)
                -> policy (one level from the rules that fired)
                -> engine (stage 2: the after-incident rules, which read that level)
                -> :class:`Evaluation`

Each step is a function of the one before; the engine never calls back into the policy. The
explanation (``explanation.py``) and the questions (``questions.py``) read the evaluation, and
``decision.py`` puts them together into the public :class:`~callguide.decision.Decision`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .engine import Engine
from .facts import Level
from .policy import Resolution, resolve
from .rulebook import Rule, Rulebook

# Derived findings (rules/roles.yaml) that say the young person is not the one who did it; a
# bystander (someone else harmed someone else) gets neither a suspect's nor a victim's actions;
# when nobody knows who caused it (harmed_by: not_known) the young person is not assumed to have.
ROLE_FINDINGS = {"young_person_harmed": "victim", "young_person_patient": "patient",
                 "someone_else_caused_it": "bystander", "cause_not_known": "not_known",
                 "young_person_caused_harm": "suspect"}  # beside "patient": a crisis and harm to someone else


@dataclass(frozen=True)
class Evaluation:
    """What the rulebook concluded for one incident (internal: rules, not words)."""

    known: dict[str, Any]
    fired: list[Rule]        # stage 1, in firing order
    derived: list[str]       # the findings stage 1 derived
    resolution: Resolution   # the conflict policy's level and its decisive rules
    after: list[Rule]        # stage 2: the after-incident rules that fired for that level

    @property
    def level(self) -> Level:
        return self.resolution.level

    @property
    def roles(self) -> set[str]:
        return roles(self.derived)


def evaluate(engine: Engine, book: Rulebook, known: dict[str, Any]) -> Evaluation:
    """The known facts through the engine, the policy and the after-incident rules."""
    firing = engine.fire(known)
    fired = [book.rule(rule_id) for rule_id in firing.rules]
    resolution = resolve(fired)
    after = engine.fire_after(known, resolution.level.value, firing.derived)
    return Evaluation(known, fired, firing.derived, resolution, [book.rule(rule_id) for rule_id in after])


def roles(derived: list[str]) -> set[str]:
    """The young person's roles from the engine's findings: victim, patient, bystander, not known, else suspect."""
    found = {ROLE_FINDINGS[name] for name in derived if name in ROLE_FINDINGS}
    return found or {"suspect"}
