"""Running the rulebook's decision tables (``tables.py``) on known facts.

Each row's ``when`` is parsed like a rule's (``conditions.py``) and evaluated by
:func:`predicates.predicate`, the Python reading of conditions that the decisions' what-ifs
already use and check against the engine. So a table row and a rule with the same ``when`` match
the same incidents: unknown facts never match a positive test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .predicates import predicate
from .rulebook import Rulebook
from .tables import STAFF_RULES, Row, Table


@dataclass(frozen=True)
class CompiledTable:
    table: Table
    predicates: tuple[Any, ...]
    reads: frozenset[str]     # the contract facts its rows look at

    def first(self, flat: dict[str, Any], chosen: dict[str, Row] | None = None) -> Row | None:
        """The first row whose conditions hold (``hit: first``), given the rows earlier tables chose."""
        for row, matches in zip(self.table.rows, self.predicates):
            if (not row.given or _given(row, chosen or {})) and matches(flat):
                return row
        return None


def _given(row: Row, chosen: dict[str, Row]) -> bool:
    for key, wanted in row.given.items():
        if key == STAFF_RULES:
            continue  # folded into the row's conditions at load
        name, _, output = key.partition(".")
        picked = chosen.get(name)
        if picked is None:
            return False
        if wanted != "any" and (picked.then.get(output) if output else picked.id) not in wanted:
            return False
    return True


class Tables:
    """Every table of a rulebook, compiled once. Safe to share between threads (read-only)."""

    def __init__(self, book: Rulebook):
        self.compiled = {table_id: _compile(table) for table_id, table in book.tables.items()}

    def __getitem__(self, table_id: str) -> CompiledTable:
        return self.compiled[table_id]

    def source(self, row: Row) -> str:
        """What a chosen row cites (its table's source first, when the table has one)."""
        return self.compiled[row.table].table.source_of(row)

    @staticmethod
    def fact(known: dict[str, Any], outcome: str | None = None) -> dict[str, Any]:
        """The facts the compiled rows read: the known facts and the staff rules' answer."""
        facts = dict(known)
        if outcome is not None:
            facts["outcome.recommendation"] = outcome
        return facts


def _compile(table: Table) -> CompiledTable:
    predicates: list[Any] = []
    read: set[str] = set()
    for row in table.rows:
        assert row.conditions is not None  # parsed at load, like a rule's
        predicates.append(predicate(row.conditions))
        read |= set(row.conditions.reads())
    return CompiledTable(table=table, predicates=tuple(predicates), reads=frozenset(read))
