"""From incident facts to the contract's decision object.

The layers are one-way: facts -> engine (forward chaining) -> policy (one level) -> explanation
(rationale, questions, actions, headline). The questions are computed, not written: for each
unknown fact the rules read, callguide asks "what would the answer be if we knew it?" by
running the engine again with that fact set, so a question is listed only when it matters.
"""

from __future__ import annotations

import logging
import string
from collections import OrderedDict
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, Field

from .compiler import compile_rulebook, engine_fact, engine_path, flat_fact, predicate, reads
from .engine import Engine, Firing
from .facts import ORDINALS, SAFETY_CRITICAL, Incident, Level, allowed_values, parse_incident
from .policy import Resolution, resolve
from .rulebook import DEADLINE_ORDER, Rule, Rulebook, iter_conditions, load_rulebook

Role = Literal["decisive", "supporting", "outweighed", "also_applies"]


class Reason(BaseModel):
    rule: str
    because: str
    source: str
    title: str
    role: Role


class QuestionOut(BaseModel):
    fact: str
    ask: str
    would_become: Level
    safety_critical: bool = False


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
    considered: list[Considered] | None = Field(
        None, description="Rules that did not apply (only with explain).")


LEADS: dict[Level, str] = {
    Level.call_999: "Call 999 now",
    Level.call_101: "Call the police on 101 now (not 999)",
    Level.report_later: "Don't call the police now",
    Level.no_police: "No need for the police; respond at home as a parent would",
}

WHAT_IF_CACHE_SIZE = 50_000
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
        self._remember(known, resolution.level)
        return Decision(
            recommendation=resolution.level,
            headline=self._headline(resolution, known),
            rationale=self._rationale(resolution, fired, known),
            questions=self._questions(known, resolution.level, stage_one.rules),
            actions=self._actions(fired + self._rules(stage_two.rules), known),
            rulebook=self.book.version,
            considered=self._considered(stage_one.rules + stage_two.rules) if explain else None,
        )

    def level(self, known: dict[str, Any]) -> Level:
        """Only the recommendation for known facts (stage 1 and the policy), memoised."""
        key = tuple(sorted(known.items()))
        cached = self._levels.get(key)
        if cached is not None:
            return cached
        stage_one, _ = self.engine.run(known)
        level = resolve(self._rules(stage_one.rules)).level
        self._remember(known, level, key)
        return level

    # -- explanation ------------------------------------------------------------------------
    def _rules(self, ids: list[str]) -> list[Rule]:
        return [self.book.rule(rule_id) for rule_id in ids]

    def _remember(self, known: dict[str, Any], level: Level, key: tuple | None = None) -> None:
        self._levels[key or tuple(sorted(known.items()))] = level
        if len(self._levels) > WHAT_IF_CACHE_SIZE:
            self._levels.popitem(last=False)

    def _headline(self, resolution: Resolution, known: dict[str, Any]) -> str:
        lead = LEADS[resolution.level]
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
        needed = [name for rule in decisive for name in rule.when.get("derived", [])]
        chain: list[Rule] = []
        seen = {rule.id for rule in decisive}
        while needed:
            name = needed.pop(0)
            for rule in fired:
                if name in rule.then.derive and rule.id not in seen:
                    seen.add(rule.id)
                    chain.append(rule)
                    needed.extend(rule.when.get("derived", []))
        return chain

    def _actions(self, rules: list[Rule], known: dict[str, Any]) -> list[ActionOut]:
        actions: dict[str, ActionOut] = {}
        for rule in rules:
            for action in rule.then.actions:
                actions.setdefault(action.id, ActionOut(
                    what=render(action.what, known, self.book), by=action.by, source=action.source,
                    id=action.id, rule=rule.id))
        return sorted(actions.values(), key=lambda a: DEADLINE_ORDER.index(a.by))

    def _considered(self, fired_ids: list[str]) -> list[Considered]:
        fired = set(fired_ids)
        return [Considered(rule=r.id, title=r.title, source=r.source) for r in self.book.rules if r.id not in fired]

    # -- questions --------------------------------------------------------------------------
    @cached_property
    def _candidates(self) -> dict[str, list[Any]]:
        """For each fact a stage-1 rule reads, the values worth trying in a what-if."""
        thresholds: dict[str, set[float]] = {}
        paths: list[str] = []
        for rule in self.book.rules:
            for path, test in iter_conditions(rule.when):
                if path.startswith("outcome.") or path == "incident.kind":
                    continue
                if path not in paths:
                    paths.append(path)
                if allowed_values(path) is None:
                    for op, operand in (test.items() if isinstance(test, dict) else [("is", test)]):
                        value = self.book.parameters[operand[6:]].value if isinstance(operand, str) else operand
                        if isinstance(value, (int, float)) and not isinstance(value, bool):
                            thresholds.setdefault(path, set()).update({max(0.0, value - 1), value, value + 1})
        order = {path: i for i, path in enumerate(SAFETY_CRITICAL)}
        paths.sort(key=lambda p: (order.get(p, len(order)), p))
        return {path: allowed_values(path) or sorted(thresholds.get(path, {0.0})) for path in paths}

    @cached_property
    def _what_if(self) -> "_WhatIf":
        return _WhatIf(self.book)

    def _questions(self, known: dict[str, Any], level: Level, fired: list[str] | None = None) -> list[QuestionOut]:
        level_if = self._level_if(known, fired)
        found: list[tuple[tuple, QuestionOut]] = []
        for index, (path, values) in enumerate(self._candidates.items()):
            if path in known or (path.startswith("missing.") and known.get("incident.kind") != "missing"):
                continue
            outcomes = [level_if(path, value) or level for value in values]
            changed = [o for o in outcomes if o != level]
            if not changed:
                continue
            raised = [o for o in changed if o.rank > level.rank]
            would = max(raised, key=lambda o: o.rank) if raised else min(changed, key=lambda o: o.rank)
            critical = path in SAFETY_CRITICAL
            key = (0 if raised and critical else 1 if raised else 2, -would.rank if raised else would.rank, index)
            ask = self.book.questions[path].ask if path in self.book.questions else f"What is {path}?"
            found.append((key, QuestionOut(fact=path, ask=ask, would_become=would, safety_critical=critical)))
        return [question for _, question in sorted(found, key=lambda item: item[0])]

    def _level_if(self, known: dict[str, Any], fired: list[str] | None):
        """``(path, value) -> level`` with that one fact added to ``known`` (None: unchanged).

        The what-ifs evaluate the compiled conditions in Python (``_WhatIf``), but only after
        checking that they give exactly the rules the engine fired for ``known``; if they ever
        disagree, every what-if runs the engine instead, as it always could.
        """
        what_if = self._what_if
        base = what_if.start(known)
        if fired is not None and base.fired_ids() == set(fired):
            return base.level
        if fired is not None:
            log.warning("what-if evaluation disagrees with the engine; using engine runs (rules %s vs %s)",
                        sorted(base.fired_ids()), sorted(fired))
        return lambda path, value: self.level({**known, path: value})

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
        if field_name.startswith("param."):
            return _plain(self.book.parameters[field_name[6:]].value), field_name
        return _plain(self.known.get(field_name, "unknown")), field_name


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, float)):
        return f"{value:,}"
    return str(value).replace("_", " ")


def render(template: str, known: dict[str, Any], book: Rulebook) -> str:
    return _FactFormatter(known, book).format(template)



class _WhatIf:
    """The stage-1 rules' compiled conditions as Python predicates, for fast what-if questions.

    A what-if changes one unknown fact, so only the rules whose conditions read that fact can
    change whether they match; everything downstream is the derived-fact closure and the
    conflict policy, both recomputed only when a match changed.
    """

    def __init__(self, book: Rulebook):
        definitions = compile_rulebook(book)
        self.rules: list[Rule] = []
        self.preds: list[Any] = []
        self.needs: list[tuple[str, ...]] = []
        self.readers: dict[str, list[int]] = {}
        self.kinds: list[set[str] | None] = []  # the kinds of incident a rule can match (None: any)
        for rule in book.rules:
            if any(p.startswith("outcome.") for p, _ in iter_conditions(rule.when)):
                continue  # stage 2: adds actions, never changes the level
            index = len(self.rules)
            entries = definitions[rule.id]["all"]
            terms = [entry["m"] for entry in entries if "m" in entry]
            needs = [entry[k]["$and"][1]["name"] for entry in entries for k in entry if k != "m"]
            pred = predicate({"$and": terms}) if terms else (lambda f: True)
            if len(set(needs)) != len(needs):  # durable_rules joins each entry to a different fact
                pred = lambda f: False  # noqa: E731
            kind = rule.when.get("incident.kind")
            if isinstance(kind, dict) and set(kind) == {"in"}:
                kind = set(kind["in"])
            self.kinds.append({kind} if isinstance(kind, str) else kind if isinstance(kind, set) else None)
            self.rules.append(rule)
            self.preds.append(pred)
            self.needs.append(tuple(needs))
            for path in reads(terms):
                self.readers.setdefault(path, []).append(index)
        self.derives = [tuple(rule.then.derive) for rule in self.rules]
        self.plain = sum(1 << i for i, needs in enumerate(self.needs) if not needs)
        self.chained = [i for i, needs in enumerate(self.needs) if needs]
        self._levels: dict[int, Level] = {}
        self._by_kind: dict[Any, list[int]] = {}
        self._readers: dict[tuple[str, Any], list[int]] = {}

    def start(self, known: dict[str, Any]) -> "_Base":
        flat = flat_fact(engine_fact(known))
        kind = known.get("incident.kind")
        matches = [False] * len(self.preds)
        mask = 0
        for i in self._admitting(kind):
            if self.preds[i](flat):
                matches[i] = True
                mask |= 1 << i
        return _Base(self, flat, mask, matches, kind)

    def _admitting(self, kind: Any) -> list[int]:
        """The rules that can match an incident of this kind (the others never match it)."""
        found = self._by_kind.get(kind)
        if found is None:
            found = self._by_kind[kind] = [
                i for i, kinds in enumerate(self.kinds) if kinds is None or kind in kinds]
        return found

    def readers_for(self, path: str, kind: Any) -> list[int]:
        key = (path, kind)
        found = self._readers.get(key)
        if found is None:
            admitting = set(self._admitting(kind))
            found = self._readers[key] = [i for i in self.readers.get(path, []) if i in admitting]
        return found

    def fired(self, mask: int) -> int:
        """The rules that fire (a bit mask) when the rules in ``mask`` match the incident."""
        fired = mask & self.plain
        waiting = [i for i in self.chained if mask >> i & 1]
        if not waiting:
            return fired
        derived = {name for i in _bits(fired) for name in self.derives[i]}
        progress = True
        while progress and waiting:
            progress = False
            for i in list(waiting):
                if all(name in derived for name in self.needs[i]):
                    waiting.remove(i)
                    fired |= 1 << i
                    derived.update(self.derives[i])
                    progress = True
        return fired

    def level_of(self, mask: int) -> Level:
        """The policy's level when the rules in ``mask`` match (memoised by mask)."""
        level = self._levels.get(mask)
        if level is None:
            level = resolve([self.rules[i] for i in _bits(self.fired(mask))]).level
            if len(self._levels) < WHAT_IF_CACHE_SIZE:
                self._levels[mask] = level
        return level


def _bits(mask: int) -> list[int]:
    """The indices of the set bits, lowest first."""
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found


class _Base:
    """One decision's known facts, ready for what-ifs."""

    def __init__(self, what_if: _WhatIf, flat: dict[str, Any], mask: int, matches: list[bool], kind: Any):
        self.what_if, self.flat, self.mask, self.matches, self.kind = what_if, flat, mask, matches, kind

    def fired_ids(self) -> set[str]:
        return {self.what_if.rules[i].id for i in _bits(self.what_if.fired(self.mask))}

    def level(self, path: str, value: Any) -> Level | None:
        """The level with ``path`` known as ``value``; None when no rule's match changes."""
        what_if = self.what_if
        target = engine_path(path)
        if target == "incident.kind":
            raise ValueError("what-ifs never change the kind of incident")
        readers = what_if.readers_for(target, self.kind)
        if not readers:
            return None
        if path in ORDINALS:
            value = ORDINALS[path].index(value)
        flat, matches, preds = self.flat, self.matches, what_if.preds
        missing = object()
        before = flat.get(target, missing)
        flat[target] = value
        flips = 0
        try:
            for i in readers:
                if preds[i](flat) != matches[i]:
                    flips |= 1 << i
        finally:
            if before is missing:
                del flat[target]
            else:
                flat[target] = before
        return what_if.level_of(self.mask ^ flips) if flips else None
