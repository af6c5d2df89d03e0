"""A decision written for a person reading it on a phone or in a terminal at night."""

from __future__ import annotations

from typing import Mapping

from .decision import Decision
from .vocabulary import Vocabulary


def render_decision(decision: Decision, vocabulary: Vocabulary,
                    stopped_by: Mapping[str, str] | None = None) -> str:
    """``stopped_by``: for ``--explain``, the conditions that stopped each rule (explain.stopped_by)."""
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
        for c in decision.considered:
            lines.append(f"  - {c.rule}: {c.title} ({c.source})")
            if stopped_by and c.rule in stopped_by:
                lines.append(f"    Stopped by: {stopped_by[c.rule]}")
    lines += ["", f"Rulebook {decision.rulebook[:19]}"]
    return "\n".join(lines)
