"""What the answer page leads with, and the record for the young person's file.

A phone's first screen holds the answer and at most three things to do now; the reasons, the rest
of the actions and the questions still open come after. Two answers lead with something other than
the police level, because that is what the person must do first:

- **medical first**: someone is seriously hurt, needs an ambulance, or the young person has hurt
  themself: "Get medical help now", whatever the police answer (NHS: 999 for an emergency, 111
  otherwise). The police answer follows it, and never as a green "restorative" panel.
- **missing**: the guidance's route is enquiries first, then the missing-person report on 101, so
  "call 101" while the first enquiries are not done reads "Do these checks now, then call 101 if
  they are still missing", and "Call 101 now" once they are (or the rules say report at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..decision import Decision
from ..facts import Level
from .words import UNKNOWN, Words

MEDICAL_LINE = "Get medical help now: 999 for an ambulance, or NHS 111"
CHECKS_FIRST = "Do these checks now, then call 101 if they are still missing"
CHECKS_FIRST_BODY = ("Try their phone, their friends and family and the places they usually go, and write down "
                     "each enquiry and its time. If they are still missing, call 101 and use the missing-person "
                     "route; call 999 at once if a specific worry for their safety comes up.")
CALL_101_NOW = "Call 101 now"
DO_NOW_SHOWN = 3


def medical_first(state: Mapping[str, Any]) -> bool:
    """Someone is seriously hurt or needs an ambulance, or the young person has hurt themself."""
    return (state.get("incident.kind") == "self_harm"
            or state.get("incident.injury") in ("serious", "life_threatening")
            or state.get("health.medical_emergency") is True)


def _checks_still_to_do(state: Mapping[str, Any], decision: Decision) -> bool:
    """A missing young person, the first enquiries not done, and no rule saying report at once."""
    if state.get("incident.kind") != "missing" or decision.recommendation is not Level.call_101:
        return False
    if state.get("missing.enquiries_done") is True:
        return False
    # A rule that says "report now, without waiting for every enquiry" (a young child, say) wins.
    return not any("without waiting" in action.what.lower() for action in decision.actions)


def title(state: Mapping[str, Any], decision: Decision, words: Words) -> str:
    """The answer's heading."""
    headline = decision.headline
    if state.get("incident.kind") == "missing" and decision.recommendation is Level.call_101:
        if "still missing" in headline.lower():  # the rules already say it their way
            return headline.split(":", 1)[0]
        return CHECKS_FIRST if _checks_still_to_do(state, decision) else CALL_101_NOW
    return words.level_title(decision.recommendation)


def body(state: Mapping[str, Any], decision: Decision, words: Words) -> str:
    """The paragraph under the heading: the level's words, or with medical help first the
    decision's own headline (the level's words for "no police" speak of a restorative approach)."""
    if medical_first(state) and decision.recommendation in (Level.no_police, Level.report_later):
        return words.fill(decision.headline)
    if title(state, decision, words) == CHECKS_FIRST:
        return CHECKS_FIRST_BODY
    return words.level_body(decision.recommendation)


@dataclass(frozen=True)
class Split:
    now: list   # at most three actions for now, for the first screen
    later: list  # the rest, in the decision's order


def do_now(decision: Decision) -> Split:
    now = [a for a in decision.actions if a.by == "now"][:DO_NOW_SHOWN]
    shown = {a.id for a in now}
    return Split(now, [a for a in decision.actions if a.id not in shown])


# -- the record --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    what: str
    known: list[str]
    unknown: list[str]
    advice: str
    reasons: list[str]
    actions: list[str]


def record(state: Mapping[str, Any], decision: Decision, words: Words) -> Record:
    """The record for the file, in the third person: what was known, what was not, the advice."""
    known, unknown = [], []
    for fact, value in state.items():
        if fact == "incident.kind":
            continue
        if value == UNKNOWN:
            unknown.append(words.label(fact))
        else:
            known.append(f"{words.label(fact)}: {words.answer(fact, value)}")
    advice = title(state, decision, words)
    if medical_first(state):
        advice = f"{MEDICAL_LINE}. Police: {advice}"
    return Record(
        what=words.answer("incident.kind", state.get("incident.kind", "other")),
        known=known, unknown=unknown,
        advice=f"{advice}. {words.fill(decision.headline)}",
        reasons=[f"{r.because} ({r.source})" for r in decision.rationale if r.role in ("decisive", "supporting")],
        actions=[f"{words.deadline(a.by)}: {words.action(a.what, a.by)}" for a in decision.actions],
    )
