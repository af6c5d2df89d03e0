"""The "Should I call?" journey: which question comes next, and the answers kept so far.

The answers travel with the person, not in a database: as query parameters on each page's
address and as hidden fields in each form, one per fact (``incident.kind=criminal_damage``).
"I don't know" is kept as ``unknown`` so that the same question is not asked twice; to the
rules it is an unknown fact, never ``false``. No free text is ever collected. The words on the
pages come from the rulebook's vocabulary (:mod:`callguide.web.words`), never from here.

Order (NHS 111 asks who the call is about first; so do we, once danger is out of the way):

1. the immediate-danger question (a "yes" or "not sure" goes straight to "Call 999 now");
2. who the young person is and where they live (care status, age, setting), so that every page
   after it speaks the setting's words ("your supervising social worker", not "the registered
   manager", to a foster carer);
3. what happened (:mod:`callguide.web.happened`: grouped, including the young person harmed);
4. for a missing young person, the missing-person route in the guidance's order;
5. then the questions the rules say could still change the answer (``Decision.questions``), one
   per page, until none is left: first those the vocabulary asks first for the kind of incident
   (``asking``: "does anyone need an ambulance?" for self-harm), then in the decision's own order,
   but a question that matters only together with another after it (:func:`partner_first`).
   Questions that do not fit the kind (``asking.not_asked``: a weapon, for a missing young person)
   are not asked; the rules see them as unknown. Nor is one that could change the answer only
   together with an answer given as "I don't know" (:func:`deciding`), unless it could make it 999;
6. then a question the vocabulary asks for its steps alone (``asking.<kind>.steps_asked``), whose
   answer changes only what to do (blackmail over images, once sexual harm is already 101).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping
from urllib.parse import urlencode

from ..conditions import AnyOf, Conditions
from ..decision import Decider, Decision
from ..facts import SAFETY_CRITICAL, Incident, Level, allowed_values, fact_paths, parse_incident
from ..questions import QuestionOut
from ..asking import Asking
from ..vocabulary import Vocabulary
from . import happened
from .fitting import NOT_KNOWN, WHO_CAUSED_IT, fits, offered

UNKNOWN = "unknown"
DANGER = "incident.risk_to_life"
KIND = "incident.kind"
# Who and where, asked right after danger (issue 14, item 1).
WHO_AND_WHERE = ("person.status", "person.age", "setting.type")
# The missing-person route: whereabouts, a specific worry, enquiries done, hours away (Protocol
# §8.3, Philomena protocol; DfE guidance on children who go missing). Age is asked with "who".
MISSING_ROUTE = ("missing.whereabouts_known", "missing.immediate_concern", "missing.enquiries_done",
                 "missing.hours_absent")
# Away with whereabouts known is not missing (DfE 2014): no enquiries or hours to ask about.
AWAY_ROUTE = MISSING_ROUTE[:2]
# Asked whatever the rules read: they decide the words and the route, not only the level.
ALWAYS_KEPT = (DANGER, *WHO_AND_WHERE, KIND)

# A question that names someone an earlier one says who is: asked after it when both are left.
ASKED_AFTER = {"incident.suspect_present": WHO_CAUSED_IT, "incident.victim_wants_police": "incident.victim"}

# Upper limits the facts contract leaves open, so that a slip of the finger is asked again.
NUMBER_CEILINGS: dict[str, float] = {
    "incident.damage_value_gbp": 1_000_000,
    "missing.hours_absent": 24 * 365,
}

# What to do about a number outside its range, after the error that names the field: an age outside
# the contract's 10 to 25 is not a slip of the finger but someone callguide is not for.
OUT_OF_RANGE_HELP: dict[str, str] = {
    "person.age": ", the ages callguide is for. If you are not sure of their age, leave it empty",
}

State = dict[str, Any]


def vocabulary(decider: Decider) -> Vocabulary:
    book_words = decider.book.vocabulary
    if book_words is None:  # load_rulebook always sets it; a hand-built Rulebook might not
        raise LookupError("the rulebook has no vocabulary")
    return book_words


@dataclass(frozen=True)
class Question:
    fact: str
    ask: str
    hint: str
    kind: str                      # "radios" or "number"
    options: list[tuple[str, str]]  # (value, label) for radios, "I don't know" included
    groups: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)  # "What happened?"


YES_NO: list[tuple[str, str]] = [("yes", "Yes"), ("no", "No")]


def options(fact: str, words: Vocabulary) -> list[tuple[str, str]]:
    """(value, label) for each answer a fact allows, in the vocabulary's words; empty for a number.

    No "I don't know" here: the question pages add it, the call check has "Not said"."""
    values = allowed_values(fact)
    if values is None:
        return []
    if values == [True, False]:
        return list(YES_NO)
    return [(str(v), words.answer(fact, v)) for v in values]


def question(fact: str, decider: Decider, state: Mapping[str, Any] | None = None) -> Question:
    """The page for one fact, in the words of the young person's setting (``state``)."""
    if fact not in fact_paths():
        raise KeyError(fact)
    words = vocabulary(decider)
    known = known_facts(state or {})
    fact_words = words.fact(fact)
    ask, hint = words.ask(fact, known), words.fill(fact_words.hint, known)
    if fact == KIND:
        groups = happened.grouped(words)
        return Question(fact, ask, hint, "radios", [o for _, group in groups for o in group], groups)
    # A value that only says nobody knows yet ("incident.harmed_by: not_known") is the page's own
    # "I don't know": offering both asked the same thing twice.
    choices = [(value, label) for value, label in options(fact, words)
               if offered(fact, value, state or {}) and value != NOT_KNOWN]
    if not choices:
        return Question(fact, ask, hint, "number", [])
    if fact == DANGER:
        choices.append((UNKNOWN, "I\u2019m not sure"))
    else:
        choices.append((UNKNOWN, "I don\u2019t know"))
    return Question(fact, ask, hint, "radios", choices)


class AnswerError(ValueError):
    """An answer the page cannot use; the message is shown in the error summary."""


@lru_cache(maxsize=None)
def number_limits(fact: str) -> tuple[float, float | None, bool]:
    """(lowest, highest or None, whole numbers only) for a number fact: the limits in
    :mod:`callguide.facts` (``Age`` is 10 to 25, whole), and ``NUMBER_CEILINGS`` where it has none."""
    schema = Incident.model_json_schema()
    section, name = fact.split(".", 1)
    model = schema["properties"][section]["$ref"].rsplit("/", 1)[-1]
    prop = schema["$defs"][model]["properties"][name]
    number = next(option for option in prop.get("anyOf", [prop]) if option.get("type") in ("integer", "number"))
    high = number.get("maximum", NUMBER_CEILINGS.get(fact))
    return number.get("minimum", 0), high, number["type"] == "integer"


def figure(number: float) -> str:
    """A number as people write it: 1,000,000 (never 1e+06), 2.5."""
    return f"{int(number):,}" if float(number).is_integer() else f"{number:,}"


def parse_number(fact: str, raw: str, label: str) -> int | float:
    """A typed number ("1,200", "£40") within the fact's limits; ``AnswerError`` in plain words."""
    low, high, whole = number_limits(fact)
    try:
        number = float(raw.strip().replace(",", "").replace("£", ""))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise AnswerError(f"{label} must be a number, like {figure(low + 5)}")
    if whole and not number.is_integer():
        raise AnswerError(f"{label} must be a whole number")
    if number < low or (high is not None and number > high):
        limits = f"between {figure(low)} and {figure(high)}" if high is not None else f"{figure(low)} or more"
        raise AnswerError(f"{label} must be {limits}{OUT_OF_RANGE_HELP.get(fact, '')}")
    return int(number) if whole else number


def parse_answer(fact: str, raw: str | None, decider: Decider) -> Any:
    """One submitted answer as the value kept in the state (``UNKNOWN`` for "I don't know").

    For "What happened?" the value is the choice's key (``happened.CHOICES``); :func:`answer`
    turns it into facts."""
    q = question(fact, decider)
    raw = (raw or "").strip()
    if q.kind == "number":
        return UNKNOWN if raw == "" else parse_number(fact, raw, vocabulary(decider).label(fact))
    allowed = [value for value, _ in q.options]
    if raw not in allowed:
        if fact == KIND:
            raise AnswerError("Select what happened")
        if fact == DANGER:
            raise AnswerError("Select yes if anyone is in immediate danger, no if not, or I\u2019m not sure")
        raise AnswerError("Select an answer, or \u201cI don\u2019t know\u201d")
    return {"yes": True, "no": False}.get(raw, raw)


def answer(state: Mapping[str, Any], fact: str, raw: str | None, decider: Decider) -> State:
    """The answers with one more: ``AnswerError`` if it cannot be used."""
    value = parse_answer(fact, raw, decider)
    if fact == KIND:
        return prune(happened.choose(state, value), decider)
    return prune({**state, fact: value}, decider)


# -- state ---------------------------------------------------------------------------------
def read_state(params: Iterable[tuple[str, str]], decider: Decider) -> State:
    """The answers from query parameters or form fields; anything unusable is dropped.

    ``incident.kind`` arrives as a fact value (``theft``), not as a choice of the page."""
    paths = fact_paths()
    kinds = [str(k) for k in allowed_values(KIND) or []]
    state: State = {}
    for key, raw in params:
        if key not in paths:
            continue
        if key == KIND:
            if raw in kinds:
                state[key] = raw
            continue
        if raw == UNKNOWN:  # "I don't know", or a number page left empty: asked, not known
            state[key] = UNKNOWN
            continue
        try:
            state[key] = parse_answer(key, raw, decider)
        except AnswerError:
            continue
    return prune(state, decider)


def prune(state: State, decider: Decider) -> State:
    """Drops answers that no longer apply (after "what happened" or where they live was changed, say).

    An answer that names someone who is not there in the young person's setting (``fits``) goes.

    The ``missing`` section is about a missing young person, so it goes unless that is what
    happened (as in the call check). Any other answer applies while some rule that reads its fact
    could still hold: none of that rule's plain conditions (``incident.kind: theft``,
    ``incident.victim: {in: [...]}``) on the other answers is contradicted. The rules are the only
    place that knows which fact matters when, so nothing here copies their conditions; a fact no
    rule reads is kept.
    """
    readers = _readers(decider.book)
    missing = state.get(KIND) == "missing"
    return {path: value for path, value in state.items()
            if (missing or not path.startswith("missing.")) and fits(path, value, state)
            and (path in ALWAYS_KEPT or (missing and path in MISSING_ROUTE) or not readers.get(path)
                 or any(_could_hold(conditions, path, state) for conditions in readers[path]))}


_READERS: dict[str, tuple[Any, dict[str, list[Conditions]]]] = {}


def _readers(book: Any) -> dict[str, list[Conditions]]:
    """``{fact: [the conditions of every rule that reads it]}``, once per rulebook."""
    cached = _READERS.get(book.version)
    if cached is None or cached[0] is not book:
        readers: dict[str, list[Conditions]] = {}
        for rule in book.rules:
            for fact in rule.conditions.reads():
                readers.setdefault(fact, []).append(rule.conditions)
        _READERS[book.version] = cached = (book, readers)
    return cached[1]


def _could_hold(conditions: Conditions, fact: str, state: Mapping[str, Any]) -> bool:
    """False when a plain ``is``/``in`` test that must hold, on another answered fact, is not met;
    or when ``fact`` is read only inside ``any`` groups and no branch that reads it could hold (the
    branch "an adult who was harmed and said no" does not matter when nobody was harmed). Other
    groups might hold another way, so they never rule a reader out."""
    tests = conditions.top_tests()
    for test in tests:
        value = state.get(test.path, UNKNOWN)
        if test.path == fact or value == UNKNOWN:
            continue
        if (test.op == "is" and value != test.value) or (test.op == "in" and value not in test.value):
            return False
    if any(test.path == fact for test in tests):
        return True
    branches = [branch for item in conditions.items if isinstance(item, AnyOf) for branch in item.groups
                if fact in branch.reads()]
    return not branches or any(_could_hold(branch, fact, state) for branch in branches)


def encode(state: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The state as (name, value) pairs for hidden fields and query strings."""
    pairs = []
    for path, value in state.items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        pairs.append((path, str(value)))
    return pairs


def query(state: Mapping[str, Any], **extra: str) -> str:
    return urlencode(encode(state) + list(extra.items()))


def known_facts(state: Mapping[str, Any]) -> dict[str, Any]:
    """The answers the rules see: "don't know" left out, but for who caused the harm, where it is
    "Nobody knows who yet" (``not_known``), so nobody is told what to do with a young person who did it."""
    return {path: NOT_KNOWN if value == UNKNOWN else value for path, value in state.items()
            if value != UNKNOWN or path == WHO_CAUSED_IT}


def incident(state: Mapping[str, Any]) -> Incident:
    """The facts for the rules. ``read_state`` has already checked every answer, so an
    ``InvalidFacts`` here is a bug and is raised, never papered over by dropping answers."""
    data: dict[str, dict[str, Any]] = {}
    for path, value in known_facts(state).items():
        section, name = path.split(".", 1)
        data.setdefault(section, {})[name] = value
    data.setdefault("incident", {}).setdefault("kind", "other")
    return parse_incident(data)


def needs_999(state: Mapping[str, Any], decision: Decision) -> bool:
    """Someone may be in immediate danger: "not sure" to the first question, or the rules answer
    call 999 for what is known so far (``decision``: a yes to the first question, a life-threatening injury...)."""
    return state.get(DANGER) == UNKNOWN or decision.recommendation is Level.call_999


def next_step(state: Mapping[str, Any], decider: Decider) -> str:
    """``"call-999"``, ``"check"`` or the fact to ask next."""
    if DANGER not in state:
        return DANGER
    decision = deciding(state, decider)  # one decision for the 999 check and the questions
    if needs_999(state, decision):
        return "call-999"
    for fact in (*WHO_AND_WHERE, KIND):
        if fact not in state:
            return fact
    if state[KIND] == "missing":
        for fact in missing_route(state):
            if fact not in state:
                return fact
    asking = vocabulary(decider).asking_for(state[KIND])
    listed = left_to_ask(decision, state, asking)
    if not listed:
        return next((fact for fact in asking.steps_asked if fact not in state
                     and changes_steps(fact, state, decision, decider)), "check")
    facts = {q.fact for q in listed}
    # medical help first for a patient, the child's safety for a missing child
    led = next((fact for fact in asking.first if fact in facts), None)
    if led is None:
        first = listed[0]
        led = partner_first(first.fact, [f for f in first.together_with if f not in asking.not_asked], state)
    # "Is the person who caused the harm still nearby?" after who that is: a resident who hit another
    # is "nearby" in their own home, which is no emergency, while an adult nearby is (journeys4, J3)
    after = ASKED_AFTER.get(led)
    return after if after in facts else led


def changes_steps(fact: str, state: Mapping[str, Any], decision: Decision, decider: Decider) -> bool:
    """Whether some answer to ``fact`` would change the steps of ``decision`` (the answers so far)."""
    steps = {action.id for action in decision.actions}
    return any({action.id for action in decider.decide(incident({**state, fact: value})).actions} != steps
               for value in allowed_values(fact) or [])


def deciding(state: Mapping[str, Any], decider: Decider) -> Decision:
    """The decision the pages choose their next question from. An answer "I don't know" stays
    unknown (nothing asks it again), so a question that could change the answer only together with
    one of those is not asked ("did it happen at home?", when the cost that matters with it is not
    known); a safety-critical question that could raise the answer, or one that could make it 999,
    always is (``Decider.decide``'s ``settled``)."""
    return decider.decide(incident(state), settled=[path for path, value in state.items() if value == UNKNOWN])


def left_to_ask(decision: Decision, state: Mapping[str, Any], asking: Asking) -> list[QuestionOut]:
    """The decision's questions that fit the kind of incident and nobody has answered yet."""
    return [q for q in fitting(decision.questions, asking) if q.fact not in state]


def missing_route(state: Mapping[str, Any]) -> tuple[str, ...]:
    """The missing-person route's questions, or only the first two when their whereabouts are known."""
    return AWAY_ROUTE if state.get("missing.whereabouts_known") is True else MISSING_ROUTE


def partner_first(fact: str, together_with: Iterable[str], state: Mapping[str, Any]) -> str:
    """A question that changes the answer only together with others (the decision's
    ``together_with``: "the means to carry out that plan" with "a plan to end their life") waits
    for the ones not yet answered: of them all, a safety-critical one first, then the first in the
    facts' own order (the plan before the means). Once a partner's answer makes the question moot
    (no plan), the rules stop listing it, so it is never asked."""
    order = list(fact_paths())
    group = [fact, *(other for other in together_with if other not in state and other in order)]
    return min(group, key=lambda path: (path not in SAFETY_CRITICAL, order.index(path)))


def ordered(state: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Answers in the order the pages ask them: danger, who and where, what happened, then as answered."""
    first = [p for p in ALWAYS_KEPT if p in state]
    return [(p, state[p]) for p in first] + [(p, v) for p, v in state.items() if p not in first]


def fitting(questions: Iterable[QuestionOut], asking: Asking) -> list[QuestionOut]:
    """The questions that fit the kind of incident: not one it does not ask, nor one that matters
    only together with questions it does not ask."""
    return [q for q in questions if q.fact not in asking.not_asked
            and not (q.together_with and set(q.together_with) <= asking.not_asked)]
