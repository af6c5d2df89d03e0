"""Fast "what if we knew this fact?" evaluation for the questions a decision lists.

A decision asks many what-ifs (one per unknown fact and value). Re-running the engine for each
costs a session per question; evaluating the parsed conditions as Python (``predicates.py``) costs
microseconds. The decision layer uses this only after checking, for every decision, that it fires
exactly the rules the engine fired for the known facts; otherwise it falls back to engine runs.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .conditions import AnyOf, Conditions, FactTest
from .facts import LEVEL_ORDER, Level
from .policy import combine_ranks
from .predicates import Predicate, tests_predicate
from .rulebook import Rule, Rulebook, reads_outcome

CACHE_SIZE = 50_000


class WhatIf:
    """The stage-1 rules' compiled conditions as Python predicates, for fast what-if questions.

    A what-if changes one unknown fact, so only the rules whose conditions read that fact can
    change whether they match; everything downstream is the derived-fact closure and the
    conflict policy, both recomputed only when a match changed.

    Most rules are a conjunction of tests that each read one fact ("atoms"). For those, whether
    the atoms on one fact hold for a value is the same for every incident, so it is worked out
    once per (fact, value) as a bit mask over the rules; an incident's matches, and which rules
    one fact's value could flip, are then a few operations on big integers rather than a
    predicate call per rule. A rule with an ``any`` group spanning several facts is split into
    its alternatives (``Conditions.terms``), each a conjunction of atoms with a bit of its own
    after the rules' ("terms"), and matches when one of its terms does.
    """

    def __init__(self, book: Rulebook):
        self.rules: list[Rule] = []
        self.needs: list[tuple[str, ...]] = []
        self.readers: dict[str, list[int]] = {}
        self.kinds: list[frozenset[str] | None] = []  # the kinds of incident a rule can match (None: any)
        for rule in book.rules:
            if reads_outcome(rule):
                continue  # stage 2: adds actions, never changes the level
            index = len(self.rules)
            needs = rule.conditions.derived
            self.kinds.append(rule.conditions.kinds())
            self.rules.append(rule)
            self.needs.append(tuple(needs))
            for path in rule.conditions.reads():
                self.readers.setdefault(path, []).append(index)
        self.derives = [tuple(rule.then.derive) for rule in self.rules]
        self.bit = {rule.id: 1 << i for i, rule in enumerate(self.rules)}
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
        self.movers = sum(1 << i for i, rule in enumerate(self.rules) if rule.then.recommend or self.derives[i])
        self.simple = 0
        self.atoms: dict[str, list[tuple[int, Predicate]]] = {}
        self.atom_readers: dict[str, int] = {}
        for i, rule in enumerate(self.rules):
            by_path = _atoms(rule.conditions)
            if by_path is None or len(set(self.needs[i])) != len(self.needs[i]):
                continue
            self.simple |= 1 << i
            for path, items in by_path.items():
                self.atoms.setdefault(path, []).append((i, tests_predicate(items)))
                self.atom_readers[path] = self.atom_readers.get(path, 0) | 1 << i
        self._terms()
        self._by_kind: dict[Any, list[int]] = {}
        self._kind_masks: dict[Any, int] = {}
        self._complex_by_kind: dict[Any, list[int]] = {}
        self._readers: dict[tuple[str, Any], list[int]] = {}
        self._complex_readers: dict[tuple[str, Any], list[int]] = {}
        self._holds: dict[tuple[str, type, Any], int] = {}
        self._downstream: dict[int, int] = {}

    def _terms(self) -> None:
        """The terms of the rules that are not simple (see the class's doc): their atoms go in with
        the simple rules', on bits from ``len(self.rules)`` up; per rule, its terms (a mask)."""
        self.terms_of: dict[int, int] = {}
        bit = len(self.rules)
        for i, rule in enumerate(self.rules):
            if self.simple >> i & 1:
                continue
            mask = 0
            # A rule needing one finding twice never matches (the engine joins each to a different fact).
            for term in rule.conditions.terms() if len(set(self.needs[i])) == len(self.needs[i]) else ():
                mask |= 1 << bit
                for path, tests in term.items():
                    self.atoms.setdefault(path, []).append((bit, tests_predicate(tests)))
                    self.atom_readers[path] = self.atom_readers.get(path, 0) | 1 << bit
                bit += 1
            self.terms_of[i] = mask
        self.terms = (1 << bit) - (1 << len(self.rules))

    def mask_of(self, rule_ids: Iterable[str]) -> int:
        """The stage-1 rules with these ids, a mask (an id that is not one of them is left out)."""
        mask = 0
        for rule_id in rule_ids:
            mask |= self.bit.get(rule_id, 0)
        return mask

    def start(self, known: dict[str, Any]) -> "Base":
        kind = known.get("incident.kind")
        admitted = self._kind_mask(kind)
        # Per fact, the simple rules and terms whose atoms on it fail; ``ones`` has one with at least one
        # failing fact, ``twos`` with at least two (a one-fact what-if can only fix a rule in ``ones``
        # but not in ``twos``, and only by that fact).
        ones = twos = 0
        fails: dict[str, int] = {}
        for path, readers in self.atom_readers.items():
            fail = readers & ~self.holds(path, known.get(path))
            if fail:
                fails[path] = fail
                twos |= ones & fail
                ones |= fail
        mask = admitted & self.simple & ~ones
        terms = self.terms & ~ones
        for i in self._complex_admitting(kind):
            if terms & self.terms_of[i]:
                mask |= 1 << i
        return Base(self, mask, kind, fails, ones & ~twos, admitted, terms)

    def holds(self, path: str, value: Any) -> int:
        """The simple rules and terms whose atoms on ``path`` hold when it is ``value`` (None: not
        known), a mask."""
        return fact_mask(self._holds, path, value, self._work_out_holds)

    def _work_out_holds(self, path: str, value: Any) -> int:
        probe = {} if value is None else {path: value}
        return sum(1 << i for i, pred in self.atoms.get(path, ()) if pred(probe))

    def _kind_mask(self, kind: Any) -> int:
        found = self._kind_masks.get(kind)
        if found is None:
            found = self._kind_masks[kind] = sum(1 << i for i in self._admitting(kind))
        return found

    def _complex_admitting(self, kind: Any) -> list[int]:
        """The rules that can match this kind of incident and are not simple (see the class's doc)."""
        found = self._complex_by_kind.get(kind)
        if found is None:
            found = self._complex_by_kind[kind] = [i for i in self._admitting(kind) if not self.simple >> i & 1]
        return found

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
                                          if i in admitting and self.movers >> i & 1]
        return found

    def complex_readers_for(self, path: str, kind: Any) -> list[int]:
        """``readers_for``, only the rules that are not simple."""
        key = (path, kind)
        found = self._complex_readers.get(key)
        if found is None:
            found = self._complex_readers[key] = [i for i in self.readers_for(path, kind) if not self.simple >> i & 1]
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
        for i in bits(added & self.plain & self.deriving):
            todo |= self.derived_needers[i]
        todo &= mask & ~fired
        # A worklist: a rule that cannot fire yet leaves it, and comes back only when a rule that
        # derives one of its findings fires (nothing else can change its answer).
        need_masks, derived_needers = self.need_masks, self.derived_needers
        while todo:
            low = todo & -todo
            todo ^= low
            i = low.bit_length() - 1
            needs = need_masks[i]
            if (fired & needs[0]) if len(needs) == 1 else all(fired & derivers for derivers in needs):
                fired |= low
                todo = (todo | derived_needers[i]) & mask & ~fired
        return fired

    def downstream(self, rules: int) -> int:
        """``rules`` and every rule that needs a finding one of them derives, followed down the chain.
        Only the deriving rules among ``rules`` lead anywhere, and where they lead is the same for
        every incident, so it is kept per set of them (a what-if often loses the same finding)."""
        deriving = rules & self.deriving
        below = self._downstream.get(deriving)
        if below is None:
            found = todo = deriving
            derived_needers = self.derived_needers
            while todo:
                low = todo & -todo
                todo ^= low
                more = derived_needers[low.bit_length() - 1] & ~found
                found |= more
                todo |= more
            below = found
            if len(self._downstream) < CACHE_SIZE:
                self._downstream[deriving] = below
        return rules | below

    def level_of_fired(self, fired: int) -> Level:
        """The policy's level when the rules in ``fired`` fire."""
        firm = soft = -1
        ceiling = None
        for rank, rules in self.firm:
            if fired & rules:
                firm = rank
                break
        for rank, rules in self.soft:
            if fired & rules:
                soft = rank
                break
        for rank, rules in reversed(self.ceiling):
            if fired & rules:
                ceiling = rank
                break
        return LEVEL_ORDER[combine_ranks(firm, soft, ceiling)]


def _by_level(rules: list[Rule], strengths: tuple[str, ...]) -> list[tuple[int, int]]:
    """``[(level's rank, mask of the rules of these strengths recommending it)]``, highest level first;
    a level no such rule recommends is left out (its empty mask would only be tried in vain)."""
    masks = [(rank, sum(1 << i for i, rule in enumerate(rules)
                        if rule.then.strength in strengths and rule.then.recommend == level))
             for rank, level in reversed(list(enumerate(LEVEL_ORDER)))]
    return [(rank, mask) for rank, mask in masks if mask]


def _atoms(conditions: Conditions) -> dict[str, list[FactTest | AnyOf]] | None:
    """The conditions' items by the one fact each reads (None: an ``any`` group reads several or none)."""
    by_path: dict[str, list[FactTest | AnyOf]] = {}
    for item in conditions.items:
        if isinstance(item, FactTest):
            by_path.setdefault(item.path, []).append(item)
            continue
        paths = {test.path for group in item.groups for test in group.tests()}
        if len(paths) != 1:
            return None
        by_path.setdefault(paths.pop(), []).append(item)
    return by_path


def fact_mask(cache: dict[tuple, int], path: str, value: Any, work_out: Callable[[str, Any], int]) -> int:
    """A mask over the rules that depends only on one fact's value, the same for every incident:
    kept in ``cache`` (bounded) by fact and value, else worked out by ``work_out(path, value)``."""
    try:
        key: tuple | None = (path, value.__class__, value)
        found = cache.get(key)
    except TypeError:  # an unhashable value: work it out, do not keep it
        key, found = None, None
    if found is None:
        found = work_out(path, value)
        if key is not None and len(cache) < CACHE_SIZE:
            cache[key] = found
    return found


def bits(mask: int) -> list[int]:
    """The indices of the set bits, lowest first."""
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found


class Base:
    """One decision's known facts, ready for what-ifs."""

    def __init__(self, what_if: WhatIf, mask: int, kind: Any,
                 fails: dict[str, int], single: int, admitting: int, terms: int):
        self.what_if, self.mask, self.kind = what_if, mask, kind
        self.fails, self.single = fails, single  # see ``WhatIf.start``
        self.terms = terms  # the terms that match
        self.admitting = admitting  # the rules that can match this kind of incident, a mask
        self.fired = what_if.fired(mask)
        self._after: dict[int, Level] = {}  # many values of a fact flip the same rules
        # For ``levels``, worked out once rather than per fact: the movers matching now, and those
        # failing on one fact only.
        self.moving = what_if.movers & mask
        self.single_moving = single & what_if.movers & admitting

    def _level_after(self, flips: int) -> Level:
        """The level when the rules in ``flips`` change whether they match."""
        level = self._after.get(flips)
        if level is None:
            level = self._after[flips] = self._work_out_after(flips)
        return level

    def _work_out_after(self, flips: int) -> Level:
        what_if = self.what_if
        if not flips & what_if.chaining:
            return what_if.level_of_fired(self.fired ^ flips)  # no finding changes: they alone change
        stopped = flips & self.mask
        mask = self.mask ^ flips
        if stopped & what_if.deriving:
            # A finding may be lost: only the rules downstream of the stopped ones can stop firing
            # (a rule outside that set needs no finding any of them derives). Work those out again.
            downstream = what_if.downstream(stopped)
            kept = self.fired & ~downstream
            return what_if.level_of_fired(what_if.grown(kept, (downstream | flips) & mask, mask))
        # Rules that derive nothing stop matching (and so firing); the new matches can only add.
        return what_if.level_of_fired(what_if.grown(self.fired & ~stopped, flips & ~self.mask, mask))

    def fired_ids(self) -> set[str]:
        return {self.what_if.rules[i].id for i in bits(self.fired)}

    def levels(self, path: str, values: list[Any]) -> list[Level | None]:
        """The level with ``path`` known as each of ``values``; None where no rule's match changes.
        The kind of incident is never a what-if (the rules that can match depend on it)."""
        what_if = self.what_if
        if path == "incident.kind" or not what_if.readers_for(path, self.kind):
            return [None] * len(values)
        # The simple rules this fact alone can flip: those matching now, and those failing on it alone.
        candidates = (what_if.atom_readers.get(path, 0) & self.moving | self.fails.get(path, 0) & self.single_moving)
        others = what_if.complex_readers_for(path, self.kind)
        if others:  # the same for the terms: those reading the fact that match now or fail on it alone
            readers = what_if.atom_readers.get(path, 0) & what_if.terms
            now = self.terms & readers
            could = readers & (self.terms | self.fails.get(path, 0) & self.single)
        found: list[Level | None] = []
        for value in values:
            holds = what_if.holds(path, value)
            flips = candidates & (holds ^ self.mask)
            if others:
                then = could & holds
                if then != now:
                    flips |= self._flips(others, self.terms & ~readers | then)
            found.append(self._level_after(flips) if flips else None)
        return found

    def level_with(self, changes: dict[str, Any]) -> Level:
        """The level with every fact in ``changes`` known as given, all at once (issue 11's routes)."""
        what_if = self.what_if
        touched = failing = 0
        others: set[int] = set()
        for path, value in changes.items():
            readers = what_if.atom_readers.get(path, 0)
            touched |= readers
            failing |= readers & ~what_if.holds(path, value)
            others.update(what_if.complex_readers_for(path, self.kind))
        for path, fail in self.fails.items():
            if path not in changes:
                failing |= fail
        matching = self.admitting & what_if.simple & ~failing
        flips = (matching ^ self.mask) & touched & what_if.movers
        if others:
            flips |= self._flips(others, what_if.terms & ~failing)
        return self._level_after(flips)

    def _flips(self, rules: Iterable[int], terms: int) -> int:
        """The rules among ``rules`` whose match changes when the terms in ``terms`` match (a mask)."""
        mask, terms_of = self.mask, self.what_if.terms_of
        flips = 0
        for i in rules:
            if bool(terms & terms_of[i]) != bool(mask >> i & 1):
                flips |= 1 << i
        return flips
