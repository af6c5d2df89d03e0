"""The rulebook's stage-1 logic in two peer engines, generated from the compiled rulebook.

Both peers are built from ``callguide.compiler.compile_rulebook`` (the very conditions given to
durable_rules), so they cannot drift from the YAML. What they encode, exactly:

- every stage-1 rule (rules reading ``outcome.*`` only add actions after the decision, so they
  are left out), with its incident conditions and the derived facts it needs and concludes;
- unknown facts are absent (zen-engine: ``null``; CLIPS: the symbol ``nil``) and fail every
  test except "not known"; values compare only within their type, as in durable_rules;
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

from callguide.compiler import compile_rulebook, engine_fact, flat_fact, reads
from callguide.facts import Level
from callguide.policy import resolve
from callguide.rulebook import Rulebook, iter_conditions


def stage_one(book: Rulebook) -> list[tuple[str, dict | None, list[str], list[str]]]:
    """(rule id, incident condition term or None, derived names needed, derived names concluded)."""
    definitions = compile_rulebook(book)
    rules = []
    for rule in book.rules:
        if any(p.startswith("outcome.") for p, _ in iter_conditions(rule.when)):
            continue
        entries = definitions[rule.id]["all"]
        term = next((e["m"] for e in entries if "m" in e), None)
        needs = [e[k]["$and"][1]["name"] for e in entries for k in e if k != "m"]
        rules.append((rule.id, term, needs, list(rule.then.derive)))
    return rules


# -- zen-engine -------------------------------------------------------------------------------
def _zen_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "\\'") + "'"
    return repr(value)


def _zen(term: Any) -> str:
    (key, operand), = term.items() if len(term) == 1 else [("$and", [{k: v} for k, v in term.items()])]
    if key == "$and":
        return "(" + " and ".join(_zen(t) for t in operand) + ")" if operand else "true"
    if key == "$or":
        return "(" + " or ".join(_zen(t) for t in operand) + ")" if operand else "false"
    if key in ("$ex", "$nex"):
        (path, _), = operand.items()
        return f"({path} {'!=' if key == '$ex' else '=='} null)"
    (path, value), = operand.items() if key.startswith("$") else [(key, operand)]
    if key == "t":
        return "true"  # the one input is the incident
    op = {"$gte": ">=", "$lte": "<=", "$gt": ">", "$lt": "<", "$neq": "!="}.get(key, "==")
    if op == "==":
        return f"({path} == {_zen_value(value)})"
    return f"({path} != null and {path} {op} {_zen_value(value)})"


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
                parts = [_zen(term)] if term else []
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
        result = self.decision.evaluate(engine_fact(known))["result"]
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


def _clips(term: Any) -> str:
    (key, operand), = term.items() if len(term) == 1 else [("$and", [{k: v} for k, v in term.items()])]
    if key in ("$and", "$or"):
        parts = [_clips(t) for t in operand]
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return "TRUE" if key == "$and" else "FALSE"
        return f"({key[1:]} " + " ".join(parts) + ")"
    if key in ("$ex", "$nex"):
        (path, _), = operand.items()
        return f"({'neq' if key == '$ex' else 'eq'} ?{_slot(path)} nil)"
    (path, value), = operand.items() if key.startswith("$") else [(key, operand)]
    if key == "t":
        return "TRUE"
    v, c = f"?{_slot(path)}", _clips_value(value)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if key in ("$gte", "$lte", "$gt", "$lt"):
        op = {"$gte": ">=", "$lte": "<=", "$gt": ">", "$lt": "<"}[key]
        return f"(and (numberp {v}) ({op} {v} {c}))" if number else "FALSE"
    if key == "$neq":
        if number:
            return f"(and (neq {v} nil) (or (not (numberp {v})) (<> {v} {c})))"
        return f"(and (neq {v} nil) (neq {v} {c}))"
    return f"(and (numberp {v}) (= {v} {c}))" if number else f"(eq {v} {c})"


class ClipsPeer:
    name = "clipspy (CLIPS)"

    def __init__(self, book: Rulebook):
        import clips

        self.book = book
        self.rules = stage_one(book)
        slots = sorted(set().union(*(reads(term) for _, term, _, _ in self.rules if term)) - {"t"})
        self.slots = slots
        env = clips.Environment()
        env.build("(deftemplate incident " + " ".join(f"(slot {_slot(s)} (default nil))" for s in slots) + ")")
        env.build("(deftemplate fired (slot id))")
        env.build("(deftemplate derived (slot name))")
        for rule_id, term, needs, derives in self.rules:
            used = sorted(reads(term) - {"t"}) if term else []
            lhs = "(incident " + " ".join(f"({_slot(p)} ?{_slot(p)})" for p in used) + ")"
            lhs += "".join(f' (derived (name "{name}"))' for name in needs)
            if term:
                lhs += f" (test {_clips(term)})"
            rhs = f'(assert (fired (id "{rule_id}")))' + "".join(
                f' (assert (derived (name "{name}")))' for name in derives)
            env.build(f"(defrule {rule_id} {lhs} => {rhs})")
        self.env = env
        self.template = env.find_template("incident")
        self.clips = clips

    def _slots(self, known: dict[str, Any]) -> dict[str, Any]:
        flat = flat_fact(engine_fact(known))
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
