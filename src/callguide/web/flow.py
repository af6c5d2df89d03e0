"""The "Should I call?" journey: which question comes next, and the words on each page.

The answers travel with the person, not in a database: as query parameters on each page's
address and as hidden fields in each form, one per fact (``incident.kind=criminal_damage``).
"I don't know" is kept as ``unknown`` so that the same question is not asked twice; to the
rules it is an unknown fact, never ``false``. No free text is ever collected.

Order: the immediate-danger question always comes first (a "yes" or "not sure" goes straight
to the "Call 999 now" page), then what happened, then only the questions that the rules say
could still change the answer (``Decision.questions``, most urgent first), one per page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Mapping
from urllib.parse import urlencode

from ..decision import Decider, Decision
from ..facts import Incident, Level, allowed_values, fact_paths, parse_incident

UNKNOWN = "unknown"
DANGER = "incident.risk_to_life"
KIND = "incident.kind"

# Plain words for each value (what the person reads and what the record says).
KIND_LABELS: dict[str, str] = {
    "assault": "Someone was physically hurt (for example hit, kicked or pushed)",
    "criminal_damage": "Damage to property",
    "theft": "Something was taken that belonged to someone else",
    "threats": "Threats to hurt someone",
    "weapon": "A weapon was carried or shown",
    "sexual": "Sexual harm, or sexual behaviour that worries you",
    "drugs": "Drugs",
    "missing": "The young person is missing, or not where they should be",
    "self_harm": "The young person has hurt themself",
    "fire_setting": "A fire was started",
    "disorder": "A fight or disorder involving several people",
    "verbal_abuse": "Shouting, swearing or name-calling",
    "exploitation": "Signs that someone is exploiting the young person",
    "other": "Something else",
}

VALUE_LABELS: dict[str, dict[str, str]] = {
    "incident.kind": KIND_LABELS,
    "incident.injury": {
        "none": "No one was hurt",
        "minor": "A minor injury (for example a bruise or a scratch)",
        "serious": "A serious injury (needs hospital treatment)",
        "life_threatening": "A life-threatening injury",
    },
    "incident.weapon": {
        "none": "No weapon",
        "improvised": "An everyday object used to threaten or hurt (for example a chair or a bottle)",
        "bladed": "A knife or other blade",
        "firearm": "A gun, or something that looks like one",
    },
    "incident.victim": {
        "none": "No one",
        "staff": "A member of staff",
        "carer": "A foster carer",
        "resident": "Another young person who lives there",
        "public": "Someone in the community",
        "self": "Only the young person themself",
    },
    "setting.type": {
        "childrens_home": "A children's home",
        "supported_accommodation": "Supported accommodation",
        "foster_care": "Foster care",
        "other": "Somewhere else",
    },
    "setting.location": {
        "in_placement": "At the placement (where they live)",
        "community": "Out in the community",
    },
    "person.status": {
        "looked_after": "Looked after now",
        "care_leaver": "A care leaver",
    },
}

# Short names for the check-your-answers page and the record.
KEY_LABELS: dict[str, str] = {
    "incident.risk_to_life": "Anyone in immediate danger",
    "incident.kind": "What happened",
    "incident.in_progress": "Still happening",
    "incident.injury": "Injury",
    "incident.weapon": "Weapon",
    "incident.damage_value_gbp": "Cost of the damage",
    "incident.victim": "Who was harmed or lost property",
    "incident.victim_wants_police": "The person harmed wants to report it",
    "incident.hate_motivated": "Aimed at who someone is (hate)",
    "incident.child_calm_now": "The young person is calm now",
    "incident.repeat_pattern": "Part of a pattern the home's work has not changed",
    "person.age": "Age",
    "person.status": "Looked after or care leaver",
    "person.neurodivergent": "Neurodivergence, SEND or communication needs",
    "person.exploitation_concern": "Known or suspected exploitation",
    "person.behaviour_in_plan": "Behaviour foreseen in their plan",
    "setting.type": "Where they live",
    "setting.location": "Where it happened",
    "setting.out_of_county": "Placed by or in another local authority",
    "response_so_far.de_escalation_tried": "Tried to calm things down",
    "response_so_far.manager_consulted": "Spoke to the manager on call",
    "response_so_far.restraint_used": "The young person was held or restrained",
    "missing.whereabouts_known": "We know where they are",
    "missing.hours_absent": "Hours away",
    "missing.immediate_concern": "A specific worry for their safety now",
    "missing.enquiries_done": "Phone, friends, family and usual places tried and recorded",
}

HINTS: dict[str, str] = {
    DANGER: "For example someone has a weapon, is badly hurt, or a fire is spreading. "
            "If you are not sure, choose \u201cI\u2019m not sure\u201d.",
    KIND: "Choose the one that fits best. You can change it later.",
    "incident.damage_value_gbp": "A rough figure is fine. Leave it empty if you do not know.",
    "missing.hours_absent": "A rough figure is fine. Leave it empty if you do not know.",
    "person.age": "In years. Leave it empty if you do not know.",
    "incident.hate_motivated": "For example their race, religion, disability, sexual orientation or gender identity.",
}

# Upper limits the facts contract leaves open, so that a slip of the finger is asked again.
NUMBER_CEILINGS: dict[str, float] = {
    "incident.damage_value_gbp": 1_000_000,
    "missing.hours_absent": 24 * 365,
}

DEADLINES: dict[str, str] = {
    "now": "Now",
    "24h": "Within 24 hours",
    "48h": "Within 48 hours",
    "3 days": "Within 3 days",
    "5 days": "Within 5 days",
    "next working day": "Next working day",
}

LEVEL_TITLES: dict[str, str] = {
    "call_999": "Call 999 now",
    "call_101": "Call the police on 101",
    "report_later": "Don\u2019t call the police now",
    "no_police": "No need to call the police",
}

LEVEL_BODIES: dict[str, str] = {
    "call_999": "Someone may be in immediate danger. Call 999 and ask for the police, or the ambulance or "
                "fire service if that is what is needed.",
    "call_101": "Involve the police now, but it is not an emergency: call 101, or use the missing-person "
                "route for a missing young person.",
    "report_later": "Make everyone safe and look after the young person at home. The registered manager "
                    "decides next working day whether the police need to know.",
    "no_police": "Respond at home as a good parent would, using the behaviour support plan and a "
                 "restorative approach.",
}


@dataclass(frozen=True)
class Question:
    fact: str
    ask: str
    hint: str
    kind: str                      # "radios" or "number"
    options: list[tuple[str, str]]  # (value, label) for radios, "I don't know" included


YES_NO: list[tuple[str, str]] = [("yes", "Yes"), ("no", "No")]


def options(fact: str) -> list[tuple[str, str]]:
    """(value, label) for each answer a fact allows, in plain words; empty for a number.

    No "I don't know" here: the question pages add it, the call check has "Not said"."""
    values = allowed_values(fact)
    if values is None:
        return []
    if values == [True, False]:
        return list(YES_NO)
    labels = VALUE_LABELS.get(fact, {})
    return [(str(v), labels.get(str(v), str(v).replace("_", " ").capitalize())) for v in values]


def question(fact: str, decider: Decider) -> Question:
    """The page for one fact."""
    if fact not in fact_paths():
        raise KeyError(fact)
    book_q = decider.book.questions.get(fact)
    ask = book_q.ask if book_q is not None else KEY_LABELS.get(fact, fact) + "?"
    hint = HINTS.get(fact, "")
    choices = options(fact)
    if not choices:
        return Question(fact, ask, hint, "number", [])
    if fact == DANGER:
        choices.append((UNKNOWN, "I\u2019m not sure"))
    elif fact != KIND:
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


def parse_number(fact: str, raw: str, label: str | None = None) -> int | float:
    """A typed number ("1,200", "£40") within the fact's limits; ``AnswerError`` in plain words."""
    label = label or KEY_LABELS.get(fact, fact)
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
        raise AnswerError(f"{label} must be between {figure(low)} and {figure(high)}" if high is not None
                          else f"{label} must be {figure(low)} or more")
    return int(number) if whole else number


def parse_answer(fact: str, raw: str | None, decider: Decider) -> Any:
    """One submitted answer as the value kept in the state (``UNKNOWN`` for "I don't know")."""
    q = question(fact, decider)
    raw = (raw or "").strip()
    if q.kind == "number":
        return UNKNOWN if raw == "" else parse_number(fact, raw)
    allowed = [value for value, _ in q.options]
    if raw not in allowed:
        if fact == KIND:
            raise AnswerError("Select what happened")
        if fact == DANGER:
            raise AnswerError("Select yes if anyone is in immediate danger, no if not, or I\u2019m not sure")
        raise AnswerError("Select an answer, or \u201cI don\u2019t know\u201d")
    return {"yes": True, "no": False}.get(raw, raw)


# -- state ---------------------------------------------------------------------------------
State = dict[str, Any]


def read_state(params: Iterable[tuple[str, str]], decider: Decider) -> State:
    """The answers from query parameters or form fields; anything unusable is dropped."""
    paths = fact_paths()
    state: State = {}
    for key, raw in params:
        if key not in paths:
            continue
        try:
            state[key] = parse_answer(key, raw, decider)
        except AnswerError:
            continue
    return prune(state, decider)


def prune(state: State, decider: Decider) -> State:
    """Drops answers that no longer apply (after "what happened" was changed, say).

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
            if (missing or not path.startswith("missing."))
            and (path in (DANGER, KIND) or not readers.get(path)
                 or any(_could_hold(when, path, state) for when in readers[path]))}


_READERS: dict[str, tuple[Any, dict[str, list[dict[str, Any]]]]] = {}


def _readers(book: Any) -> dict[str, list[dict[str, Any]]]:
    """``{fact: [the when-conditions of every rule that reads it]}``, once per rulebook."""
    cached = _READERS.get(book.version)
    if cached is None or cached[0] is not book:
        readers: dict[str, list[dict[str, Any]]] = {}
        for rule in book.rules:
            for fact in _mentioned(rule.when):
                readers.setdefault(fact, []).append(rule.when)
        _READERS[book.version] = cached = (book, readers)
    return cached[1]


def _mentioned(when: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for key, test in when.items():
        if key == "any":
            for group in test:
                found |= _mentioned(group)
        elif key != "derived":
            found.add(key)
    return found


def _could_hold(when: Mapping[str, Any], fact: str, state: Mapping[str, Any]) -> bool:
    """False only when a plain ``is``/``in`` condition on another answered fact is not met."""
    for path, test in when.items():
        if path in ("any", "derived") or path == fact:
            continue
        value = state.get(path, UNKNOWN)
        if value == UNKNOWN:
            continue
        tests = test if isinstance(test, dict) else {"is": test}
        if "is" in tests and value != tests["is"]:
            return False
        if "in" in tests and isinstance(tests["in"], list) and value not in tests["in"]:
            return False
    return True


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


def incident(state: Mapping[str, Any]) -> Incident:
    """The facts for the rules. ``read_state`` has already checked every answer, so an
    ``InvalidFacts`` here is a bug and is raised, never papered over by dropping answers."""
    data: dict[str, dict[str, Any]] = {}
    for path, value in state.items():
        if value == UNKNOWN:
            continue
        section, name = path.split(".", 1)
        data.setdefault(section, {})[name] = value
    data.setdefault("incident", {}).setdefault("kind", "other")
    return parse_incident(data)


def needs_999(state: Mapping[str, Any], decider: Decider) -> bool:
    """Someone may be in immediate danger: "not sure" to the first question, or the rules answer
    call 999 for what is known so far (a yes to the first question, a life-threatening injury...)."""
    return state.get(DANGER) == UNKNOWN or decider.decide(incident(state)).recommendation is Level.call_999


def next_step(state: Mapping[str, Any], decider: Decider) -> str:
    """``"call-999"``, ``"check"`` or the fact to ask next."""
    if DANGER not in state:
        return DANGER
    if needs_999(state, decider):
        return "call-999"
    if KIND not in state:
        return KIND
    decision = decider.decide(incident(state))
    for q in decision.questions:
        if q.fact not in state:
            return q.fact
    return "check"


def answer_label(fact: str, value: Any) -> str:
    if value == UNKNOWN:
        return "Not sure" if fact == DANGER else "Don\u2019t know"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if fact == "incident.damage_value_gbp":
        return f"About \u00a3{value:,.0f}"
    if fact == "missing.hours_absent":
        return f"About {figure(value)} hours"
    if fact == "person.age":
        return f"{value}"
    return VALUE_LABELS.get(fact, {}).get(str(value), str(value).replace("_", " "))


def ordered(state: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Answers in the order the pages ask them: danger, what happened, then as answered."""
    first = [p for p in (DANGER, KIND) if p in state]
    return [(p, state[p]) for p in first] + [(p, v) for p, v in state.items() if p not in first]


def level_title(level: Level | str) -> str:
    return LEVEL_TITLES[Level(level).value]


def unanswered_questions(decision: Decision, state: Mapping[str, Any]) -> list:
    """Questions still worth asking: the ones nobody has answered, or answered "don't know"."""
    return [q for q in decision.questions if state.get(q.fact, UNKNOWN) == UNKNOWN]


@dataclass(frozen=True)
class Record:
    what: str
    known: list[str]
    unknown: list[str]
    decided: str


def record(state: Mapping[str, Any], decision: Decision) -> Record:
    """The printable record: plain, factual words about the young person, no labels."""
    known, unknown = [], []
    for fact, value in ordered(state):
        if fact == KIND:
            continue
        if value == UNKNOWN:
            unknown.append(KEY_LABELS.get(fact, fact))
        else:
            known.append(f"{KEY_LABELS.get(fact, fact)}: {answer_label(fact, value)}")
    level = decision.recommendation.value
    return Record(
        what=answer_label(KIND, state.get(KIND, "other")) + ".",
        known=known,
        unknown=unknown,
        decided=f"{level_title(level)}. {LEVEL_BODIES[level]}",
    )
