"""What a change to the rules would do: ``callguide rules diff BASE [HEAD]``.

Two rulebooks (directories or git revisions, each with its area pack) are compared rule by rule
(and, by :mod:`callguide.tablediff`, the call check's table rows and the vocabulary entry by entry),
then over an incident corpus (:mod:`callguide.corpus`). Each incident whose answer changes is
reported with the rules that made the difference, grouped and counted. Changes that lower a
``call_999``, or go below a firm floor that the base rulebook set, come first and are flagged:
a rule change must never silently lower advice about a person in danger.
"""

from __future__ import annotations

import contextlib
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .checkdiff import CheckDiff, compare_checks
from .corpus import CorpusIncident
from .decision import Decider
from .facts import Level
from .policy import resolve
from .rulebook import Rule, Rulebook
from .tablediff import EntryChange, compare_tables, compare_vocabulary

EXAMPLES_SHOWN = 5
RULE_FIELDS = ("title", "when", "then", "because", "source", "theme")


@dataclass(frozen=True)
class Answer:
    level: Level
    fired: frozenset[str]
    decisive: tuple[str, ...]
    floor: Level | None  # the highest firm or safety floor that fired


@dataclass(frozen=True)
class Change:
    incident: CorpusIncident
    before: Answer
    after: Answer

    @property
    def lowers_999(self) -> bool:
        return self.before.level is Level.call_999 and self.after.level.rank < Level.call_999.rank

    @property
    def lowers_floor(self) -> bool:
        floor = self.before.floor
        return floor is not None and self.after.level.rank < floor.rank

    @property
    def lowered(self) -> bool:
        return self.after.level.rank < self.before.level.rank


@dataclass
class Group:
    before: Level
    after: Level
    decided_before: tuple[str, ...]
    decided_after: tuple[str, ...]
    changes: list[Change] = field(default_factory=list)

    @property
    def only_before(self) -> list[str]:
        """Rules that applied before but not after, in any of the group's incidents."""
        return sorted({r for c in self.changes for r in c.before.fired - c.after.fired})

    @property
    def only_after(self) -> list[str]:
        return sorted({r for c in self.changes for r in c.after.fired - c.before.fired})

    @property
    def lowers_999(self) -> bool:
        return any(change.lowers_999 for change in self.changes)

    @property
    def lowers_floor(self) -> bool:
        return any(change.lowers_floor for change in self.changes)

    @property
    def flag(self) -> str:
        if self.lowers_999:
            return "LOWERS A 999 ANSWER"
        if self.lowers_floor:
            return "GOES BELOW A FIRM FLOOR"
        return "lower" if self.after.rank < self.before.rank else "higher"


@dataclass
class RuleChanges:
    added: list[Rule]
    removed: list[Rule]
    changed: list[tuple[Rule, Rule, list[str]]]
    parameters: list[tuple[str, Any, Any]]  # name, before, after (None: absent)
    contacts: list[str]  # the area pack's contacts that were added, removed or changed
    tables: list[EntryChange] = field(default_factory=list)  # the call check's decision tables and rows
    vocabulary: list[EntryChange] = field(default_factory=list)  # rules/vocabulary.yaml, entry by entry

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.parameters or self.contacts
                    or self.tables or self.vocabulary)

    @property
    def safety_lowered(self) -> list[Rule]:
        """Safety rules (a 999 that nothing outweighs) removed, or no longer a 999 safety rule. Flagged
        even when no answer in the corpus moves: another rule may cover the corpus's incidents but
        not every incident, and the sweep is finite."""
        weakened = [old for old, new, _ in self.changed if _is_safety(old) and not _is_safety(new)]
        return [rule for rule in self.removed if _is_safety(rule)] + weakened


def _is_safety(rule: Rule) -> bool:
    return rule.then.strength == "safety" and rule.then.recommend is Level.call_999


@dataclass
class DiffReport:
    base_label: str
    head_label: str
    base: Rulebook
    head: Rulebook
    rules: RuleChanges
    corpus: dict[str, int]
    dropped: int
    groups: list[Group]
    checks: CheckDiff = field(default_factory=lambda: CheckDiff(0, 0, []))  # the call handler's check

    @property
    def changed_incidents(self) -> int:
        return sum(len(group.changes) for group in self.groups)

    @property
    def lowers_safety(self) -> bool:
        """A 999 answer would go down: for incidents in the corpus, or in a call-check table row; or a
        safety rule is removed or weakened."""
        return (any(group.lowers_999 for group in self.groups) or any(c.lowers_999 for c in self.rules.tables)
                or bool(self.rules.safety_lowered) or self.checks.lowers_emergency)

    @property
    def no_change(self) -> bool:
        return self.rules.empty and not self.groups and not self.checks.groups


def compare_rules(base: Rulebook, head: Rulebook) -> RuleChanges:
    added = [rule for rule in head.rules if rule.id not in base.by_id]
    removed = [rule for rule in base.rules if rule.id not in head.by_id]
    changed = []
    for rule in head.rules:
        old = base.by_id.get(rule.id)
        if old is not None:
            fields = [name for name in RULE_FIELDS if getattr(old, name) != getattr(rule, name)]
            if fields:
                changed.append((old, rule, fields))
    parameters = []
    for name in sorted(set(base.parameters) | set(head.parameters)):
        before, after = base.parameters.get(name), head.parameters.get(name)
        if (before and before.value) != (after and after.value) or (before is None) != (after is None):
            parameters.append((name, before.value if before else None, after.value if after else None))
    contacts = sorted(key for key in set(base.contacts) | set(head.contacts)
                      if base.contacts.get(key) != head.contacts.get(key))
    return RuleChanges(added, removed, changed, parameters, contacts,
                       compare_tables(base.tables, head.tables), compare_vocabulary(base.vocabulary, head.vocabulary))


def answer(decider: Decider, known: dict[str, Any]) -> Answer:
    stage_one = decider.engine.fire(known)
    fired = [decider.book.rule(rule_id) for rule_id in stage_one.rules]
    resolution = resolve(fired)
    floors = [rule.then.recommend for rule in fired if rule.then.strength in ("safety", "firm")]
    return Answer(level=resolution.level, fired=frozenset(rule.id for rule in fired),
                  decisive=tuple(rule.id for rule in resolution.decisive),
                  floor=max(floors, key=lambda level: level.rank) if floors else None)


def diff(base: Decider, head: Decider, corpus: list[CorpusIncident], dropped: int = 0,
         base_label: str = "BASE", head_label: str = "HEAD") -> DiffReport:
    groups: dict[tuple, Group] = {}
    for incident in corpus:
        known = incident.facts
        before, after = answer(base, known), answer(head, known)
        if before.level is after.level:
            continue
        key = (before.level, after.level, before.decisive, after.decisive)
        group = groups.setdefault(key, Group(before.level, after.level, before.decisive, after.decisive))
        group.changes.append(Change(incident, before, after))
    ordered = sorted(groups.values(), key=lambda g: (
        not g.lowers_999, not g.lowers_floor, g.after.rank >= g.before.rank, -len(g.changes)))
    counts: dict[str, int] = {}
    for incident in corpus:
        counts[incident.origin] = counts.get(incident.origin, 0) + 1
    rules = compare_rules(base.book, head.book)
    checks = compare_checks(base, head, corpus, [c.incident for g in ordered for c in g.changes], bool(rules.tables))
    return DiffReport(base_label, head_label, base.book, head.book, rules, counts, dropped, ordered, checks)


# -- loading a side: a directory or a git revision -------------------------------------------------
@contextlib.contextmanager
def checkout(spec: str, repo: Path) -> Iterator[Path]:
    """``spec`` as a directory: itself; as a git revision: its ``rules/`` and ``packs/`` in a temp dir."""
    if Path(spec).is_dir():
        yield Path(spec)
        return
    with tempfile.TemporaryDirectory(prefix="callguide-diff-") as tmp:
        paths = [p for p in ("rules", "packs") if _in_revision(repo, spec, p)]
        if "rules" not in paths:
            raise ValueError(f"{spec!r} is neither a directory nor a git revision with a rules/ folder")
        archive = Path(tmp) / "tree.tar"
        subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", "-o", str(archive), spec, *paths],
                       check=True, capture_output=True)
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp)


def _in_revision(repo: Path, revision: str, path: str) -> bool:
    result = subprocess.run(["git", "-C", str(repo), "cat-file", "-e", f"{revision}:{path}"],
                            capture_output=True)
    return result.returncode == 0


# -- rendering ------------------------------------------------------------------------------------
def _short(version: str) -> str:
    return version.split(":")[-1][:12]


def _rule_line(rule: Rule) -> str:
    then = rule.then
    verdict = f"{then.recommend.value} ({then.strength})" if then.recommend else "no level"
    return f"{rule.id}: {rule.title} [{verdict}]"


def render(report: DiffReport, markdown: bool = False) -> str:
    """The report for a terminal, or (``markdown``) for a review meeting."""
    h = (lambda level, text: f"{'#' * level} {text}") if markdown else (lambda level, text: text.upper() if level <= 2 else text)
    item = "- " if markdown else "  "
    lines = [h(1, "Rulebook change: what it would do"), "",
             f"Base: {report.base_label} (rulebook {_short(report.base.version)}{', pack ' + report.base.pack if report.base.pack else ''})",
             f"Head: {report.head_label} (rulebook {_short(report.head.version)}{', pack ' + report.head.pack if report.head.pack else ''})",
             f"Incidents compared: {sum(report.corpus.values())} "
             f"({', '.join(f'{n} {origin}' for origin, n in sorted(report.corpus.items()))}; "
             f"{report.dropped} invalid combinations skipped)", ""]
    if report.no_change:
        return "\n".join(lines + ["No change: the rules are the same and no answer changes.", ""])
    rules = report.rules
    lines.append(h(2, "Rules"))
    lines += [f"{item}added: {_rule_line(rule)}" for rule in rules.added]
    lines += [f"{item}removed: {_rule_line(rule)}" for rule in rules.removed]
    lines += [f"{item}changed: {_rule_line(new)} ({', '.join(fields)})" for _, new, fields in rules.changed]
    lines += [f"{item}parameter {name}: {before} -> {after}" for name, before, after in rules.parameters]
    lines += [f"{item}contact changed: {key}" for key in rules.contacts]
    flagged_first = sorted(rules.tables, key=lambda change: not change.lowers_999)
    lines += [f"{item}{change.line()}" for change in flagged_first + rules.vocabulary]
    if rules.empty:
        lines.append(f"{item}none")
    if rules.safety_lowered:
        lines.append(("**" if markdown else "") + "[!] SAFETY RULE REMOVED OR WEAKENED: "
                     + ", ".join(rule.id for rule in rules.safety_lowered)
                     + ". Review it first, even where no answer below changes: the incidents it covers may not"
                     " all be in the corpus." + ("**" if markdown else ""))
    lines += ["", h(2, f"Answers that change: {report.changed_incidents} of {sum(report.corpus.values())} incidents")]
    flagged = [g for g in report.groups if g.lowers_999 or g.lowers_floor]
    if flagged:
        lines.append(("**" if markdown else "") + f"{sum(len(g.changes) for g in flagged)} incidents would get "
                     "lower advice than a 999 answer or a firm floor gave: review these first."
                     + ("**" if markdown else ""))
    if not report.groups:
        lines.append("No answer changes in the corpus.")
    if rules.vocabulary:
        lines.append("The words changed above are not compared over the corpus: review them line by line.")
    for group in report.groups:
        flag = group.flag
        mark = f"[!] {flag}: " if flag not in ("lower", "higher") else f"{flag}: "
        lines += ["", h(3, f"{mark}{group.before.value} -> {group.after.value} ({len(group.changes)} incidents)"),
                  f"{item}decided before by: {', '.join(group.decided_before) or 'nothing'}; "
                  f"after by: {', '.join(group.decided_after) or 'nothing'}"]
        if group.only_before:
            lines.append(f"{item}rules that applied only before: {', '.join(group.only_before)}")
        if group.only_after:
            lines.append(f"{item}rules that apply only after: {', '.join(group.only_after)}")
        lines += _examples([change.incident for change in group.changes], item)
    return "\n".join(lines + _render_checks(report.checks, h, item, markdown)) + "\n"


def _render_checks(checks: CheckDiff, h: Any, item: str, markdown: bool) -> list[str]:
    """The call handler's check: each table whose chosen row moves, emergency attendance lost first."""
    lines = ["", h(2, f"Call checks that change: {checks.changed} of {checks.compared} calls")]
    if not checks.every_call:
        lines.append("The call-check tables are the same on both sides, so only the calls whose staff answer "
                     "moves (and their call-only variations) were run.")
    if not checks.groups:
        return lines + ["No call-check table chooses another row."]
    lost = [g for g in checks.groups if g.lowers_emergency]
    if lost:
        lines.append(("**" if markdown else "") + f"{sum(len(g.changes) for g in lost)} calls would no longer "
                     "get emergency attendance: review these first." + ("**" if markdown else ""))
    for group in checks.groups:
        mark = "[!] NO LONGER EMERGENCY ATTENDANCE: " if group.lowers_emergency else ""
        lines += ["", h(3, f"{mark}{group.table}: {group.before} -> {group.after} ({len(group.changes)} calls)")]
        lines += _examples(group.changes, item)
    return lines


def _examples(incidents: list[CorpusIncident], item: str) -> list[str]:
    # a recorded decision is a real call, so it is shown first; then scenarios, then the sweep
    shown = sorted(incidents, key=lambda i: ({"record": 0, "scenario": 1}.get(i.origin, 2), i.label))[:EXAMPLES_SHOWN]
    more = [f"{item}and {len(incidents) - EXAMPLES_SHOWN} more"] if len(incidents) > EXAMPLES_SHOWN else []
    return [f"{item}e.g. {incident.label}" for incident in shown] + more
