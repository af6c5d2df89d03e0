"""Which unknown facts to ask next, and what each could lead to (issue 11).

A question is worth asking when its fact is read by a rule that could still fire or stop firing
given what is known, and answering it could move the answer, alone or together with that rule's
other unknown conditions. Asking only facts that change the answer *alone* made answers such as
"a reasonable parent would not call" (where it happened, the value and calm now, together)
unreachable one question at a time.

For every stage-1 rule that has not fired and none of whose known conditions is false, the
*route* is the smallest set of unknown facts (with a value for each) that makes all its
conditions true: the nearest branch of each ``any`` group, and the nearest rule that derives
each finding it needs. The route's level is evaluated exactly, on the compiled conditions
(``whatif.Base.level_with``), never guessed. A fact whose values alone change the answer keeps
today's exact what-if. docs/contract.md ("Issue 11: questions") says what ``would_become`` means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel, Field

from .conditions import AnyOf, FactTest
from .conditions import Conditions as RuleConditions
from .facts import LEVEL_ORDER, RULED_OUT_BY_EACH_OTHER, SAFETY_CRITICAL, Level, ruled_out
from .predicates import tests_predicate
from .rulebook import Rulebook
from . import stops
from .whatif import bits, fact_mask

LevelWith = Callable[[dict[str, Any]], Level]
LevelsOf = Callable[[str, list[Any]], list[Level | None]]
MEMO_SIZE = 50_000
_UNKNOWN: Any = object()
_SETTLED: Any = object()


class QuestionOut(BaseModel):
    fact: str
    ask: str
    would_become: Level
    safety_critical: bool = False
    together_with: list[str] = Field(
        default_factory=list,
        description="The other unknown facts that, answered too, would give would_become (empty when this fact "
                    "alone can change the answer).")


@dataclass(frozen=True)
class Atom:
    """The tests of one rule on one fact."""

    path: str
    test: Callable[[dict[str, Any]], bool]  # over the known facts
    holds_unknown: bool                     # true while the fact is unknown ("not", "not_in")
    values: tuple[Any, ...]                 # the question values that satisfy it, in asking order


@dataclass(frozen=True)
class Conditions:
    """A conjunction: atoms, ``any`` groups (one branch must hold) and derived findings."""

    atoms: tuple[Atom, ...]
    groups: tuple[tuple["Conditions", ...], ...]
    derived: tuple[str, ...]


# A route: the values the unknown facts must take (``needs``), and the values that facts which hold
# while unknown must keep if they are answered (``keeps``); both as ordered tuples of allowed values.
Route = tuple[dict[str, tuple[Any, ...]], dict[str, tuple[Any, ...]]]


@dataclass
class _Known:
    known: dict[str, Any]
    derived: set[str]
    settled: frozenset[str] = frozenset()  # unknown, and staying so: asked, and "I don't know"
    open: int = -1  # the rules no known fact rules out (a mask): the others have no route
    routes: dict[int, Route | None] = field(default_factory=dict)
    aside: list[Route] = field(default_factory=list)  # routes through a rule's reached_alone facts


class QuestionFinder:
    """Precomputes each stage-1 rule's conditions per fact, once per rulebook."""

    def __init__(self, book: Rulebook, rules: list[Any], values: dict[str, list[Any]]):
        self.book, self.values = book, values
        self.order = {path: i for i, path in enumerate(values)}
        self.conditions = [self._conditions(rule.conditions) for rule in rules]
        self.derivers: dict[str, int] = {}  # for each finding, the rules that derive it (a mask)
        for i, rule in enumerate(rules):
            for name in rule.then.derive:
                self.derivers[name] = self.derivers.get(name, 0) | 1 << i
        # Only rules that recommend or derive can move the answer; the rest only add actions.
        self.movers = {i for i, rule in enumerate(rules) if rule.then.recommend or rule.then.derive}
        # For a rule that only recommends: the levels above which (a floor) or below which (a
        # ceiling) its firing can move the answer; a floor at or below the answer cannot.
        self.moves: list[tuple[int, int]] = [
            (-1, 4) if rule.then.derive or not rule.then.recommend
            else (rule.then.recommend.rank, 4) if rule.then.strength == "ceiling"
            else (-1, rule.then.recommend.rank) for rule in rules]
        self.derives = [tuple(rule.then.derive) for rule in rules]
        self.alone = [frozenset(rule.reached_alone) for rule in rules]
        # A rule that needs no derived finding has a route that depends only on the facts it reads:
        # memoised by their values (most rules; the others depend on other rules' routes too).
        # What stops a fired rule depends only on the values of the facts it reads, derived or not.
        self.all_reads = [tuple(sorted(_paths(c))) for c in self.conditions]
        self.reads: list[tuple[str, ...] | None] = [
            None if _needs_derived(c) else reads for c, reads in zip(self.conditions, self.all_reads)]
        self._memo: dict[tuple, Route | None] = {}
        self._stops_memo: dict[tuple, list[dict[str, Any]]] = {}
        # The rules' top-level atoms by fact, to rule out at once the rules a known fact fails (their
        # route is None before anything else is looked at), and per level of the answer the rules
        # whose firing could move it (``moves``), both as bit masks: most of the rules a large
        # rulebook admits for an incident are one or the other, and need no look.
        self.atom_rules: dict[str, list[tuple[int, Atom]]] = {}
        for i, conditions in enumerate(self.conditions):
            for atom in conditions.atoms:
                self.atom_rules.setdefault(atom.path, []).append((i, atom))
        self.window = [sum(1 << i for i in self.movers if self.moves[i][0] < rank < self.moves[i][1])
                       for rank in range(len(LEVEL_ORDER))]
        self.deriving = sum(1 << i for i, names in enumerate(self.derives) if names)
        self._fails: dict[tuple, int] = {}

    def _conditions(self, conditions: RuleConditions) -> Conditions:
        """The rule's parsed conditions as atoms (the tests on one fact together) and ``any`` groups."""
        atoms: list[Atom] = []
        groups: list[tuple[Conditions, ...]] = []
        same_fact: list[FactTest] = []
        for item in conditions.items + (None,):
            if same_fact and (not isinstance(item, FactTest) or item.path != same_fact[0].path):
                atoms.append(self._atom(same_fact))
                same_fact = []
            if isinstance(item, AnyOf):
                groups.append(tuple(self._conditions(group) for group in item.groups))
            elif isinstance(item, FactTest):
                same_fact.append(item)
        return Conditions(tuple(atoms), tuple(groups), conditions.derived)

    def _atom(self, tests: list[FactTest]) -> Atom:
        path = tests[0].path
        pred = tests_predicate(tests)
        values = tuple(v for v in self.values.get(path, []) if pred({path: v}))
        return Atom(path, pred, pred({}), values)

    # -- per decision -----------------------------------------------------------------------
    def find(self, known: dict[str, Any], fired: int, admitted: int,
             level: Level, alone: LevelsOf, together: LevelWith,
             settled: frozenset[str] = frozenset()) -> list[QuestionOut]:
        """The questions for ``known``, most urgent and nearest first.

        ``fired`` and ``admitted`` are bit masks over the rules (the rules that fired; the rules that
        can match this kind of incident), ``alone(path, values)`` the level with that one fact known as
        each value (None: unchanged) and ``together(assignment)`` the level with several facts known at once.
        ``settled``: unknown facts that stay unknown (the person asked has said they do not know):
        never asked, and no route needs them.
        """
        ctx = _Known(known, {name for i in bits(fired & self.deriving) for name in self.derives[i]},
                     settled, ~self._ruled_out(known))
        first = self._first(known.get("incident.kind"))
        best: dict[str, tuple[tuple, Level, list[str]]] = {}
        for path, values in self.values.items():
            if path in known or path in settled:
                continue
            if path in RULED_OUT_BY_EACH_OTHER:  # a care leaver of 13 is no answer to weigh
                values = [value for value in values if not ruled_out(path, value, known)]
            outcomes = [found or level for found in alone(path, values)]
            changed = [o for o in outcomes if o != level]
            if changed:
                raised = [o for o in changed if o.rank > level.rank]
                would = max(raised, key=_rank) if raised else min(changed, key=_rank)
                best[path] = (self._key(path, 1, would, level, first), would, [])
        alone_paths = set(best)
        tried: set[tuple] = set()
        # The rules that have not fired, whose firing could move this level and that no known fact
        # rules out, in rulebook order (the order every route is worked out in, as before).
        routes = (self._route_of(i, ctx) for i in bits(admitted & self.window[level.rank] & ~fired & ctx.open))
        assignments = [{path: values[0] for path, values in route[0].items()} for route in routes
                       if route is not None and len(route[0]) >= 2]  # one fact: its what-if above says it
        # A fired rule that an `any` group keeps firing only while facts are unknown ("an adult who
        # does not want the police"): it stops when every branch fails, which may take two answers.
        assignments += [a for i in bits(fired) if i in self.movers for a in self._stops(i, known)
                        if not ctx.settled & a.keys()]  # an "I don't know" answer stays unknown
        for assignment in assignments:
            if any(ruled_out(path, value, {**known, **assignment}) for path, value in assignment.items()
                   if path in RULED_OUT_BY_EACH_OTHER):
                continue
            signature = tuple(sorted(assignment.items(), key=lambda item: item[0]))
            if signature in tried:
                continue
            tried.add(signature)
            would = together(assignment)
            if would == level:
                continue
            for path in assignment:
                key = self._key(path, len(assignment), would, level, first)
                if path in alone_paths:
                    # It changes the answer alone: that is what it says it would become; but a
                    # safety fact that could raise the answer together with others still goes first.
                    if key < best[path][0]:
                        best[path] = (key,) + best[path][1:]
                elif path not in best or key < best[path][0]:
                    best[path] = (key, would, sorted(p for p in assignment if p != path))
        # A route through a rule's reached_alone facts is listed only when none of its facts is listed
        # above: the list is never empty while an answer could still change the level, but a question
        # asked anyway ("who did the damage?" for a curtain) is not made a 999 one by an answer that
        # is still to be said after it ("still nearby?"); once it is answered, the rest is asked alone.
        for route in ctx.aside:
            assignment = {path: values[0] for path, values in route[0].items()}
            if best.keys() & assignment.keys() or (would := together(assignment)) == level:
                continue
            for path in assignment:
                best[path] = (self._key(path, len(assignment), would, level, first), would,
                              sorted(p for p in assignment if p != path))
        ranked = sorted(best.items(), key=lambda item: item[1][0])
        return [QuestionOut(fact=path, ask=self._ask(path, known), would_become=would,
                            safety_critical=path in SAFETY_CRITICAL, together_with=others)
                for path, (_, would, others) in ranked]

    def _stops(self, index: int, known: dict[str, Any]) -> list[dict[str, Any]]:
        """``stops.stopping_answers`` for fired rule ``index``, memoised by the values of the facts it reads."""
        key = (index, *[known.get(path, _UNKNOWN) for path in self.all_reads[index]])
        found = self._stops_memo.get(key)
        if found is None:
            found = stops.stopping_answers(self.conditions[index].groups, self.values, known)
            if len(self._stops_memo) < MEMO_SIZE:
                self._stops_memo[key] = found
        return found

    def _ask(self, path: str, known: dict[str, Any]) -> str:
        """The question in the setting's words ("Does their care plan ...")."""
        words = self.book.vocabulary
        return words.ask(path, known) if words is not None else self.book.questions[path].ask

    def _first(self, kind: Any) -> dict[str, int]:
        """The facts the vocabulary asks first for this kind of incident, with their places."""
        words = self.book.vocabulary
        led = words.asking_for(kind).first if words is not None else ()
        return {path: i for i, path in enumerate(led)}

    def _ruled_out(self, known: dict[str, Any]) -> int:
        """The rules with a top-level atom that a known fact fails (a mask): they have no route."""
        out = 0
        for path, value in known.items():
            if path in self.atom_rules:
                out |= self._failing(path, value)
        return out

    def _failing(self, path: str, value: Any) -> int:
        """The rules with an atom on ``path`` that fails when it is ``value`` (the same for every incident)."""
        return fact_mask(self._fails, path, value, self._work_out_failing)

    def _work_out_failing(self, path: str, value: Any) -> int:
        probe = {path: value}
        return sum(1 << i for i, atom in self.atom_rules[path] if not atom.test(probe))

    def _key(self, path: str, distance: int, would: Level, level: Level, first: dict[str, int]) -> tuple:
        """Safety-critical facts that could raise the answer first (invariant 4), then nearest, and
        among equally near the facts the kind of incident asks first (medical help for a patient)."""
        raises = would.rank > level.rank
        critical = raises and path in SAFETY_CRITICAL
        return (0 if critical else 1, distance, first.get(path, len(first)), 0 if raises else 1,
                -would.rank if raises else would.rank, self.order[path])

    def _route_of(self, index: int, ctx: _Known) -> Route | None:
        """The nearest route that makes rule ``index`` fire (None: it cannot, given what is known)."""
        if index in ctx.routes:
            return ctx.routes[index]
        reads = self.reads[index]
        if reads is not None:
            get = ctx.known.get
            key = (index, *[_SETTLED if path in ctx.settled else get(path, _UNKNOWN) for path in reads])
            route = self._memo.get(key, _UNKNOWN)
            if route is _UNKNOWN:
                route = self._route(self.conditions[index], ctx)
                if len(self._memo) < MEMO_SIZE:
                    self._memo[key] = route
            ctx.routes[index] = route = self._alone(index, route, ctx)
            return route
        ctx.routes[index] = None  # a derivation cycle finds no route rather than looping
        ctx.routes[index] = route = self._alone(index, self._route(self.conditions[index], ctx), ctx)
        return route

    def _alone(self, index: int, route: Route | None, ctx: _Known) -> Route | None:
        """A route to rule ``index`` that needs one of its ``reached_alone`` facts together with another
        unknown fact is not followed; the nearest route that needs none of them is, if there is one.
        The route is kept aside (``ctx.aside``): ``find`` lists its facts only where nothing else does."""
        alone = self.alone[index]
        if route is None or not alone & route[0].keys() or len(route[0]) < 2:
            return route
        found = self._route(self.conditions[index], _Known(ctx.known, ctx.derived, ctx.settled | alone, ctx.open))
        if found is None or alone & found[0].keys():
            ctx.aside.append(route)
            return None
        return found

    def _route(self, conditions: Conditions, ctx: _Known) -> Route | None:
        needs: dict[str, tuple[Any, ...]] = {}
        keeps: dict[str, tuple[Any, ...]] = {}
        for atom in conditions.atoms:
            if atom.path in ctx.known:
                if not atom.test(ctx.known):
                    return None
            elif atom.holds_unknown:
                if atom.path not in ctx.settled:
                    keeps[atom.path] = atom.values
            elif atom.path in ctx.settled:
                return None
            elif atom.values:
                needs[atom.path] = atom.values
            else:
                return None
        parts: list[Route] = []
        for group in conditions.groups:
            found = [r for r in (self._route(branch, ctx) for branch in group) if r is not None]
            if not found:
                return None
            parts.append(min(found, key=lambda r: len(r[0])))
        for name in conditions.derived:
            if name in ctx.derived:
                continue
            derivers = bits(self.derivers.get(name, 0) & ctx.open)  # in rulebook order, as before
            found = [r for r in (self._route_of(i, ctx) for i in derivers) if r is not None]
            if not found:
                return None
            parts.append(min(found, key=lambda r: len(r[0])))
        for part_needs, part_keeps in parts:
            for path, values in part_needs.items():
                needs[path] = _both(needs[path], values) if path in needs else values
            for path, values in part_keeps.items():
                keeps[path] = _both(keeps[path], values) if path in keeps else values
        for path, values in needs.items():
            if path in keeps:
                needs[path] = values = _both(values, keeps[path])
            if not values:
                return None
        return needs, keeps


def _needs_derived(conditions: Conditions) -> bool:
    return bool(conditions.derived) or any(_needs_derived(b) for group in conditions.groups for b in group)


def _paths(conditions: Conditions) -> set[str]:
    found = {atom.path for atom in conditions.atoms}
    for group in conditions.groups:
        for branch in group:
            found |= _paths(branch)
    return found


def _both(first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
    """The values in both, in the first's order."""
    return tuple(v for v in first if v in second)


def _rank(level: Level) -> int:
    return level.rank
