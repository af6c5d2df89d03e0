"""The call handler's check (``POST /v1/call-checks``): assembled from the rulebook's call-check tables.

A carer (or the young person, or a member of the public) rings the Force Control Room. The handler
asks "specific questions to ensure that care staff have abided by the guidance on 'when to call the
police'" (Protocol §8.3) and grades the call with THRIVE inside the National Decision Model. Every
judgement here comes from the decision tables in ``rules/call-check*.yaml`` (loaded, validated and
versioned with the rest of the rulebook; run by :mod:`callguide.tablerun`):

- ``call-police-response``: the police response the guidance points to (emergency rows first);
- ``call-ask-first``: whether enough is known to judge at all; until it is, there is no verdict,
  no grade and no "no", only the first questions;
- ``call-role``: whether the young person is the victim, a patient, missing, or the one whose
  behaviour the call is about (only then are the home's steps asked about);
- ``call-script``: the words to say, per service and per case, key instruction first;
- ``thrive-*``: each THRIVE row from the facts; ``call-follow-up``: the neighbourhood team, only
  where the guidance gives a reason;
- ``call-home-steps``: which of the carers' steps the guidance expects before this call, and
  ``call-step-*``: each step's words and source (listed when one of its rows holds).

The labels of the responses and the fixed phrases are the vocabulary's (``call_check``).

The staff rules' answer is one fact the tables may read (``outcome.recommendation``): a 999 answer
from them always means emergency attendance here. This module only assembles the answer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool

from .callcheck_parts import (
    POLICE_INVOLVED, CallTables, FactSeen, HandlerQuestion, HomeStep, Thrive, ThriveItem, handler_questions,
    home_steps, tables_for, thrive,
)
from .decision import Decider
from .explanation import Reason, render
from .facts import Incident, Level, ResponseSoFar
from .releases import RulebookRelease
from .tables import Row

__all__ = ["CallCheck", "CallCheckRequest", "FactSeen", "HandlerQuestion", "HomeStep", "PoliceResponse",
           "Thrive", "ThriveItem", "check_call", "check_call_rows"]


# -- input ----------------------------------------------------------------------------------------
class CallResponseSoFar(ResponseSoFar):
    """What the caller says the carers have already done (the contract's section, plus one step)."""

    behaviour_policy_followed: StrictBool | None = Field(
        None, description="The carers followed their behaviour policy and the young person's plan.")


# Carers who ring about a young person they look after say, by who they are, where the young person lives.
CALLER_SETTING = {"foster_carer": "foster_care", "home_staff": "childrens_home",
                  "supported_accommodation_staff": "supported_accommodation"}


class CallCheckRequest(Incident):
    """The incident facts as the caller gives them (the same shape as ``POST /v1/decisions``).

    What the handler learns on the call goes in ``call`` (who is calling, what they want the police
    to do, fire service, recent calls), and who harmed whom in ``incident.harmed_by`` and
    ``incident.suspect_present``. What the carers have already done goes in ``response_so_far``
    (here also ``behaviour_policy_followed``) and, for a missing young person, in
    ``missing.enquiries_done``.
    """

    response_so_far: CallResponseSoFar = Field(default_factory=CallResponseSoFar)

    def incident_facts(self) -> Incident:
        data = self.model_dump(mode="json")
        data["response_so_far"].pop("behaviour_policy_followed", None)
        incident, call = data["incident"], data["call"]
        if (call["caller"] == "young_person" and incident["victim"] == "self" and incident["victim_wants_police"] is None
                and call["caller_wants"] in ("investigate", "record_crime")):
            incident["victim_wants_police"] = True  # the one harmed rings to report it: they want the police
        if call["caller"] is None and call["professional"] is not None:
            call["caller"] = "other_professional"  # which professional rings says a professional rings
        if data["setting"]["type"] is None and call["caller"] in CALLER_SETTING:
            # a foster carer rings about the young person they look after: foster care, in its own words
            data["setting"]["type"] = CALLER_SETTING[call["caller"]]
        return Incident.model_validate(data)


# -- output ---------------------------------------------------------------------------------------
ResponseKind = Literal[
    "emergency_attendance", "non_emergency_attendance", "missing_person_process", "crime_report",
    "health_referral", "advice_and_signposting", "ask_first"]
Service = Literal["police", "ambulance", "fire"]
Role = Literal["victim", "patient", "missing", "behaviour", "not_known"]

ATTEND = {"emergency_attendance", "non_emergency_attendance", "missing_person_process"}


class PoliceResponse(BaseModel):
    kind: ResponseKind
    attend: bool | None = Field(description="Officers attend (now, or as the missing-person process directs); "
                                            "null while not enough is known.")
    label: str
    what_happens: str
    services: list[Service] = Field(default_factory=list, description="The emergency services needed now.")
    follow_up: str | None = Field(None, description="Neighbourhood-team follow-up, only where the guidance gives a reason.")
    rule: str = Field(description="The call-check row that decided it (rules/call-check.yaml).")
    source: str


class CallCheck(BaseModel):
    state: Literal["ask_first", "verdict"] = Field(
        description="ask_first: not enough is known yet to judge the call (no verdict, no grade); verdict: judged.")
    consistent_with_guidance: bool | None = Field(
        description="Involving the police now is consistent with the guidance; null until there is a verdict.")
    settled: bool = Field(
        description="False when an unanswered question could change whether the police should be involved.")
    recommendation: Level | None = Field(
        description="The level the police response stands for; null until there is a verdict.")
    staff_recommendation: Level = Field(description="What the rules for carers answer on the same facts.")
    role: Role = Field(description="The young person in this call: victim, patient, missing, or the one whose "
                                   "behaviour it is about.")
    headline: str
    police_response: PoliceResponse
    thrive: Thrive
    home_steps: list[HomeStep]
    questions: list[HandlerQuestion]
    say_to_caller: list[str] = Field(description="Words the handler can use with the caller, key instruction first.")
    rationale: list[Reason]
    rulebook: str
    rulebook_release: RulebookRelease | None = Field(None, description=(
        "The reviewed release of the rulebook: reviewed is true only for a signed-off sha."))


# -- building the check ---------------------------------------------------------------------------
def check_call(request: CallCheckRequest | dict[str, Any], decider: Decider) -> CallCheck:
    """The call handler's view of the incident the caller describes."""
    return check_call_rows(request, decider)[0]


def check_call_rows(request: CallCheckRequest | dict[str, Any], decider: Decider) -> tuple[CallCheck, list[str]]:
    """The check and the ids of the call-check table rows that made it (for scenario coverage)."""
    if not isinstance(request, CallCheckRequest):
        request = CallCheckRequest.model_validate(request)
    incident = request.incident_facts()
    decision = decider.decide(incident)
    known = incident.known()
    said = request.known()  # also what only the call check records
    tables = tables_for(decider.book)
    staff = decision.recommendation
    judged = tables.judge(known, staff.value)
    book = decider.book
    asking = judged.ask_first
    steps = home_steps(said, known, judged, book)
    questions = handler_questions(decider, tables, known, judged, decision, steps)
    police_involved = {q.would_change_to in POLICE_INVOLVED for q in questions if q.would_change_to}
    if asking is None:
        kind = judged.response.then["kind"]
        consistent: bool | None = kind in POLICE_INVOLVED
        level: Level | None = Level(judged.response.then["level"])
        headline = render(judged.response.then["headline"], known, book)
        response = _response(judged.response, kind, known, book, judged)
        words = [render(line, known, book) for line in judged.script.then["say"]]
        settled = not police_involved or police_involved == {consistent}
    else:
        consistent, level = None, None
        headline = render(asking.then["headline"], known, book)
        response = PoliceResponse(
            kind="ask_first", attend=None, label=book.vocabulary.call_check.responses["ask_first"].label,
            rule=asking.id, source=_source(asking, book),
            what_happens=book.vocabulary.call_check.phrase("ask_first_what_happens"))
        words = _first_questions(asking, known, book)
        settled = False
    applied = [row.id for row in (judged.role_row, asking or judged.response, judged.follow_up, judged.caller,
                                  judged.steps, *judged.step_rows) if row is not None]
    if asking is None:
        applied.append(judged.script.id)
    check = CallCheck(
        state="verdict" if asking is None else "ask_first",
        consistent_with_guidance=consistent, settled=settled, recommendation=level, staff_recommendation=staff,
        role=judged.role, headline=headline, police_response=response,
        thrive=thrive(tables, known, book, staff.value, graded=asking is None, applied=applied),
        home_steps=steps, questions=questions, say_to_caller=words,
        rationale=[_reason(row, known, book) for row in (asking, judged.response) if row is not None]
        + list(decision.rationale),
        rulebook=decision.rulebook,
        rulebook_release=decision.rulebook_release,
    )
    return check, applied


def _response(row: Row, kind: str, known: dict[str, Any], book: Any, judged: Any) -> PoliceResponse:
    services = list(judged.script.then.get("services", [])) if kind == "emergency_attendance" else []
    if kind == "emergency_attendance" and "police" not in services:
        services.append("police")
    follow_up = render(judged.follow_up.then["follow_up"], known, book) if judged.follow_up else None
    sources = [_source(row, book)] + ([_source(judged.follow_up, book)] if judged.follow_up else [])
    return PoliceResponse(kind=kind, attend=kind in ATTEND, label=book.vocabulary.call_check.responses[kind].label,
                          what_happens=render(row.then["what_happens"], known, book), services=services,
                          follow_up=follow_up, rule=row.id, source="; ".join(sources))


SPOKEN_WORDS = 60  # the words to say are read aloud: under about a minute's worth


def _first_questions(asking: Row, known: dict[str, Any], book: Any) -> list[str]:
    """While asking first: the questions themselves, most urgent first, as many as fit in the words."""
    words = [book.vocabulary.call_check.phrase("ask_first_opening")]
    for path in (p for p in asking.then["ask"] if p not in known):
        ask = book.vocabulary.ask(path, known)
        if len(" ".join(words + [ask]).split()) > SPOKEN_WORDS:
            break
        words.append(ask)
    return words


def _reason(row: Row, known: dict[str, Any], book: Any) -> Reason:
    return Reason(rule=row.id, because=render(row.because, known, book), source=_source(row, book),
                  title=row.title or row.id, role="decisive")


def _source(row: Row, book: Any) -> str:
    return book.tables[row.table].source_of(row)


__all__ += ["CallTables"]
