"""The call check screen's form: which facts a call handler records, and reading them back.

The fields are the contract's facts (``section.field``), labelled with the vocabulary's words, so the
call check and the question pages ask the same thing the same way. The form posts to
``/call-check``; the page's script posts the same form on every change and swaps in the result
column, rendered by the same template, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..rulebook import Rulebook
from ..vocabulary import Vocabulary
from .flow import YES_NO, AnswerError, options, parse_number


@dataclass(frozen=True)
class Field:
    path: str
    label: str
    options: list[tuple[str, str]]  # (value, label); empty for a number

    @property
    def id(self) -> str:
        return "cc-" + self.path.replace(".", "-").replace("_", "-")

    @property
    def number(self) -> bool:
        return not self.options


# Recorded by the call check only (callcheck.CallCheckRequest), not a fact the rules read: its words
# are in the vocabulary's call_check.facts, its answers are yes or no.
CALL_CHECK_ONLY: dict[str, list[tuple[str, str]]] = {"response_so_far.behaviour_policy_followed": YES_NO}

# (group title, facts), in the order a handler hears them: every fact the call check's API accepts
# (POST /v1/call-checks), so a handler can record whatever the check reads.
LAYOUT: list[tuple[str, list[str]]] = [
    ("Danger now", ["incident.risk_to_life", "incident.in_progress", "incident.weapon", "incident.injury",
                    "health.medical_emergency"]),
    ("Fire (only when there is one)", ["call.fire_service_needed", "call.people_inside"]),
    ("What happened", ["incident.kind", "incident.victim", "incident.harmed_by", "incident.suspect_present",
                       "incident.drugs_supplied", "incident.coercion", "incident.other_person_age",
                       "incident.damage_value_gbp", "incident.victim_wants_police", "incident.hate_motivated",
                       "incident.child_calm_now", "incident.repeat_pattern", "setting.location"]),
    ("Mental health", ["health.mental_health_crisis", "health.suicidal_thoughts", "health.suicide_plan",
                       "health.means_available"]),
    ("The young person", ["person.status", "person.age", "setting.type", "person.exploitation_concern",
                          "person.neurodivergent", "person.may_lack_capacity", "person.behaviour_in_plan",
                          "person.police_in_plan", "setting.out_of_county"]),
    ("Missing young person (only when they are missing)", [
        "missing.whereabouts_known", "missing.immediate_concern", "missing.out_of_character",
        "missing.with_risky_person", "missing.medical_needs", "missing.missing_before", "missing.enquiries_done",
        "missing.hours_absent"]),
    ("What has been done", ["response_so_far.de_escalation_tried", "response_so_far.behaviour_policy_followed",
                            "response_so_far.manager_consulted", "response_so_far.restraint_used"]),
    ("The call", ["call.caller", "call.professional", "call.recent_calls", "call.caller_wants"]),
]

# THRIVE's six headings (College of Policing APP: the National Decision Model).
THRIVE_ROWS = [("threat", "Threat"), ("harm", "Harm"), ("risk", "Risk"), ("investigation", "Investigation"),
               ("vulnerability", "Vulnerability"), ("engagement", "Engagement")]

# The contract needs a kind for every check. Until the handler chooses what happened (the form
# shows "Not said"), the page checks the call as "something else", which the call-ask-first table
# reads, with nothing else known, as nothing known yet about what happened (row ask-what-happened).
KIND_NOT_SAID = "other"

# Asked too while there is no verdict, after the call-ask-first table's own questions, when not
# said: whether anyone is in danger (the first question everywhere), and what happened (the page
# shows no verdict until it is chosen, ``verdict_ready``): a blank form is not "advice and signposting".
PAGE_ASKS_FIRST = ("incident.risk_to_life", "incident.kind")


def _field(path: str, vocabulary: Vocabulary) -> Field:
    if path in CALL_CHECK_ONLY:
        return Field(path, vocabulary.label(path), CALL_CHECK_ONLY[path])
    return Field(path, vocabulary.label(path), options(path, vocabulary))


def groups(vocabulary: Vocabulary) -> list[tuple[str, list[Field]]]:
    return [(title, [_field(path, vocabulary) for path in paths]) for title, paths in LAYOUT]


def read(items: Iterable[tuple[str, str]], vocabulary: Vocabulary
         ) -> tuple[dict[str, str], dict[str, Any], list[tuple[str, str]]]:
    """Form fields -> (what to show back in the form, the request body, errors as (id, message))."""
    fields = {f.path: f for _, group in groups(vocabulary) for f in group}
    shown: dict[str, str] = {}
    body: dict[str, dict[str, Any]] = {}
    errors: list[tuple[str, str]] = []
    for name, raw in items:
        field = fields.get(name)
        raw = (raw or "").strip()
        if field is None or raw == "":
            continue
        shown[name] = raw
        section, key = name.split(".", 1)
        value: Any
        if field.number:
            try:
                value = parse_number(name, raw, field.label)
            except AnswerError as exc:
                errors.append((field.id, str(exc)))
                continue
        elif raw in ("yes", "no"):
            value = raw == "yes"
        elif raw in dict(field.options):
            value = raw
        else:
            continue
        body.setdefault(section, {})[key] = value
    if body.get("incident", {}).get("kind") != "missing":
        body.pop("missing", None)
    return shown, body, errors


def verdict_ready(check: Any, kind_given: bool) -> bool:
    """Whether the page shows a verdict: the call check itself has one (it asks first until danger
    and what happened are known, issue 15), and what happened was chosen on the form, unless it is
    an emergency whatever happened."""
    if check.state != "verdict":
        return False
    return kind_given or check.police_response.kind == "emergency_attendance"


def first_asks(check: Any, answered: set[str], book: Rulebook, said: dict[str, Any] | None = None) -> list[str]:
    """The questions to ask before there is a verdict, in the vocabulary's words: those of the
    call-ask-first row that holds for what the form says (``check.police_response.rule`` while the
    check asks first), then ``PAGE_ASKS_FIRST``; each once, and none the form has an answer for
    (``answered``: what happened is not, while it is only checked as "something else"). ``said``: who
    is calling, so a young person ringing is asked as "you" (vocabulary ``to_the_young_person``)."""
    paths: list[str] = []
    if check.state == "ask_first":
        row = next(r for r in book.tables["call-ask-first"].rows if r.id == check.police_response.rule)
        paths += row.then["ask"]
    paths += [path for path in PAGE_ASKS_FIRST if path not in paths]
    vocabulary = book.vocabulary
    assert vocabulary is not None  # load_rulebook always sets it
    caller = {path: value for path, value in (said or {}).items() if path.startswith("call.")}
    return [vocabulary.ask(path, caller) for path in paths if path not in answered]


def thrive_facts(check: Any, vocabulary: Vocabulary) -> list[tuple[str, str, str | None]]:
    """(fact, label, answer in words or None when not said) for each fact behind THRIVE, once."""
    found: dict[str, tuple[str, str, str | None]] = {}
    for key, _ in THRIVE_ROWS:
        for seen in getattr(check.thrive, key).facts:
            if seen.fact in found:
                continue
            known = seen.fact in vocabulary.facts
            label = vocabulary.label(seen.fact) if known else seen.fact.split(".")[-1].replace("_", " ").capitalize()
            value = None if seen.value is None else (vocabulary.answer(seen.fact, seen.value) if known else str(seen.value))
            found[seen.fact] = (seen.fact, label, value)
    return list(found.values())
