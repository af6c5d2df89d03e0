"""Loading and validating the rulebook in ``rules/``.

The rulebook is data: one YAML file per theme of the guidance, plus ``parameters.yaml`` (named
thresholds, each with its source) and ``vocabulary.yaml`` (how to ask for each fact, its label and answer words, each level's words and the words per setting). A mistake
names the file, the rule id and the line, and loading stops: a half-loaded rulebook could give
advice that nobody wrote.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator

from .conditions import Conditions, parse_when
from .datafiles import data_dir
from .packs import apply_pack, default_pack_dir
from .rulefiles import DEFAULT, RULE_ID, SPECIAL_FILES, Parameter, RulebookError, _Data, placeholders
from .rulefiles import pydantic_message as _pydantic_message
from .rulefiles import read_yaml as _read_yaml
from .rulefiles import strip_lines as _strip_lines
from .facts import Level, fact_paths
from .sharedactions import SharedActions, load_shared_actions
from .releases import ReleaseError, RulebookRelease, release_for, signoffs_in
from .tables import (
    Table, TableContext, TableError, check_answered, check_given, fold_staff_rules, load_tables, patch_tables,
)
from .vocabulary import Vocabulary, VocabularyError, load_vocabulary, placeholder_ok

Deadline = Literal["now", "24h", "48h", "3 days", "5 days", "next working day"]
DEADLINE_ORDER: list[str] = ["now", "24h", "48h", "3 days", "5 days", "next working day"]
Strength = Literal["safety", "firm", "soft", "ceiling"]
# The young person's roles an action can be for (issue 11): a suspect's actions (a restorative
# "put it right" talk, the Child Information Form, custody) never reach a victim or a patient.
# ``evaluation.roles`` works the roles out from what the role rules derive (rules/roles.yaml); a
# bystander saw someone else do it (safety steps for them, never a suspect's or a victim's).
YoungPersonRole = Literal["suspect", "victim", "patient", "bystander", "not_known"]
# Actions that go before every other one (issue 11): the 999 call itself, the ambulance, other
# medical help, then a check to do before calling (a missing child's first enquiries; left out
# when another action says to call now).
FirstKind = Literal["call", "ambulance", "medical", "check"]
FIRST_ORDER: list[str | None] = ["call", "ambulance", "medical", "check", None]
# Below 999, medical help (A&E for a serious injury, the crisis team) goes before the call to 101.
FIRST_ORDER_NOT_999: list[str | None] = ["ambulance", "medical", "call", "check", None]
# A headline that says to call now ("Call ... now", "call 101 now") must not lead a check-first answer.
CALL_NOW = re.compile(r"\bcall\b[^.:;]*\bnow\b", re.IGNORECASE)

# Sign-offs name the sha of what they signed off, so they are not part of it.
NOT_VERSIONED = {"releases.yaml"}


class Action(_Data):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=RULE_ID.pattern)
    what: str = Field(min_length=5)
    by: Deadline
    source: str = Field(min_length=3)
    # Shown only when the young person has one of these roles (absent: whatever their role).
    for_: tuple[YoungPersonRole, ...] = Field((), alias="for")
    # Left out when another rule derived one of these findings (a general step that a more specific
    # rule's own step replaces). A filter after the engine, as ``for`` is: ``when`` cannot say "unless
    # a finding", since a rule that derives it may fire after this one (review 17).
    unless: tuple[str, ...] = ()
    first: FirstKind | None = None
    # Before the other steps of its deadline that no 'first' puts ahead: the step that stops a harm
    # still going on (blackmail over images: NCA 2024), not a general one (H29-advice18-1); at 999
    # after the emergency's own "now" steps (H30-advice19-1).
    leads: bool = False


class Then(_Data):
    recommend: Level | None = None
    strength: Strength | None = None
    derive: list[str] = []
    actions: list[Action] = []
    # A default answer: it counts in the policy but is shown only when it is what decided.
    default: bool = False
    # Replaces the level's lead in the headline when this rule's action leads the answer (never
    # for call_999): a check-first action needs words that do not say "call now".
    headline: str | None = Field(None, min_length=10)


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
    # Facts the questions reach this rule through one at a time (questions.py): a route to it that
    # needs one of them together with another unknown fact is not followed ("who did the damage?"
    # is no 999 question for every curtain; once an adult is said, "still nearby?" is).
    reached_alone: tuple[str, ...] = ()
    # ``when`` parsed and checked once at load (conditions.py); everything downstream reads this.
    conditions: Conditions | None = Field(None, exclude=True, repr=False)

    @field_validator("when")
    @classmethod
    def _not_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("a rule needs at least one condition")
        return value


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
    pack: str = ""  # the area pack's directory name; "" for the national base alone
    contacts: dict[str, Any] = field(default_factory=dict)  # the pack's local contacts (packs.Contact)
    release: RulebookRelease = field(default_factory=lambda: release_for("", []))
    tables: dict[str, Table] = field(default_factory=dict)  # decision tables (tables.py), e.g. the call check
    # What the layers above compute once from this book (the call check's compiled tables): kept
    # with the book and dropped with it, never shared with another book (not copied, not compared).
    derived: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def rule(self, rule_id: str) -> Rule:
        return self.by_id[rule_id]


def default_rules_dir() -> Path:
    """``$CALLGUIDE_RULES``, else the checkout's ``rules/``, else the copy inside the wheel."""
    directory = data_dir("rules", "CALLGUIDE_RULES")
    if directory is None:
        raise RulebookError("no rules directory found; set CALLGUIDE_RULES")
    return directory


def load_rulebook(directory: Path | None = None, pack: Path | None = DEFAULT, newer_facts_ok: bool = False) -> Rulebook:
    """Load, validate and version every rule file in ``directory``, with an area ``pack`` applied.

    With no ``directory``, the default rules and the default pack (``packs.default_pack_dir``);
    with a ``directory``, no pack unless one is given. ``pack=None``: the base alone.
    ``newer_facts_ok``: an older rulebook may lack words for facts the contract gained since (``rules diff``).
    """
    if pack is DEFAULT:
        pack = default_pack_dir() if directory is None else None
    directory = Path(directory) if directory else default_rules_dir()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise RulebookError(f"{directory}: no rule files")
    parameters = _load_parameters(directory / "parameters.yaml")
    try:
        vocabulary = load_vocabulary(directory / "vocabulary.yaml", newer_facts_ok)
    except VocabularyError as exc:
        raise RulebookError(str(exc)) from None
    questions = {path: Question(ask=words.ask) for path, words in vocabulary.facts.items()}
    shared = load_shared_actions(directory, Path(pack) if pack is not None else None,  # before any rule uses them
                                 check=Action.model_validate)
    rules: list[Rule] = []
    themes: dict[str, str] = {}
    tables: dict[str, Table] = {}
    context = TableContext(parse=lambda when: parse_when(when, parameters),
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
        theme, title, file_rules = _load_theme(path, parameters, raw, shared)
        themes[theme] = title
        rules.extend(file_rules)
    versioned = [(path.name, path) for path in files if path.name not in NOT_VERSIONED]
    contacts: dict[str, Any] = {}
    if pack is not None:
        pack = Path(pack)
        base_parameters = parameters
        pack_files, rules, themes, parameters, contacts, table_files = apply_pack(
            pack, rules, themes, parameters, lambda path, params, raw: _load_theme(path, params, raw, shared))
        if parameters != base_parameters:  # the base's conditions resolve the pack's thresholds
            rules = [rule.model_copy(update={"conditions": parse_when(rule.when, parameters)}) for rule in rules]
            tables = {table_id: _reparsed(table, parameters) for table_id, table in tables.items()}
        try:  # the context parses with the pack's parameters now (its lambda reads the name)
            for name, raw in table_files:
                tables = patch_tables(name, raw, tables, context)
        except TableError as exc:
            raise RulebookError(str(exc)) from None
        versioned += [(f"pack/{path.name}", path) for path in pack_files]
    try:  # the tables as they will run: the base's, with any pack's rows
        shared.check_all_used()
        tables = fold_staff_rules(tables, {rule.id: rule for rule in rules})
        check_given(tables)
        check_answered(tables)
    except TableError as exc:
        raise RulebookError(str(exc)) from None
    version = _version(versioned)
    book = Rulebook(
        rules=tuple(rules), parameters=parameters, questions=questions, themes=themes,
        version=version, by_id={rule.id: rule for rule in rules}, vocabulary=vocabulary,
        pack=pack.name if pack else "", contacts=contacts, release=_release(version, directory, pack),
        tables=tables)
    _check_references(book)
    return book


def _reparsed(table: Table, parameters: dict[str, Parameter]) -> Table:
    """A decision table whose rows' conditions resolve these (an area pack's) parameters."""
    rows = tuple(row if not row.when else row.model_copy(update={"conditions": parse_when(row.when, parameters)})
                 for row in table.rows)
    return table.model_copy(update={"rows": rows})


def _release(version: str, directory: Path, pack: Path | None) -> RulebookRelease:
    try:
        return release_for(version, signoffs_in([directory, pack]))
    except ReleaseError as exc:
        raise RulebookError(str(exc)) from None


def _version(files: list[tuple[str, Path]]) -> str:
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode())
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


def _load_theme(path: Path, parameters: dict[str, Parameter], raw: Any = None,
                shared: SharedActions | None = None) -> tuple[str, str, list[Rule]]:
    raw = _read_yaml(path) if raw is None else raw
    if not isinstance(raw, dict) or "theme" not in raw or "rules" not in raw:
        raise RulebookError(f"{path.name}: a rule file needs 'theme', 'title' and 'rules'")
    theme = raw["theme"]
    rules: list[Rule] = []
    for body in raw["rules"] or []:
        line = body.get("__line__", 0) if isinstance(body, dict) else 0
        rule_id = body.get("id", "?") if isinstance(body, dict) else "?"
        where = f"{path.name}:{line}: rule {rule_id}"
        if shared is not None and isinstance(body, dict) and isinstance(body.get("then"), dict):
            body = {**body, "then": {**body["then"], "actions": shared.expand(body["then"].get("actions", []), where)}}
        try:
            rule = Rule.model_validate(
                {**_strip_lines(body), "theme": theme, "file": path.name, "line": line})
        except ValidationError as exc:
            raise RulebookError(f"{where}: {_pydantic_message(exc)}") from None
        try:
            rule = rule.model_copy(update={"conditions": parse_when(rule.when, parameters)})
            _check_rule(rule)
        except ValueError as exc:  # ConditionError included
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
    unread = [path for path in rule.reached_alone if rule.conditions is None or path not in rule.conditions.reads()]
    if unread:
        raise ValueError(f"reached_alone names facts the rule does not read: {', '.join(unread)}")
    _check_headline(then)


def _check_headline(then: Then) -> None:
    """A check to do before calling leads its answer with a headline that does not say "call now"."""
    checks = [action.id for action in then.actions if action.first == "check"]
    if checks and not then.headline:
        raise ValueError(f"action {checks[0]} is a check to do first (first: check): give the rule a 'headline' "
                         "that says so, for when it leads the answer")
    if then.headline is not None:
        if not any(action.first for action in then.actions):
            raise ValueError("'headline' is used only when the rule's action leads: mark one action 'first'")
        if CALL_NOW.search(then.headline) or "999" in then.headline:
            raise ValueError("a rule's headline must not say to call now or mention 999 "
                             "(the level's own words do, and a 999 answer keeps them)")


def reads_outcome(rule: Rule) -> bool:
    """A stage-2 rule: it reads the level the policy chose, and may only add actions."""
    return rule.conditions is not None and rule.conditions.reads_outcome()


def _check_references(book: Rulebook) -> None:
    seen: set[str] = set()
    derivable = {name for rule in book.rules for name in rule.then.derive}
    action_ids: dict[str, str] = {}
    for rule in book.rules:
        where = f"{rule.file}:{rule.line}: rule {rule.id}"
        if rule.id in seen:
            raise RulebookError(f"{where}: the id is used twice")
        seen.add(rule.id)
        for name in rule.conditions.derived:
            if name not in derivable:
                raise RulebookError(f"{where}: no rule derives '{name}'")
        texts = [rule.because] + [action.what for action in rule.then.actions] + [rule.then.headline or ""]
        for name in (n for text in texts for n in placeholders(text)):
            if not _placeholder_ok(name, book.parameters, book.vocabulary):
                raise RulebookError(f"{where}: its text refers to unknown {{{name}}}")
        for action in rule.then.actions:
            if action_ids.setdefault(action.id, action.what) != action.what:
                raise RulebookError(f"{where}: action id '{action.id}' is used for two different actions")
            for name in action.unless:
                if name not in derivable:
                    raise RulebookError(f"{where}: action {action.id}: no rule derives '{name}' (unless)")
    for key, contact in book.contacts.items():
        unknown = [action_id for action_id in contact.actions if action_id not in action_ids]
        if unknown:
            raise RulebookError(f"{book.pack}/contacts.yaml: contact {key}: actions: {unknown} are not steps any rule gives")
    for table in book.tables.values():
        for row in table.rows:
            if row.id in seen:
                raise RulebookError(f"{row.file}:{row.line}: row {row.id}: the id is used twice")
            seen.add(row.id)


def _placeholder_words(name: str, vocabulary: Vocabulary) -> int:
    """The most words a placeholder can stand for: the longest setting's words, else a few."""
    if name.startswith(("words.", "Words.")):
        return max(len(words[name[6:]].split()) for words in vocabulary.word_sets())
    return 3  # a fact's or parameter's value ("life threatening", "£1,000")


def _placeholder_ok(name: str, parameters: dict[str, Parameter], vocabulary: Vocabulary | None) -> bool:
    return (name in fact_paths() or (name.startswith("param.") and name[6:] in parameters)
            or (vocabulary is not None and placeholder_ok(name, vocabulary)))
