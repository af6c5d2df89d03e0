"""The only module that talks to durable_rules; every one of its quirks is handled here.

callguide drives durable_rules' C engine (``durable_rules_engine``) directly rather than through
``durable.engine.Host``: our actions only record a firing and assert derived facts, so the Host's
per-action Python machinery (a closure, a state object, two JSON round trips, an ``update_state``
per action) was most of the cost of a decision and none of its meaning. The firing order is the
one the Host gives: the engine hands out one action at a time per session, and facts asserted
while an action is open are matched before the next action is handed out.

- Not thread-safe (C code, no locks, does not release the GIL): one lock per engine. No ``Host``
  is created, so none of its background timer threads exist to call into the C engine on their
  own (they could run a pending action in place of the caller).
- At most 1,024 live sessions per ruleset: each engine uses one fixed session id and reuses it;
  every run retracts what it asserted in ``finally`` (newest first), so a run starts from an
  empty session. A run that failed half-way deletes the state instead. (``delete_state`` after
  every run was the first design; durable_rules corrupts its heap there for some rulesets.)
- Exceptions in actions: our actions run in this module, so a failure is raised as
  :class:`EngineError` (the Host would have swallowed it into ``state['exception']``).
- Definitions go to the C engine as JSON text, so the compiled rulebook is never mutated.
- No unloading and no re-registering a name in the Host: each engine owns its C rulesets
  (named after the rulebook's content hash) and frees them when it is garbage collected.
- Its JSON parser does not read exponents (``1e-05`` is error 204, and a failed parse can leave
  the C engine in a state that later crashes the process): facts are written by :func:`_json`,
  which writes every number in plain positional notation; infinity becomes the largest float.
- "No rule matched" is a result code in durable_rules; here it is simply an empty firing.
- Size limits: one ruleset fails at about 480 rules (error 303). A rulebook larger than
  :data:`CHUNK_RULES` is split into several rulesets of at most that many rules; each run asserts
  the incident into every one, then passes each derived fact to every ruleset that has not seen
  it and has a rule joining on it that can match this kind of incident, until none is new. The
  rules only ever join derived facts positively, so the rules that fire are the same as in one
  ruleset; only their order can differ.
"""

from __future__ import annotations

import json
import math
import sys
import threading
from decimal import Decimal
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import durable_rules_engine as _c

from .conditions import AnyOf, Conditions
from .facts import ORDINALS
from .rulebook import Rule, Rulebook, reads_outcome

# durable_rules fails at about 480 rules in one ruleset (error 303 at creation), and earlier when many
# rules match one fact (error 303 on assert: seen with 250 random rules, never with 150).
# 100 keeps a wide margin. Today: 100 incident rules (one ruleset), 12 after-incident (their own).
CHUNK_RULES = 100
_SID = "1"
_NOT_HANDLED = 1


class EngineError(RuntimeError):
    """The engine could not produce a whole answer; nothing partial is returned."""


@dataclass
class Firing:
    """What one run of the engine concluded: rule ids in firing order, derived names."""

    rules: list[str]
    derived: list[str]


class _Run:
    """One run's bookkeeping: what fired, and per ruleset what it needs, was given and was asserted."""

    def __init__(self, chunks: list[_Chunk], kind: Any):
        self.chunks = chunks
        self.firing = Firing([], [])
        self.fired: set[str] = set()  # ``firing.rules`` and ``firing.derived`` as sets, to look up
        self.found: set[str] = set()
        self.needs = [chunk.needs_for(kind) for chunk in chunks]
        self.seen: list[set[str]] = [set() for _ in chunks]  # derived names each ruleset has been given
        self.asserted: list[list[str]] = [[] for _ in chunks]  # what each ruleset was given


class _Chunk:
    """One C ruleset holding a slice of the rulebook."""

    def __init__(self, name: str, definitions: dict[str, Any], rules: Sequence[Rule] = ()):
        self.name = name
        self._joins = [(rule.conditions.kinds(), rule.conditions.derived) for rule in rules if rule.conditions.derived]
        self._needs_by_kind: dict[Any, frozenset[str]] = {}
        try:
            self.handle = _c.create_ruleset(name, json.dumps(definitions))
        except Exception as exc:  # the C engine reports size limits as bare error codes
            raise EngineError(
                f"durable_rules refused the rulebook ({len(definitions)} rules in one ruleset): {exc}") from exc

    def needs_for(self, kind: Any) -> frozenset[str]:
        """The derived names worth giving this ruleset for an incident of ``kind``: those a rule that can match
        that kind joins on. The others could fire nothing: an assert and a retract for nothing, most of them."""
        try:
            found = self._needs_by_kind.get(kind)
        except TypeError:  # an unhashable kind matches no kind test
            kind, found = None, self._needs_by_kind.get(None)
        if found is None:
            found = self._needs_by_kind[kind] = frozenset(
                name for kinds, names in self._joins if kinds is None or kind in kinds for name in names)
        return found

    def free(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            try:
                _c.delete_ruleset(handle)
            except Exception:  # freeing at interpreter exit; nothing left to protect
                pass


class Engine:
    """A compiled rulebook, ready to run. Safe to share between threads.

    A decision runs it in two phases with the conflict policy between them, never inside it:
    :meth:`fire` gives the stage-1 firing for the incident; :meth:`fire_after` gives the
    after-incident rules (those that read ``outcome.*``, which only add actions) for the level the
    policy chose. Each phase is one whole run that leaves the engine empty.
    """

    def __init__(self, book: Rulebook, action_hook: Callable[[str], None] | None = None,
                 chunk_rules: int = CHUNK_RULES):
        self.book = book
        self.ruleset = "callguide_" + book.version.split(":", 1)[1][:16]
        self._lock = threading.Lock()
        self._open = 0
        self._action_hook = action_hook  # for tests of the failure path only
        self._derives = {rule.id: tuple(rule.then.derive) for rule in book.rules}
        self._derived_json = {
            name: json.dumps({"t": DERIVED, "name": name, "sid": _SID})
            for names in self._derives.values() for name in names}
        definitions = compile_rulebook(book)
        after = [rule for rule in book.rules if reads_outcome(rule)]
        incident = [rule for rule in book.rules if not reads_outcome(rule)]
        self._chunks = self._chunked(incident, definitions, chunk_rules, self.ruleset)
        self._after = self._chunked(after, definitions, chunk_rules, self.ruleset + ".after")
        # The after-incident rules see only what they read: a smaller fact to write and match.
        self._after_reads = {test.path for rule in after for test in rule.conditions.tests()}

    def _chunked(self, rules: list[Rule], definitions: dict[str, Any], size: int, name: str) -> list[_Chunk]:
        chunks: list[_Chunk] = []
        for start in range(0, len(rules), size):
            part = rules[start:start + size]
            chunks.append(_Chunk(name if start == 0 else f"{name}.{start // size}",
                                 {rule.id: definitions[rule.id] for rule in part}, part))
        return chunks

    def __del__(self) -> None:
        for chunk in getattr(self, "_chunks", []) + getattr(self, "_after", []):
            chunk.free()

    @property
    def rulesets(self) -> list[str]:
        """The names of the C rulesets this engine runs (one for the incident unless the rulebook is large)."""
        return [chunk.name for chunk in self._chunks + self._after]

    def fire(self, known: dict[str, Any]) -> Firing:
        """Stage 1: the rules that fire for the known facts, in firing order, and what they derived."""
        fact = engine_fact(known)
        fact["sid"] = _SID
        return self._run(self._chunks, _json(fact, known.values()), (), known.get("incident.kind"))

    def fire_after(self, known: dict[str, Any], level: str, derived: Sequence[str] = ()) -> list[str]:
        """Stage 2: the after-incident rules that fire once the policy has chosen ``level``."""
        if not self._after:
            return []
        read = {path: value for path, value in known.items() if path in self._after_reads}
        fact = engine_fact(read)
        fact.update(t=OUTCOME, sid=_SID, outcome={"recommendation": level})
        return self._run(self._after, _json(fact, read.values()), derived, known.get("incident.kind")).rules

    def _run(self, chunks: list[_Chunk], payload: str, given: Sequence[str], kind: Any) -> Firing:
        """Assert ``payload`` (and the derived findings ``given``) into every chunk; empty them after."""
        with self._lock:
            run = _Run(chunks, kind)
            self._open += 1
            failed = True
            try:
                for index, chunk in enumerate(chunks):
                    self._assert(run, index, payload)
                    for name in given:
                        if name in run.needs[index] and name not in run.seen[index]:
                            run.seen[index].add(name)
                            self._assert(run, index, self._derived_json[name])
                if len(chunks) > 1:
                    self._spread(run)
                failed = False
                return run.firing
            finally:
                self._open -= 1
                for chunk, done in zip(chunks, run.asserted):
                    if done:
                        self._clear(chunk, done, failed)

    def _clear(self, chunk: _Chunk, payloads: list[str], failed: bool) -> None:
        """Empty the session for the next run: retract what was asserted, newest first.

        ``delete_state`` would free the session outright, but durable_rules corrupts its heap
        in ``delete_state`` for some rulesets (seen with synthetic rulebooks, through the Host
        as well: "free(): invalid pointer"), so it is kept for a run that failed half-way.
        """
        if not failed:
            try:
                for payload in reversed(payloads):
                    _c.retract_fact(chunk.handle, payload)
                return
            except Exception:  # fall through to a clean slate
                pass
        try:
            _c.delete_state(chunk.handle, _SID)
        except Exception:  # 309: there was no state (the first assert itself failed)
            pass

    def _spread(self, run: _Run) -> None:
        """Give every ruleset each derived fact it needs and has not seen, until nothing is new.

        Each ruleset looks only at the findings derived since its last turn: an earlier one it was
        given already, or does not need (what a ruleset needs does not change during a run)."""
        derived = run.firing.derived
        looked = [0] * len(run.chunks)  # how much of ``derived`` each ruleset has looked at
        changed = True
        while changed:
            changed = False
            for index, needs in enumerate(run.needs):
                new, looked[index] = derived[looked[index]:], len(derived)
                seen = run.seen[index]
                for name in new:
                    if name in needs and name not in seen:
                        seen.add(name)
                        changed = True
                        self._assert(run, index, self._derived_json[name])

    def _assert(self, run: _Run, index: int, payload: str) -> None:
        """Assert one fact into ruleset ``index``, then run the actions it triggers, one at a time, as the Host does."""
        handle, firing, asserted = run.chunks[index].handle, run.firing, run.asserted[index]
        asserted.append(payload)
        try:
            code, state = _c.assert_fact(handle, payload)
        except Exception as exc:
            raise EngineError(f"durable_rules failed: {exc}") from exc
        if code == _NOT_HANDLED:
            return
        started = _c.start_action_for_state(handle, state)
        message = started[1] if started else None
        while message:
            rule_id = _rule_of(message)
            if self._action_hook:
                try:
                    self._action_hook(rule_id)
                except Exception as exc:
                    _c.abandon_action(handle, state)
                    raise EngineError(f"a rule action failed: {rule_id}: {exc}") from exc
            if rule_id not in run.fired:
                run.fired.add(rule_id)
                firing.rules.append(rule_id)
            for name in self._derives[rule_id]:
                if name not in run.found:
                    run.found.add(name)
                    firing.derived.append(name)
                    run.seen[index].add(name)
                    if name in run.needs[index]:  # else no rule here that can match this incident joins on it
                        asserted.append(self._derived_json[name])
                        try:
                            _c.assert_fact(handle, self._derived_json[name])
                        except Exception as exc:
                            _c.abandon_action(handle, state)
                            raise EngineError(f"durable_rules failed: {exc}") from exc
            message = _c.complete_and_start_action(handle, state)

    def live_sessions(self) -> int:
        """Sessions open in the C engine; 0 between runs."""
        return self._open


# -- compiling rules into durable_rules rulesets ------------------------------------------------
# Each rule becomes one durable_rules rule. Its conditions on the incident become a single ``$and``
# over the one ``incident`` fact (durable_rules joins every ``all`` entry to a *different* fact), and
# each derived finding it needs becomes one more entry matching a ``derived`` fact that another
# rule's action asserted: that is where the forward chaining happens. Unknown facts are absent from
# the asserted fact, and durable_rules never matches an absent property with ``$neq``, so "not
# true" compiles to "absent or different". Ordered scales are asserted as positions (numbers).
INCIDENT, DERIVED, OUTCOME = "incident", "derived", "outcome"


def engine_fact(known: dict[str, Any]) -> dict[str, Any]:
    """The one ``incident`` fact asserted for a decision, from the known facts."""
    nested: dict[str, Any] = {"t": INCIDENT}
    for path, value in known.items():
        section, name = path.split(".", 1)
        if path in ORDINALS:
            name, value = f"{name}_level", ORDINALS[path].index(value)
        nested.setdefault(section, {})[name] = value
    return nested


def compile_rulebook(book: Rulebook) -> dict[str, dict[str, Any]]:
    """``{rule_id: durable_rules rule}`` without ``run`` (the engine runs the actions itself)."""
    return {rule.id: compile_rule(rule) for rule in book.rules}


def compile_rule(rule: Rule) -> dict[str, Any]:
    conditions = rule.conditions
    entries: list[dict[str, Any]] = []
    if conditions.items:
        entries.append({"m": {"$and": [{"t": OUTCOME if reads_outcome(rule) else INCIDENT}] + _terms(conditions)}})
    for index, name in enumerate(conditions.derived):
        entries.append({f"d{index}": {"$and": [{"t": DERIVED}, {"name": name}]}})
    return {"all": entries}


def _terms(conditions: Conditions) -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = []
    for item in conditions.items:
        if isinstance(item, AnyOf):
            terms.append({"$or": [{"$and": _terms(group) or [{"t": INCIDENT}]} for group in item.groups]})
        else:
            terms.append(_one_test(item.path, item.op, item.value))
    return terms


def _one_test(path: str, op: str, operand: Any) -> dict[str, Any]:
    target = f"{path}_level" if path in ORDINALS else path
    if path in ORDINALS and op != "known":
        scale = ORDINALS[path]
        operand = [scale.index(v) for v in operand] if isinstance(operand, list) else scale.index(operand)
    if op == "is":
        return {target: operand}
    if op == "in":
        return {"$or": [{target: value} for value in operand]}
    if op == "not":
        return {"$or": [{"$nex": {target: 1}}, {"$neq": {target: operand}}]}
    if op == "not_in":
        return {"$or": [{"$nex": {target: 1}}, {"$and": [{"$neq": {target: v}} for v in operand]}]}
    if op == "at_least":
        return {"$gte": {target: operand}}
    if op == "at_most":
        return {"$lte": {target: operand}}
    if op == "known":
        return {"$ex": {target: 1}} if operand else {"$nex": {target: 1}}
    raise ValueError(f"unknown test {op}")


_MAX_FLOAT = format(Decimal(sys.float_info.max), "f")


def _json(value: Any, leaves: Iterable[Any] | None = None) -> str:
    """JSON that durable_rules' parser reads: numbers never in exponent notation.

    ``json.dumps`` (in C) writes every fact whose floats it would not put in exponent notation,
    which is nearly all of them; the rest are written by hand in :func:`_positional_json`.
    ``leaves``: the fact's values, when the caller has them flat (quicker to check than the tree).
    """
    awkward = any(map(_awkward, leaves)) if leaves is not None else _has_awkward_float(value)
    return _positional_json(value) if awkward else json.dumps(value, separators=(",", ":"))


def _awkward(value: Any) -> bool:
    """A float that ``repr`` writes with an exponent, or that JSON cannot hold (inf, NaN)."""
    return value.__class__ is float and (not math.isfinite(value) or (value != 0 and not 1e-4 <= abs(value) < 1e16))


def _has_awkward_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_awkward_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_awkward_float(v) for v in value)
    return isinstance(value, float) and _awkward(float(value))


def _positional_json(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_positional_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            raise EngineError("durable_rules cannot compare NaN")
        if math.isinf(value):
            return _MAX_FLOAT if value > 0 else "-" + _MAX_FLOAT
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    if isinstance(value, list):
        return "[" + ",".join(_positional_json(v) for v in value) + "]"
    raise EngineError(f"durable_rules cannot take the value {value!r}")


def _rule_of(message: str) -> str:
    """The rule id an action message is for: its first key (``{"rule-id": {...}}``)."""
    if message.startswith('{"'):
        end = message.find('"', 2)
        if end > 2:
            return message[2:end]
    return next(iter(json.loads(message)))
