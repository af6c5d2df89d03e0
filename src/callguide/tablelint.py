"""``callguide rules check`` for decision tables: every row can be chosen.

In a first-hit table a row can be shadowed: an earlier row holds whenever it does, so nobody ever
gets its words. For each row, callguide builds facts from the row's own conditions (and, for a row
``given`` an earlier table's choice, from the conditions of a row that makes that choice), tries
them with each staff answer and with one more fact the table reads (or a table its rows are
``given`` reads), runs the tables in order, and reports the row if it is never the one chosen.
"""

from __future__ import annotations

from typing import Any

from .facts import LEVEL_ORDER, allowed_values
from .rulebook import Rulebook
from .tablerun import Tables
from .tables import STAFF_RULES, Row
from .witness import witness


def table_problems(book: Rulebook) -> list[str]:
    """One line per row that can never be chosen; empty when every row can be."""
    tables = Tables(book)
    problems: list[str] = []
    for table in book.tables.values():
        for row in table.rows:
            if not _can_be_chosen(row, tables, book):
                problems.append(f"{row.file}:{row.line}: row {row.id}: can never be chosen "
                                f"(an earlier row of table {table.id} always holds first)")
    return problems


def _can_be_chosen(row: Row, tables: Tables, book: Rulebook) -> bool:
    # The facts this table reads, and those of the tables its rows are ``given`` (an earlier row of
    # this table may hold on their choice, such as "the handler still asks first").
    earlier = {key.partition(".")[0] for other in book.tables[row.table].rows for key in other.given} - {STAFF_RULES}
    reads = sorted(set(tables[row.table].reads).union(*(tables[name].reads for name in earlier))
                   - {"outcome.recommendation"})
    for base in _witnesses(row, book):
        tries = [base] + [{**base, path: value} for path in reads if path not in base or path == "incident.kind"
                          for value in (allowed_values(path) or [0, 1, 13, 18, 100, 1000])]
        for known in tries:
            for level in LEVEL_ORDER:
                if _chosen(row, tables, known, level.value):
                    return True
    return False


def _witnesses(row: Row, book: Rulebook, depth: int = 0) -> list[dict[str, Any]]:
    """Facts that satisfy the row's conditions, one set for each earlier row it may be ``given``."""
    own = witness(row, book)  # type: ignore[arg-type]  # a row has a rule's `when`
    if own is None:
        return []
    found = [own]
    for key, wanted in row.given.items():
        if key == STAFF_RULES:
            continue  # the staff rules' conditions are the row's own now (tables.fold_staff_rules)
        name, _, output = key.partition(".")
        makers = [r for r in book.tables[name].rows
                  if wanted == "any" or (r.then.get(output) if output else r.id) in wanted]
        found = [_merge(known, part) for known in found for maker in makers if depth < 3
                 for part in _witnesses(maker, book, depth + 1)]
    return found


def _merge(own: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    # the row's own kind is only a default ("other") unless its conditions name one
    return {**own, **given} if own.get("incident.kind") == "other" else {**given, **own}


def _chosen(row: Row, tables: Tables, known: dict[str, Any], staff: str) -> bool:
    flat = tables.fact(known, staff)
    chosen: dict[str, Row] = {}
    for table_id in tables.compiled:
        picked = tables[table_id].first(flat, chosen)
        if picked is not None:
            chosen[table_id] = picked
        if table_id == row.table:
            return picked is not None and picked.id == row.id
    return False
