"""What the answer page leads with, and the record for the young person's file.

A phone's first screen holds the answer and at most three things to do now; the reasons, the rest
of the actions and the questions still open come after. What leads is the rules' say, read from
each action's ``first`` (``ActionOut.first``: call, ambulance, medical or check), never from the
rules' words or a copy of their conditions:

- **medical first**: some action is medical help to get before the rest (``first: ambulance`` or
  ``medical``: an ambulance, A&E, first aid, the crisis team): "Get medical help now", whatever
  the police answer (NHS: 999 for an emergency, 111 otherwise). The police answer follows it, and
  never as a green "restorative" panel.
- **a check first**: the police answer leads with a check to do before calling (``first: check``,
  a missing child's first enquiries, after any medical help): the heading is that rule's own
  ``headline`` ("Do these checks now, then call 101 if they are still missing").
- **missing**: otherwise a missing young person's "call 101" reads "Call 101 now" (the first
  enquiries are done, or a rule says report at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..decision import Decision
from ..explanation import ActionOut, render
from ..facts import Level
from ..rulebook import Rulebook
from .words import UNKNOWN, Words

# The medical panel's heading, by the first medical action's ``first``: an ambulance, or other
# medical help (A&E, NHS 111, the crisis team), where 999 stays the way if a life is at risk.
MEDICAL_LINES = {"ambulance": "Get medical help now: call 999 for an ambulance",
                 "medical": "Get medical help now: A&E, NHS 111 or the crisis team (999 if their life is at risk)"}
MEDICAL_FIRST = tuple(MEDICAL_LINES)  # ActionOut.first values that are medical help
CHECKS_FIRST_BODY = ("Try their phone, their friends and family and the places they usually go, and write down "
                     "each enquiry and its time. If they are still missing, call 101 and use the missing-person "
                     "route; call 999 at once if a specific worry for their safety comes up.")
CALL_101_NOW = "Call 101 now"
MISSING_101_BODY = ("Involve the police now, but it is not an emergency: call 101 and use the missing-person "
                    "route.")
DO_NOW_SHOWN = 3


def medical_first(decision: Decision) -> bool:
    """The rules put medical help before the rest: an ambulance, A&E, first aid, the crisis team."""
    return any(action.first in MEDICAL_FIRST for action in decision.actions)


def medical_line(decision: Decision) -> str:
    """The medical panel's heading for the first medical help the rules name ("" if none)."""
    first = next((action.first for action in decision.actions if action.first in MEDICAL_FIRST), None)
    return MEDICAL_LINES[first] if first else ""


def police_lead(decision: Decision) -> ActionOut | None:
    """The action the police answer leads with: the first one that is not medical help (the
    actions come in their ``first`` order: the call, medical help, a check, then the rest)."""
    return next((action for action in decision.actions if action.first not in MEDICAL_FIRST), None)


@dataclass(frozen=True)
class Lead:
    title: str     # the answer's heading ("Police: ..." under the medical panel)
    body: str      # the paragraph under it
    medical: bool  # "Get medical help now" comes first
    medical_line: str = ""  # its heading (MEDICAL_LINES)


def lead(state: Mapping[str, Any], decision: Decision, words: Words, book: Rulebook) -> Lead:
    """What the answer page leads with, from the actions' ``first``."""
    medical = medical_first(decision)
    action = police_lead(decision)
    check = action is not None and action.first == "check"
    missing_101 = state.get("incident.kind") == "missing" and decision.recommendation is Level.call_101
    if check:  # the rulebook requires a headline of a rule with a check first
        title = render(book.rule(action.rule).then.headline or "", words.known, book)
    elif missing_101:
        title = CALL_101_NOW
    else:
        title = words.level_title(decision.recommendation)
    if medical and decision.recommendation in (Level.no_police, Level.report_later):
        # the decision's own headline: the level's words for "no police" speak of a restorative approach
        body = words.fill(decision.headline)
    elif check:
        body = CHECKS_FIRST_BODY
    elif missing_101:  # the level's own words are for every call 101: the route is a missing child's
        body = MISSING_101_BODY
    else:
        body = words.level_body(decision.recommendation)
    return Lead(title, body, medical, medical_line(decision))


@dataclass(frozen=True)
class Split:
    now: list   # at most three actions for now, for the first screen
    later: list  # the rest, in the decision's order


# The rules' reminder to call 999 if anything changes: the answer page says it in its own warning,
# right under "Do now", so it is not listed there again (it took the only "Do now" line of a slow-time
# answer and was then read twice, journeys4).
SAID_BY_THE_PAGE = "call-999-if-it-changes"


def do_now(decision: Decision) -> Split:
    actions = [a for a in decision.actions
               if not (a.id == SAID_BY_THE_PAGE and decision.recommendation is not Level.call_999)]
    now = [a for a in actions if a.by == "now"][:DO_NOW_SHOWN]
    shown = {a.id for a in now}
    return Split(now, [a for a in actions if a.id not in shown])


def emergency_now(decision: Decision, book: Rulebook) -> list[ActionOut]:
    """What the "Call 999 now" page lists under "Do now", besides the call itself: the rules' other
    now-actions (get everyone out of a fire, never touch a gun, the ambulance step, have the
    Philomena form ready), at most three. Not other medical help ("get them to A&E" while an
    ambulance is on its way), and not an action only for a young person who is a suspect (what to
    tell officers, what to ask if they are arrested): while someone is in danger nobody yet knows
    who did what, and a young person who was harmed is a victim."""
    def suspect_only(action: ActionOut) -> bool:
        found = next((a for a in book.rule(action.rule).then.actions if a.id == action.id), None)
        return found is not None and set(found.for_) == {"suspect"}

    return [a for a in decision.actions
            if a.by == "now" and a.first in (None, "ambulance") and not suspect_only(a)][:DO_NOW_SHOWN]


# -- the record --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    what: str
    known: list[str]
    unknown: list[str]
    advice: str
    reasons: list[str]
    actions: list[str]


def record(state: Mapping[str, Any], decision: Decision, words: Words, answer: Lead) -> Record:
    """The record for the file, in the third person: what was known, what was not, the advice."""
    known, unknown = [], []
    for fact, value in state.items():
        if fact == "incident.kind":
            continue
        if value == UNKNOWN:  # "Someone needs an ambulance now" alone would read as a statement
            unknown.append(f"{words.label(fact)}: not known")
        else:
            known.append(f"{words.label(fact)}: {words.answer(fact, value)}")
    headline = words.fill(decision.headline)
    # the headline often starts with the answer's own title ("Don't call the police now: keep
    # everyone safe..."): said once, not "Don't call the police now. Don't call the police now: ..."
    advice = headline if headline.startswith(answer.title) else f"{answer.title}. {headline}"
    if answer.medical:
        advice = f"{answer.medical_line}. Police: {advice}"
    return Record(
        what=words.answer("incident.kind", state.get("incident.kind", "other")),
        known=known, unknown=unknown,
        advice=advice,
        reasons=[f"{r.because} ({r.source})" for r in decision.rationale if r.role in ("decisive", "supporting")],
        actions=[f"{words.deadline(a.by)}: {words.action(a.what, a.by)}" for a in decision.actions],
    )
