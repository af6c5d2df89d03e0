"""A decision written for a person reading it on a phone or in a terminal at night."""

from __future__ import annotations

from .decision import Decision
from .facts import Level
from .vocabulary import Vocabulary

# Kept for the walkthrough until it reads the vocabulary (rules/vocabulary.yaml) like everything else.
LABELS: dict[Level, str] = {
    Level.call_999: "CALL 999 NOW",
    Level.call_101: "CALL 101 (POLICE, NOT AN EMERGENCY)",
    Level.report_later: "DON'T CALL NOW: MANAGER REVIEWS IT NEXT WORKING DAY",
    Level.no_police: "NO POLICE: RESPOND AT HOME",
}

WOULD_BECOME: dict[Level, str] = {
    Level.call_999: "call 999",
    Level.call_101: "call 101",
    Level.report_later: "report later",
    Level.no_police: "no police",
}


def render_decision(decision: Decision, vocabulary: Vocabulary) -> str:
    lines = [vocabulary.level(decision.recommendation).shout, decision.headline, "", "Why:"]
    for reason in decision.rationale:
        note = "" if reason.role == "decisive" else f" [{reason.role.replace('_', ' ')}]"
        lines.append(f"  - {reason.because}{note}")
        lines.append(f"    Source: {reason.source}")
    if decision.questions:
        lines += ["", "Still worth asking:"]
        for question in decision.questions:
            labels = [vocabulary.label(path).lower() for path in question.together_with]
            together = f", together with: {'; '.join(labels)}" if labels else ""
            lines.append(f"  - {question.ask} (could change the answer to: "
                         f"{vocabulary.level(question.would_become).short}{together})")
    lines += ["", "What to do next:"]
    for action in decision.actions:
        lines.append(f"  - [{vocabulary.deadlines[action.by]}] {action.what}")
        lines.append(f"    Source: {action.source}")
    if decision.considered is not None:
        lines += ["", "Rules considered that did not apply:"]
        lines += [f"  - {c.rule}: {c.title} ({c.source})" for c in decision.considered]
    lines += ["", f"Rulebook {decision.rulebook[:19]}"]
    return "\n".join(lines)
