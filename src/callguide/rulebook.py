"""Loading and validating the rulebook in ``rules/``.

The rulebook is data: one YAML file per theme of the guidance, plus ``parameters.yaml`` (named
thresholds, each with its source) and ``vocabulary.yaml`` (how to ask for each fact, its label and answer words, each level's words and the words per setting). A mistake
names the file, the rule id and the line, and loading stops: a half-loaded rulebook could give
advice that nobody wrote.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .datafiles import data_dir
from .facts import LEVEL_ORDER, ORDINALS, Level, allowed_values, fact_paths
from .tables import Table, TableContext, TableError, check_given, load_tables, strip_lines
from .vocabulary import Vocabulary, VocabularyError, load_vocabulary, placeholder_ok

Deadline = Literal["now", "24h", "48h", "3 days", "5 days", "next working day"]
DEADLINE_ORDER: list[str] = ["now", "24h", "48h", "3 days", "5 days", "next working day"]
Strength = Literal["safety", "firm", "soft", "ceiling"]

# Facts that only exist after the conflict policy has chosen a level (stage 2 of a decision).
OUTCOME_FACTS = {"outcome.recommendation": [level.value for level in LEVEL_ORDER]}
TEST_KEYS = {"in", "not", "not_in", "at_least", "at_most", "known"}
RULE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SPECIAL_FILES = {"parameters.yaml", "vocabulary.yaml"}


class RulebookError(ValueError):
    """A rulebook that must not be used; the message says where and why."""


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Action(_Data):
    id: str = Field(pattern=RULE_ID.pattern)
    what: str = Field(min_length=5)
    by: Deadline
    source: str = Field(min_length=3)


class Then(_Data):
    recommend: Level | None = None
    strength: Strength | None = None
    derive: list[str] = []
    actions: list[Action] = []
    # A default answer: it counts in the policy but is shown only when it is what decided.
    default: bool = False


class Rule(_Data):
    id: str = Field(pattern=RULE_ID.pattern)
    title: str = Field(min_length=3)
    when: dict[str, Any]
    then: Then
    because: str = Field(min_length=10)
    source: str = Field(min_length=3)
    theme: str = ""
    file: str = ""
    line: int = 0

    @field_validator("when")
    @classmethod
    def _not_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("a rule needs at least one condition")
        return value


class Parameter(_Data):
    value: float
    unit: str
    description: str
    reference: str = Field(min_length=3)


class Question(_Data):
    ask: str = Field(min_length=5)


@dataclass(frozen=True)
class Rulebook:
    rules: tuple[Rule, ...]
    parameters: dict[str, Parameter]
    questions: dict[str, Question]
    themes: dict[str, str]
    version: str
    vocabulary: Vocabulary | None = None
    by_id: dict[str, Rule] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)  # decision tables (tables.py), e.g. the call check

    def rule(self, rule_id: str) -> Rule:
        return self.by_id[rule_id]


def default_rules_dir() -> Path:
    """``$CALLGUIDE_RULES``, else the checkout's ``rules/``, else the copy inside the wheel."""
    directory = data_dir("rules", "CALLGUIDE_RULES")
    if directory is None:
        raise RulebookError("no rules directory found; set CALLGUIDE_RULES")
    return directory


class _LineLoader(yaml.SafeLoader):
    """Keeps each mapping's line number so errors can point at it."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_strip_lines = strip_lines  # one copy, in tables.py (which the loader uses for decision tables too)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        raise RulebookError(f"{path.name}: not valid YAML: {exc}") from None


def _pydantic_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(rule)'}: {err['msg']}" for err in exc.errors())


def load_rulebook(directory: Path | None = None) -> Rulebook:
    """Load, validate and version every rule file in ``directory``."""
    directory = Path(directory) if directory else default_rules_dir()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise RulebookError(f"{directory}: no rule files")
    parameters = _load_parameters(directory / "parameters.yaml")
    try:
        vocabulary = load_vocabulary(directory / "vocabulary.yaml")
    except VocabularyError as exc:
        raise RulebookError(str(exc)) from None
    questions = {path: Question(ask=words.ask) for path, words in vocabulary.facts.items()}
    rules: list[Rule] = []
    themes: dict[str, str] = {}
    tables: dict[str, Table] = {}
    context = TableContext(check_condition=_check_condition,
                           placeholder_ok=lambda name: _placeholder_ok(name, parameters, vocabulary),
                           placeholder_words=lambda name: _placeholder_words(name, vocabulary))
    for path in files:
        if path.name in SPECIAL_FILES:
            continue
        raw = _read_yaml(path)
        if isinstance(raw, dict) and "tables" in raw:
            try:
                tables.update((table.id, table) for table in load_tables(path.name, raw, context))
            except TableError as exc:
                raise RulebookError(str(exc)) from None
            continue
        theme, title, file_rules = _load_theme(path, raw)
        themes[theme] = title
        rules.extend(file_rules)
    try:
        check_given(tables)
    except TableError as exc:
        raise RulebookError(str(exc)) from None
    book = Rulebook(
        rules=tuple(rules), parameters=parameters, questions=questions, themes=themes,
        version=_version(files), by_id={rule.id: rule for rule in rules}, vocabulary=vocabulary, tables=tables)
    _check_references(book)
    return book


def _version(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def _load_parameters(path: Path) -> dict[str, Parameter]:
    if not path.exists():
        return {}
    raw = _read_yaml(path) or {}
    params: dict[str, Parameter] = {}
    for name, body in raw.items():
        if name == "__line__":
            continue
        line = body.get("__line__", "?") if isinstance(body, dict) else "?"
        try:
            params[name] = Parameter.model_validate(_strip_lines(body))
        except ValidationError as exc:
            raise RulebookError(f"{path.name}:{line}: parameter {name}: {_pydantic_message(exc)}") from None
    return params


def _load_theme(path: Path, raw: Any) -> tuple[str, str, list[Rule]]:
    if not isinstance(raw, dict) or "theme" not in raw or "rules" not in raw:
        raise RulebookError(f"{path.name}: a rule file needs 'theme', 'title' and 'rules'")
    theme = raw["theme"]
    rules: list[Rule] = []
    for body in raw["rules"] or []:
        line = body.get("__line__", 0) if isinstance(body, dict) else 0
        rule_id = body.get("id", "?") if isinstance(body, dict) else "?"
        where = f"{path.name}:{line}: rule {rule_id}"
        try:
            rule = Rule.model_validate(
                {**_strip_lines(body), "theme": theme, "file": path.name, "line": line})
        except ValidationError as exc:
            raise RulebookError(f"{where}: {_pydantic_message(exc)}") from None
        try:
            _check_rule(rule)
        except ValueError as exc:
            raise RulebookError(f"{where}: {exc}") from None
        rules.append(rule)
    return theme, raw.get("title", theme), rules


def _check_rule(rule: Rule) -> None:
    then = rule.then
    if (then.recommend is None) != (then.strength is None):
        raise ValueError("'recommend' and 'strength' go together")
    if (then.strength == "safety") != (then.recommend == Level.call_999):
        raise ValueError("call_999 is for immediate danger only: safety rules, and only they, recommend it")
    if not (then.recommend or then.derive or then.actions):
        raise ValueError("the rule concludes nothing: give it recommend, derive or actions")
    if reads_outcome(rule) and (then.recommend or then.derive):
        raise ValueError("rules that read outcome.* may only add actions")
    for path, test in iter_conditions(rule.when):
        _check_condition(path, test)


def reads_outcome(rule: Rule) -> bool:
    """A stage-2 rule: it reads the level the policy chose, and may only add actions."""
    return any(path.startswith("outcome.") for path, _ in iter_conditions(rule.when))


def iter_conditions(when: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every (fact path, test) in a ``when`` block, including those inside ``any`` groups."""
    found: list[tuple[str, Any]] = []
    for key, test in when.items():
        if key == "any":
            for group in test:
                found.extend(iter_conditions(group))
        elif key != "derived":
            found.append((key, test))
    return found


def _check_condition(path: str, test: Any) -> None:
    facts = fact_paths()
    if path not in facts and path not in OUTCOME_FACTS:
        raise ValueError(f"'{path}' is not a fact in the contract")
    allowed = OUTCOME_FACTS.get(path) or allowed_values(path)
    tests = test if isinstance(test, dict) else {"is": test}
    for op, operand in tests.items():
        if op not in TEST_KEYS | {"is"}:
            raise ValueError(f"{path}: unknown test '{op}' (use {', '.join(sorted(TEST_KEYS))})")
        if op == "known":
            continue
        if op in ("at_least", "at_most"):
            if path not in ORDINALS and allowed is not None:
                raise ValueError(f"{path}: at_least/at_most need a number or an ordered scale")
            if path in ORDINALS and operand not in ORDINALS[path]:
                raise ValueError(f"{path}: '{operand}' is not one of {ORDINALS[path]}")
            continue
        values = operand if op in ("in", "not_in") else [operand]
        if allowed is not None:
            for value in values:
                if value not in allowed:
                    raise ValueError(f"{path}: {value!r} is not one of {allowed}")


def _check_references(book: Rulebook) -> None:
    seen: set[str] = set()
    derivable = {name for rule in book.rules for name in rule.then.derive}
    action_ids: dict[str, str] = {}
    for rule in book.rules:
        where = f"{rule.file}:{rule.line}: rule {rule.id}"
        if rule.id in seen:
            raise RulebookError(f"{where}: the id is used twice")
        seen.add(rule.id)
        for name in rule.when.get("derived", []):
            if name not in derivable:
                raise RulebookError(f"{where}: no rule derives '{name}'")
        for path, test in iter_conditions(rule.when):
            for operand in (test.values() if isinstance(test, dict) else [test]):
                if isinstance(operand, str) and operand.startswith("param."):
                    if operand[6:] not in book.parameters:
                        raise RulebookError(f"{where}: unknown parameter '{operand}'")
        texts = [rule.because] + [action.what for action in rule.then.actions]
        for name in (n for text in texts for n in _placeholders(text)):
            if not _placeholder_ok(name, book.parameters, book.vocabulary):
                raise RulebookError(f"{where}: its text refers to unknown {{{name}}}")
        for action in rule.then.actions:
            if action_ids.setdefault(action.id, action.what) != action.what:
                raise RulebookError(f"{where}: action id '{action.id}' is used for two different actions")
        for path, _ in iter_conditions(rule.when):
            # Any fact a rule reads may be asked for, so it needs words a person understands.
            if path in fact_paths() and path != "incident.kind" and path not in book.questions:
                raise RulebookError(f"{where}: reads {path}, which has no question in vocabulary.yaml")
    for table in book.tables.values():
        for row in table.rows:
            if row.id in seen:
                raise RulebookError(f"{row.file}:{row.line}: row {row.id}: the id is used twice")
            seen.add(row.id)
            for path, test in iter_conditions(row.when):
                for operand in (test.values() if isinstance(test, dict) else [test]):
                    if isinstance(operand, str) and operand.startswith("param.") and operand[6:] not in book.parameters:
                        raise RulebookError(f"{row.file}:{row.line}: row {row.id}: unknown parameter '{operand}'")
                if path in fact_paths() and path != "incident.kind" and path not in book.questions:
                    raise RulebookError(f"{row.file}:{row.line}: row {row.id}: reads {path}, "
                                        "which has no question in vocabulary.yaml")


def _placeholder_words(name: str, vocabulary: Vocabulary) -> int:
    """The most words a placeholder can stand for: the longest setting's words, else a few."""
    if name.startswith(("words.", "Words.")):
        return max(len(words[name[6:]].split()) for words in vocabulary.settings.values())
    return 3  # a fact's or parameter's value ("life threatening", "£1,000")


def _placeholder_ok(name: str, parameters: dict[str, Parameter], vocabulary: Vocabulary | None) -> bool:
    return (name in fact_paths() or (name.startswith("param.") and name[6:] in parameters)
            or (vocabulary is not None and placeholder_ok(name, vocabulary)))


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]
