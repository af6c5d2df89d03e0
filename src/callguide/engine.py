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
  it, until none is new. The rules only ever join derived facts positively, so the rules that
  fire are the same as in one ruleset; only their order can differ.
"""

from __future__ import annotations

import json
import math
import sys
import threading
from decimal import Decimal
from dataclasses import dataclass
from typing import Any, Callable

import durable_rules_engine as _c

from .compiler import DERIVED, OUTCOME, compile_rulebook, engine_fact
from .rulebook import Rulebook, reads_outcome

# durable_rules fails at about 480 rules in one ruleset (error 303 at creation), and earlier when many
# rules match one fact (error 303 on assert: seen with 250 random rules, never with 150).
# 100 keeps a wide margin; the real rulebook (about 60 rules) stays one ruleset.
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


class _Chunk:
    """One C ruleset holding a slice of the rulebook."""

    def __init__(self, name: str, definitions: dict[str, Any]):
        self.name = name
        self.rule_ids = list(definitions)
        self.reads_outcome = False
        self.needs: set[str] = set()  # derived names its rules join on
        try:
            self.handle = _c.create_ruleset(name, json.dumps(definitions))
        except Exception as exc:  # the C engine reports size limits as bare error codes
            raise EngineError(
                f"durable_rules refused the rulebook ({len(definitions)} rules in one ruleset): {exc}") from exc

    def free(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            try:
                _c.delete_ruleset(handle)
            except Exception:  # freeing at interpreter exit; nothing left to protect
                pass


class Engine:
    """A compiled rulebook, ready to run. Safe to share between threads."""

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
        outcome_rules = {rule.id for rule in book.rules if reads_outcome(rule)}
        definitions = compile_rulebook(book)
        ids = list(definitions)
        self._chunks: list[_Chunk] = []
        for start in range(0, max(len(ids), 1), chunk_rules):
            part = {rule_id: definitions[rule_id] for rule_id in ids[start:start + chunk_rules]}
            name = self.ruleset if start == 0 else f"{self.ruleset}.{start // chunk_rules}"
            chunk = _Chunk(name, part)
            chunk.reads_outcome = any(rule_id in outcome_rules for rule_id in part)
            chunk.needs = {name for rule_id in part for name in book.rule(rule_id).when.get("derived", [])}
            self._chunks.append(chunk)

    def __del__(self) -> None:
        for chunk in getattr(self, "_chunks", []):
            chunk.free()

    @property
    def rulesets(self) -> list[str]:
        """The names of the C rulesets this engine runs (one unless the rulebook is large)."""
        return [chunk.name for chunk in self._chunks]

    def run(self, known: dict[str, Any], outcome: Callable[[Firing], str] | None = None) -> tuple[Firing, Firing]:
        """Fire the rules for the known facts.

        Stage 1 asserts the incident; ``outcome`` (the conflict policy) then turns stage 1's
        firing into a recommendation, and stage 2 asserts it in the same session so that the
        after-incident rules (which read ``outcome.*``) add their actions.
        """
        fact = engine_fact(known)
        fact["sid"] = _SID
        incident_json = _json(fact)
        with self._lock:
            firing = Firing([], [])
            self._open += 1
            failed = True
            chunks = self._chunks
            asserted: list[list[str]] = [[] for _ in chunks]  # what each ruleset was given
            try:
                seen = [set() for _ in chunks]  # derived names each ruleset has been given
                for index, chunk in enumerate(chunks):
                    self._assert(chunk, incident_json, firing, seen[index], asserted[index])
                if len(chunks) > 1:
                    self._spread(chunks, firing, seen, asserted)
                stage_one = Firing(list(firing.rules), list(firing.derived))
                if outcome is not None:
                    level = outcome(stage_one)
                    fact["t"] = OUTCOME
                    fact["outcome"] = {"recommendation": level}
                    outcome_json = _json(fact)
                    for index, chunk in enumerate(chunks):
                        if chunk.reads_outcome:
                            self._assert(chunk, outcome_json, firing, seen[index], asserted[index])
                stage_two = Firing(firing.rules[len(stage_one.rules):], [])
                failed = False
                return stage_one, stage_two
            finally:
                self._open -= 1
                for chunk, payloads in zip(chunks, asserted):
                    if payloads:
                        self._clear(chunk, payloads, failed)

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

    def _spread(self, chunks: list[_Chunk], firing: Firing, seen: list[set[str]], asserted: list[list[str]]) -> None:
        """Give every ruleset each derived fact it needs and has not seen, until nothing is new."""
        changed = True
        while changed:
            changed = False
            for index, chunk in enumerate(chunks):
                for name in list(firing.derived):
                    if name not in seen[index] and name in chunk.needs:
                        seen[index].add(name)
                        changed = True
                        self._assert(chunk, self._derived_json[name], firing, seen[index], asserted[index])

    def _assert(self, chunk: _Chunk, payload: str, firing: Firing, seen: set[str], asserted: list[str]) -> None:
        """Assert one fact, then run the actions it triggers, one at a time, as the Host does."""
        handle = chunk.handle
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
            if rule_id not in firing.rules:
                firing.rules.append(rule_id)
            for name in self._derives[rule_id]:
                if name not in firing.derived:
                    firing.derived.append(name)
                    seen.add(name)
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


_MAX_FLOAT = format(Decimal(sys.float_info.max), "f")


def _json(value: Any) -> str:
    """JSON that durable_rules' parser reads: numbers never in exponent notation.

    ``json.dumps`` (in C) writes every fact whose floats it would not put in exponent notation,
    which is nearly all of them; the rest are written by hand in :func:`_positional_json`.
    """
    if not _has_awkward_float(value):
        return json.dumps(value, separators=(",", ":"))
    return _positional_json(value)


def _has_awkward_float(value: Any) -> bool:
    """A float that ``repr`` writes with an exponent, or that JSON cannot hold (inf, NaN)."""
    if isinstance(value, dict):
        return any(_has_awkward_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_awkward_float(v) for v in value)
    if isinstance(value, float):
        return not math.isfinite(value) or (value != 0 and not 1e-4 <= abs(value) < 1e16)
    return False


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
