"""Decision tables in the rulebook: rows of ``when`` -> outputs, read in order.

A rule file holds either ``rules:`` (the staff rules, run by the engine) or ``tables:``. A table
is for a judgement that picks one answer from a list (the police response to a call, a THRIVE
row, the words to say): its rows use the same ``when`` conditions as the rules and are checked by
the same loader, and each row cites its source. ``hit: first`` means the first row whose
conditions hold decides; a row with an empty ``when`` always holds (the table's default).

```yaml
tables:
  - id: police-response
    title: The police response to a call
    hit: first
    outputs:                     # each output: a list of allowed values, or text / lines
      kind: [emergency_attendance, advice_and_signposting]
      headline: text
      say: lines                 # a list of sentences
    optional: [follow_up]        # outputs a row may leave out (the others are required)
    max_words: 60                # for text and lines outputs, counted over the row
    source: "..."                # optional: what every row also cites, said before the row's own source
    rows:
      - id: attend-risk-to-life
        when: {outcome.recommendation: call_999}
        then: {kind: emergency_attendance, headline: "..."}
        because: "..."
        source: "..."
```

Rows may read ``outcome.recommendation`` (the staff rules' answer) besides the contract's facts.
A row ``given`` an earlier table's choice holds only when that table chose one of the rows listed
(``given: {call-police-response: [not-a-taxi]}``), one of the output values listed
(``given: {call-police-response.kind: [emergency_attendance]}``), or any row at all
(``given: {call-ask-first: any}``). A row ``given: {rules: [RULE-ID, ...]}`` holds only where one of
those staff rules holds: the row gives the handler's words for what a staff rule decides, without
writing its conditions a second time (``fold_staff_rules``). Everything is validated at load; an
error names the file, the line and the row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Literal, Protocol

from pydantic import Field, ValidationError, model_validator

from .conditions import AnyOf, Conditions, Item
from .rulefiles import RULE_ID, _Data, placeholders, pydantic_message, strip_lines

TEXT_KINDS = ("text", "lines")
STAFF_RULES = "rules"  # ``given: {rules: [...]}``: the staff rules' conditions, not a table's choice


class TableError(ValueError):
    """A table that must not be used; the message says where and why."""


class Row(_Data):
    id: str = Field(pattern=RULE_ID.pattern)
    when: dict[str, Any] = {}  # required, unless the row is given staff rules (their conditions are its own)
    then: dict[str, Any]
    because: str = Field(min_length=10)
    source: str = Field(min_length=3)
    title: str = ""
    # Holds only when an earlier table chose one of these: {TABLE: [row ids]}, {TABLE.OUTPUT: [values]},
    # or {TABLE: any} (it chose a row, whichever); or where one of these staff rules holds: {rules: [ids]}.
    given: dict[str, list[Any] | Literal["any"]] = {}
    table: str = ""
    file: str = ""
    line: int = 0
    # ``when`` parsed at load (conditions.py), as for a rule, with any ``given`` staff rules' conditions
    # folded in (fold_staff_rules): everything that reads a row's conditions reads these.
    conditions: Conditions | None = Field(None, exclude=True, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _when_or_staff_rules(cls, data: Any) -> Any:
        # A forgotten `when` must not make a row the table's default (one that always holds).
        if isinstance(data, dict) and "when" not in data and STAFF_RULES not in (data.get("given") or {}):
            raise ValueError("needs 'when' (an empty 'when: {}' for the table's default row), or 'given: {rules: [...]}'")
        return data


class Table(_Data):
    id: str = Field(pattern=RULE_ID.pattern)
    title: str = Field(min_length=3)
    hit: Literal["first"] = "first"
    outputs: dict[str, list[Any] | Literal["text", "lines"]]
    optional: list[str] = []
    max_words: int | None = Field(None, ge=5)
    # What every row also cites (a THRIVE row's National Decision Model), said before the row's own.
    source: str = ""
    rows: tuple[Row, ...]
    file: str = ""
    line: int = 0

    def source_of(self, row: Row) -> str:
        """What a row cites: the table's source, if it has one, then the row's own."""
        return f"{self.source}; {row.source}" if self.source else row.source


@dataclass(frozen=True)
class TableContext:
    """What a table is checked against: supplied by the rulebook loader (no import circle)."""

    parse: Callable[[dict[str, Any]], Conditions]  # conditions.parse_when with the rulebook's parameters
    placeholder_ok: Callable[[str], bool]         # a {name} a text may use
    placeholder_words: Callable[[str], int] = lambda name: 1  # the most words a {name} can stand for


def load_tables(file: str, raw: dict[str, Any], context: TableContext) -> list[Table]:
    """The tables of one file (``raw`` read with line numbers as ``__line__``), validated."""
    if set(raw) - {"tables", "title", "__line__"} or not isinstance(raw.get("tables"), list):
        raise TableError(f"{file}: a table file has 'title' and a list of 'tables'")
    tables: list[Table] = []
    for body in raw["tables"]:
        line = body.get("__line__", 0) if isinstance(body, dict) else 0
        where = f"{file}:{line}: table {body.get('id', '?') if isinstance(body, dict) else '?'}"
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list) or not body["rows"]:
            raise TableError(f"{where}: needs 'id', 'title', 'outputs' and a list of 'rows'")
        rows = [_row(file, body["id"] if isinstance(body.get("id"), str) else "?", r, context) for r in body["rows"]]
        try:
            table = Table.model_validate({**strip_lines({k: v for k, v in body.items() if k != "rows"}),
                                          "rows": rows, "file": file, "line": line})
        except ValidationError as exc:
            raise TableError(f"{where}: {pydantic_message(exc, '(table)')}") from None
        for row in table.rows:
            _check_outputs(table, row, context)
        tables.append(table)
    return tables


def _row(file: str, table_id: str, body: Any, context: TableContext) -> Row:
    line = body.get("__line__", 0) if isinstance(body, dict) else 0
    where = f"{file}:{line}: row {body.get('id', '?') if isinstance(body, dict) else '?'}"
    if not isinstance(body, dict):
        raise TableError(f"{where}: a row is a mapping with id, when, then, because and source")
    try:
        row = Row.model_validate({**strip_lines(body), "table": table_id, "file": file, "line": line})
    except ValidationError as exc:
        raise TableError(f"{where}: {pydantic_message(exc, '(table)')}") from None
    try:
        row = row.model_copy(update={"conditions": context.parse(row.when) if row.when else Conditions(())})
        if row.conditions.derived:
            raise ValueError("table rows read facts, not derived findings")
        for name in (n for text in _all_texts(row) for n in placeholders(text)):
            if not context.placeholder_ok(name):
                raise ValueError(f"its text refers to unknown {{{name}}}")
    except ValueError as exc:
        raise TableError(f"{where}: {exc}") from None
    return row


def _all_texts(row: Row) -> list[str]:
    texts = [row.because]
    for value in row.then.values():
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            texts.extend(v for v in value if isinstance(v, str))
    return texts


def _check_outputs(table: Table, row: Row, context: TableContext) -> None:
    where = f"{row.file}:{row.line}: row {row.id}"
    unknown = set(row.then) - set(table.outputs)
    if unknown:
        raise TableError(f"{where}: {sorted(unknown)} are not outputs of table {table.id}")
    for name, kind in table.outputs.items():
        if name not in row.then:
            if name not in table.optional:
                raise TableError(f"{where}: needs '{name}'")
            continue
        value = row.then[name]
        if kind == "text" and not (isinstance(value, str) and value.strip()):
            raise TableError(f"{where}: '{name}' must be text")
        elif kind == "lines" and not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            raise TableError(f"{where}: '{name}' must be a list of sentences")
        elif isinstance(kind, list):
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if v not in kind]
            if bad:
                raise TableError(f"{where}: '{name}': {bad} not one of {kind}")
    if table.max_words is not None:
        words = sum(_word_count(text, context) for name, kind in table.outputs.items()
                    if kind in TEXT_KINDS for text in _as_list(row.then.get(name)))
        if words > table.max_words:
            raise TableError(f"{where}: {words} words; this table's texts are read aloud, at most {table.max_words}")


def _as_list(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _word_count(text: str, context: TableContext) -> int:
    """Words read aloud, each placeholder counted at the longest it can be (in any setting)."""
    names = placeholders(text)
    return len(re.sub(r"\{[^}]*\}", " ", text).split()) + sum(context.placeholder_words(n) for n in names)


def patch_tables(file: str, raw: dict[str, Any], tables: dict[str, Table], context: TableContext) -> dict[str, Table]:
    """An area pack's changes to the base's tables (``packs.py``): a row with a base row's id
    replaces it where it stands; a new row says which row it goes ``before`` (rows are read in
    order, so where it stands is part of what it means). A pack changes rows, not a table's outputs."""
    if set(raw) - {"tables", "title", "__line__"} or not isinstance(raw.get("tables"), list):
        raise TableError(f"{file}: a table file has 'title' and a list of 'tables'")
    tables = dict(tables)
    for body in raw["tables"]:
        line = body.get("__line__", 0) if isinstance(body, dict) else 0
        table = tables.get(body.get("id")) if isinstance(body, dict) else None
        where = f"{file}:{line}: table {body.get('id', '?') if isinstance(body, dict) else '?'}"
        if table is None:
            raise TableError(f"{where}: a pack changes the rows of a table the rulebook has: "
                             f"one of {sorted(tables)}")
        if set(body) - {"id", "rows", "__line__"} or not isinstance(body.get("rows"), list) or not body["rows"]:
            raise TableError(f"{where}: a pack's table has its 'id' and a list of 'rows' (the outputs stay the base's)")
        rows = list(table.rows)
        for raw_row in body["rows"]:
            before = raw_row.pop("before", None) if isinstance(raw_row, dict) else None
            row = _row(file, table.id, raw_row, context)
            _check_outputs(table, row, context)
            ids = [r.id for r in rows]
            if row.id in ids:
                if before is not None:
                    raise TableError(f"{file}:{row.line}: row {row.id}: replaces the row of that id where it "
                                     "stands; 'before' is for a new row")
                rows[ids.index(row.id)] = row
            elif before in ids:
                rows.insert(ids.index(before), row)
            else:
                raise TableError(f"{file}:{row.line}: row {row.id}: a new row says which row it goes before "
                                 f"('before: ROW-ID', one of table {table.id}'s rows)")
        tables[table.id] = table.model_copy(update={"rows": tuple(rows)})
    return tables


def check_answered(tables: dict[str, Table]) -> None:
    """A table that reads an earlier table's choice has a row that always holds for each row that
    table can choose (the call script for each police response): a pack's new response row without
    words to say would otherwise leave the call check with nothing to say at decision time."""
    for reader in tables.values():
        for name in {key.partition(".")[0] for row in reader.rows for key in row.given} - {STAFF_RULES}:
            for chosen in tables[name].rows:
                if not any(not row.when and _holds_for(row.given, name, chosen) for row in reader.rows):
                    raise TableError(f"{chosen.file}:{chosen.line}: row {chosen.id}: table {reader.id} has no row "
                                     f"for it (a row with given: {{{name}: [{chosen.id}]}} and no 'when')")


def _holds_for(given: dict[str, Any], name: str, chosen: Row) -> bool:
    """Whether a row ``given`` these holds whenever table ``name`` chose row ``chosen``."""
    for key, wanted in given.items():
        table, _, output = key.partition(".")
        if table != name:
            return False  # it also needs another table's choice: not sure to hold
        if wanted == "any":
            continue
        value = chosen.then.get(output) if output else chosen.id
        if not set(value if isinstance(value, list) else [value]) & set(wanted):
            return False
    return True


def check_given(tables: dict[str, Table]) -> None:
    """Every ``given`` names a table loaded before it, and one of its row ids or output values (or
    ``any`` of its rows)."""
    order = list(tables)
    if STAFF_RULES in tables:
        raise TableError(f"{tables[STAFF_RULES].file}:{tables[STAFF_RULES].line}: table {STAFF_RULES}: "
                         f"'{STAFF_RULES}' names the staff rules in a row's given; call the table something else")
    for table in tables.values():
        for row in table.rows:
            for key, wanted in row.given.items():
                if key == STAFF_RULES:
                    continue  # checked when folded (fold_staff_rules)
                name, _, output = key.partition(".")
                where = f"{row.file}:{row.line}: row {row.id}: given {key}"
                other = tables.get(name)
                if other is None or order.index(name) >= order.index(table.id):
                    raise TableError(f"{where}: no table '{name}' is read before table {table.id}")
                if wanted == "any":
                    if output:
                        raise TableError(f"{where}: 'any' is for a table's rows ({name}: any), not an output's values")
                    continue
                if output:
                    allowed = other.outputs.get(output)
                    if not isinstance(allowed, list):
                        raise TableError(f"{where}: table {name} has no output '{output}' with a set of values")
                    bad = [v for v in wanted if v not in allowed]
                else:
                    ids = {r.id for r in other.rows}
                    bad = [v for v in wanted if v not in ids]
                if bad:
                    raise TableError(f"{where}: {bad} not found in table {name}")


class HasConditions(Protocol):
    id: str
    conditions: Conditions


def fold_staff_rules(tables: dict[str, Table], rules: dict[str, HasConditions]) -> dict[str, Table]:
    """Rows ``given: {rules: [...]}`` with those staff rules' conditions joined to their own: the
    row holds where its own conditions hold and one of the rules' does. Only a rule that reads the
    contract's facts can be folded (not derived findings, nor the answer, which the tables read as
    ``outcome.recommendation``), so the row and the rule hold for exactly the same facts."""
    folded = dict(tables)
    for table_id, table in tables.items():
        rows = tuple(_folded(row, rules) if STAFF_RULES in row.given else row for row in table.rows)
        folded[table_id] = table.model_copy(update={"rows": rows})
    return folded


def _folded(row: Row, rules: dict[str, HasConditions]) -> Row:
    where = f"{row.file}:{row.line}: row {row.id}: given {STAFF_RULES}"
    wanted = row.given[STAFF_RULES]
    if wanted == "any" or not wanted:
        raise TableError(f"{where}: takes a list of the staff rules' ids")
    unknown = [rule_id for rule_id in wanted if rule_id not in rules]
    if unknown:
        raise TableError(f"{where}: {unknown} are not rules of the rulebook")
    for rule_id in wanted:
        conditions = rules[rule_id].conditions
        if conditions.derived or conditions.reads_outcome():
            raise TableError(f"{where}: rule {rule_id} reads derived findings or the answer; a row can be "
                             "given only a rule that reads the incident's facts")
    parts = [rules[rule_id].conditions for rule_id in wanted]
    extra: tuple[Item, ...] = parts[0].items if len(parts) == 1 else (AnyOf(tuple(parts)),)
    own = row.conditions.items if row.conditions is not None else ()
    return row.model_copy(update={"conditions": Conditions(own + extra)})
