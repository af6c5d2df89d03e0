"""Actions that several rules give, written once in ``rules/actions.yaml``.

A rule lists a shared action as ``- use: ambulance``; the loader puts the action's words in its
place before the rule is validated, so everything downstream sees an ordinary action. Before this,
the ambulance step was written out in six rules, and a change to its words had to be made six times
(the loader already refused copies that differed). An area pack may hold its own ``actions.yaml``:
an action with a base action's id replaces its words for every rule that uses it (in the area's own
words, naming its own teams; a change needs its own source, as a changed parameter needs its own
reference), and a new one is for the pack's rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from .rulefiles import RULE_ID, RulebookError, pydantic_message, read_yaml, strip_lines

FILE = "actions.yaml"


class SharedActions:
    """The shared actions by id, and which of them a rule has used (an unused one is dead words)."""

    def __init__(self, bodies: dict[str, dict[str, Any]], files: dict[str, str] | None = None) -> None:
        self.bodies = bodies
        self.files = files or {}  # where an action was written, when not in the base's actions.yaml
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
                raise RulebookError(f"{self.files.get(name, FILE)}:{body.get('__line__', '?')}: shared action {name} "
                                    "is used by no rule")

    def with_pack(self, pack: "SharedActions", label: str) -> "SharedActions":
        """These actions with an area pack's (``label``: its file, for errors) laid over them."""
        bodies = dict(self.bodies)
        for name, body in pack.bodies.items():
            base = bodies.get(name)
            changed = base is not None and _words(body) != _words(base)
            if changed and body.get("source") == base.get("source"):
                raise RulebookError(f"{label}:{body.get('__line__', '?')}: shared action {name}: the area's words "
                                    "need their own source (the base's source does not support them)")
            bodies[name] = body
        return SharedActions(bodies, {**self.files, **{name: label for name in pack.bodies}})


def _words(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in ("source", "__line__")}


Check = Callable[[dict[str, Any]], object]  # validates one action's body (the rulebook's Action model)


def load_shared_actions(directory: Path, pack: Path | None = None, check: Check | None = None) -> SharedActions:
    """The shared actions of a rules directory, with an area ``pack``'s own laid over them; ``check``
    validates each where it is written, so an error names the file it is in (not a rule using it)."""
    shared = _read(directory / FILE, FILE, check)
    if pack is not None and (pack / FILE).is_file():
        label = f"{pack.name}/{FILE}"
        shared = shared.with_pack(_read(pack / FILE, label, check), label)
    return shared


def _read(path: Path, label: str, check: Check | None) -> SharedActions:
    if not path.exists():
        return SharedActions({})  # an older rulebook (``rules diff``), or one with nothing shared
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("actions"), dict):
        raise RulebookError(f"{label}: give 'actions', a mapping from each shared action's id to its words")
    bodies: dict[str, dict[str, Any]] = {}
    for name, body in raw["actions"].items():
        if name == "__line__":
            continue
        if not (isinstance(name, str) and RULE_ID.match(name)) or not isinstance(body, dict):
            raise RulebookError(f"{label}:{raw['actions'].get('__line__', '?')}: shared action {name!r}: "
                                "an id in lower-case words joined by '-', with what, by and source")
        if "id" in body or "use" in body:
            raise RulebookError(f"{label}:{body.get('__line__', '?')}: shared action {name}: its id is its key; "
                                "give what, by, source (and for, first)")
        if check is not None:
            try:
                check({"id": name, **strip_lines(body)})
            except ValidationError as exc:
                raise RulebookError(f"{label}:{body.get('__line__', '?')}: shared action {name}: "
                                    f"{pydantic_message(exc, '(action)')}") from None
        bodies[name] = body
    return SharedActions(bodies)
