"""The incidents a rule change is judged on (``callguide rules diff``).

Three kinds, each labelled so that a reviewer can see where an incident came from:

- every step of every scenario (the trainers' incidents, told as the guidance would);
- a systematic sweep of the facts the rules read: for each kind of incident, three starting points
  (nothing else known; calm now at a children's home; calm now in the community, in foster care),
  each varied one fact at a time over every value the fact can take (unknown included, and for
  numbers each threshold the rules use, one below and one above), and, for each number a rule
  compares with a threshold, each of those values together with each value of every other fact
  (calm at a children's home, for the kinds whose rules read the number), so that a threshold's
  interplay with the setting, the victim or an injury is seen;
- when a records database is configured, the facts of past recorded decisions and call checks
  (read only).

Invalid combinations (refused by the contract) are dropped; duplicates are kept once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .conditions import AnyOf, Conditions, FactTest
from .facts import InvalidFacts, allowed_values, parse_incident
from .rulebook import Rulebook

CALM_HOME = {"setting.type": "childrens_home", "setting.location": "in_placement",
             "incident.in_progress": False, "incident.risk_to_life": False, "incident.injury": "none",
             "incident.weapon": "none", "incident.child_calm_now": True}
CALM_COMMUNITY = {"setting.type": "foster_care", "setting.location": "community", "person.age": 15,
                  "person.status": "looked_after", "incident.in_progress": False,
                  "incident.risk_to_life": False, "incident.injury": "none", "incident.weapon": "none",
                  "incident.child_calm_now": True}
MISSING_START = {"missing.whereabouts_known": False, "missing.immediate_concern": False,
                 "missing.hours_absent": 2, "missing.enquiries_done": True}
UNKNOWN = object()  # a value in the sweep meaning "this fact is not known"


@dataclass(frozen=True)
class CorpusIncident:
    label: str                 # where it came from: "scenario X step 2", "sweep ...", "record ..."
    origin: str                # scenario | sweep | record
    known: tuple[tuple[str, Any], ...]  # the validated known facts, flat and sorted

    @property
    def facts(self) -> dict[str, Any]:
        return dict(self.known)


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        section, name = path.split(".", 1)
        nested.setdefault(section, {})[name] = value
    return nested


def _validated(flat_or_nested: dict[str, Any], nested: bool = False) -> tuple[tuple[str, Any], ...] | None:
    try:
        incident = parse_incident(flat_or_nested if nested else nest(flat_or_nested))
    except InvalidFacts:
        return None
    return tuple(sorted(incident.known().items()))


class _Collector:
    def __init__(self) -> None:
        self.items: dict[tuple, CorpusIncident] = {}
        self.dropped = 0

    def add(self, label: str, origin: str, facts: dict[str, Any], nested: bool = False) -> None:
        known = _validated(facts, nested)
        if known is None:
            self.dropped += 1
        elif known not in self.items:
            self.items[known] = CorpusIncident(label, origin, known)


def fact_values(deciders: Iterable[Any]) -> dict[str, list[Any]]:
    """Each fact the rules read (but the kind) and the values worth trying, unknown first: the
    values each decider's questions try (every value of a set; each threshold, one below and one above)."""
    values: dict[str, set[Any]] = {}
    for decider in deciders:
        for path, tried in decider.question_values.items():
            values.setdefault(path, set()).update(tried)
    out: dict[str, list[Any]] = {}
    for path in sorted(values):
        allowed = allowed_values(path)
        if allowed is None:  # numbers, shown as whole numbers where they are
            allowed = sorted(int(v) if float(v).is_integer() else v for v in values[path])
        out[path] = [UNKNOWN, *allowed]
    return out


def kinds_reading(books: Iterable[Rulebook], path: str) -> set[str]:
    """The kinds of incident whose rules read ``path`` (every kind if a rule reading it names none).

    A rule's kinds come from its tests on the kind (``is`` and ``in`` name them, ``not_in`` names
    all but those); an ``any`` group allows the kinds any one of its branches allows. A rule that
    only derives a finding (no level, no action) matters only for the kinds of the rules that need
    that finding (``young-adult`` reads the age for every kind; were only missing rules to need its
    finding, the age would be swept for missing children alone)."""
    every = set(allowed_values("incident.kind") or [])
    found: set[str] = set()
    for book in books:
        for rule in book.rules:
            if path in rule.conditions.reads():
                found |= (_allowed_kinds(rule.conditions, every) & _kinds_using(book, rule, every, set())
                          & _kinds_deriving(book, rule, every, set()))
    return found


def _kinds_deriving(book: Rulebook, rule: Any, every: set[str], seen: set[str]) -> set[str]:
    """The kinds for which ``rule``'s needed findings can be derived (every kind if it needs none):
    ``missing-young-child`` names no kind, but its finding is only derived for a missing child."""
    if not rule.conditions.derived or rule.id in seen:
        return every
    seen.add(rule.id)
    kinds = set(every)
    for name in rule.conditions.derived:
        kinds &= set().union(*(_allowed_kinds(other.conditions, every) & _kinds_deriving(book, other, every, seen)
                               for other in book.rules if name in other.then.derive))
    return kinds


def _kinds_using(book: Rulebook, rule: Any, every: set[str], seen: set[str]) -> set[str]:
    """The kinds for which what ``rule`` does can matter: every kind if it recommends or adds an
    action, else the kinds of the rules that need a finding it derives (followed down the chain)."""
    if rule.then.recommend or rule.then.actions or rule.id in seen:
        return every
    seen.add(rule.id)
    kinds: set[str] = set()
    for other in book.rules:
        if set(rule.then.derive) & set(other.conditions.derived):
            kinds |= _allowed_kinds(other.conditions, every) & _kinds_using(book, other, every, seen)
    return kinds


def _allowed_kinds(conditions: Conditions, every: set[str]) -> set[str]:
    kinds = set(every)
    for item in conditions.items:
        if isinstance(item, AnyOf):
            kinds &= set().union(*(_allowed_kinds(group, every) for group in item.groups))
        elif item.path == "incident.kind":
            kinds &= _kinds(item, every)
    return kinds


def _kinds(test: FactTest, every: set[str]) -> set[str]:
    if test.op == "is":
        return {test.value}
    if test.op == "in":
        return set(test.value)
    if test.op == "not_in":
        return every - set(test.value)
    return every


def _vary(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    varied = dict(base)
    if value is UNKNOWN:
        varied.pop(path, None)
    else:
        varied[path] = value
    return varied


def _show(value: Any) -> str:
    return "unknown" if value is UNKNOWN else json.dumps(value)


def sweep(deciders: list[Any], collector: _Collector) -> None:
    values = fact_values(deciders)
    books = [decider.book for decider in deciders]
    numeric = [p for p in values if allowed_values(p) is None]
    reading = {number: kinds_reading(books, number) for number in numeric}  # once, not per kind
    for kind in allowed_values("incident.kind") or []:
        extra = MISSING_START if kind == "missing" else {}
        starts = {"only the kind known": {"incident.kind": kind},
                  "calm at a children's home": {"incident.kind": kind, **CALM_HOME, **extra},
                  "calm in the community": {"incident.kind": kind, **CALM_COMMUNITY, **extra}}
        for name, base in starts.items():
            collector.add(f"sweep: {kind}, {name}", "sweep", base)
            for path, options in values.items():
                for value in options:
                    collector.add(f"sweep: {kind}, {name}, {path}={_show(value)}", "sweep",
                                  _vary(base, path, value))
        for number in numeric:
            if kind not in reading[number]:
                continue
            name = "calm at a children's home"
            for level in values[number][1:]:
                with_number = _vary(starts[name], number, level)
                for path, options in values.items():
                    if path == number:
                        continue
                    for value in options:
                        collector.add(f"sweep: {kind}, {name}, {number}={_show(level)}, "
                                      f"{path}={_show(value)}", "sweep", _vary(with_number, path, value))


def scenario_incidents(collector: _Collector, directory: Path | None) -> None:
    from .scenarios import cumulative_facts, load_scenarios

    for scenario in load_scenarios(directory):
        for index, facts in enumerate(cumulative_facts(scenario.steps)):
            collector.add(f"scenario {scenario.id} step {index + 1}", "scenario", facts, nested=True)


def record_incidents(collector: _Collector, database_url: str) -> None:
    """The facts of past recorded decisions, read in a read-only transaction."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text("PRAGMA query_only = ON"))
            elif engine.dialect.name == "postgresql":
                connection.execute(text("SET TRANSACTION READ ONLY"))
            rows = connection.execute(text("SELECT id, kind, facts FROM records"))
            for record_id, kind, facts in rows:
                if isinstance(facts, str):
                    facts = json.loads(facts)
                if kind == "call_check":  # the caller's facts, less what only a call check reads
                    facts = _call_check_incident(facts or {})
                collector.add(f"record {record_id}", "record", facts or {}, nested=True)
    finally:
        engine.dispose()


def _call_check_incident(facts: dict[str, Any]) -> dict[str, Any] | None:
    from pydantic import ValidationError

    from .callcheck import CallCheckRequest

    try:
        incident = CallCheckRequest.model_validate(facts).incident_facts()
    except ValidationError:
        return None
    return incident.model_dump(mode="json", exclude_none=True)


def build_corpus(deciders: list[Any], scenarios_dir: Path | None = None,
                 database_url: str | None = None, include_scenarios: bool = True) -> tuple[list[CorpusIncident], int]:
    """The incidents (scenario steps first, then records, then the sweep) and how many were dropped."""
    collector = _Collector()
    if include_scenarios:
        scenario_incidents(collector, scenarios_dir)
    if database_url:
        record_incidents(collector, database_url)
    sweep(deciders, collector)
    return list(collector.items.values()), collector.dropped
