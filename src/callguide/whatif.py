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
        self.kinds: list[frozenset[str] | None] = []  # the kinds of incident a rule can match (None: any)
        for rule in book.rules:
            if reads_outcome(rule):
                continue  # stage 2: adds actions, never changes the level
            index = len(self.rules)
            needs = rule.conditions.derived
            pred = predicate(rule.conditions)
            if len(set(needs)) != len(needs):  # the engine joins each finding to a different fact
                pred = lambda f: False  # noqa: E731
            self.kinds.append(rule.conditions.kinds())
            self.rules.append(rule)
            self.preds.append(pred)
            self.needs.append(tuple(needs))
            for path in rule.conditions.reads():
                self.readers.setdefault(path, []).append(index)
        self.derives = [tuple(rule.then.derive) for rule in self.rules]
        # The policy's three kinds of recommending rule as bit masks, one per level (highest first),
        # so the extremes of what fired are a few ANDs of big integers, whatever the rulebook's size.
        self.firm = _by_level(self.rules, ("safety", "firm"))
        self.soft = _by_level(self.rules, ("soft",))
        self.ceiling = _by_level(self.rules, ("ceiling",))
        self.plain = sum(1 << i for i, needs in enumerate(self.needs) if not needs)
        self.chained = sum(1 << i for i, needs in enumerate(self.needs) if needs)
        derivers: dict[str, int] = {}
        for i, names in enumerate(self.derives):
            for name in names:
                derivers[name] = derivers.get(name, 0) | 1 << i
        # For a rule that needs findings: for each finding, the rules that derive it (a mask).
        self.need_masks = [tuple(derivers.get(name, 0) for name in needs) for needs in self.needs]
        # Rules whose change of match can change other rules' firing: those that need a finding and
        # those that derive one. A what-if that flips none of them flips exactly what fires.
        self.deriving = sum(1 << i for i, names in enumerate(self.derives) if names)
        self.chaining = self.chained | self.deriving
        needers: dict[str, int] = {}
        for i, needs in enumerate(self.needs):
            for name in needs:
                needers[name] = needers.get(name, 0) | 1 << i
        # For each rule: the rules that need a finding it derives (a mask), to follow a new firing.
        self.derived_needers = [sum((needers.get(name, 0) for name in names), 0) for names in self.derives]
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
        """The rules that read ``path``, can match this kind of incident and can move the level: a rule
        that neither recommends nor derives (it only adds actions) never changes a what-if's answer."""
        key = (path, kind)
        found = self._readers.get(key)
        if found is None:
            admitting = set(self._admitting(kind))
            found = self._readers[key] = [i for i in self.readers.get(path, [])
                                          if i in admitting and (self.rules[i].then.recommend or self.derives[i])]
        return found

    def fired(self, mask: int) -> int:
        """The rules that fire (a bit mask) when the rules in ``mask`` match the incident: those that
        need no finding, then, until nothing changes, those whose every finding a fired rule derived."""
        return self.grown(0, mask, mask)

    def grown(self, fired: int, added: int, mask: int) -> int:
        """What fires when the rules in ``added`` start to match, given that ``fired`` fired before and
        ``mask`` is now the rules that match: only the new matches, and the rules waiting on a
        finding one of them derives, are looked at (no rule stops firing, so the rest stands)."""
        fired |= added & self.plain
        todo = added & self.chained
        for i in _bits(added & self.plain & self.deriving):
            todo |= self.derived_needers[i]
        todo &= mask & ~fired
        progress = True
        while todo and progress:
            progress = False
            for i in _bits(todo):
                if all(fired & derivers for derivers in self.need_masks[i]):
                    fired |= 1 << i
                    todo = (todo | self.derived_needers[i]) & mask & ~fired
                    progress = True
        return fired

    def level_of(self, mask: int) -> Level:
        """The policy's level when the rules in ``mask`` match (memoised by mask)."""
        level = self._levels.get(mask)
        if level is None:
            level = self.level_of_fired(self.fired(mask))
            if len(self._levels) < CACHE_SIZE:
                self._levels[mask] = level
        return level

    def level_of_fired(self, fired: int) -> Level:
        """The policy's level when the rules in ``fired`` fire."""
        return combine(self._extreme(fired, self.firm, max), self._extreme(fired, self.soft, max),
                       self._extreme(fired, self.ceiling, min))

    @staticmethod
    def _extreme(fired: int, by_level: list[tuple[Level, int]], pick: Any) -> Level | None:
        """The highest (``max``) or lowest (``min``) level recommended by a fired rule of ``by_level``."""
        order = by_level if pick is max else reversed(by_level)
        return next((level for level, rules in order if fired & rules), None)


def _by_level(rules: list[Rule], strengths: tuple[str, ...]) -> list[tuple[Level, int]]:
    """``[(level, mask of the rules of these strengths recommending it)]``, highest level first."""
    return [(level, sum(1 << i for i, rule in enumerate(rules)
                        if rule.then.strength in strengths and rule.then.recommend == level))
            for level in reversed(LEVEL_ORDER)]


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
        self.fired = what_if.fired(mask)

    def _level_after(self, flips: int) -> Level:
        """The level when the rules in ``flips`` change whether they match."""
        what_if = self.what_if
        if not flips & what_if.chaining:
            return what_if.level_of_fired(self.fired ^ flips)  # no finding changes: they alone change
        stopped = flips & self.mask
        if stopped & what_if.deriving:  # a finding may be lost: work the chain out again
            return what_if.level_of(self.mask ^ flips)
        # Rules that derive nothing stop matching (and so firing); the new matches can only add.
        return what_if.level_of_fired(what_if.grown(self.fired & ~stopped, flips & ~self.mask, self.mask ^ flips))

    def fired_ids(self) -> set[str]:
        return {self.what_if.rules[i].id for i in _bits(self.fired)}

    def levels(self, path: str, values: list[Any]) -> list[Level | None]:
        """The level with ``path`` known as each of ``values``; None where no rule's match changes.
        The kind of incident is never a what-if (the rules that can match depend on it)."""
        readers = self.what_if.readers_for(path, self.kind) if path != "incident.kind" else None
        if not readers:
            return [None] * len(values)
        return [self._level_after(flips) if (flips := self._flips(readers, {path: value})) else None
                for value in values]

    def admitted(self) -> list[int]:
        """The indices of the rules that can match an incident of this kind."""
        return self.what_if._admitting(self.kind)

    def fired_indices(self) -> set[int]:
        """The indices (into ``WhatIf.rules``) of the rules that fire for the known facts."""
        return set(_bits(self.fired))

    def level_with(self, changes: dict[str, Any]) -> Level:
        """The level with every fact in ``changes`` known as given, all at once (issue 11's routes)."""
        readers: set[int] = set()
        values: dict[str, Any] = {}
        for path, value in changes.items():
            readers.update(self.what_if.readers_for(path, self.kind))
            values[path] = value
        return self._level_after(self._flips(readers, values))

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
