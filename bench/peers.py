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
from typing import Any

from callguide.conditions import Conditions, FactTest
from callguide.facts import ORDINALS, Level
from callguide.policy import resolve
from callguide.rulebook import Rulebook, reads_outcome


def stage_one(book: Rulebook) -> list[tuple[str, Conditions, tuple[str, ...], list[str]]]:
    """(rule id, its conditions, derived names needed, derived names concluded) per stage-1 rule."""
    return [(rule.id, rule.conditions, rule.conditions.derived, list(rule.then.derive))
            for rule in book.rules if not reads_outcome(rule)]


def _operand(path: str, value: Any) -> Any:
    """A value as the peers hold it: a position on an ordered scale, else itself."""
    return ORDINALS[path].index(value) if path in ORDINALS else value


def _peer_facts(known: dict[str, Any]) -> dict[str, Any]:
    return {path: _operand(path, value) for path, value in known.items()}


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"incident.kind": x}`` -> ``{"incident": {"kind": x}}`` (zen-engine reads dotted paths)."""
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        section, name = path.split(".", 1)
        nested.setdefault(section, {})[name] = value
    return nested


# -- zen-engine -------------------------------------------------------------------------------
def _zen_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "\\'") + "'"
    return repr(value)


def _zen_test(test: FactTest) -> str:
    path = test.path
    if test.op == "known":
        return f"({path} {'!=' if test.value else '=='} null)"
    values = test.value if isinstance(test.value, list) else [test.value]
    equal = " or ".join(f"{path} == {_zen_value(_operand(path, v))}" for v in values)
    if test.op in ("is", "in"):
        return f"({path} != null and ({equal}))"
    if test.op in ("not", "not_in"):
        return f"({path} == null or not ({equal}))"
    op = ">=" if test.op == "at_least" else "<="
    return f"({path} != null and {path} {op} {_zen_value(_operand(path, test.value))})"


def _zen(conditions: Conditions) -> str:
    """All items hold; an ``any`` group holds when one of its branches does."""
    parts = [_zen_test(item) if isinstance(item, FactTest)
             else "(" + " or ".join(_zen(group) for group in item.groups) + ")" for item in conditions.items]
    return "(" + " and ".join(parts) + ")" if parts else "true"


class ZenPeer:
    name = "zen-engine"

    def __init__(self, book: Rulebook):
        import zen

        self.book = book
        self.rules = stage_one(book)
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
                parts = [_zen(term)]
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
        result = self.decision.evaluate(_nested(_peer_facts(known)))["result"]
        return [rule_id for i, rule_id in enumerate(self.ids) if result[f"r{i}"]]

    def level(self, known: dict[str, Any]) -> Level:
        return resolve([self.book.rule(r) for r in self.fired(known)]).level


# -- CLIPS ------------------------------------------------------------------------------------
def _slot(path: str) -> str:
    return path.replace(".", "__")


def _clips_value(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return repr(float(value)) if isinstance(value, float) else str(value)


def _clips_test(test: FactTest) -> str:
    v = f"?{_slot(test.path)}"
    if test.op == "known":
        return f"({'neq' if test.value else 'eq'} {v} nil)"
    values = test.value if isinstance(test.value, list) else [test.value]

    def equal(value: Any) -> str:
        c = _clips_value(_operand(test.path, value))
        number = isinstance(value, (int, float)) and not isinstance(value, bool) or test.path in ORDINALS
        return f"(and (numberp {v}) (= {v} {c}))" if number else f"(eq {v} {c})"

    anyone = equal(values[0]) if len(values) == 1 else "(or " + " ".join(map(equal, values)) + ")"
    if test.op in ("is", "in"):
        return anyone
    if test.op in ("not", "not_in"):
        return f"(or (eq {v} nil) (not {anyone}))"
    op = ">=" if test.op == "at_least" else "<="
    return f"(and (numberp {v}) ({op} {v} {_clips_value(_operand(test.path, test.value))}))"


def _clips(conditions: Conditions) -> str:
    """All items hold; an ``any`` group holds when one of its branches does."""
    parts = [_clips_test(item) if isinstance(item, FactTest)
             else "(or " + " ".join(_clips(group) for group in item.groups) + ")" for item in conditions.items]
    return "(and " + " ".join(parts) + ")" if len(parts) > 1 else (parts[0] if parts else "TRUE")


class ClipsPeer:
    name = "clipspy (CLIPS)"

    def __init__(self, book: Rulebook):
        import clips

        self.book = book
        self.rules = stage_one(book)
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
                lhs += f" (test {_clips(term)})"
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

    def level(self, known: dict[str, Any]) -> Level:
        return resolve([self.book.rule(r) for r in self.fired(known)]).level
