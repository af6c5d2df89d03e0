"""Actions that several rules give, written once in ``rules/actions.yaml``.

A rule lists a shared action as ``- use: ambulance``; the loader puts the action's words in its
place before the rule is validated, so everything downstream sees an ordinary action. Before this,
the ambulance step was written out in six rules, and a change to its words had to be made six times
(the loader already refused copies that differed). An area pack's rules use the base's actions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .rulefiles import RULE_ID, RulebookError, read_yaml

FILE = "actions.yaml"


class SharedActions:
    """The shared actions by id, and which of them a rule has used (an unused one is dead words)."""

    def __init__(self, bodies: dict[str, dict[str, Any]]) -> None:
        self.bodies = bodies
        self.used: set[str] = set()

    def expand(self, actions: Any, where: str) -> Any:
        """A rule's ``actions`` with each ``use:`` replaced by the shared action it names."""
        if not isinstance(actions, list):
            return actions  # the rule's own validation names what is wrong
        return [self._one(action, where) for action in actions]

    def _one(self, action: Any, where: str) -> Any:
        if not (isinstance(action, dict) and "use" in action):
            return action
        line = action.get("__line__", "?")
        extra = sorted(key for key in action if key not in ("use", "__line__"))
        if extra:
            raise RulebookError(f"{where}: action at line {line}: a shared action is used as written in "
                                f"{FILE}; give only 'use' (found {', '.join(extra)})")
        name = action["use"]
        if not isinstance(name, str) or name not in self.bodies:
            raise RulebookError(f"{where}: action at line {line}: no shared action {name!r} in {FILE}")
        self.used.add(name)
        return {"id": name, **self.bodies[name], "__line__": line}

    def check_all_used(self) -> None:
        for name, body in self.bodies.items():
            if name not in self.used:
                raise RulebookError(f"{FILE}:{body.get('__line__', '?')}: shared action {name} is used by no rule")


def load_shared_actions(directory: Path) -> SharedActions:
    path = directory / FILE
    if not path.exists():
        return SharedActions({})  # an older rulebook (``rules diff``), or one with nothing shared
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("actions"), dict):
        raise RulebookError(f"{FILE}: give 'actions', a mapping from each shared action's id to its words")
    bodies: dict[str, dict[str, Any]] = {}
    for name, body in raw["actions"].items():
        if name == "__line__":
            continue
        if not (isinstance(name, str) and RULE_ID.match(name)) or not isinstance(body, dict):
            raise RulebookError(f"{FILE}:{raw['actions'].get('__line__', '?')}: shared action {name!r}: "
                                "an id in lower-case words joined by '-', with what, by and source")
        if "id" in body or "use" in body:
            raise RulebookError(f"{FILE}:{body.get('__line__', '?')}: shared action {name}: its id is its key; "
                                "give what, by, source (and for, first)")
        bodies[name] = body
    return SharedActions(bodies)
