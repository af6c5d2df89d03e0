"""Phase two of a decision: the words a person reads, from an :class:`~callguide.evaluation.Evaluation`.

The rationale (each rule's reason, in the order that explains the level), the actions (only those
for the young person's role; the call itself first), the headline and, for people who maintain the
rules, the rules that did not apply. Facts, parameters and the setting's words are filled into
the rules' texts by :func:`render`.
"""

from __future__ import annotations

import string
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field

from .evaluation import Evaluation
from .facts import Level
from .rulebook import DEADLINE_ORDER, FIRST_ORDER, FIRST_ORDER_NOT_999, FirstKind, Rule, Rulebook, reads_outcome

Role = Literal["decisive", "supporting", "outweighed", "also_applies"]


# The rationale's, actions' and questions' items are built from the validated rulebook by plain
# validation: with pydantic 2.14 that (in Rust) takes about half the time of ``model_construct``
# (in Python), and a 2,000-rule decision builds dozens of them.
class Reason(BaseModel):
    rule: str
    because: str
    source: str
    title: str
    role: Role


class LocalContact(BaseModel):
    """One of the area's contacts for a step (its pack's contacts.yaml)."""

    name: str
    phone: str | None = Field(None, description="Absent until the area has confirmed the number: callguide never guesses one.")
    hours: str | None = None
    note: str | None = None
    source: str = Field(description="Where the area publishes it.")


class ActionOut(BaseModel):
    what: str
    by: str
    source: str
    id: str
    rule: str
    first: FirstKind | None = Field(None, description=(
        "What the rules put before the other actions (the action's 'first' in rules/): call (the call "
        "itself), ambulance, medical (other medical help: A&E, first aid, the crisis team) or check (a check "
        "to do before calling). Absent (null) for the rest. The actions come in this order, then by deadline."))
    contacts: list[LocalContact] | None = Field(None, description=(
        "The area's local contacts for this step (its pack's contacts.yaml), for whoever takes it; absent "
        "when the area names none. A phone is absent until the area has confirmed it."))


class Considered(BaseModel):
    rule: str
    title: str
    source: str


def _contacts(book: Rulebook) -> dict[str, list[LocalContact]]:
    """For each action id, the area's contacts for it (worked out once per rulebook)."""
    found = book.derived.get("contacts-by-action")
    if found is None:
        by_action: dict[str, list[LocalContact]] = {}
        for contact in book.contacts.values():
            for action_id in contact.actions:
                by_action.setdefault(action_id, []).append(
                    LocalContact.model_validate(contact.model_dump(exclude={"actions"})))
        found = book.derived.setdefault("contacts-by-action", by_action)
    return found


def headline(evaluation: Evaluation, actions: list[ActionOut], book: Rulebook) -> str:
    """The level's lead and the decisive rule's title; the lead agrees with the first action.

    When the first action is a rule's check to do before calling (``first: check``), that rule's
    ``headline`` replaces the lead ("Do these checks now, then call 101 ..."); a 999 answer always
    keeps its own words.
    """
    resolution = evaluation.resolution
    lead = render(book.vocabulary.level(resolution.level).lead, evaluation.known, book)
    leader = book.rule(actions[0].rule) if actions else None
    if leader is not None and leader.then.headline and resolution.level is not Level.call_999:
        lead = render(leader.then.headline, evaluation.known, book)
    title = resolution.decisive[0].title if resolution.decisive else ""
    reason = (title[:1].lower() + title[1:]).rstrip(".")
    return f"{lead}: {reason}." if reason else f"{lead}."


def rationale(evaluation: Evaluation, book: Rulebook) -> list[Reason]:
    """Decisive rules, the findings they rely on, what they outweighed, then what else applies."""
    resolution, fired = evaluation.resolution, evaluation.fired
    ordered: list[tuple[Rule, Role]] = [(rule, "decisive") for rule in resolution.decisive]
    ordered += [(rule, "supporting") for rule in _chain(resolution.decisive, fired)]
    listed = {rule.id for rule, _ in ordered}
    ordered += [(rule, "outweighed") for rule in resolution.outweighed
                if not rule.then.default and rule.id not in listed]
    listed = {rule.id for rule, _ in ordered}
    ordered += [(rule, "also_applies") for rule in fired
                if rule.id not in listed and not rule.then.default and _also_applies(rule, resolution.level)]
    return [Reason(rule=rule.id, because=render(rule.because, evaluation.known, book), source=rule.source,
                   title=rule.title, role=role) for rule, role in ordered]


def _chain(decisive: list[Rule], fired: list[Rule]) -> list[Rule]:
    """The fired rules whose derived conclusions the decisive rules rely on, transitively."""
    needed = [name for rule in decisive for name in rule.conditions.derived]
    chain: list[Rule] = []
    seen = {rule.id for rule in decisive}
    while needed:
        name = needed.pop(0)
        for rule in fired:
            if name in rule.then.derive and rule.id not in seen:
                seen.add(rule.id)
                chain.append(rule)
                needed.extend(rule.conditions.derived)
    return chain


def _also_applies(rule: Rule, level: Level) -> bool:
    """Worth listing after the decisive rules: it points the same way, it adds a finding, or it is a
    limit the answer keeps within (the young person's neurodivergence, a plan that foresees the
    behaviour: a reason not to go higher, even when another limit set the answer lower)."""
    if rule.then.recommend is not None:
        if rule.then.strength == "ceiling":
            return rule.then.recommend.rank >= level.rank
        return rule.then.recommend == level
    return bool(rule.then.derive)


def actions(evaluation: Evaluation, book: Rulebook) -> list[ActionOut]:
    """Each action once, for the young person's role; the call first, then by urgency."""
    held, derived = evaluation.roles, set(evaluation.derived)
    found: dict[str, ActionOut] = {}
    for rule in evaluation.fired + evaluation.after:
        for action in rule.then.actions:
            if action.for_ and not held & set(action.for_):
                continue  # e.g. a suspect's "put it right" talk when the young person was harmed
            if derived.intersection(action.unless):
                continue  # a general step another rule's own step replaces (two adults' private life)
            if action.id not in found:
                found[action.id] = ActionOut(
                    what=render(action.what, evaluation.known, book), by=action.by, source=action.source,
                    id=action.id, rule=rule.id, first=action.first, contacts=_contacts(book).get(action.id))
    if any(a.first == "call" for a in found.values()):
        # A check to do before calling has no place once a rule says to call now (a missing young
        # child, a known risk, immediate concern): "do these checks, then call" would contradict it.
        found = {key: a for key, a in found.items() if a.first != "check"}
    # The call itself first, then medical help, then a check to do before calling, then by
    # deadline. Among calls the level's own (a rule reading outcome.*, such as "Call 999 now")
    # leads; the rest keep the rules' order. A call that is not 999 waits for
    # medical help: an injured young person goes to A&E before the 101 call (NHS; Protocol §5.2).
    order = FIRST_ORDER if evaluation.level == Level.call_999 else FIRST_ORDER_NOT_999
    position = _positions(book)
    # A step marked ``leads`` (stopping a harm still going on) comes before the general steps of its
    # deadline. At 999 the emergency's own "now" steps (of a rule that finds the immediate danger or
    # needs it: get away, keep away, stay with them) come before it: safety first (first aid starts
    # by checking for danger), then stopping the harm (H30-advice19-1: the blackmail steps were below
    # the 999 page's three). Steps the rules put first (the call, medical help) keep their own order;
    # below 999 no such rule fires.
    leading, safety = _leading(book), _safety_rules(book)

    def tier(a: ActionOut) -> int:
        if a.first is None and a.by == "now" and a.rule in safety:
            return 0
        return 1 if a.id in leading else 2

    def key(a: ActionOut) -> tuple[float, int, bool, int, int]:
        own = a.first == "call" and reads_outcome(book.rule(a.rule))
        place: float = order.index(a.first)
        if a.first == "call" and not own and evaluation.level == Level.call_999:
            # The 999 call is the call to the police: another rule's "report it for them" is said on
            # that call, after the ambulance and first aid, not between them and "Call 999 now".
            place = order.index("medical") + 0.5
        # Medical help in the rulebook's order, whichever stage's rule gave it ("get them to A&E"
        # is given below 999 only, by a rule reading the outcome, and still leads the crisis steps).
        medical = position[a.rule] if a.first in ("ambulance", "medical") else 0
        return place, DEADLINE_ORDER.index(a.by), a.first == "call" and not own, tier(a), medical
    return sorted(found.values(), key=key)


def _leading(book: Rulebook) -> frozenset[str]:
    """The ids of the actions marked ``leads``, worked out once per book."""
    found = book.derived.get("leading_actions")
    if found is None:
        found = book.derived["leading_actions"] = frozenset(
            action.id for rule in book.rules for action in rule.then.actions if action.leads)
    return found


def _safety_rules(book: Rulebook) -> frozenset[str]:
    """The ids of the rules that find an immediate danger (a safety rule: call 999) or need one."""
    found = book.derived.get("safety_rules")
    if found is None:
        found = book.derived["safety_rules"] = frozenset(
            rule.id for rule in book.rules if rule.then.strength == "safety"
            or (rule.conditions is not None and "immediate_danger" in rule.conditions.derived))
    return found


def _positions(book: Rulebook) -> dict[str, int]:
    """Each rule's place in the rulebook, worked out once per book."""
    found = book.derived.get("rule_positions")
    if found is None:
        found = book.derived["rule_positions"] = {rule.id: i for i, rule in enumerate(book.rules)}
    return found


def considered(evaluation: Evaluation, book: Rulebook) -> list[Considered]:
    """The rules that did not apply (``explain``)."""
    applied = {rule.id for rule in evaluation.fired + evaluation.after}
    return [Considered(rule=r.id, title=r.title, source=r.source) for r in book.rules if r.id not in applied]


# -- filling the texts -----------------------------------------------------------------------------
def plain(value: Any) -> str:
    """A fact or parameter value as a person reads it (40.0 -> "40", criminal_damage -> "criminal damage")."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, float)):
        return f"{value:,}"
    return str(value).replace("_", " ")


def render(template: str, known: dict[str, Any], book: Rulebook) -> str:
    """Fill ``{incident.damage_value_gbp}``, ``{param.x}`` and ``{words.x}`` / ``{Words.x}``."""
    if "{" not in template:  # most reasons and actions quote no facts
        return template
    out: list[str] = []
    for literal, name in _fields(template):
        out.append(literal)
        if name is None:
            continue
        if name.startswith(("words.", "Words.")) and book.vocabulary is not None:
            word = book.vocabulary.words_for(known)[name[6:]]
            out.append(word[:1].upper() + word[1:] if name[0] == "W" else word)
        elif name.startswith("param."):
            out.append(plain(book.parameters[name[6:]].value))
        else:
            out.append(plain(known.get(name, "unknown")))
    return "".join(out)


@lru_cache(maxsize=8192)
def _fields(template: str) -> tuple[tuple[str, str | None], ...]:
    """A template split once into (literal text, field name or None); the texts are the rulebook's own.
    The values are written as people read them (:func:`plain`), so a format spec has no use and is ignored."""
    return tuple((literal, name) for literal, name, _, _ in string.Formatter().parse(template))
