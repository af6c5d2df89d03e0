"""From incident facts to the contract's decision object.

The layers are one-way: facts -> engine (forward chaining) -> policy (one level) -> explanation
(rationale, questions, actions, headline). The questions are computed, not written: the unknown
facts of the rules that could still fire, when answering them (alone, or with that rule's other
unknown conditions) would change the answer (``questions.py``; ``whatif.py`` evaluates the
compiled conditions, checked against the engine's own firing for every decision).
"""

from __future__ import annotations

import logging
import string
from collections import OrderedDict
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, Field

from .engine import Engine, Firing
from .facts import SAFETY_CRITICAL, Incident, Level, admissible, allowed_values, parse_incident
from .policy import Resolution, resolve
from .questions import QuestionFinder, QuestionOut
from .releases import RulebookRelease
from .rulebook import DEADLINE_ORDER, FIRST_ORDER, Rule, Rulebook, load_rulebook, reads_outcome
from .whatif import WhatIf

Role = Literal["decisive", "supporting", "outweighed", "also_applies"]


class Reason(BaseModel):
    rule: str
    because: str
    source: str
    title: str
    role: Role


class ActionOut(BaseModel):
    what: str
    by: str
    source: str
    id: str
    rule: str


class Considered(BaseModel):
    rule: str
    title: str
    source: str


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
    def decide(self, facts: Incident | dict[str, Any], explain: bool = False) -> Decision:
        incident = facts if isinstance(facts, Incident) else parse_incident(facts)
        known = incident.known()
        holder: dict[str, Resolution] = {}

        def outcome(stage_one: Firing) -> str:
            holder["r"] = resolve(self._rules(stage_one.rules))
            return holder["r"].level.value

        stage_one, stage_two = self.engine.run(known, outcome)
        resolution = holder["r"]
        fired = self._rules(stage_one.rules)
        actions = self._actions(fired + self._rules(stage_two.rules), known, roles(stage_one.derived))
        return Decision(
            recommendation=resolution.level,
            headline=self._headline(resolution, actions, known),
            rationale=self._rationale(resolution, fired, known),
            questions=self._questions(known, resolution.level, stage_one.rules),
            actions=actions,
            rulebook=self.book.version,
            rulebook_release=self.book.release,
            considered=self._considered(stage_one.rules + stage_two.rules) if explain else None,
        )

    def level(self, known: dict[str, Any]) -> Level:
        """Only the recommendation for known facts, from the engine (stage 1 and the policy), memoised.

        The what-ifs' fallback, the rulebook linter and the tests use it; ``decide`` does not.
        """
        key = tuple(sorted(known.items()))
        level = self._levels.get(key)
        if level is None:
            stage_one, _ = self.engine.run(known)
            level = self._levels[key] = resolve(self._rules(stage_one.rules)).level
            if len(self._levels) > LEVEL_CACHE_SIZE:
                self._levels.popitem(last=False)
        return level

    # -- explanation ------------------------------------------------------------------------
    def _rules(self, ids: list[str]) -> list[Rule]:
        return [self.book.rule(rule_id) for rule_id in ids]

    def _headline(self, resolution: Resolution, actions: list[ActionOut], known: dict[str, Any]) -> str:
        """The level's lead and the decisive rule's title; the lead agrees with the first action.

        When the first action is a rule's check to do before calling (``first: check``), that
        rule's ``headline`` replaces the lead ("Do these checks now, then call 101 ..."); a 999
        answer always keeps its own words.
        """
        lead = self.book.vocabulary.level(resolution.level).lead
        leader = self.book.rule(actions[0].rule) if actions else None
        if leader is not None and leader.then.headline and resolution.level is not Level.call_999:
            lead = render(leader.then.headline, known, self.book)
        title = resolution.decisive[0].title if resolution.decisive else ""
        reason = (title[:1].lower() + title[1:]).rstrip(".")
        return f"{lead}: {reason}." if reason else f"{lead}."

    def _rationale(self, resolution: Resolution, fired: list[Rule], known: dict[str, Any]) -> list[Reason]:
        ordered: list[tuple[Rule, Role]] = [(rule, "decisive") for rule in resolution.decisive]
        ordered += [(rule, "supporting") for rule in self._chain(resolution.decisive, fired)]
        listed = {rule.id for rule, _ in ordered}
        ordered += [(rule, "outweighed") for rule in resolution.outweighed
                    if not rule.then.default and rule.id not in listed]
        listed = {rule.id for rule, _ in ordered}
        ordered += [(rule, "also_applies") for rule in fired
                    if rule.id not in listed and not rule.then.default and _also_applies(rule, resolution.level)]
        return [Reason(rule=rule.id, because=render(rule.because, known, self.book), source=rule.source,
                       title=rule.title, role=role) for rule, role in ordered]

    def _chain(self, decisive: list[Rule], fired: list[Rule]) -> list[Rule]:
        """The fired rules whose derived conclusions the decisive rules rely on, transitively."""
        needed = [name for rule in decisive for name in rule.conditions.derived]
        chain: list[Rule] = []
        seen = {rule.id for rule in decisive}
        while needed:
            name = needed.pop(0)
            for rule in fired:
                if name in rule.then.derive and rule.id not in seen:
                    seen.add(rule.id)
                    chain.append(rule)
                    needed.extend(rule.conditions.derived)
        return chain

    def _actions(self, rules: list[Rule], known: dict[str, Any], held: set[str]) -> list[ActionOut]:
        actions: dict[str, ActionOut] = {}
        first: dict[str, str | None] = {}
        for rule in rules:
            for action in rule.then.actions:
                if action.for_ and not held & set(action.for_):
                    continue  # e.g. a suspect's "put it right" talk when the young person was harmed
                first.setdefault(action.id, action.first)
                actions.setdefault(action.id, ActionOut(
                    what=render(action.what, known, self.book), by=action.by, source=action.source,
                    id=action.id, rule=rule.id))
        # The call itself first, then medical help, then a check to do before calling, then by
        # deadline. Among equally first actions the level's own (a rule reading outcome.*, such as
        # "Call 999 now") leads; the rest keep the rules' order.
        def key(a: ActionOut) -> tuple[int, int, bool]:
            own = first[a.id] is not None and reads_outcome(self.book.rule(a.rule))
            return FIRST_ORDER.index(first[a.id]), DEADLINE_ORDER.index(a.by), first[a.id] is not None and not own
        return sorted(actions.values(), key=key)

    def _considered(self, fired_ids: list[str]) -> list[Considered]:
        fired = set(fired_ids)
        return [Considered(rule=r.id, title=r.title, source=r.source) for r in self.book.rules if r.id not in fired]

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
                    for value in (test.value if isinstance(test.value, list) else [test.value]):
                        if isinstance(value, (int, float)) and not isinstance(value, bool):
                            thresholds.setdefault(path, set()).update({max(0.0, value - 1), value, value + 1})
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

    def _questions(self, known: dict[str, Any], level: Level, fired: list[str]) -> list[QuestionOut]:
        """The unknown facts that could change the answer, alone or together (``questions.py``).

        The what-ifs evaluate the compiled conditions in Python (``whatif.WhatIf``), but only after
        checking that they give exactly the rules the engine fired for ``known``; if they ever
        disagree, every what-if runs the engine instead, as it always could.
        """
        base = self._what_if.start(known)
        admitted = base.admitted()
        if base.fired_ids() == set(fired):
            return self._finder.find(known, base.flat, base.fired_indices(), admitted, level,
                                     base.level, base.level_with)
        log.warning("what-if evaluation disagrees with the engine; using engine runs (rules %s vs %s)",
                    sorted(base.fired_ids()), sorted(fired))
        index = {rule.id: i for i, rule in enumerate(self._what_if.rules)}
        return self._finder.find(
            known, base.flat, {index[r] for r in fired if r in index}, admitted, level,
            lambda path, value: self.level({**known, path: value}),
            lambda assignment: self.level({**known, **assignment}))


# Derived findings (rules/roles.yaml) that say the young person is not the one who did it; a
# bystander (someone else harmed someone else) gets neither a suspect's nor a victim's actions.
ROLE_FINDINGS = {"young_person_harmed": "victim", "young_person_patient": "patient",
                 "someone_else_caused_it": "bystander"}


def roles(derived: list[str]) -> set[str]:
    """The young person's roles from the engine's findings: victim, patient, else suspect."""
    found = {ROLE_FINDINGS[name] for name in derived if name in ROLE_FINDINGS}
    return found or {"suspect"}


def applied_rules(decision: Decision, book: Rulebook) -> list[str]:
    """The ids of the rules that applied, in rulebook order (the decision must be made with explain)."""
    if decision.considered is None:
        raise ValueError("applied_rules needs a decision made with explain=True")
    not_applied = {c.rule for c in decision.considered}
    return [rule.id for rule in book.rules if rule.id not in not_applied]


def _also_applies(rule: Rule, level: Level) -> bool:
    """Worth listing after the decisive rules: it points the same way, or it adds a finding."""
    if rule.then.recommend is not None:
        return rule.then.recommend == level
    return bool(rule.then.derive)


class _FactFormatter(string.Formatter):
    """Fills ``{incident.damage_value_gbp}`` and ``{param.x}`` in a rule's reason."""

    def __init__(self, known: dict[str, Any], book: Rulebook):
        self.known, self.book = known, book

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        if field_name.startswith(("words.", "Words.")) and self.book.vocabulary is not None:
            return self.book.vocabulary.fill("{" + field_name + "}", self.known), field_name
        if field_name.startswith("param."):
            return plain(self.book.parameters[field_name[6:]].value), field_name
        return plain(self.known.get(field_name, "unknown")), field_name


def plain(value: Any) -> str:
    """A fact or parameter value as a person reads it (40.0 -> "40", criminal_damage -> "criminal damage")."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, float)):
        return f"{value:,}"
    return str(value).replace("_", " ")


def render(template: str, known: dict[str, Any], book: Rulebook) -> str:
    if "{" not in template:  # most reasons and actions quote no facts
        return template
    return _FactFormatter(known, book).format(template)
