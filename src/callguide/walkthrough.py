"""Trainer walkthroughs: a scenario told one step at a time, with what changed and why.

For each step the walkthrough shows the facts so far (marking what is new), callguide's answer,
the rules that started and stopped applying since the previous step (and which facts made them
do so), the actions, and prompts for the group. The same views render as terminal text (one
step at a time, or all at once with ``--auto``) and as a printable Markdown handout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .decision import Decider, Decision, applied_rules
from .facts import Level, parse_incident
from .rulebook import Rule, iter_conditions, reads_outcome
from .scenarios import Scenario, cumulative_facts
from .text import LABELS, WOULD_BECOME as WORDS

MAX_QUESTIONS = 3  # the most urgent; a group discusses a few, not every what-if


@dataclass
class RuleChange:
    rule: str
    title: str
    why: str


@dataclass
class StepView:
    number: int                                   # 1-based
    reveal: str
    facts: dict[str, Any]                         # flat "section.field" -> value, known only
    new_facts: dict[str, tuple[Any, Any]]         # path -> (before, after); before None = unknown
    decision: Decision
    previous: Level | None
    expected: Level
    started: list[RuleChange] = field(default_factory=list)
    stopped: list[RuleChange] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)

    @property
    def level(self) -> Level:
        return self.decision.recommendation

    def fact_rows(self) -> list[tuple[str, str, str]]:
        """(fact, value, what changed) for the facts so far, then those that became unknown."""
        rows = []
        for path, value in self.facts.items():
            mark = ""
            if path in self.new_facts:
                before = self.new_facts[path][0]
                mark = "new" if before is None else f"was {_show(before)}"
            rows.append((path, _show(value), mark))
        rows += [(path, "unknown", f"was {_show(before)}")
                 for path, (before, after) in self.new_facts.items() if after is None]
        return rows


def _show(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _reads(rule: Rule) -> list[str]:
    return [path for path, _ in iter_conditions(rule.when)]


def _fact_changes(rule: Rule, changed: dict[str, tuple[Any, Any]]) -> list[str]:
    return [f"{path} {_show(before)} -> {_show(after)}"
            for path, (before, after) in changed.items() if path in _reads(rule)]


def _why_started(rule: Rule, changed: dict[str, tuple[Any, Any]], first: bool, level: Level) -> str:
    if first:
        return rule.title
    facts = _fact_changes(rule, changed)
    if facts:
        return f"{rule.title}, now that {'; '.join(facts)}"
    if reads_outcome(rule):
        return f"{rule.title}, now that the answer is {WORDS[level]}"
    if rule.when.get("derived"):
        return f"{rule.title}, now that it is found: " + ", ".join(
            d.replace("_", " ") for d in rule.when["derived"])
    return rule.title


def _why_stopped(rule: Rule, changed: dict[str, tuple[Any, Any]], previous: Level | None,
                 level: Level) -> str:
    facts = _fact_changes(rule, changed)
    if facts:
        return f"{rule.title}: it no longer fits, now that " + "; ".join(facts)
    if reads_outcome(rule) and previous != level:
        return f"{rule.title}: it is for other answers, and the answer is now {WORDS[level]}"
    derived = rule.when.get("derived", [])
    if derived:
        return f"{rule.title}: it relied on a finding that no longer holds: " + ", ".join(
            d.replace("_", " ") for d in derived)
    return f"{rule.title}: the facts it relies on changed"


def build(decider: Decider, scenario: Scenario) -> list[StepView]:
    """Every step of ``scenario`` decided, with what changed since the step before."""
    book = decider.book
    views: list[StepView] = []
    before: dict[str, Any] = {}
    fired_before: list[str] = []
    previous: Level | None = None
    for index, (step, facts) in enumerate(zip(scenario.steps, cumulative_facts(scenario.steps))):
        incident = parse_incident(facts)
        decision = decider.decide(incident, explain=True)
        fired = applied_rules(decision, book)
        known = incident.known()
        changed = {path: (before.get(path), known.get(path))
                   for path in list(before) + [p for p in known if p not in before]
                   if before.get(path) != known.get(path)}
        started = [RuleChange(r, book.rule(r).title,
                              _why_started(book.rule(r), changed, index == 0, decision.recommendation))
                   for r in fired if r not in fired_before and not book.rule(r).then.default]
        stopped = [RuleChange(r, book.rule(r).title,
                              _why_stopped(book.rule(r), changed, previous, decision.recommendation))
                   for r in fired_before if r not in fired and not book.rule(r).then.default]
        prompts = list(step.discuss)
        if previous is not None and previous != decision.recommendation:
            direction = "up" if decision.recommendation.rank > previous.rank else "down"
            prompts.append(f"The answer went {direction} from {WORDS[previous]} to "
                           f"{WORDS[decision.recommendation]}. Which new fact made the difference, and do you agree?")
        views.append(StepView(
            number=index + 1, reveal=step.reveal, facts=known, new_facts=changed, decision=decision,
            previous=previous, expected=step.expect.recommendation, started=started, stopped=stopped,
            prompts=prompts))
        before, fired_before, previous = known, fired, decision.recommendation
    return views


# -- terminal text ---------------------------------------------------------------------------

def render_intro(scenario: Scenario) -> str:
    lines = [scenario.title, "=" * len(scenario.title),
             "For: " + ", ".join(a.replace("_", " ") for a in scenario.audience)]
    if scenario.summary:
        lines += ["", scenario.summary.strip()]
    lines += ["", f"{len(scenario.steps)} steps."]
    return "\n".join(lines)


def render_step(view: StepView, total: int) -> str:
    d = view.decision
    lines = [f"--- Step {view.number} of {total} ---", view.reveal.strip(), "", "Facts so far:"]
    lines += [f"  {path}: {value}" + (f"  ({mark})" if mark else "") for path, value, mark in view.fact_rows()]
    change = ""
    if view.previous is not None and view.previous != view.level:
        change = f"  (was {WORDS[view.previous]})"
    lines += ["", f"Recommendation: {LABELS[view.level]}{change}", d.headline, "", "Why:"]
    for reason in d.rationale:
        note = "" if reason.role == "decisive" else f" [{reason.role.replace('_', ' ')}]"
        lines.append(f"  - {reason.because}{note}")
        lines.append(f"    Source: {reason.source}")
    heading = "Rules that apply:" if view.number == 1 else "Started to apply:"
    if view.started:
        lines += ["", heading]
        lines += [f"  + {c.rule}: {c.why}" for c in view.started]
    if view.stopped:
        lines += ["", "Stopped applying:"]
        lines += [f"  - {c.rule}: {c.why}" for c in view.stopped]
    if view.number > 1 and not view.started and not view.stopped:
        lines += ["", "No rule started or stopped applying at this step."]
    if d.questions:
        lines += ["", "Still worth asking:"]
        lines += [f"  ? {q.ask} (could make it: {WORDS[q.would_become]})" for q in d.questions[:MAX_QUESTIONS]]
    if d.actions:
        lines += ["", "What to do next:"]
        lines += [f"  - [{a.by}] {a.what}" for a in d.actions]
    if view.prompts:
        lines += ["", "For discussion:"]
        lines += [f"  * {p}" for p in view.prompts]
    return "\n".join(lines)


def render_outro(scenario: Scenario) -> str:
    lines = ["--- Learning points ---"]
    lines += [f"  * {lp.point} ({lp.source})" for lp in scenario.learning_points]
    return "\n".join(lines)


def render_auto(scenario: Scenario, views: list[StepView]) -> str:
    parts = [render_intro(scenario)] + [render_step(v, len(views)) for v in views] + [render_outro(scenario)]
    return "\n\n".join(parts) + "\n"


def run_interactive(scenario: Scenario, views: list[StepView],
                    read_line: Callable[[], str], write: Callable[[str], None]) -> int:
    """Reveal one step per Enter; 'q' quits. Returns the number of steps shown."""
    write(render_intro(scenario) + "\n")
    shown = 0
    for view in views:
        write(f"\nPress Enter to reveal step {view.number} of {len(views)} (q then Enter to stop): ")
        line = read_line()
        if line == "" or line.strip().lower() in ("q", "quit"):
            write("\nWalkthrough stopped.\n")
            return shown
        write("\n" + render_step(view, len(views)) + "\n")
        shown += 1
    write("\n" + render_outro(scenario) + "\n")
    return shown


# -- Markdown handout ------------------------------------------------------------------------

def _md(text: str) -> str:
    return text.replace("|", "\\|").strip()


def render_markdown(scenario: Scenario, views: list[StepView]) -> str:
    lines = [f"# {scenario.title}", "",
             f"*For: {', '.join(a.replace('_', ' ') for a in scenario.audience)}* · scenario `{scenario.id}`", ""]
    if scenario.summary:
        lines += [_md(scenario.summary), ""]
    lines += ["## What this scenario teaches", ""]
    lines += [f"- {_md(lp.point)} *({_md(lp.source)})*" for lp in scenario.learning_points]
    for view in views:
        d = view.decision
        lines += ["", f"## Step {view.number}: {_md(view.reveal)}", "", "| fact | value |", "|---|---|"]
        lines += [f"| `{path}` | {_md(value)}" + (f" **({_md(mark)})**" if mark else "") + " |"
                  for path, value, mark in view.fact_rows()]
        change = f" (was {WORDS[view.previous]})" if view.previous not in (None, view.level) else ""
        lines += ["", f"**Recommendation: {LABELS[view.level]}**{change}", "", _md(d.headline), "", "Why:", ""]
        lines += [f"- {_md(r.because)} *({_md(r.source)})*" for r in d.rationale]
        if view.started:
            lines += ["", "Started to apply:" if view.number > 1 else "Rules that apply:", ""]
            lines += [f"- `{c.rule}`: {_md(c.why)}" for c in view.started]
        if view.stopped:
            lines += ["", "Stopped applying:", ""]
            lines += [f"- `{c.rule}`: {_md(c.why)}" for c in view.stopped]
        if d.questions:
            lines += ["", "Still worth asking:", ""]
            lines += [f"- {_md(q.ask)} *(could make it: {WORDS[q.would_become]})*" for q in d.questions[:MAX_QUESTIONS]]
        if d.actions:
            lines += ["", "What to do next:", ""]
            lines += [f"- **{a.by}**: {_md(a.what)}" for a in d.actions]
        if view.prompts:
            lines += ["", "For discussion:", ""]
            lines += [f"- {_md(p)}" for p in view.prompts]
    lines += ["", "---", "",
              f"Decision support only: if anyone is in immediate danger, call 999. Rulebook {views[0].decision.rulebook[:19] if views else ''}.",
              ""]
    return "\n".join(lines)
