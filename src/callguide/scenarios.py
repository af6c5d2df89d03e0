"""The scenario library: incidents told one fact at a time, for training and as regression tests.

A scenario is one YAML file in ``scenarios/``. Trainers write them from the guidance (not from
the rules), so running them checks that the rulebook says what the guidance says. Each step
adds or changes facts (cumulatively: a step's ``facts`` are merged onto the previous step's, and
``null`` makes a fact unknown again) and says what callguide should answer at that point.

Public API (also used by the HTTP service):

- :func:`default_scenarios_dir` and :func:`load_scenarios` (validated :class:`Scenario` models);
- :func:`load_scenario_file` and :func:`check_against_rulebook` for one trainer's file;
- :func:`run_scenario` (``Decider`` + ``Scenario`` -> :class:`ScenarioResult`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .datafiles import data_dir
from .callcheck import check_call_rows
from .decision import applied_rules
from .facts import InvalidFacts, Level, parse_incident
from .rulebook import RULE_ID, Rulebook

Audience = Literal[
    "childrens_home_staff",
    "supported_accommodation_staff",
    "foster_carers",
    "personal_advisers",
    "call_handlers",
    "police_officers",
    "registered_managers",
    "social_workers",
]

AUDIENCES: tuple[str, ...] = Audience.__args__  # type: ignore[attr-defined]


class ScenarioError(ValueError):
    """A scenario file that cannot be used; ``problems`` name the file, step and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LearningPoint(_Data):
    point: str = Field(min_length=10, description="What the group should take away.")
    source: str = Field(min_length=3, description="The Child First principle or protocol section it teaches.")


class Expect(_Data):
    recommendation: Level = Field(description="What callguide should answer after this step.")
    rules: list[str] = Field(default_factory=list, description="Rules that must apply at this step.")
    not_rules: list[str] = Field(default_factory=list, description="Rules that must not apply at this step.")
    decisive: list[str] = Field(default_factory=list, description="Rules that must be among those that decided.")
    actions: list[str] = Field(default_factory=list, description="Action ids that must be among the actions.")
    police_response: str | None = Field(
        None, description="For call handlers: the call check's police response kind (or ask_first) at this step.")


class Step(_Data):
    reveal: str = Field(min_length=3, description="What the trainer tells the group at this step.")
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="Facts added or changed at this step (merged onto the previous step's; null = unknown).")
    expect: Expect
    discuss: list[str] = Field(default_factory=list, description="Prompts for the group.")


class Scenario(_Data):
    id: str = Field(pattern=RULE_ID.pattern, description="Stable, kebab-case, unique.")
    title: str = Field(min_length=5)
    audience: list[Audience] = Field(min_length=1)
    summary: str = Field("", description="The situation, told before the first step.")
    learning_points: list[LearningPoint] = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)
    file: str = Field("", description="The file it was loaded from (set by the loader).")

    @model_validator(mode="after")
    def _facts_fit_the_contract(self) -> "Scenario":
        problems: list[str] = []
        for index, facts in enumerate(cumulative_facts(self.steps)):
            try:
                parse_incident(facts)
            except InvalidFacts as exc:
                for field, message in exc.errors:
                    problems.append(f"{step_name(index)}: facts.{field}: {message}")
        if problems:
            raise ValueError("; ".join(problems))
        return self



def step_name(index: int) -> str:
    return f"step {index + 1}"


def merge_facts(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """``change`` merged onto ``base`` section by section; ``None`` removes a fact (unknown)."""
    merged = copy.deepcopy(base)
    for section, values in (change or {}).items():
        if isinstance(values, dict) and isinstance(merged.get(section), dict):
            for name, value in values.items():
                if value is None:
                    merged[section].pop(name, None)
                else:
                    merged[section][name] = copy.deepcopy(value)
            if not merged[section]:
                merged.pop(section)
        elif values is None:
            merged.pop(section, None)
        elif isinstance(values, dict):
            cleaned = {k: copy.deepcopy(v) for k, v in values.items() if v is not None}
            if cleaned:
                merged[section] = cleaned
        else:
            merged[section] = copy.deepcopy(values)  # the contract check names the mistake
    return merged


def cumulative_facts(steps: list[Step]) -> list[dict[str, Any]]:
    facts: dict[str, Any] = {}
    out: list[dict[str, Any]] = []
    for step in steps:
        facts = merge_facts(facts, step.facts)
        out.append(facts)
    return out


# -- loading ---------------------------------------------------------------------------------

def default_scenarios_dir() -> Path:
    """``$CALLGUIDE_SCENARIOS``, else the checkout's ``scenarios/``, else the copy inside the wheel."""
    directory = data_dir("scenarios", "CALLGUIDE_SCENARIOS")
    if directory is None:
        raise ScenarioError(["no scenarios directory found; set CALLGUIDE_SCENARIOS"])
    return directory


def _describe(err: dict[str, Any]) -> str:
    """One pydantic error as 'step 2: expect.recommendation: message'."""
    loc = list(err.get("loc", ()))
    parts: list[str] = []
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        parts.append(step_name(loc[1]))
        loc = loc[2:]
    elif len(loc) >= 2 and loc[0] == "learning_points" and isinstance(loc[1], int):
        parts.append(f"learning point {loc[1] + 1}")
        loc = loc[2:]
    field = ".".join(str(p) for p in loc)
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        message = "is not a scenario field; check the spelling (see README 'Writing a scenario')"
    elif kind == "missing":
        message = "is required"
    elif kind == "literal_error" or kind == "enum":
        message = f"must be one of {err.get('ctx', {}).get('expected', '')} (got {err.get('input')!r})"
    elif kind == "value_error":
        # our own validator: its message already names the step and field
        return str(err.get("ctx", {}).get("error", err.get("msg", "")))
    else:
        message = f"{err.get('msg', 'is not valid')} (got {err.get('input')!r})"
    if field:
        parts.append(field)
    return ": ".join(parts + [message]) if parts else message


def parse_scenario(data: Any, file: str = "") -> Scenario:
    """Validate one scenario document; problems name the step and field."""
    if not isinstance(data, dict):
        raise ScenarioError([f"{file or '(document)'}: expected a mapping with id, title, audience, "
                             "learning_points and steps"])
    try:
        return Scenario.model_validate({**data, "file": file})
    except ValidationError as exc:
        prefix = f"{file}: " if file else ""
        problems: list[str] = []
        for err in exc.errors():
            for message in _describe(err).split("; "):
                problems.append(prefix + message)
        raise ScenarioError(problems) from None


def load_scenario_file(path: Path) -> Scenario:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{path.name}: not valid YAML: {exc}"]) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot be read: {exc.strerror}"]) from None
    return parse_scenario(data, file=path.name)


def load_scenarios(directory: Path | None = None) -> list[Scenario]:
    """Every scenario in ``directory`` (default :func:`default_scenarios_dir`), sorted by id.

    Raises :class:`ScenarioError` listing every problem in every file, or a duplicated id.
    """
    directory = Path(directory) if directory else default_scenarios_dir()
    scenarios: list[Scenario] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            scenarios.append(load_scenario_file(path))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    seen: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.id in seen:
            problems.append(f"{scenario.file}: id '{scenario.id}' is already used in {seen[scenario.id]}")
        seen.setdefault(scenario.id, scenario.file)
    if problems:
        raise ScenarioError(problems)
    return sorted(scenarios, key=lambda s: s.id)


def check_against_rulebook(scenario: Scenario, book: Rulebook) -> list[str]:
    """Rule and action ids a scenario names that the rulebook does not have."""
    action_ids = {action.id for rule in book.rules for action in rule.then.actions}
    problems: list[str] = []
    for index, step in enumerate(scenario.steps):
        for field in ("rules", "not_rules", "decisive"):
            for rule_id in getattr(step.expect, field):
                if rule_id not in book.by_id:
                    problems.append(f"{step_name(index)}: expect.{field}: no rule '{rule_id}' "
                                    "in the rulebook (see `callguide rules list`)")
        for action_id in step.expect.actions:
            if action_id not in action_ids:
                problems.append(f"{step_name(index)}: expect.actions: no action '{action_id}' "
                                "in the rulebook")
    return problems


# -- running ---------------------------------------------------------------------------------

class StepResult(BaseModel):
    step: int                      # 1-based
    reveal: str
    facts: dict[str, Any]          # cumulative facts after this step
    expected: Level
    recommendation: Level
    headline: str
    fired: list[str]               # every rule that applied (stage 1 and 2), rulebook order
    decisive: list[str]
    actions: list[str]             # action ids
    problems: list[str]
    call_check_rows: list[str] = Field(default_factory=list)  # the call-check table rows used (rules/call-check*.yaml)
    police_response: str | None = None                          # the call check's response kind at this step

    @property
    def passed(self) -> bool:
        return not self.problems


class ScenarioResult(BaseModel):
    id: str
    title: str
    steps: list[StepResult]
    problems: list[str] = Field(default_factory=list, description="Problems not tied to one step.")

    @property
    def passed(self) -> bool:
        return not self.problems and all(step.passed for step in self.steps)

    @property
    def failures(self) -> list[str]:
        out = list(self.problems)
        for step in self.steps:
            out.extend(f"step {step.step}: {problem}" for problem in step.problems)
        return out


def run_scenario(decider: Any, scenario: Scenario) -> ScenarioResult:
    """Decide each step's facts with ``decider`` and compare with what the scenario expects."""
    book: Rulebook = decider.book
    results: list[StepResult] = []
    unknown_ids = check_against_rulebook(scenario, book)
    for index, (step, facts) in enumerate(zip(scenario.steps, cumulative_facts(scenario.steps))):
        decision = decider.decide(facts, explain=True)
        fired = applied_rules(decision, book)
        decisive = [reason.rule for reason in decision.rationale if reason.role == "decisive"]
        actions = [action.id for action in decision.actions]
        expect = step.expect
        problems: list[str] = []
        if decision.recommendation != expect.recommendation:
            problems.append(f"expected {expect.recommendation.value}, got {decision.recommendation.value} "
                            f"(decided by {', '.join(decisive) or 'nothing'})")
        problems += [f"expected rule {r} to apply; it did not" for r in expect.rules if r not in fired]
        problems += [f"expected rule {r} not to apply; it did" for r in expect.not_rules if r in fired]
        problems += [f"expected rule {r} to be decisive; decisive: {', '.join(decisive)}"
                     for r in expect.decisive if r not in decisive]
        problems += [f"expected action {a}; it was not listed" for a in expect.actions if a not in actions]
        check, call_rows = check_call_rows(facts, decider)  # every step is also a call a handler could take
        if expect.police_response and check.police_response.kind != expect.police_response:
            problems.append(f"expected the call check's {expect.police_response}, got {check.police_response.kind} "
                            f"({check.police_response.rule})")
        results.append(StepResult(
            step=index + 1, reveal=step.reveal, facts=facts, expected=expect.recommendation,
            recommendation=decision.recommendation, headline=decision.headline, fired=fired,
            decisive=decisive, actions=actions, problems=problems, call_check_rows=call_rows,
            police_response=check.police_response.kind))
    return ScenarioResult(id=scenario.id, title=scenario.title, steps=results,
                          problems=unknown_ids)


def coverage(results: list[ScenarioResult], book: Rulebook) -> dict[str, list[str]]:
    """For every rule in the rulebook, the scenarios in which it applies at some step."""
    covered: dict[str, list[str]] = {rule.id: [] for rule in book.rules}
    covered.update((row.id, []) for table in book.tables.values() for row in table.rows)  # the call check's rows
    for result in results:
        for step in result.steps:
            for rule_id in step.fired + step.call_check_rows:
                if rule_id in covered and result.id not in covered[rule_id]:
                    covered[rule_id].append(result.id)
    return covered
