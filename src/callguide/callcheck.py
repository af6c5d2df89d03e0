"""The call handler's view of an incident (issue 3, ``POST /v1/call-checks``).

A carer rings the Force Control Room about a child in care. The handler asks "specific
questions to ensure that care staff have abided by the guidance on 'when to call the police'"
(Protocol §8.3) and grades the call with THRIVE inside the National Decision Model (College of
Policing). This module turns the engine's decision for the facts the caller gives into what the
handler needs:

- whether involving the police is consistent with the guidance (the decision's level);
- the police response it points to;
- a THRIVE summary, each heading with the facts behind it;
- the questions still worth asking, most urgent first;
- words the handler can say to the caller.

It decides nothing itself: the recommendation, rationale and questions are the
:class:`~callguide.decision.Decider`'s. One override sits on top, from Right Care, Right Person
(National Partnership Agreement, 2023): where there is a real and immediate risk to life or of
serious harm, the police attend, whatever the home did or did not do first. The words are about
a child ("the young person"), never an "offender", and they do not blame the caller.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool

from .decision import Decider, Decision, Reason
from .facts import Incident, Level, ResponseSoFar
from .releases import RulebookRelease

# -- sources ------------------------------------------------------------------------------------
SRC_FCR = "Protocol §8.3 (Force Control Room: call handlers check the guidance on 'when to call the police')"
SRC_THRIVE = "College of Policing APP: National Decision Model; THRIVE (Threat, Harm, Risk, Investigation, Vulnerability, Engagement)"
SRC_RCRP = "Right Care, Right Person: National Partnership Agreement (2023)"
SRC_PHILOMENA = "Protocol §8.3 (Missing Persons Investigation Unit, Philomena protocol); College of Policing APP: missing persons"
SRC_NEIGHBOURHOOD = "Protocol §8.3 (Neighbourhood Policing will assist care home staff with problem solving)"
SRC_SLOW_TIME = "Protocol §8.2.3 (involve the police immediately, at a later stage, or not at all)"
SRC_REASONABLE_PARENT = "Protocol §8.1 (reasonable parent test; a non-criminal response could be effective)"
SRC_BEHAVIOUR_POLICY = "Protocol §8.2.4 (each home's written Behaviour Management Policy and how it was applied)"
SRC_TRAUMA = "Protocol §5.2 (trauma informed); Protocol §8.1"
SRC_CHILD_FIRST = "Protocol §5.1 (Child First); Protocol §6"

EMERGENCY_FACTS = ("incident.risk_to_life", "incident.injury", "missing.immediate_concern")
BEHAVIOUR_KINDS = {"assault", "criminal_damage", "theft", "threats", "verbal_abuse", "disorder", "other"}


# -- input ----------------------------------------------------------------------------------------
class CallResponseSoFar(ResponseSoFar):
    """What the caller says the home has already done (the contract's section, plus one step)."""

    behaviour_policy_followed: StrictBool | None = Field(
        None, description="The home followed its Behaviour Management Policy and the young person's plan.")


class CallCheckRequest(Incident):
    """The incident facts as the caller gives them (the same shape as ``POST /v1/decisions``).

    What the home has already done goes in ``response_so_far`` (de-escalation, manager consulted,
    restraint, and here also ``behaviour_policy_followed``) and, for a missing child, in
    ``missing.enquiries_done``.
    """

    response_so_far: CallResponseSoFar = Field(default_factory=CallResponseSoFar)

    def incident_facts(self) -> Incident:
        data = self.model_dump(mode="json")
        data["response_so_far"].pop("behaviour_policy_followed", None)
        return Incident.model_validate(data)


# -- output ---------------------------------------------------------------------------------------
ResponseKind = Literal[
    "emergency_attendance", "non_emergency_attendance", "missing_person_process", "advice_and_signposting"]
Grade = Literal["high", "medium", "low"]


class PoliceResponse(BaseModel):
    kind: ResponseKind
    attend: bool = Field(description="Officers should attend (now, or as the missing-person process directs).")
    label: str
    what_happens: str
    follow_up: str | None = Field(None, description="Neighbourhood-team follow-up with the home, where it applies.")
    source: str


class FactSeen(BaseModel):
    fact: str
    value: Any = Field(description="What the caller said; null when nobody has said.")


class ThriveItem(BaseModel):
    summary: str
    facts: list[FactSeen]
    source: str


class Thrive(BaseModel):
    threat: ThriveItem
    harm: ThriveItem
    risk: ThriveItem
    investigation: ThriveItem
    vulnerability: ThriveItem
    engagement: ThriveItem
    grade: Grade = Field(description="The overall THRIVE grade this points to.")


class HomeStep(BaseModel):
    step: str = Field(description="The fact that records it.")
    title: str
    expected: bool = Field(description="The guidance expects this step before calling, for this incident.")
    said: bool | None = Field(description="What the caller said: true, false, or null when not said.")
    note: str
    source: str


class HandlerQuestion(BaseModel):
    fact: str
    ask: str
    why: str
    urgent: bool = Field(description="Ask before anything else: the answer could mean emergency attendance.")
    would_become: Level | None = Field(None, description="The recommendation if the answer raises it.")


class CallCheck(BaseModel):
    consistent_with_guidance: bool = Field(
        description="Involving the police now is consistent with the guidance on these facts.")
    settled: bool = Field(
        description="False when an unanswered question could change whether the police should be involved.")
    recommendation: Level
    headline: str
    police_response: PoliceResponse
    thrive: Thrive
    home_steps: list[HomeStep]
    questions: list[HandlerQuestion]
    say_to_caller: list[str] = Field(description="Words the handler can use with the caller, in order.")
    rationale: list[Reason]
    rulebook: str
    rulebook_release: RulebookRelease | None = Field(None, description=(
        "The reviewed release of the rulebook: reviewed is true only for a signed-off sha."))


# -- building the check ---------------------------------------------------------------------------
POLICE_LEVELS = {Level.call_999, Level.call_101}


def check_call(request: CallCheckRequest | dict[str, Any], decider: Decider) -> CallCheck:
    """The call handler's view of the incident the caller describes."""
    if not isinstance(request, CallCheckRequest):
        request = CallCheckRequest.model_validate(request)
    incident = request.incident_facts()
    decision = decider.decide(incident)
    known = request.known()
    # Right Care, Right Person: a real and immediate risk to life or of serious harm means attend.
    # Only the rulebook's safety rules answer call_999 (the loader enforces it), so that answer is
    # the immediate risk, whatever made it so: no second copy of those rules lives here.
    level = decision.recommendation
    urgent_risk = level is Level.call_999
    response = police_response(level, known, urgent_risk)
    steps = home_steps(known, level, urgent_risk)
    questions = handler_questions(decision, steps, urgent_risk)
    settled = not any(q.would_become is not None and (q.would_become in POLICE_LEVELS) != (level in POLICE_LEVELS)
                      for q in questions)
    return CallCheck(
        consistent_with_guidance=level in POLICE_LEVELS,
        settled=settled,
        recommendation=level,
        headline=handler_headline(response, decision, urgent_risk),
        police_response=response,
        thrive=thrive(known, level, decision, steps, response),
        home_steps=steps,
        questions=questions,
        say_to_caller=words_for_caller(response, decision, steps, questions, known),
        rationale=decision.rationale,
        rulebook=decision.rulebook,
        rulebook_release=decision.rulebook_release,
    )


def police_response(level: Level, known: dict[str, Any], urgent_risk: bool) -> PoliceResponse:
    missing = known.get("incident.kind") == "missing"
    if urgent_risk or level is Level.call_999:
        return PoliceResponse(
            kind="emergency_attendance", attend=True, label="Emergency attendance",
            what_happens=("Grade for immediate attendance. There is a real and immediate risk to life or of "
                          "serious harm, so officers attend whatever the home has or has not done first."
                          + (" Start the missing-person process at the same time, graded high risk." if missing else "")),
            source=f"{SRC_RCRP}; {SRC_FCR}" + (f"; {SRC_PHILOMENA}" if missing else ""))
    if level is Level.call_101 and missing:
        return PoliceResponse(
            kind="missing_person_process", attend=True, label="Missing-person process",
            what_happens=("Take a missing person report, grade the risk, and work with the home under the "
                          "Philomena protocol to find and safeguard the young person."),
            source=SRC_PHILOMENA)
    if level is Level.call_101:
        return PoliceResponse(
            kind="non_emergency_attendance", attend=True, label="Non-emergency attendance",
            what_happens=("Police involvement is consistent with the guidance, but it is not an emergency: "
                          "arrange attendance or contact in the normal way, with a Child First and trauma "
                          "informed approach."),
            source=f"{SRC_FCR}; {SRC_RCRP} (police attend to investigate a crime)")
    later = level is Level.report_later
    return PoliceResponse(
        kind="advice_and_signposting", attend=False, label="Advice and signposting back to the home",
        what_happens=(("The guidance points to the home managing this now and the registered manager deciding "
                       "in slow time (next working day) whether to report it. ") if later else
                      ("The guidance points to the home responding as a reasonable parent would, without the "
                       "police. ")) + "Give advice and signpost back to the home; no attendance.",
        follow_up=("Pass to the neighbourhood team to follow up with the home and help with problem solving, "
                   "so that calls like this become less likely."),
        source=f"{SRC_REASONABLE_PARENT}; {SRC_SLOW_TIME}; {SRC_NEIGHBOURHOOD}; {SRC_RCRP}")


def handler_headline(response: PoliceResponse, decision: Decision, urgent_risk: bool) -> str:
    if urgent_risk:
        return "Attend now: there is a real and immediate risk to life or of serious harm."
    reason = decision.headline.split(": ", 1)[1] if ": " in decision.headline else decision.headline
    return f"{response.label}: {reason}"


def home_steps(known: dict[str, Any], level: Level, urgent_risk: bool) -> list[HomeStep]:
    """The steps the guidance expects of the home before it calls, and what the caller said of each."""
    kind = known.get("incident.kind")
    emergency = urgent_risk or level is Level.call_999
    behaviour = kind in BEHAVIOUR_KINDS and known.get("setting.location") != "community"
    late = " Not needed before attending: there is an immediate risk." if emergency else ""
    steps = [
        HomeStep(step="response_so_far.de_escalation_tried", title="De-escalation tried",
                 expected=behaviour and not emergency,
                 said=known.get("response_so_far.de_escalation_tried"),
                 note="Calming things down with the young person's behaviour support plan, before any call." + late,
                 source=SRC_TRAUMA),
        HomeStep(step="response_so_far.behaviour_policy_followed", title="Behaviour Management Policy followed",
                 expected=behaviour and not emergency,
                 said=known.get("response_so_far.behaviour_policy_followed"),
                 note=("The home's written policy and the young person's individual plan; a statement of how it "
                       "was applied goes with any request for charging advice." + late),
                 source=SRC_BEHAVIOUR_POLICY),
        HomeStep(step="response_so_far.manager_consulted", title="Manager on call consulted",
                 expected=not emergency and kind != "missing",
                 said=known.get("response_so_far.manager_consulted"),
                 note=("Outside an emergency the registered manager decides whether to involve the police, "
                       "now or in slow time." + late),
                 source=SRC_SLOW_TIME),
    ]
    if kind == "missing":
        steps.append(HomeStep(
            step="missing.enquiries_done", title="Enquiries for the missing young person",
            expected=not emergency, said=known.get("missing.enquiries_done"),
            note=("Phone, friends and family, known places and the premises tried and each enquiry recorded, "
                  "with the Philomena form ready." + late),
            source=SRC_PHILOMENA))
    return steps


STEP_ASKS = {
    "response_so_far.de_escalation_tried": "What has the home already tried to calm things down?",
    "response_so_far.behaviour_policy_followed":
        "Has the home followed its Behaviour Management Policy and the young person's plan?",
    "response_so_far.manager_consulted": "Have you spoken to the manager on call about calling us?",
    "missing.enquiries_done": ("Have you tried their phone, friends and family and the places they usually go, "
                               "and recorded each enquiry?"),
}


def handler_questions(decision: Decision, steps: list[HomeStep], urgent_risk: bool) -> list[HandlerQuestion]:
    """Most urgent first: unknown facts that could mean emergency attendance, then facts that could
    change whether police are involved, then the home's steps not yet described, then the rest."""
    ranked: list[tuple[int, int, HandlerQuestion]] = []
    for index, q in enumerate(decision.questions):
        raises = q.would_become.rank > decision.recommendation.rank
        urgent = raises and q.would_become is Level.call_999
        tier = 0 if urgent else 1 if raises and q.would_become in POLICE_LEVELS else 3
        why = (f"Depending on the answer, the guidance could point to {_LEVEL_WORDS[q.would_become]}."
               if raises else f"Depending on the answer, it could come down to {_LEVEL_WORDS[q.would_become]}.")
        ranked.append((tier, index, HandlerQuestion(fact=q.fact, ask=q.ask, why=why, urgent=urgent,
                                                    would_become=q.would_become)))
    asked = {q.fact for _, _, q in ranked}
    if not urgent_risk:
        for index, step in enumerate(steps):
            if step.expected and step.said is None and step.step not in asked:
                ranked.append((2, index, HandlerQuestion(
                    fact=step.step, ask=STEP_ASKS[step.step], urgent=False,
                    why=f"The guidance expects this of the home before a call. Source: {step.source}.")))
    return [q for _, _, q in sorted(ranked, key=lambda item: item[:2])]


_LEVEL_WORDS = {
    Level.call_999: "emergency attendance",
    Level.call_101: "police involvement now (not an emergency)",
    Level.report_later: "the home managing it and the manager deciding in slow time",
    Level.no_police: "the home responding without the police",
}


def _facts(known: dict[str, Any], paths: tuple[str, ...]) -> list[FactSeen]:
    return [FactSeen(fact=path, value=known.get(path)) for path in paths]


def _said(value: Any) -> str:
    return "not said" if value is None else ("yes" if value is True else "no" if value is False else
                                              str(value).replace("_", " "))


def thrive(known: dict[str, Any], level: Level, decision: Decision, steps: list[HomeStep],
           response: PoliceResponse) -> Thrive:
    """THRIVE headings with the facts the caller gave for each (unknown facts shown as null)."""
    k = known.get
    missing = k("incident.kind") == "missing"
    threat_paths = ("incident.risk_to_life", "incident.in_progress", "incident.weapon", "incident.child_calm_now")
    if missing:
        threat_paths += ("missing.immediate_concern", "missing.whereabouts_known")
    if k("incident.risk_to_life") is True:
        threat = "A real and immediate risk to life or of serious harm is reported."
    elif k("incident.in_progress") is True or k("incident.weapon") in ("bladed", "firearm"):
        threat = (f"The incident is {'still happening' if k('incident.in_progress') else 'over'}; "
                  f"weapon: {_said(k('incident.weapon'))}.")
    elif missing:
        threat = (f"Whereabouts known: {_said(k('missing.whereabouts_known'))}; specific concern for the young "
                  f"person's safety now: {_said(k('missing.immediate_concern'))}.")
    else:
        threat = (f"No immediate threat reported. Still happening: {_said(k('incident.in_progress'))}; "
                  f"young person calm now: {_said(k('incident.child_calm_now'))}.")
    harm = (f"Injury: {_said(k('incident.injury'))}; harmed or affected: {_said(k('incident.victim'))}"
            + (f"; damage about £{k('incident.damage_value_gbp'):,.0f}" if k("incident.damage_value_gbp") is not None
               else "") + ".")
    grade: Grade = "high" if level is Level.call_999 else "medium" if level is Level.call_101 else "low"
    decisive = [r.rule for r in decision.rationale if r.role == "decisive"]
    risk = (f"Graded {grade}: the guidance points to {_LEVEL_WORDS[level]} (decided by {', '.join(decisive)}). "
            f"Repeat pattern: {_said(k('incident.repeat_pattern'))}.")
    if missing:
        risk += f" Hours away: {_said(k('missing.hours_absent'))}."
    crime_kind = k("incident.kind") not in ("missing", "self_harm")
    if not crime_kind:
        investigation = ("Not a crime to investigate: "
                         + ("a missing-person enquiry under the Philomena protocol." if missing
                            else "self-harm is a matter of care, not a police investigation."))
    elif level in POLICE_LEVELS:
        investigation = (f"A possible offence ({_said(k('incident.kind'))}) the police may need to investigate; "
                         f"the person harmed wants to report: {_said(k('incident.victim_wants_police'))}. "
                         "Think of the young person as a child first; custody only as a last resort.")
    else:
        investigation = ("On these facts the guidance does not point to a police investigation now; the home can "
                         "respond, and a victim can still choose to report. Person harmed wants to report: "
                         f"{_said(k('incident.victim_wants_police'))}.")
    vulnerable = [label for path, label in (
        ("person.exploitation_concern", "known or suspected exploitation (a possible victim)"),
        ("person.neurodivergent", "neurodivergence, SEND or communication needs"),
        ("person.behaviour_in_plan", "behaviour foreseen in their care plan"),
        ("setting.out_of_county", "placed out of county")) if k(path) is True]
    age = k("person.age")
    vulnerability = (f"A {'young person aged ' + str(age) if age is not None else 'young person'} "
                     f"{'leaving care' if k('person.status') == 'care_leaver' else 'in care'}"
                     + (f": {'; '.join(vulnerable)}." if vulnerable else "; no other vulnerability reported.")
                     + (" The person harmed is another child." if k("incident.victim") == "resident" else ""))
    done = [s.title.lower() for s in steps if s.said is True]
    not_done = [s.title.lower() for s in steps if s.expected and s.said is False]
    engagement = (f"{response.label}. "
                  + (f"The home has done: {', '.join(done)}" if done else "The caller has not said what the home has done")
                  + (f"; not yet: {', '.join(not_done)}" if not_done else "") + ".")
    if response.follow_up:
        engagement += " Neighbourhood team to follow up with the home."
    return Thrive(
        threat=ThriveItem(summary=threat, facts=_facts(known, threat_paths), source=f"{SRC_THRIVE}; {SRC_RCRP}"),
        harm=ThriveItem(summary=harm, facts=_facts(known, (
            "incident.injury", "incident.victim", "incident.damage_value_gbp", "incident.kind")), source=SRC_THRIVE),
        risk=ThriveItem(summary=risk, facts=_facts(known, (
            "incident.repeat_pattern", "person.exploitation_concern")
            + (("missing.hours_absent", "missing.whereabouts_known") if missing else ())),
            source=f"{SRC_THRIVE}; {SRC_FCR}"),
        investigation=ThriveItem(summary=investigation, facts=_facts(known, (
            "incident.kind", "incident.victim", "incident.victim_wants_police", "incident.hate_motivated",
            "setting.location")), source=f"{SRC_THRIVE}; {SRC_RCRP}; Protocol §8.3 (custody as a last resort)"),
        vulnerability=ThriveItem(summary=vulnerability, facts=_facts(known, (
            "person.age", "person.status", "person.neurodivergent", "person.exploitation_concern",
            "person.behaviour_in_plan", "setting.out_of_county")), source=f"{SRC_THRIVE}; {SRC_CHILD_FIRST}"),
        engagement=ThriveItem(summary=engagement, facts=_facts(known, tuple(s.step for s in steps)
                                                              + ("response_so_far.restraint_used",)),
                              source=f"{SRC_THRIVE}; {SRC_FCR}; {SRC_NEIGHBOURHOOD}"),
        grade=grade,
    )


def words_for_caller(response: PoliceResponse, decision: Decision, steps: list[HomeStep],
                     questions: list[HandlerQuestion], known: dict[str, Any]) -> list[str]:
    """Plain, non-judgmental words for the caller, about a child, never an 'offender'."""
    words = ["Thank you for calling, and for checking with us."]
    if response.kind == "emergency_attendance":
        words += ["Officers are coming now. Keep yourself, the young person and everyone else as safe as you can.",
                  "Stay on the line if you can, and tell me straight away if anything changes.",
                  "When officers arrive, please tell them that the young person is in care and anything that "
                  "helps them understand and communicate with them."]
    elif response.kind == "missing_person_process":
        words += ["We'll take a missing person report now and work with you to find the young person.",
                  "Please have their Philomena form ready: description, a recent photo, the places they go, who "
                  "they might be with, and any medical needs.",
                  "Keep trying their phone, and ring 999 straight away if you become worried for their safety "
                  "right now."]
    elif response.kind == "non_emergency_attendance":
        words += ["From what you've told me, it's right to involve us, but it isn't an emergency.",
                  "We'll arrange for an officer to deal with it. Until then, please keep everyone safe, and tell "
                  "the officer what the home has already done and about the young person's needs.",
                  "If anyone is in immediate danger at any point, ring 999."]
    else:
        because = next((r.because for r in decision.rationale if r.role == "decisive"), "")
        later = decision.recommendation is Level.report_later
        guidance = ("From what you've told me, the guidance that the police and care providers in Northamptonshire "
                    "agreed says there is no need for the police now: keep everyone safe, and the registered "
                    "manager decides next working day whether it should be reported." if later else
                    "From what you've told me, the guidance that the police and care providers in Northamptonshire "
                    "agreed says this is best handled by the home, the way a parent would handle it.")
        consulted = known.get("response_so_far.manager_consulted") is True
        words += [guidance + (f" {because}" if because else ""),
                  ("Please record it in the young person's file." if consulted else
                   "Please talk it through with your manager on call, and record it in the young person's file."),
                  "Our neighbourhood team will be in touch with the home to help think about what might prevent "
                  "this happening again.",
                  "If anyone is in immediate danger at any point, ring 999 straight away."]
    open_steps = [s for s in steps if s.expected and s.said is False]
    if open_steps and response.kind != "emergency_attendance":
        offers = " and ".join(_STEP_OFFERS[s.step] for s in open_steps)
        words.append(f"It may help to try {offers}; that often settles things without anyone needing the police."
                     if response.kind == "advice_and_signposting" else f"Alongside this, please try {offers}.")
    return words


_STEP_OFFERS = {
    "response_so_far.de_escalation_tried": "the calming approaches in the young person's plan",
    "response_so_far.behaviour_policy_followed": "the steps in the home's behaviour policy",
    "response_so_far.manager_consulted": "speaking with your manager on call",
    "missing.enquiries_done": "their phone, friends and family and the places they usually go",
}
