"""What a rule change would do to the call handler's check, for ``callguide rules diff``.

The call check is decided by the rulebook's tables (``rules/call-check*.yaml``) on the caller's
facts and the staff rules' answer, so a change to either can change what a handler is told. Each
incident of the diff's corpus, and each scenario step and sweep starting point varied one
call-only fact at a time (who is calling, what they want, the fire, recent calls, earlier missing
episodes: facts no staff rule reads, so the rules' corpus never varies them), is run through both
rulebooks' tables. An incident changes when any table chooses another row; the changes are grouped
by table and row, and a call whose police response was emergency attendance and no longer is, is
flagged first, like a lowered 999 answer.

Only which rows hold is compared (not the handler's questions, which are what-ifs over the same
rows): that is what decides the response, the role, the words and each THRIVE row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from pydantic import ValidationError

from .callcheck import CallCheckRequest
from .callcheck_parts import THRIVE_KEYS, CallTables, around, tables_for
from .corpus import UNKNOWN, CorpusIncident, fact_values, nest
from .decision import Decider
from .facts import allowed_values

EMERGENCY = "emergency_attendance"
RESPONSE = "call-police-response"


@dataclass
class CheckGroup:
    table: str
    before: str  # the row chosen before ("-": none), as "row-id (kind)" for the police response
    after: str
    changes: list[CorpusIncident] = field(default_factory=list)

    @property
    def lowers_emergency(self) -> bool:
        return self.table == RESPONSE and self.before.endswith(f"({EMERGENCY})") \
            and not self.after.endswith(f"({EMERGENCY})")


@dataclass
class CheckDiff:
    compared: int
    changed: int
    groups: list[CheckGroup]
    every_call: bool = True  # False: the tables were the same, so only calls whose staff answer moved were run

    @property
    def lowers_emergency(self) -> bool:
        return any(group.lowers_emergency for group in self.groups)


def chosen_rows(decider: Decider, known: dict[str, Any]) -> dict[str, str]:
    """For each call-check table, the row that holds for these facts ("-" where none does)."""
    staff = decider.level(known).value
    tables: CallTables = tables_for(decider.book)
    judged = tables.judge(known, staff)
    flat = tables.fact(known, staff)
    rows = {"call-role": judged.role_row, RESPONSE: judged.response, "call-ask-first": judged.ask_first,
            "call-script": judged.script, "call-follow-up": judged.follow_up, "call-caller": judged.caller,
            "call-home-steps": judged.steps,
            **{row.table: row for row in judged.step_rows},
            **{f"thrive-{key}": tables[f"thrive-{key}"].first(flat) for key in THRIVE_KEYS}}
    out = {table_id: row.id if row is not None else "-" for table_id, row in rows.items()}
    out[RESPONSE] = f"{judged.response.id} ({judged.response.then['kind']})"
    return out


def call_values(deciders: Iterable[Decider], rule_facts: Iterable[str]) -> dict[str, list[Any]]:
    """The facts only the call-check tables read, and the values worth trying (unknown first;
    for a number, each threshold a row uses, one below and one above)."""
    skip = set(rule_facts) | {"incident.kind"}
    thresholds: dict[str, set[Any]] = {}  # each call-only fact, with the numbers rows compare it with
    for decider in deciders:
        for compiled in tables_for(decider.book).compiled.values():
            for row in compiled.table.rows:
                for test in row.conditions.tests():
                    if test.path in skip or test.path.startswith("outcome."):
                        continue
                    thresholds.setdefault(test.path, set()).update(around(test.value))
    return {path: [UNKNOWN, *(allowed_values(path) or sorted(thresholds[path]))] for path in sorted(thresholds)}


def call_corpus(corpus: list[CorpusIncident], values: dict[str, list[Any]],
                bases: list[CorpusIncident]) -> list[CorpusIncident]:
    """``corpus``, then each of ``bases`` varied one call-only fact at a time."""
    items = {incident.known: incident for incident in corpus}
    for base in bases:
        for path, options in values.items():
            for value in options:
                facts = {k: v for k, v in base.known if k != path}
                if value is not UNKNOWN:
                    facts[path] = value
                known = tuple(sorted(facts.items()))
                if known not in items:
                    shown = "unknown" if value is UNKNOWN else json.dumps(value)
                    items[known] = CorpusIncident(f"{base.label}, {path}={shown}", base.origin, known)
    return list(items.values())


def _call_known(incident: CorpusIncident) -> dict[str, Any] | None:
    """The facts the tables read, as the call check reads them (a young person ringing to report
    what was done to them wants the police)."""
    try:
        return CallCheckRequest.model_validate(nest(incident.facts)).incident_facts().known()
    except ValidationError:
        return None


def compare_checks(base: Decider, head: Decider, corpus: list[CorpusIncident],
                   level_changed: Iterable[CorpusIncident], tables_changed: bool) -> CheckDiff:
    """The call checks that change. With the same tables on both sides a row can only move where the
    staff rules' answer moved (the rows read the facts and that answer), so only those incidents,
    and their call-only variations, are run; otherwise the whole call corpus is."""
    values = call_values([base, head], fact_values([base, head]))
    if tables_changed:  # every scenario step and record, and the sweep's starting points (not its variations)
        calls = call_corpus(corpus, values, [i for i in corpus if i.origin != "sweep" or "=" not in i.label])
    else:
        changed = list(level_changed)
        calls = call_corpus(changed, values, changed)
    checks = diff_checks(base, head, calls)
    checks.every_call = tables_changed
    return checks


def diff_checks(base: Decider, head: Decider, corpus: list[CorpusIncident]) -> CheckDiff:
    groups: dict[tuple[str, str, str], CheckGroup] = {}
    compared = changed = 0
    # A table only one rulebook has is listed among the rules that changed; its rows are not a change
    # of any call (a new table would otherwise "change" every call).
    shared = set(base.book.tables) & set(head.book.tables)
    for incident in corpus:
        known = _call_known(incident)
        if known is None:
            continue
        compared += 1
        before, after = chosen_rows(base, known), chosen_rows(head, known)
        moved = [t for t in dict.fromkeys([*before, *after])
                 if t in shared and before.get(t, "-") != after.get(t, "-")]
        changed += bool(moved)
        for table in moved:
            key = (table, before.get(table, "-"), after.get(table, "-"))
            groups.setdefault(key, CheckGroup(*key)).changes.append(incident)
    ordered = sorted(groups.values(), key=lambda g: (not g.lowers_emergency, g.table != RESPONSE, -len(g.changes)))
    return CheckDiff(compared, changed, ordered)
