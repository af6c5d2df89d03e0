"""The call check's parts: running its tables, THRIVE, the carers' steps and the handler's questions.

Everything decided here comes from the rulebook's call-check tables (``rules/call-check*.yaml``);
this module runs them (:mod:`callguide.tablerun`) and puts their answers in the shapes the service
returns. Every word a handler reads is the rulebook's: a table row's text (in the setting's words),
or the vocabulary's ``call_check`` labels and phrases (``vocabulary.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from .decision import Decider, Decision
from .explanation import render
from .facts import Level, admissible, allowed_values, ruled_out
from .rulebook import Rulebook
from .tablerun import Tables
from .tables import Row

THRIVE_KEYS = ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")
RANK = {"low": 0, "medium": 1, "high": 2}
STEP_TABLES = "call-step-"  # each table whose id starts so is one of the carers' steps, in the rulebook's order
# Asked of the one whose behaviour the call is about; never of a victim or a patient.
SUSPECT_FACTS = {"person.behaviour_in_plan", "response_so_far.de_escalation_tried", "incident.child_calm_now",
                 "response_so_far.restraint_used", "response_so_far.behaviour_policy_followed"}
POLICE_INVOLVED = {"emergency_attendance", "non_emergency_attendance", "missing_person_process", "crime_report"}
# The young person's health, unless the answer could make it an emergency, is asked after what
# happened and who was harmed: the police's questions are first whether anyone is in danger, then
# whether there is a crime, and only then whether health partners are the right service (Right Care,
# Right Person 2023; THRIVE: threat, harm and risk before vulnerability).
HEALTH_AFTER = "health."
AFTER_WHAT_HAPPENED = 6  # the tier after every question about what happened
# Which kinds of call a what-if question is worth asking in (a handler does not ask about a fire or
# an ambulance when a purse was taken); a fact not listed is worth asking in any call.
_HEALTH = {"self_harm", "other", "drugs", "assault", "sexual", "weapon", "disorder", "fire_setting"}
_MIND = {"self_harm", "other", "verbal_abuse", "criminal_damage", "disorder", "threats"}
ASKED_IN: dict[str, set[str]] = {
    "call.fire_service_needed": {"fire_setting"}, "call.people_inside": {"fire_setting"},
    "health.medical_emergency": _HEALTH, "health.mental_health_crisis": _MIND, "health.suicidal_thoughts": _MIND,
    "health.suicide_plan": _MIND, "health.means_available": _MIND,
    "incident.injury": set(_HEALTH) | {"threats", "criminal_damage", "theft", "exploitation", "verbal_abuse"},
    "incident.weapon": {"assault", "threats", "weapon", "disorder", "criminal_damage", "theft", "other", "sexual",
                        "exploitation"},
}

Grade = Literal["high", "medium", "low"]
RowLevel = Literal["high", "medium", "low", "not_known"]


# -- output models --------------------------------------------------------------------------------
class FactSeen(BaseModel):
    fact: str
    value: Any = Field(description="What the caller said (a foster carer ringing says it is foster care); "
                                   "null when nobody has said.")


class ThriveItem(BaseModel):
    level: RowLevel = Field(description="This row's own assessment from the facts.")
    summary: str
    facts: list[FactSeen] = Field(description="The facts this row reads, with what was said (null: not said).")
    source: str


class Thrive(BaseModel):
    threat: ThriveItem
    harm: ThriveItem
    risk: ThriveItem
    investigation: ThriveItem
    vulnerability: ThriveItem
    engagement: ThriveItem
    grade: Grade | None = Field(description="The highest of threat, harm and risk (low goes up to medium for a "
                                            "high vulnerability); null while not enough is known.")


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
    would_become: Level | None = Field(None, description="The level the answer could lead to.")
    would_change_to: str | None = Field(None, description="The police response the answer could lead to.")


# -- running the tables ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Judged:
    role: str
    role_row: Row | None
    response: Row
    ask_first: Row | None     # None when enough is known (always None for an emergency)
    script: Row
    follow_up: Row | None
    caller: Row | None        # call-caller: whether the caller is asked about the carers' steps
    steps: Row                # call-home-steps: which of the carers' steps are expected
    step_rows: tuple[Row, ...]  # each step listed for this call (call-step-*), in order


class CallTables(Tables):
    def judge(self, known: dict[str, Any], staff: str) -> Judged:
        flat = self.fact(known, staff)
        response = self.response(flat)
        emergency = response.then["kind"] == "emergency_attendance"
        role = self["call-role"].first(flat)
        ask_first = None if emergency else self["call-ask-first"].first(flat)
        # An older rulebook (one `rules diff` compares against) has no call-caller table: every caller is asked.
        caller = self["call-caller"].first(flat) if "call-caller" in self.compiled else None
        chosen = {table_id: row for table_id, row in (("call-role", role), ("call-police-response", response),
                                                      ("call-ask-first", ask_first), ("call-caller", caller))
                  if row is not None}
        steps = self["call-home-steps"].first(flat, chosen)
        if steps is None:  # the table ends with a row that always holds (checked in tests)
            raise LookupError("call-home-steps has no default row")
        return Judged(role=role.then["role"] if role else "not_known", role_row=role, response=response,
                      ask_first=ask_first, script=self["call-script"].first(flat, {"call-police-response": response}),
                      follow_up=self["call-follow-up"].first(flat), caller=caller, steps=steps,
                      step_rows=tuple(row for table_id in self.compiled if table_id.startswith(STEP_TABLES)
                                      if (row := self[table_id].first(flat)) is not None))

    def response(self, flat: dict[str, Any]) -> Row:
        row = self["call-police-response"].first(flat)
        if row is None:  # the table ends with a row that always holds; a rulebook without one is refused
            raise LookupError("call-police-response has no default row")
        return row

    def question_values(self) -> dict[str, list[Any]]:
        """For each fact the response and ask-first rows read, the values worth a what-if."""
        found: dict[str, list[Any]] = {}
        for table_id in ("call-ask-first", "call-police-response"):
            for row in self[table_id].table.rows:
                for test in row.conditions.tests():
                    path = test.path
                    if path.startswith("outcome.") or path == "incident.kind":
                        continue
                    values = allowed_values(path)
                    if values is None:
                        values = sorted(v for v in set(found.get(path, [])) | set(around(test.value))
                                        if admissible(path, v))
                    found[path] = values
        return found


def around(value: Any) -> list[float]:
    """Values either side of a threshold (parameters are already resolved in the parsed conditions)."""
    out: list[float] = []
    for number in (value if isinstance(value, list) else [value]):
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            out += [max(0, number - 1), number, number + 1]
    return out


def tables_for(book: Rulebook) -> CallTables:
    """The call-check tables of a rulebook, compiled once and kept on the book (they go with it,
    however many rulebooks a long-lived process loads)."""
    tables = book.derived.get("call-tables")
    if tables is None:
        tables = book.derived.setdefault("call-tables", CallTables(book))
    return tables


# -- THRIVE ---------------------------------------------------------------------------------------
def thrive(tables: CallTables, known: dict[str, Any], book: Rulebook, staff: str, graded: bool,
           applied: list[str] | None = None) -> Thrive:
    """Each THRIVE row from its table; the ids of the rows used are appended to ``applied``."""
    flat = tables.fact(known, staff)
    items: dict[str, ThriveItem] = {}
    for key in THRIVE_KEYS:
        compiled = tables[f"thrive-{key}"]
        row = compiled.first(flat)
        assert row is not None  # each THRIVE table ends with a default row (checked in tests)
        if applied is not None:
            applied.append(row.id)
        items[key] = ThriveItem(
            level=row.then["level"], summary=render(row.then["says"], known, book),
            facts=[FactSeen(fact=p, value=known.get(p)) for p in sorted(compiled.reads) if _shown(p, known)],
            source=tables.source(row))
    return Thrive(**items, grade=_grade(items) if graded else None)


def _shown(path: str, known: dict[str, Any]) -> bool:
    """A fact worth showing under a THRIVE row: not the kind itself, missing-person facts only when missing."""
    if path.startswith("outcome.") or path == "incident.kind":
        return False
    return not path.startswith("missing.") or known.get("incident.kind") == "missing"


def _grade(items: dict[str, ThriveItem]) -> Grade | None:
    levels = [items[k].level for k in ("threat", "harm", "risk") if items[k].level != "not_known"]
    if not levels:
        return None
    rank = max(RANK[level] for level in levels)
    if items["vulnerability"].level == "high":
        rank = min(rank + 1, RANK["high"]) if rank == RANK["low"] else rank
    return next(level for level, r in RANK.items() if r == rank)  # type: ignore[return-value]


# -- what the carers did --------------------------------------------------------------------------
def home_steps(said: dict[str, Any], known: dict[str, Any], judged: Judged, book: Rulebook) -> list[HomeStep]:
    """The carers' steps listed for this call (a ``call-step-*`` table's row each), whether the
    guidance expects each before the call (``call-home-steps``), and what was said."""
    expected = judged.steps.then["expected"]
    after = judged.steps.then.get("not_first")
    steps = []
    for row in judged.step_rows:
        note = render(row.then["note"], known, book)
        steps.append(HomeStep(step=row.then["step"], title=render(row.then["title"], known, book),
                              expected=row.then["step"] in expected, said=said.get(row.then["step"]),
                              note=f"{note} {render(after, known, book)}" if after else note,
                              source=book.tables[row.table].source_of(row)))
    return steps


# -- the handler's questions ----------------------------------------------------------------------
def handler_questions(decider: Decider, tables: CallTables, known: dict[str, Any], judged: Judged,
                      decision: Decision, steps: list[HomeStep]) -> list[HandlerQuestion]:
    """Most urgent first: the ask-first questions, then answers that could mean emergency attendance,
    then answers that change whether the police are involved, the carers' steps, the rest of what
    happened, and then the young person's health (``HEALTH_AFTER``)."""
    book = decider.book
    words = book.vocabulary.call_check
    ranked: list[tuple[int, int, int, HandlerQuestion]] = []
    listed: set[str] = set()

    # Nobody has said who did it: not asked what a suspect's carers are asked either (review whodid17).
    victim = judged.role in ("victim", "patient", "not_known")

    kind = known.get("incident.kind")
    unfitting = book.vocabulary.asking_for(kind).not_asked  # "is it still happening?" of a missing child

    def add(tier: int, index: int, question: HandlerQuestion) -> None:
        if victim and question.fact in SUSPECT_FACTS:
            return  # a victim or a patient is not asked what a suspect is asked
        if tier > 0 and question.fact in unfitting:
            return  # a question that does not fit the kind, as on the staff pages
        if tier > 0 and kind not in ASKED_IN.get(question.fact, {kind}):
            return  # not a question for this kind of call (the ask-first questions are always asked)
        if question.fact not in listed and question.fact not in known:
            listed.add(question.fact)
            later = tier > 1 and not question.urgent and question.fact.startswith(HEALTH_AFTER)
            ranked.append((AFTER_WHAT_HAPPENED, tier, index, question) if later else (tier, 0, index, question))

    if judged.ask_first is not None:
        for index, path in enumerate(judged.ask_first.then["ask"]):
            add(0, index, HandlerQuestion(fact=path, ask=book.vocabulary.ask(path, known), urgent=True,
                                          why=words.phrase("why_ask_first")))
    base = judged.response.then["kind"]
    # The carers' answer can only change for a fact the decision lists as a question (or a number
    # tried at other values): for every other fact it stays as it is, with no engine run.
    staff_may_change = {q.fact for q in decision.questions}
    for index, (path, values) in enumerate(tables.question_values().items()):
        if path in known or (path.startswith("missing.") and kind != "missing") or kind not in ASKED_IN.get(path, {kind}):
            continue
        staff = None if path in staff_may_change or allowed_values(path) is None else decision.recommendation
        changed = [row for row in (_response_if(decider, tables, known, path, v, staff) for v in values
                                   if not ruled_out(path, v, known))  # a care leaver of 13: no answer to weigh
                   if row.then["kind"] != base]
        if not changed:
            continue
        pick = max(changed, key=lambda row: Level(row.then["level"]).rank)
        becomes = pick.then["kind"]
        urgent = becomes == "emergency_attendance"
        tier = 1 if urgent else 2 if (becomes in POLICE_INVOLVED) != (base in POLICE_INVOLVED) else 4
        add(tier, index, HandlerQuestion(
            fact=path, ask=book.vocabulary.ask(path, known), urgent=urgent, would_become=Level(pick.then["level"]),
            would_change_to=becomes, why=words.phrase("why_response", response=words.responses[becomes].becomes)))
    emergency = base == "emergency_attendance"
    # The carers' steps: when the call-caller table says they are not asked of this caller (a young
    # person, a member of the public or another professional ringing), the staff questions on them,
    # and on what else the row leaves for the carers (the plan), wait for the carers too, unless the
    # answer could make it an emergency.
    not_of_caller = judged.caller is not None and judged.caller.then["asked_of_caller"] is False
    step_facts = (set(book.tables[judged.steps.table].outputs["expected"])
                  | set(judged.caller.then.get("also_for_the_carers", ())) if judged.caller and not_of_caller else set())
    for index, q in enumerate(decision.questions):
        if emergency and q.would_become is Level.call_999:
            continue  # an emergency cannot become more of one
        urgent = q.would_become is Level.call_999 and q.would_become.rank > decision.recommendation.rank
        if q.fact in step_facts and not urgent:
            continue
        add(1 if urgent else 5, index, HandlerQuestion(
            fact=q.fact, ask=q.ask, urgent=urgent, would_become=q.would_become,
            why=words.phrase("why_staff", level=book.vocabulary.level(q.would_become).short)))
    for index, step in enumerate(steps):
        if step.expected and step.said is None:
            add(3, index, HandlerQuestion(fact=step.step, ask=book.vocabulary.ask(step.step, known), urgent=False,
                                          why=words.phrase("why_step", source=step.source)))
    return [q for *_, q in sorted(ranked, key=lambda item: item[:3])]


def _response_if(decider: Decider, tables: CallTables, known: dict[str, Any], path: str, value: Any,
                 staff: Level | None) -> Row:
    facts = {**known, path: value}
    return tables.response(tables.fact(facts, (staff or decider.level(facts)).value))


__all__ = ["CallTables", "FactSeen", "HandlerQuestion", "HomeStep", "Judged", "Thrive", "ThriveItem",
           "around", "handler_questions", "home_steps", "tables_for", "thrive", "render"]
