"""The rulebook's stage-1 logic in two peer engines, generated from the parsed rulebook.

Both peers are built from each rule's parsed conditions (``callguide.conditions``, the same
objects the engine's rulesets are compiled from), so they cannot drift from the YAML. What they
encode, exactly:

- every stage-1 rule (rules reading ``outcome.*`` only add actions after the decision, so they
  are left out), with its conditions and the derived facts it needs and concludes;
- unknown facts are absent (zen-engine: ``null``; CLIPS: the symbol ``nil``) and fail every
  test except "not" / "not_in" / "not known"; ordered scales compare by position;
- each peer returns the ids of the rules that fire; callguide's conflict policy
  (``callguide.policy.resolve``) turns them into the recommendation, as it does for callguide.

zen-engine (GoRules): one decision graph, input -> expression node -> output. The expression
node has one boolean per rule; a rule that needs derived facts has them inlined as "any of the
rules that derive it fire" (the derivation graph is acyclic; a cycle is refused).
CLIPS (clipspy): one ``incident`` template with a slot per fact, one ``defrule`` per rule that
asserts ``(fired id)`` and ``(derived name)``; derived facts chain through the agenda.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from callguide.conditions import COMPARISONS, Conditions, FactTest
from callguide.corpus import nest
from callguide.facts import ORDINALS, Level
from callguide.policy import resolve
from callguide.rulebook import Rulebook, reads_outcome


def stage_one(book: Rulebook) -> list[tuple[str, Conditions, tuple[str, ...], list[str]]]:
    """(rule id, its conditions, derived names needed, derived names concluded) per stage-1 rule."""
    return [(rule.id, rule.conditions, rule.conditions.derived, list(rule.then.derive))
            for rule in book.rules if not reads_outcome(rule)]


class _Peer:
    """A peer engine over the stage-1 rules; callguide's policy turns what it fires into the level."""

    name = ""

    def __init__(self, book: Rulebook):
        self.book = book
        self.rules = stage_one(book)

    def fired(self, known: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    def level(self, known: dict[str, Any]) -> Level:
        return resolve([self.book.rule(r) for r in self.fired(known)]).level


def _operand(path: str, value: Any) -> Any:
    """A value as the peers hold it: a position on an ordered scale, else itself."""
    return ORDINALS[path].index(value) if path in ORDINALS else value


def _peer_facts(known: dict[str, Any]) -> dict[str, Any]:
    return {path: _operand(path, value) for path, value in known.items()}


def _expression(conditions: Conditions, syntax: dict[str, Callable[..., str]]) -> str:
    """The conditions in a peer's syntax: all items hold; an ``any`` group holds when one branch does;
    unknown facts fail every test but "not", "not_in" and "not known"."""
    return syntax["all"]([_test(item, syntax) if isinstance(item, FactTest)
                          else syntax["any"]([_expression(group, syntax) for group in item.groups])
                          for item in conditions.items])


def _test(test: FactTest, syntax: dict[str, Callable[..., str]]) -> str:
    path = test.path
    if test.op == "known":
        return syntax["known"](path, test.value)
    if test.op in COMPARISONS:   # above / below are strict
        op = {"at_least": ">=", "at_most": "<=", "above": ">", "below": "<"}[test.op]
        return syntax["compare"](path, op, _operand(path, test.value))
    values = test.value if isinstance(test.value, list) else [test.value]
    anyone = syntax["any"]([syntax["equal"](path, _operand(path, value)) for value in values])
    if test.op in ("is", "in"):
        return syntax["all"]([syntax["known"](path, True), anyone])
    return syntax["any"]([syntax["known"](path, False), syntax["not"](anyone)])


# -- zen-engine -------------------------------------------------------------------------------
def _zen_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "\\'") + "'"
    return repr(value)


_ZEN = {
    "known": lambda path, said: f"({path} {'!=' if said else '=='} null)",
    "equal": lambda path, value: f"{path} == {_zen_value(value)}",
    "compare": lambda path, op, value: f"({path} != null and {path} {op} {_zen_value(value)})",
    "not": lambda part: f"not ({part})",
    "all": lambda parts: "(" + " and ".join(parts) + ")" if parts else "true",
    "any": lambda parts: "(" + " or ".join(parts) + ")",
}


class ZenPeer(_Peer):
    name = "zen-engine"

    def __init__(self, book: Rulebook):
        import zen

        super().__init__(book)
        by_id = {rule_id: (term, needs) for rule_id, term, needs, _ in self.rules}
        derivers: dict[str, list[str]] = {}
        for rule_id, _, _, derives in self.rules:
            for name in derives:
                derivers.setdefault(name, []).append(rule_id)
        memo: dict[str, str] = {}

        def fires(rule_id: str, path: tuple[str, ...] = ()) -> str:
            if rule_id in path:
                raise ValueError(f"derived facts form a cycle through {rule_id}")
            if rule_id not in memo:
                term, needs = by_id[rule_id]
                parts = [_expression(term, _ZEN)]
                for name in needs:
                    parts.append("(" + " or ".join(fires(r, path + (rule_id,)) for r in derivers[name]) + ")")
                memo[rule_id] = "(" + " and ".join(parts or ["true"]) + ")"
            return memo[rule_id]

        expressions = [{"id": str(i), "key": f"r{i}", "value": fires(rule_id)}
                       for i, (rule_id, *_rest) in enumerate(self.rules)]
        at = {"x": 0, "y": 0}
        graph = {
            "nodes": [
                {"id": "in", "type": "inputNode", "name": "incident", "position": at},
                {"id": "rules", "type": "expressionNode", "name": "rules", "position": at,
                 "content": {"expressions": expressions}},
                {"id": "out", "type": "outputNode", "name": "fired", "position": at}],
            "edges": [{"id": "a", "sourceId": "in", "targetId": "rules", "type": "edge"},
                      {"id": "b", "sourceId": "rules", "targetId": "out", "type": "edge"}]}
        self.graph = graph
        self.decision = zen.ZenEngine().create_decision(json.dumps(graph))
        self.ids = [rule_id for rule_id, *_ in self.rules]

    def fired(self, known: dict[str, Any]) -> list[str]:
        result = self.decision.evaluate(nest(_peer_facts(known)))["result"]
        return [rule_id for i, rule_id in enumerate(self.ids) if result[f"r{i}"]]


# -- CLIPS ------------------------------------------------------------------------------------
def _slot(path: str) -> str:
    return path.replace(".", "__")


def _clips_value(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return repr(float(value)) if isinstance(value, float) else str(value)


def _clips_equal(path: str, value: Any) -> str:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    v, c = f"?{_slot(path)}", _clips_value(value)
    return f"(and (numberp {v}) (= {v} {c}))" if number else f"(eq {v} {c})"


_CLIPS = {
    "known": lambda path, said: f"({'neq' if said else 'eq'} ?{_slot(path)} nil)",
    "equal": _clips_equal,
    "compare": lambda path, op, value: f"(and (numberp ?{_slot(path)}) ({op} ?{_slot(path)} {_clips_value(value)}))",
    "not": lambda part: f"(not {part})",
    "all": lambda parts: "(and " + " ".join(parts) + ")" if len(parts) > 1 else (parts[0] if parts else "TRUE"),
    "any": lambda parts: "(or " + " ".join(parts) + ")" if len(parts) > 1 else parts[0],
}


class ClipsPeer(_Peer):
    name = "clipspy (CLIPS)"

    def __init__(self, book: Rulebook):
        import clips

        super().__init__(book)
        slots = sorted({path for _, conditions, _, _ in self.rules for path in conditions.reads()})
        self.slots = slots
        env = clips.Environment()
        env.build("(deftemplate incident " + " ".join(f"(slot {_slot(s)} (default nil))" for s in slots) + ")")
        env.build("(deftemplate fired (slot id))")
        env.build("(deftemplate derived (slot name))")
        for rule_id, term, needs, derives in self.rules:
            used = sorted(set(term.reads()))
            lhs = "(incident " + " ".join(f"({_slot(p)} ?{_slot(p)})" for p in used) + ")"
            lhs += "".join(f' (derived (name "{name}"))' for name in needs)
            if term.items:
                lhs += f" (test {_expression(term, _CLIPS)})"
            rhs = f'(assert (fired (id "{rule_id}")))' + "".join(
                f' (assert (derived (name "{name}")))' for name in derives)
            env.build(f"(defrule {rule_id} {lhs} => {rhs})")
        self.env = env
        self.template = env.find_template("incident")
        self.clips = clips

    def _slots(self, known: dict[str, Any]) -> dict[str, Any]:
        flat = _peer_facts(known)
        out = {}
        for path in self.slots:
            value = flat.get(path)
            if value is None:
                continue
            if isinstance(value, bool):
                value = self.clips.Symbol("TRUE" if value else "FALSE")
            out[_slot(path)] = value
        return out

    def fired(self, known: dict[str, Any]) -> list[str]:
        env = self.env
        env.reset()
        self.template.assert_fact(**self._slots(known))
        env.run()
        return [f["id"] for f in env.facts() if f.template.name == "fired"]
