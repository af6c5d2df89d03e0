"""Running the rulebook's decision tables (``tables.py``) on known facts.

Each row's ``when`` is compiled by the rules' own compiler (the same JSON the engine gets) and
evaluated by :func:`compiler.predicate`, the Python reading of those conditions that the
decisions' what-ifs already use and test against the engine. So a table row and a rule with the
same ``when`` match the same incidents: unknown facts never match a positive test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .compiler import compile_rule, engine_fact, flat_fact, predicate, reads
from .rulebook import Rulebook
from .tables import Row, Table


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
        name, _, output = key.partition(".")
        picked = chosen.get(name)
        if picked is None or (picked.then.get(output) if output else picked.id) not in wanted:
            return False
    return True


class Tables:
    """Every table of a rulebook, compiled once. Safe to share between threads (read-only)."""

    def __init__(self, book: Rulebook):
        self.book = book
        self.compiled = {table_id: _compile(table, book) for table_id, table in book.tables.items()}

    def __getitem__(self, table_id: str) -> CompiledTable:
        return self.compiled[table_id]

    @staticmethod
    def fact(known: dict[str, Any], outcome: str | None = None) -> dict[str, Any]:
        """The flattened fact the compiled rows read: the known facts and the staff rules' answer."""
        facts = dict(known)
        if outcome is not None:
            facts["outcome.recommendation"] = outcome
        return flat_fact(engine_fact(facts))


def _compile(table: Table, book: Rulebook) -> CompiledTable:
    predicates: list[Any] = []
    read: set[str] = set()
    for row in table.rows:
        entries = compile_rule(row, book)["all"]  # type: ignore[arg-type]  # a row has a rule's `when`
        # The first term names the fact type (incident or outcome); a table row reads one merged fact.
        terms = [term for entry in entries for term in entry["m"]["$and"][1:]]
        predicates.append(predicate({"$and": terms}) if terms else (lambda f: True))
        read |= {path.removesuffix("_level") for path in reads(terms)}
    return CompiledTable(table=table, predicates=tuple(predicates), reads=frozenset(read))
