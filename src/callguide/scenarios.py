"""The scenario library: incidents told one fact at a time, for training and as regression tests.

A scenario is one YAML file in ``scenarios/``. Trainers write them from the guidance (not from
the rules), so running them checks that the rulebook says what the guidance says. Each step
adds or changes facts (cumulatively: a step's ``facts`` are merged onto the previous step's, and
``null`` makes a fact unknown again) and says what callguide should answer at that point.

Public API (also used by the HTTP service):

- :func:`default_scenarios_dir` (the built-in library) and :func:`load_scenarios` (the built-in
  library plus each trainer's folder in ``$CALLGUIDE_SCENARIOS`` and ``--dir``; ids must not clash);
- :func:`load_scenario_file` and :func:`check_against_rulebook` for one trainer's file;
- :func:`run_scenario` (``Decider`` + ``Scenario`` -> :class:`ScenarioResult`); a step may also
  expect the call handler's police response (:func:`callguide.callcheck.check_call`).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import yamlsafe
from .scenario_errors import describe_validation_error, yaml_problem
from .callcheck import ResponseKind as PoliceResponseKind, check_call_rows
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
AUDIENCE_WORDS: dict[str, str] = {
    "childrens_home_staff": "children's home staff", "supported_accommodation_staff": "supported accommodation staff",
    "foster_carers": "foster carers", "personal_advisers": "personal advisers", "call_handlers": "call handlers",
    "police_officers": "police officers", "registered_managers": "registered managers",
    "social_workers": "social workers"}
CALL_HANDLERS = "call_handlers"
ENV_VAR = "CALLGUIDE_SCENARIOS"


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
    not_actions: list[str] = Field(default_factory=list, description="Action ids that must not be among the actions.")
    police_response: PoliceResponseKind | None = Field(
        None, description="For call handlers: the police response the call check should give.")


class Step(_Data):
    reveal: str = Field(min_length=3, description="What the trainer tells the group at this step.")
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="Facts added or changed at this step (merged onto the previous step's; null = unknown).")
    expect: Expect
    discuss: list[str] = Field(default_factory=list, description="Prompts for the group.")
    notes: str = Field("", description="For the facilitator only: what to draw out at this step.")
    minutes: int | None = Field(None, ge=1, le=120, description="About how long to spend on this step.")


class Scenario(_Data):
    id: str = Field(pattern=RULE_ID.pattern, description="Stable, kebab-case, unique.")
    title: str = Field(min_length=5)
    audience: list[Audience] = Field(min_length=1)
    summary: str = Field("", description="The situation, told before the first step.")
    topics: list[str] = Field(default_factory=list,
                              description="Extra topics for filtering (the rule themes it teaches are added).")
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
    """The built-in library: the checkout's ``scenarios/``, else the copy inside the wheel."""
    here = Path(__file__).resolve().parent
    directory = next((c for c in (here.parents[1] / "scenarios", here / "_data" / "scenarios") if c.is_dir()), None)
    if directory is None:
        raise ScenarioError(["no built-in scenarios found (the scenarios/ folder is missing)"])
    return directory


def trainer_dirs(extra: list[Path] | tuple[Path, ...] = ()) -> list[Path]:
    """The trainers' own folders: each in ``$CALLGUIDE_SCENARIOS`` (several joined by ``os.pathsep``),
    then ``extra`` (``--dir``), each once."""
    folders = [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    out: list[Path] = []
    for folder in folders + [Path(p) for p in extra]:
        if all(folder.resolve() != seen.resolve() for seen in out):
            out.append(folder)
    return out


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
            for message in describe_validation_error(err).split("; "):
                problems.append(prefix + message)
        raise ScenarioError(problems) from None


def load_scenario_file(path: Path) -> Scenario:
    path = Path(path)
    try:
        data = yamlsafe.load(path.read_text(encoding="utf-8"))  # aliases refused (issue 16)
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{path.name}: {yaml_problem(exc)}"]) from None
    except UnicodeDecodeError:
        raise ScenarioError([f"{path.name}: is not a text file (save it as UTF-8 text)"]) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot be read: {exc.strerror}"]) from None
    return parse_scenario(data, file=path.name)


def _read_folder(directory: Path, problems: list[str]) -> list[tuple[Path, Scenario]]:
    if not directory.is_dir():
        problems.append(f"{directory}: no such folder of scenarios")
        return []
    found: list[tuple[Path, Scenario]] = []
    for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
        try:
            found.append((path, load_scenario_file(path)))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    return found


def load_scenarios(directory: Path | None = None, *, extra: list[Path] | tuple[Path, ...] = (),
                   builtin: bool = True) -> list[Scenario]:
    """The scenarios in ``directory`` alone, or (when None) the built-in library plus each trainer's
    folder (``$CALLGUIDE_SCENARIOS`` and ``extra``); ``builtin=False`` leaves the library out.

    Raises :class:`ScenarioError` listing every problem in every file, or an id used twice (naming
    both files).
    """
    if directory is not None:
        folders = [Path(directory)]
    else:
        folders = ([default_scenarios_dir()] if builtin else []) + trainer_dirs(extra)
    problems: list[str] = []
    found = [item for folder in folders for item in _read_folder(folder, problems)]
    seen: dict[str, Path] = {}
    for path, scenario in found:
        if scenario.id in seen:
            problems.append(f"{path}: id '{scenario.id}' is already used in {seen[scenario.id]}; "
                            "give one of them another id")
        seen.setdefault(scenario.id, path)
    if problems:
        raise ScenarioError(problems)
    return sorted((scenario for _, scenario in found), key=lambda s: s.id)


def unknown_audience(audience: str | None) -> str | None:
    """The message for an audience that no scenario can have, or None."""
    if audience is None or audience in AUDIENCES:
        return None
    return f"unknown audience '{audience}'; use one of: {', '.join(AUDIENCES)}"


def topics(scenario: Scenario, result: "ScenarioResult", book: Rulebook) -> list[str]:
    """The scenario's own topics, then the themes of the rules that apply at some step."""
    themes = [book.rule(r).theme for step in result.steps for r in step.fired if not book.rule(r).then.default]
    found: list[str] = []
    for topic in list(scenario.topics) + themes:
        if topic not in found:
            found.append(topic)
    return found


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
        for field in ("actions", "not_actions"):
            for action_id in getattr(step.expect, field):
                if action_id not in action_ids:
                    problems.append(f"{step_name(index)}: expect.{field}: no action '{action_id}' "
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
        problems += [f"expected action {a} not to be listed; it was" for a in expect.not_actions if a in actions]
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


def scenario_problems(decider: Any, scenario: Scenario, result: ScenarioResult | None = None) -> list[str]:
    """Why a scenario does not pass (ids the rulebook lacks, then answers not as expected); empty when it does."""
    return check_against_rulebook(scenario, decider.book) or (result or run_scenario(decider, scenario)).failures


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
