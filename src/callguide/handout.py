"""Printable handouts for a session, in two parts, as Markdown (the web prints the same as HTML).

- The group's sheet: the situation and each step's words with what is new, and the question to
  decide; no answers, no learning points, so nothing is given away.
- The facilitator's answer sheet: each step's answer, why (with public sources), what changed,
  what to do next, prompts, the facilitator's notes and timings, then the learning points.

Both use the plain labels of the one vocabulary ("Age: 15"), never contract names or rule ids.
A course handout is the same for several scenarios, one after another.
"""

from __future__ import annotations

from .scenarios import Scenario
from .walkthrough import StepView, audience_words, public_source, total_minutes

Session = tuple[Scenario, list[StepView]]
DANGER = "Decision support only: if anyone is in immediate danger, call 999."


def _md(text: str) -> str:
    """Text safe inside Markdown: no accidental tables, emphasis or headings."""
    return " ".join(text.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_").split())


def _new_facts(view: StepView) -> list[str]:
    """Step 1: every fact; later steps: only what is new or changed (a short sheet)."""
    rows = view.fact_rows()
    if view.number > 1:
        rows = [row for row in rows if row.mark]
    return [f"- {_md(row.label)}: {_md(row.value)}" + (f" *({_md(row.mark)})*" if row.mark.startswith("was") else "")
            for row in rows]


def _heading(scenario: Scenario, level: str, prefix: str = "") -> list[str]:
    minutes = total_minutes(scenario)
    about = f" · about {minutes} minutes" if minutes else ""
    lines = [f"{level} {prefix}{_md(scenario.title)}", "",
             f"*For {_md(audience_words(scenario))} · {len(scenario.steps)} steps{about}*", ""]
    if scenario.summary:
        lines += [_md(scenario.summary), ""]
    return lines


def group_sheet(scenario: Scenario, views: list[StepView], level: str = "#") -> str:
    """The group's sheet: steps, what is known, and the question; answers hidden."""
    lines = _heading(scenario, level)
    sub = level + "#"
    for view, step in zip(views, scenario.steps):
        lines += [f"{sub} Step {view.number}", "", _md(view.reveal), ""]
        facts = _new_facts(view)
        if facts:
            lines += ["What we know now:" if view.number == 1 else "New at this step:", ""] + facts + [""]
        lines += ["**What would you do now, and why?**", "", "&nbsp;", ""]
        lines += [f"- {_md(prompt)}" for prompt in step.discuss] + ([""] if step.discuss else [])
    return "\n".join(lines)


def _answer(view: StepView) -> list[str]:
    lines: list[str] = []
    was = f" (was: {_md(view.previous_title)})" if view.previous_title else ""
    if view.call:
        call = view.call
        lines += [f"**Police response: {_md(call.label)}**{was}", "", _md(call.headline), ""]
        if call.thrive:
            lines += ["THRIVE" + (f" (grade: {_md(call.grade)})" if call.grade else "") + ":", ""]
            lines += [f"- {heading}: {_md(summary)}" for heading, summary in call.thrive] + [""]
        if call.questions:
            lines += ["Ask the caller:", ""] + [f"- {_md(q)}" for q in view.questions()] + [""]
        if call.say:
            lines += ["Say to the caller:", ""] + [f"- \u201c{_md(s)}\u201d" for s in call.say] + [""]
    else:
        lines += [f"**Answer: {_md(view.answer_title)}**{was}", "", _md(view.decision.headline), ""]
    reasons = view.reasons()
    if reasons:
        lines += ["Why:", ""]
        lines += [f"- {_md(because)}" + (f" *({_md(source)})*" if source else "") for because, source in reasons]
        lines.append("")
    changes = [f"- Now applies: {_md(c.why)}" for c in view.started] if view.number > 1 else []
    changes += [f"- No longer applies: {_md(c.why)}" for c in view.stopped]
    if changes:
        lines += ["What changed:", ""] + changes + [""]
    if not view.call:
        if view.decision.questions:
            lines += ["Still worth asking:", ""] + [f"- {_md(q)}" for q in view.questions()] + [""]
        actions = view.actions(only_new=view.number > 1)
        if actions:
            lines += ["What to do next:" if view.number == 1 else "New things to do:", ""]
            lines += [f"- **{_md(by)}**: {_md(what)}" for by, what in actions] + [""]
    if view.prompts:
        lines += ["For discussion:", ""] + [f"- {_md(p)}" for p in view.prompts] + [""]
    if view.notes:
        lines += [f"> **Facilitator's note:** {_md(view.notes)}", ""]
    return lines


def answer_sheet(scenario: Scenario, views: list[StepView], level: str = "#") -> str:
    """The facilitator's sheet: answers, why, sources, notes and timings, then the learning points."""
    lines = _heading(scenario, level, prefix="Answers: ")
    sub = level + "#"
    for view in views:
        timing = f" (about {view.minutes} minutes)" if view.minutes else ""
        lines += [f"{sub} Step {view.number}{timing}", "", f"*{_md(view.reveal)}*", ""] + _answer(view)
    lines += [f"{sub} Learning points", ""]
    for lp in scenario.learning_points:
        source = public_source(lp.source)
        lines.append(f"- {_md(lp.point)}" + (f" *({_md(source)})*" if source else ""))
    lines.append("")
    return "\n".join(lines)


def _course(title: str, sessions: list[Session], sheet) -> str:
    if len(sessions) == 1:
        scenario, views = sessions[0]
        return sheet(scenario, views) + "\n---\n\n" + DANGER + "\n"
    lines = [f"# {title}", ""]
    lines += [f"{n}. {_md(scenario.title)}" for n, (scenario, _) in enumerate(sessions, 1)] + [""]
    for scenario, views in sessions:
        lines += ["---", "", sheet(scenario, views, level="##")]
    lines += ["---", "", DANGER, ""]
    return "\n".join(lines)


def group_markdown(sessions: list[Session]) -> str:
    """The group's handout for one scenario, or a course of several."""
    return _course("Course handout", sessions, group_sheet)


def answers_markdown(sessions: list[Session]) -> str:
    """The facilitator's answer sheet for one scenario, or a course of several."""
    return _course("Course answer sheet", sessions, answer_sheet)
