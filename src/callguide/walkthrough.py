"""Trainer walkthroughs: a scenario told one step at a time, in two stages per step.

First the group hears what is now known (the step's words and the facts so far, in plain labels
from the one vocabulary), and decides what they would do; then the trainer shows the answer:
callguide's answer (or, for call handlers, the call check a handler would see: police response,
THRIVE, what to ask and what to say), why, what changed since the step before, what to do next
and prompts for the group. The same views feed the terminal (one stage at a time, or all at once
with ``--auto``), the handouts (``handout.py``) and the web pages.

Nothing here shows a contract name (``person.age``), a rule id or a non-public source: those are
for the people who maintain the rules, not for the group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .decision import Decider, Decision, applied_rules
from .facts import Level, parse_incident
from .rulebook import Rule, reads_outcome
from .scenarios import AUDIENCE_WORDS, CALL_HANDLERS, Scenario, cumulative_facts
from .vocabulary import Vocabulary

MAX_QUESTIONS = 3  # the most urgent; a group discusses a few, not every what-if
THRIVE_KEYS = ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")
PRIVATE_SOURCES = ("DOMAIN",)  # the project's own brief: not a document a group can open


def public_source(source: str) -> str:
    """The parts of a source a reader can look up ("DOMAIN: ..." notes are dropped)."""
    parts = [p.strip() for p in source.split(";")]
    return "; ".join(p for p in parts if p and not p.upper().startswith(PRIVATE_SOURCES))


@dataclass
class RuleChange:
    title: str
    why: str


@dataclass
class CallView:
    """What a call handler would see, read tolerantly from ``callcheck.check_call``'s result."""

    response: str              # police_response.kind
    label: str                 # police_response.label
    headline: str
    what_happens: str
    thrive: list[tuple[str, str]]   # (heading, summary)
    grade: str
    questions: list[str]
    say: list[str]


@dataclass
class FactRow:
    label: str
    value: str
    mark: str      # "", "new", "was ..." (in plain words)


@dataclass
class StepView:
    number: int                                   # 1-based
    reveal: str
    facts: dict[str, Any]                         # flat "section.field" -> value, known only
    new_facts: dict[str, tuple[Any, Any]]         # path -> (before, after); None = unknown
    decision: Decision
    previous: Level | None
    expected: Level
    words: Vocabulary
    started: list[RuleChange] = field(default_factory=list)
    stopped: list[RuleChange] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    notes: str = ""
    minutes: int | None = None
    call: CallView | None = None
    previous_call: CallView | None = None
    new_actions: set[str] = field(default_factory=set)   # action ids not listed at the step before

    @property
    def level(self) -> Level:
        return self.decision.recommendation

    @property
    def answer_title(self) -> str:
        return self.call.label if self.call else self.words.level(self.level).title

    @property
    def previous_title(self) -> str | None:
        """The answer at the step before, when it was different; else None."""
        if self.call and self.previous_call and self.previous_call.response != self.call.response:
            return self.previous_call.label
        if not self.call and self.previous is not None and self.previous != self.level:
            return self.words.level(self.previous).title
        return None

    def fact_rows(self) -> list[FactRow]:
        """The facts so far in plain words, then those that became unknown."""
        rows = []
        for path, value in self.facts.items():
            mark = ""
            if path in self.new_facts and self.number > 1:
                before = self.new_facts[path][0]
                mark = "new" if before is None else f"was {self.words.answer(path, before)}"
            rows.append(FactRow(self.words.label(path), self.words.answer(path, value), mark))
        rows += [FactRow(self.words.label(path), "Not known now", f"was {self.words.answer(path, before)}")
                 for path, (before, after) in self.new_facts.items() if after is None]
        return rows

    def reasons(self) -> list[tuple[str, str]]:
        """(because, public source) for the rules that decided and those that support them."""
        return [(r.because, public_source(r.source)) for r in self.decision.rationale
                if r.role in ("decisive", "supporting")]

    def questions(self) -> list[str]:
        if self.call:
            return self.call.questions[:MAX_QUESTIONS]
        return [f"{q.ask} (could make it: {self.words.level(q.would_become).short})"
                for q in self.decision.questions[:MAX_QUESTIONS]]

    def actions(self, only_new: bool = False) -> list[tuple[str, str]]:
        """(deadline words, what) for the actions; ``only_new``: those not listed at the step before."""
        return [(self.words.deadlines.get(a.by, a.by), a.what) for a in self.decision.actions
                if not only_new or a.id in self.new_actions]


def _weighs(rule: Rule) -> bool:
    """A rule worth naming when it starts or stops: it weighs on the answer (actions show apart)."""
    return not rule.then.default and (rule.then.recommend is not None or bool(rule.then.derive))


def _reads(rule: Rule) -> list[str]:
    return rule.conditions.reads()


def _fact_changes(rule: Rule, changed: dict[str, tuple[Any, Any]], words: Vocabulary) -> list[str]:
    return [f"{words.label(path)}: {words.answer(path, before)} → {words.answer(path, after)}"
            for path, (before, after) in changed.items() if path in _reads(rule)]


def _why_started(rule: Rule, changed: dict[str, tuple[Any, Any]], first: bool, level: Level,
                 words: Vocabulary) -> str:
    if first:
        return rule.title
    facts = _fact_changes(rule, changed, words)
    if facts:
        return f"{rule.title}, now that {'; '.join(facts)}"
    if reads_outcome(rule):
        return f"{rule.title}, now that the answer is {words.level(level).short}"
    if rule.conditions.derived:
        return f"{rule.title}, now that it is found: " + ", ".join(
            d.replace("_", " ") for d in rule.conditions.derived)
    return rule.title


def _why_stopped(rule: Rule, changed: dict[str, tuple[Any, Any]], previous: Level | None,
                 level: Level, words: Vocabulary) -> str:
    facts = _fact_changes(rule, changed, words)
    if facts:
        return f"{rule.title}: it no longer fits, now that " + "; ".join(facts)
    if reads_outcome(rule) and previous != level:
        return f"{rule.title}: it is for other answers, and the answer is now {words.level(level).short}"
    derived = rule.conditions.derived
    if derived:
        return f"{rule.title}: it relied on a finding that no longer holds: " + ", ".join(
            d.replace("_", " ") for d in derived)
    return f"{rule.title}: the facts it relies on changed"


def _no_rule_ids(text: str, book: Any) -> str:
    """The call check's words without rule ids (a handler's screen may show them; a group's should not)."""
    # Only ids with a hyphen: a one-word id ("firearm") is also a plain word.
    ids = "|".join(re.escape(rule.id) for rule in book.rules if "-" in rule.id)
    text = re.sub(r"\s*\(decided by [a-z0-9, -]+\)", "", text)
    return re.sub(rf"(?<![\w-])(?:{ids})(?![\w-])", "the rules", text)


def call_view(facts: dict[str, Any], decider: Decider) -> CallView:
    """The call check for these facts (only its public entry and a few fields, read tolerantly)."""
    from .callcheck import check_call

    check = check_call(facts, decider)
    response = check.police_response
    thrive = getattr(check, "thrive", None)
    def plain(text: Any) -> str:
        return _no_rule_ids(str(text), decider.book)

    rows = []
    for key in THRIVE_KEYS:
        item = getattr(thrive, key, None)
        if item is not None:
            rows.append((key.capitalize(), plain(getattr(item, "summary", item))))
    return CallView(
        response=str(response.kind), label=str(response.label), headline=plain(check.headline),
        what_happens=plain(getattr(response, "what_happens", "") or ""), thrive=rows,
        grade=str(getattr(thrive, "grade", "") or ""),
        questions=[plain(getattr(q, "ask", q)) for q in check.questions],
        say=[plain(s) for s in check.say_to_caller])


def view_audience(scenario: Scenario, audience: str | None = None) -> str:
    """Whose view a walkthrough takes: the one asked for, if the scenario is for them, else its first."""
    return audience if audience in scenario.audience else scenario.audience[0]


def build(decider: Decider, scenario: Scenario, audience: str | None = None) -> list[StepView]:
    """Every step of ``scenario`` decided, with what changed since the step before.

    For call handlers (``audience``, or the scenario's first audience) each step also carries the
    call check a handler would see.
    """
    book = decider.book
    words = book.vocabulary
    as_handler = view_audience(scenario, audience) == CALL_HANDLERS
    views: list[StepView] = []
    before: dict[str, Any] = {}
    fired_before: list[str] = []
    previous: Level | None = None
    previous_call: CallView | None = None
    actions_before: set[str] = set()
    for index, (step, facts) in enumerate(zip(scenario.steps, cumulative_facts(scenario.steps))):
        incident = parse_incident(facts)
        decision = decider.decide(incident, explain=True)
        fired = applied_rules(decision, book)
        known = incident.known()
        changed = {path: (before.get(path), known.get(path))
                   for path in list(before) + [p for p in known if p not in before]
                   if before.get(path) != known.get(path)}
        level = decision.recommendation
        started = [RuleChange(book.rule(r).title, _why_started(book.rule(r), changed, index == 0, level, words))
                   for r in fired if r not in fired_before and _weighs(book.rule(r))]
        stopped = [RuleChange(book.rule(r).title, _why_stopped(book.rule(r), changed, previous, level, words))
                   for r in fired_before if r not in fired and _weighs(book.rule(r))]
        new_actions = {a.id for a in decision.actions} - actions_before
        call = call_view(facts, decider) if as_handler else None
        prompts = list(step.discuss)
        if call and previous_call and previous_call.response != call.response:
            prompts.append(f"The police response changed from {previous_call.label} to {call.label}. "
                           "Which answer from the caller made the difference?")
        elif not call and previous is not None and previous != level:
            direction = "up" if level.rank > previous.rank else "down"
            prompts.append(f"The answer went {direction} from {words.level(previous).short} to "
                           f"{words.level(level).short}. Which new fact made the difference, and do you agree?")
        views.append(StepView(
            number=index + 1, reveal=step.reveal, facts=known, new_facts=changed, decision=decision,
            previous=previous, expected=step.expect.recommendation, words=words, started=started,
            stopped=stopped, prompts=prompts, notes=step.notes, minutes=step.minutes, call=call,
            previous_call=previous_call, new_actions=new_actions))
        before, fired_before, previous, previous_call = known, fired, level, call
        actions_before = {a.id for a in decision.actions}
    return views


def audience_words(scenario: Scenario) -> str:
    return ", ".join(AUDIENCE_WORDS.get(a, a.replace("_", " ")) for a in scenario.audience)


def total_minutes(scenario: Scenario) -> int | None:
    minutes = [s.minutes for s in scenario.steps if s.minutes]
    return sum(minutes) if minutes else None


# -- terminal text ---------------------------------------------------------------------------

def render_intro(scenario: Scenario) -> str:
    lines = [scenario.title, "=" * len(scenario.title), "For: " + audience_words(scenario)]
    if scenario.summary:
        lines += ["", scenario.summary.strip()]
    minutes = total_minutes(scenario)
    lines += ["", f"{len(scenario.steps)} steps" + (f", about {minutes} minutes." if minutes else ".")]
    return "\n".join(lines)


def render_facts(view: StepView, total: int) -> str:
    """Stage one: what the group hears, and the facts so far; no answer yet."""
    lines = [f"--- Step {view.number} of {total} ---", view.reveal.strip(), "", "What we know:"]
    lines += [f"  {row.label}: {row.value}" + (f"  ({row.mark})" if row.mark else "") for row in view.fact_rows()]
    lines += ["", "Ask the group: what would you do now, and why?"]
    return "\n".join(lines)


def _call_lines(call: CallView) -> list[str]:
    lines = [f"Police response: {call.label}", call.headline]
    if call.what_happens:
        lines.append(call.what_happens)
    if call.thrive:
        lines += ["", "THRIVE" + (f" (grade: {call.grade})" if call.grade else "") + ":"]
        lines += [f"  {heading}: {summary}" for heading, summary in call.thrive]
    if call.questions:
        lines += ["", "Ask the caller:"]
        lines += [f"  ? {q}" for q in call.questions[:MAX_QUESTIONS]]
    if call.say:
        lines += ["", "Say to the caller:"]
        lines += [f"  \"{s}\"" for s in call.say]
    return lines


def render_answer(view: StepView) -> str:
    """Stage two: the answer, why, what changed, what next and prompts for the group."""
    d = view.decision
    was = f"  (was {view.previous_title})" if view.previous_title else ""
    if view.call:
        lines = [f"Answer for the call handler{was}:"] + _call_lines(view.call)
    else:
        lines = [f"Answer: {view.words.level(view.level).shout}{was}", d.headline]
    lines += ["", "Why:"]
    for because, source in view.reasons():
        lines.append(f"  - {because}")
        if source:
            lines.append(f"    Source: {source}")
    if view.started:
        lines += ["", "Applies:" if view.number == 1 else "Now applies:"]
        lines += [f"  + {c.why}" for c in view.started]
    if view.stopped:
        lines += ["", "No longer applies:"]
        lines += [f"  - {c.why}" for c in view.stopped]
    if view.number > 1 and not view.started and not view.stopped:
        lines += ["", "No rule started or stopped applying at this step."]
    if not view.call and d.questions:
        lines += ["", "Still worth asking:"]
        lines += [f"  ? {q}" for q in view.questions()]
    if d.actions and not view.call:
        lines += ["", "What to do next:"]
        lines += [f"  - [{by}] {what}" for by, what in view.actions()]
    if view.prompts:
        lines += ["", "For discussion:"]
        lines += [f"  * {p}" for p in view.prompts]
    if view.notes:
        lines += ["", f"Facilitator's note: {view.notes.strip()}"]
    return "\n".join(lines)


def render_step(view: StepView, total: int) -> str:
    return render_facts(view, total) + "\n\n" + render_answer(view)


def render_outro(scenario: Scenario) -> str:
    lines = ["--- Learning points ---"]
    for lp in scenario.learning_points:
        source = public_source(lp.source)
        lines.append(f"  * {lp.point}" + (f" ({source})" if source else ""))
    return "\n".join(lines)


def render_auto(scenario: Scenario, views: list[StepView]) -> str:
    parts = [render_intro(scenario)] + [render_step(v, len(views)) for v in views] + [render_outro(scenario)]
    return "\n\n".join(parts) + "\n"


def run_interactive(scenario: Scenario, views: list[StepView],
                    read_line: Callable[[], str], write: Callable[[str], None]) -> int:
    """Two Enters a step: the first reveals the step's facts (the group decides), the second the
    answer. 'q' (or the end of input) stops. Returns the number of answers shown."""
    write(render_intro(scenario) + "\n")
    shown = 0

    def wait(prompt: str) -> bool:
        write(f"\n{prompt} (q then Enter to stop): ")
        line = read_line()
        if line == "" or line.strip().lower() in ("q", "quit"):
            write("\nWalkthrough stopped.\n")
            return False
        return True

    for view in views:
        if not wait(f"Press Enter to reveal step {view.number} of {len(views)}"):
            return shown
        write("\n" + render_facts(view, len(views)) + "\n")
        if not wait("Press Enter to show the answer"):
            return shown
        write("\n" + render_answer(view) + "\n")
        shown += 1
    write("\n" + render_outro(scenario) + "\n")
    return shown
