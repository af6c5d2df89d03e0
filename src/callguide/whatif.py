"""Fast "what if we knew this fact?" evaluation for the questions a decision lists.

A decision asks many what-ifs (one per unknown fact and value). Re-running the engine for each
costs a session per question; evaluating the parsed conditions as Python (``predicates.py``) costs
microseconds. The decision layer uses this only after checking, for every decision, that it fires
exactly the rules the engine fired for the known facts; otherwise it falls back to engine runs.
"""

from __future__ import annotations

from typing import Any, Iterable

from .facts import LEVEL_ORDER, Level
from .policy import combine
from .predicates import predicate
from .rulebook import Rule, Rulebook, reads_outcome

CACHE_SIZE = 50_000


class WhatIf:
    """The stage-1 rules' compiled conditions as Python predicates, for fast what-if questions.

    A what-if changes one unknown fact, so only the rules whose conditions read that fact can
    change whether they match; everything downstream is the derived-fact closure and the
    conflict policy, both recomputed only when a match changed.
    """

    def __init__(self, book: Rulebook):
        self.rules: list[Rule] = []
        self.preds: list[Any] = []
        self.needs: list[tuple[str, ...]] = []
        self.readers: dict[str, list[int]] = {}
        self.kinds: list[set[str] | None] = []  # the kinds of incident a rule can match (None: any)
        for rule in book.rules:
            if reads_outcome(rule):
                continue  # stage 2: adds actions, never changes the level
            index = len(self.rules)
            needs = rule.conditions.derived
            pred = predicate(rule.conditions)
            if len(set(needs)) != len(needs):  # the engine joins each finding to a different fact
                pred = lambda f: False  # noqa: E731
            self.kinds.append(_kinds(rule))
            self.rules.append(rule)
            self.preds.append(pred)
            self.needs.append(tuple(needs))
            for path in rule.conditions.reads():
                self.readers.setdefault(path, []).append(index)
        self.derives = [tuple(rule.then.derive) for rule in self.rules]
        # The policy's three kinds of recommending rule, as bit masks, and each rule's level rank.
        self.ranks = [rule.then.recommend.rank if rule.then.recommend else -1 for rule in self.rules]
        self.firm = _mask(self.rules, ("safety", "firm"))
        self.soft = _mask(self.rules, ("soft",))
        self.ceiling = _mask(self.rules, ("ceiling",))
        self.plain = sum(1 << i for i, needs in enumerate(self.needs) if not needs)
        self.chained = [i for i, needs in enumerate(self.needs) if needs]
        self._levels: dict[int, Level] = {}
        self._by_kind: dict[Any, list[int]] = {}
        self._readers: dict[tuple[str, Any], list[int]] = {}

    def start(self, known: dict[str, Any]) -> "Base":
        flat = dict(known)
        kind = known.get("incident.kind")
        matches = [False] * len(self.preds)
        mask = 0
        for i in self._admitting(kind):
            if self.preds[i](flat):
                matches[i] = True
                mask |= 1 << i
        return Base(self, flat, mask, matches, kind)

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
            fired = self.fired(mask)
            level = combine(self._extreme(fired & self.firm, max), self._extreme(fired & self.soft, max),
                            self._extreme(fired & self.ceiling, min))
            if len(self._levels) < CACHE_SIZE:
                self._levels[mask] = level
        return level

    def _extreme(self, mask: int, pick: Any) -> Level | None:
        """The highest (``max``) or lowest (``min``) level recommended by the rules in ``mask``."""
        return LEVEL_ORDER[pick(self.ranks[i] for i in _bits(mask))] if mask else None


def _mask(rules: list[Rule], strengths: tuple[str, ...]) -> int:
    return sum(1 << i for i, rule in enumerate(rules) if rule.then.strength in strengths)


def _bits(mask: int) -> list[int]:
    """The indices of the set bits, lowest first."""
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found


class Base:
    """One decision's known facts, ready for what-ifs."""

    def __init__(self, what_if: WhatIf, flat: dict[str, Any], mask: int, matches: list[bool], kind: Any):
        self.what_if, self.flat, self.mask, self.matches, self.kind = what_if, flat, mask, matches, kind

    def fired_ids(self) -> set[str]:
        return {self.what_if.rules[i].id for i in _bits(self.what_if.fired(self.mask))}

    def level(self, path: str, value: Any) -> Level | None:
        """The level with ``path`` known as ``value``; None when no rule's match changes."""
        what_if = self.what_if
        if path == "incident.kind":
            raise ValueError("what-ifs never change the kind of incident")
        readers = what_if.readers_for(path, self.kind)
        if not readers:
            return None
        flips = self._flips(readers, {path: value})
        return what_if.level_of(self.mask ^ flips) if flips else None

    def admitted(self) -> list[int]:
        """The indices of the rules that can match an incident of this kind."""
        return self.what_if._admitting(self.kind)

    def fired_indices(self) -> set[int]:
        """The indices (into ``WhatIf.rules``) of the rules that fire for the known facts."""
        return set(_bits(self.what_if.fired(self.mask)))

    def level_with(self, changes: dict[str, Any]) -> Level:
        """The level with every fact in ``changes`` known as given, all at once (issue 11's routes)."""
        readers: set[int] = set()
        values: dict[str, Any] = {}
        for path, value in changes.items():
            readers.update(self.what_if.readers_for(path, self.kind))
            values[path] = value
        return self.what_if.level_of(self.mask ^ self._flips(readers, values))

    def _flips(self, readers: Iterable[int], values: dict[str, Any]) -> int:
        """The rules among ``readers`` whose match changes with ``values`` set in the known facts
        (a bit mask); the facts are restored afterwards."""
        flat, matches, preds = self.flat, self.matches, self.what_if.preds
        missing = object()
        saved = {target: flat.get(target, missing) for target in values}
        flat.update(values)
        flips = 0
        try:
            for i in readers:
                if preds[i](flat) != matches[i]:
                    flips |= 1 << i
        finally:
            for target, before in saved.items():
                if before is missing:
                    del flat[target]
                else:
                    flat[target] = before
        return flips


def _kinds(rule: Rule) -> set[str] | None:
    """The kinds of incident a rule can match, from a top-level ``incident.kind`` is/in test (None: any)."""
    kinds: set[str] | None = None
    for test in rule.conditions.top_tests():
        if test.path == "incident.kind" and test.op in ("is", "in"):
            these = {test.value} if test.op == "is" else set(test.value)
            kinds = these if kinds is None else kinds & these
    return kinds
