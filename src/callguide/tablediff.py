"""What changed in the call check's decision tables and in the vocabulary, for ``rules diff``.

Both are part of the rulebook's sha, but neither is a rule: :mod:`callguide.rulediff` compares the
rules over an incident corpus and lists these entry by entry (a table by its id, a row by table id,
row id and position, since the first row that holds decides; a vocabulary entry by fact, level,
deadline, setting or the call check's words), so a change to them never reads as "no change".
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .tables import Row, Table
from .vocabulary import Vocabulary

# A row's fields as written; ``table``, ``file``, ``line`` and the parsed ``conditions`` are not
# compared (moving a row between lines, or a parameter the diff lists already, is not a row change).
ROW_SKIPPED = {"table", "file", "line", "conditions"}
TABLE_SKIPPED = {"rows", "file", "line"}


@dataclass(frozen=True)
class EntryChange:
    """One line of the report: ``{what} {how}: {key}{detail}``, e.g. ``table row changed:
    call-police-response/attend-fire: A fire ... (then.level, because)``."""

    what: str    # "table", "table row", "vocabulary"
    how: str     # "added", "removed", "changed", "moved"
    key: str     # "call-police-response/attend-fire", "fact incident.weapon", "setting foster_care manager"
    detail: str = ""
    lowers_999: bool = False  # a row that answered call_999 answers less, or is gone

    def line(self) -> str:
        flag = "[!] LOWERS A 999 ANSWER: " if self.lowers_999 else ""
        return f"{flag}{self.what} {self.how}: {self.key}{self.detail}"


def _says_999(row: Row) -> bool:
    return any(value == "call_999" for value in row.then.values())


def _fields(before: Mapping[str, Any], after: Mapping[str, Any], skipped: Iterable[str] = (),
            nested: bool = True) -> list[str]:
    """The names whose values differ; a mapping by its keys, one level down (``then.level``,
    ``values.bladed``)."""
    names = [name for name in dict.fromkeys([*before, *after]) if name not in set(skipped)]
    changed = []
    for name in names:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if nested and isinstance(old, Mapping) and isinstance(new, Mapping):
            changed += [f"{name}.{key}" for key in _fields(old, new, nested=False)]
        else:
            changed.append(name)
    return changed


def _row_label(table: Table, row: Row) -> str:
    return f"{table.id}/{row.id}" + (f": {row.title}" if row.title else "")


def _dump(model: Any, skipped: set[str]) -> dict[str, Any]:
    return {name: value for name, value in model.model_dump().items() if name not in skipped}


def compare_tables(base: Mapping[str, Table], head: Mapping[str, Table]) -> list[EntryChange]:
    """Tables added, removed or changed; in tables on both sides, rows added, removed, changed or
    moved (their order among the rows on both sides changed)."""
    changes = [EntryChange("table", "added", table.id, f": {table.title} ({len(table.rows)} rows)")
               for table in head.values() if table.id not in base]
    changes += [EntryChange("table", "removed", table.id, f": {table.title} ({len(table.rows)} rows)")
                for table in base.values() if table.id not in head]
    for table in (t for t in head.values() if t.id in base):
        old = base[table.id]
        fields = _fields(_dump(old, TABLE_SKIPPED), _dump(table, TABLE_SKIPPED))
        if fields:
            changes.append(EntryChange("table", "changed", table.id, f": {table.title} ({', '.join(fields)})"))
        changes += _compare_rows(old, table)
    return changes


def _compare_rows(old: Table, new: Table) -> list[EntryChange]:
    before = {row.id: (number, row) for number, row in enumerate(old.rows, 1)}
    after = {row.id: (number, row) for number, row in enumerate(new.rows, 1)}
    changes = [EntryChange("table row", "added", _row_label(new, row), f" (row {number} of {len(new.rows)})")
               for row_id, (number, row) in after.items() if row_id not in before]
    changes += [EntryChange("table row", "removed", _row_label(old, row), f" (was row {number})", _says_999(row))
                for row_id, (number, row) in before.items() if row_id not in after]
    for row_id, (number, row) in after.items():
        if row_id in before:
            was = before[row_id][1]
            fields = _fields(_dump(was, ROW_SKIPPED), _dump(row, ROW_SKIPPED))
            if fields:
                changes.append(EntryChange("table row", "changed", _row_label(new, row), f" ({', '.join(fields)})",
                                           _says_999(was) and not _says_999(row)))
    # Order decides (the first row that holds wins): rows outside the longest run kept in order moved.
    kept_before = [row_id for row_id in before if row_id in after]
    kept_after = [row_id for row_id in after if row_id in before]
    matcher = difflib.SequenceMatcher(a=kept_before, b=kept_after, autojunk=False)
    in_order = {row_id for block in matcher.get_matching_blocks() for row_id in kept_after[block.b:block.b + block.size]}
    changes += [EntryChange("table row", "moved", _row_label(new, after[row_id][1]),
                            f" (row {before[row_id][0]} -> {after[row_id][0]})")
                for row_id in kept_after if row_id not in in_order]
    return changes


def compare_vocabulary(base: Vocabulary | None, head: Vocabulary | None) -> list[EntryChange]:
    """Facts (label, ask, hint, unit, each answer's words), levels, deadlines, each setting's words and
    the call check's (each response's label, each phrase, its own facts), how each kind is asked, and
    the questions put to a young person who rings."""
    if base is None or head is None:
        return [] if base is head else [EntryChange("vocabulary", "added" if base is None else "removed", "all")]
    changes: list[EntryChange] = []
    sections = [("fact", _own_facts(base), _own_facts(head)),
                ("level", {k.value: v for k, v in base.levels.items()}, {k.value: v for k, v in head.levels.items()})]
    for section, old, new in sections:
        changes += _keyed(section, old, new, lambda a, b: f" ({', '.join(_fields(vars(a), vars(b)))})")
    changes += _keyed("deadline", base.deadlines, head.deadlines, _words)
    old_words, new_words = base.settings.get("unknown", {}), head.settings.get("unknown", {})
    changes += [EntryChange("vocabulary", "added", f"setting word {name}") for name in new_words if name not in old_words]
    changes += [EntryChange("vocabulary", "removed", f"setting word {name}") for name in old_words if name not in new_words]
    for setting, words in head.settings.items():
        changes += _keyed(f"setting {setting}", {k: v for k, v in base.settings.get(setting, {}).items() if k in words},
                          {k: v for k, v in words.items() if k in old_words}, _words)
    for setting in dict.fromkeys([*base.staying, *head.staying]):
        changes += _keyed(f"care leaver staying in {setting}", base.staying_overlay(setting), head.staying_overlay(setting), _words)
    changes += _keyed("care leaver of 16 or 17", base.under_18, head.under_18, _words)
    changes += _keyed("care leaver whose age is not given", base.age_not_given, head.age_not_given, _words)
    old_call, new_call = base.call_check, head.call_check
    changes += _keyed("call check response", old_call.responses, new_call.responses,
                      lambda a, b: f" ({', '.join(_fields(vars(a), vars(b)))})")
    changes += _keyed("call check phrase", old_call.phrases, new_call.phrases, _words)
    changes += _keyed("call check fact", old_call.facts, new_call.facts,
                      lambda a, b: f" ({', '.join(_fields(vars(a), vars(b)))})")
    changes += _keyed("asking for", base.asking, head.asking, lambda a, b: f" ({', '.join(_fields(vars(a), vars(b)))})")
    # The questions put to a young person who rings (callerwords.py), per fact and per kind's fact.
    old_you, new_you = ({where.split(".", 1)[1]: text for where, text in v.to_young_person.texts()} for v in (base, head))
    changes += _keyed("to the young person", old_you, new_you, _words)
    return changes


def _own_facts(vocabulary: Vocabulary) -> dict[str, Any]:
    """The facts the vocabulary gives words for (not a newer fact's stand-in words)."""
    return {k: v for k, v in vocabulary.facts.items() if k not in vocabulary.filled_in}


def _words(before: str, after: str) -> str:
    return f": “{before}” -> “{after}”"


def _keyed(section: str, old: Mapping[str, Any], new: Mapping[str, Any],
           detail: Callable[[Any, Any], str]) -> list[EntryChange]:
    changes = [EntryChange("vocabulary", "added", f"{section} {key}") for key in new if key not in old]
    changes += [EntryChange("vocabulary", "removed", f"{section} {key}") for key in old if key not in new]
    changes += [EntryChange("vocabulary", "changed", f"{section} {key}", detail(old[key], new[key]))
                for key in new if key in old and old[key] != new[key]]
    return changes
