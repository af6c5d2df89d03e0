"""The only module that talks to durable_rules; every one of its quirks is handled here.

- Not thread-safe (C code, no locks, does not release the GIL): one lock per engine, and
  ``Host``'s two background timer threads are never started, because they call into the C
  engine on their own and can run a pending action in place of the caller.
- At most 1,024 live sessions per ruleset: every run uses a fresh session id and deletes its
  state in ``finally``, so a decision never leaks a session, even when it fails.
- Exceptions raised in actions are swallowed into ``state['exception']``: checked after every
  call and raised as :class:`EngineError`, so a failure is never a silent half answer.
- ``set_rulesets`` mutates its argument: it only ever gets a deep copy.
- No unloading and no re-registering a name: each engine has its own ``Host`` and names its
  ruleset after the rulebook's content hash.
- "No rule matched" is an exception in durable_rules; here it is simply an empty firing.
"""

from __future__ import annotations

import copy
import itertools
import threading
from dataclasses import dataclass
from typing import Any, Callable

from durable import engine as durable

from .compiler import DERIVED, OUTCOME, compile_rulebook, engine_fact
from .rulebook import Rulebook


class EngineError(RuntimeError):
    """The engine could not produce a whole answer; nothing partial is returned."""


class _QuietHost(durable.Host):
    """A Host without its background dispatch threads (see module docstring)."""

    def _run(self) -> None:  # noqa: D401 - overriding durable_rules' thread start-up
        return None


@dataclass
class Firing:
    """What one run of the engine concluded: rule ids in firing order, derived names."""

    rules: list[str]
    derived: list[str]


class Engine:
    """A compiled rulebook, ready to run. Safe to share between threads."""

    def __init__(self, book: Rulebook, action_hook: Callable[[str], None] | None = None):
        self.book = book
        self.ruleset = "callguide_" + book.version.split(":", 1)[1][:16]
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._runs: dict[str, Firing] = {}
        self._action_hook = action_hook  # for tests of the failure path only
        definitions = copy.deepcopy(compile_rulebook(book))
        for rule_id, definition in definitions.items():
            definition["run"] = self._action(rule_id)
        self._host = _QuietHost()
        try:
            self._host.set_rulesets({self.ruleset: definitions})
        except Exception as exc:  # the C engine reports size limits as bare error codes
            raise EngineError(f"durable_rules refused the rulebook ({len(definitions)} rules): {exc}") from exc

    def _action(self, rule_id: str) -> Callable[[Any], None]:
        derives = self.book.rule(rule_id).then.derive

        def run(c: Any) -> None:
            if self._action_hook:
                self._action_hook(rule_id)
            firing = self._runs[c.s.sid]
            if rule_id not in firing.rules:
                firing.rules.append(rule_id)
            for name in derives:
                if name not in firing.derived:
                    firing.derived.append(name)
                    c.assert_fact({"t": DERIVED, "name": name})

        return run

    def run(self, known: dict[str, Any], outcome: Callable[[Firing], str] | None = None) -> tuple[Firing, Firing]:
        """Fire the rules for the known facts.

        Stage 1 asserts the incident; ``outcome`` (the conflict policy) then turns stage 1's
        firing into a recommendation, and stage 2 asserts it in the same session so that the
        after-incident rules (which read ``outcome.*``) add their actions.
        """
        fact = engine_fact(known)
        with self._lock:
            sid = str(next(self._sids))
            firing = Firing([], [])
            self._runs[sid] = firing
            try:
                self._assert(sid, fact)
                stage_one = Firing(list(firing.rules), list(firing.derived))
                if outcome is not None:
                    level = outcome(stage_one)
                    self._assert(sid, {**fact, "t": OUTCOME, "outcome": {"recommendation": level}})
                stage_two = Firing(firing.rules[len(stage_one.rules):], [])
                return stage_one, stage_two
            finally:
                del self._runs[sid]
                self._host.delete_state(self.ruleset, sid)

    def _assert(self, sid: str, fact: dict[str, Any]) -> None:
        try:
            state = self._host.assert_fact(self.ruleset, {**fact, "sid": sid})
        except durable.MessageNotHandledException:
            return
        except Exception as exc:
            raise EngineError(f"durable_rules failed: {exc}") from exc
        if isinstance(state, dict) and state.get("exception"):
            raise EngineError(f"a rule action failed: {str(state['exception']).splitlines()[0][:300]}")

    def live_sessions(self) -> int:
        """Sessions still held in Python (the C side is freed with them); 0 between runs."""
        return len(self._runs)
