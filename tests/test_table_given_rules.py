"""A call-check row ``given: {rules: [...]}`` holds where those staff rules hold (tables.fold_staff_rules).

The handler's words for something a staff rule decides (a gun; an adult from outside damaging
things now; someone nearby whom nobody has named) no longer copy the rule's conditions: a change
to the rule is a change to the row. These tests hold the rows to the engine, and the loader to
its refusals.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callguide.conditions import parse_when
from callguide.predicates import predicate
from callguide.review import table_section
from callguide.rulebook import RulebookError, load_rulebook
from callguide.tables import STAFF_RULES
from callguide.tablerun import Tables
from callguide.witness import witness

from strategies import known_facts


def _rows_given_rules(book):
    return [row for table in book.tables.values() for row in table.rows if STAFF_RULES in row.given]


def test_the_rulebook_gives_rows_staff_rules_instead_of_copies(book):
    given = {row.id: row.given[STAFF_RULES] for row in _rows_given_rules(book)}
    assert given["attend-firearm"] == ["firearm"]
    assert given["attend-adult-damaging-now-or-nearby"] == ["adult-from-outside-damaging-now-or-nearby"]
    assert given["say-adult-damaging-now-or-nearby"] == ["adult-from-outside-damaging-now-or-nearby"]
    assert given["risk-blackmail-over-images"] == ["sextortion-steps"]
    assert given["say-blackmail-over-images-teacher"] == ["sextortion-steps"]


def test_a_row_given_staff_rules_holds_exactly_where_the_engine_fires_one(book, decider):
    """For facts drawn around each rule (hypothesis): the row's compiled conditions hold exactly
    when its own ``when`` holds and the engine fires one of its rules on the same facts."""
    rows = _rows_given_rules(book)
    tables = Tables(book)
    compiled = {row.id: tables[row.table].predicates[tables[row.table].table.rows.index(row)] for row in rows}
    own = {row.id: predicate(parse_when(row.when, book.parameters)) if row.when else (lambda flat: True)
           for row in rows}
    near = {rule_id: witness(book.rule(rule_id), book) for row in rows for rule_id in row.given[STAFF_RULES]}
    assert all(facts is not None for facts in near.values())

    @settings(max_examples=250, deadline=None)
    @given(base=known_facts(), pick=st.integers(min_value=0), drop=st.integers(min_value=0))
    def check(base, pick, drop):
        rng = random.Random(drop)
        rule_id = sorted(near)[pick % len(near)]
        known = dict(base)
        if pick % 3:  # two draws in three start from facts the rule holds on, then lose some of them
            known.update(near[rule_id])
            for path in list(near[rule_id]):
                if rng.random() < 0.2:
                    known.pop(path, None)
        fired = set(decider.engine.fire(known).rules)
        flat = Tables.fact(known, decider.level(known).value)
        for row in rows:
            expected = own[row.id](flat) and any(r in fired for r in row.given[STAFF_RULES])
            assert compiled[row.id](flat) == expected, (row.id, known)

    check()


def test_the_review_pack_names_the_staff_rule_a_row_is_given(book):
    text = "\n".join(table_section(book.tables["call-police-response"], book))
    assert "the staff rule “A firearm is involved” (`firearm`) holds" in text


@pytest.mark.parametrize("old, new, message", [
    ("given: {rules: [firearm]}", "given: {rules: [firearms]}", "['firearms'] are not rules of the rulebook"),
    # a rule that reads what other rules derived cannot be folded into a row's conditions
    ("given: {rules: [firearm]}", "given: {rules: [missing-young-child]}", "reads derived findings"),
    ("given: {rules: [firearm]}", "given: {rules: any}", "takes a list of the staff rules' ids"),
    # a forgotten `when` would otherwise make the row a default that always holds
    ("given: {rules: [firearm]}", "given: {call-ask-first: any}", "needs 'when'"),
])
def test_a_row_given_staff_rules_wrongly_is_refused_with_file_line_and_row(edited_rules, old, new, message):
    rules = edited_rules("call-check.yaml", old, new)
    with pytest.raises(RulebookError) as error:
        load_rulebook(rules)
    assert re.match(r"call-check\.yaml:\d+: row attend-firearm", str(error.value)), str(error.value)
    assert message in str(error.value)


def test_a_change_to_a_staff_rule_is_a_change_to_the_row_given_it(edited_rules):
    """The row follows the rule it is given (here the gun rule narrowed to a gun in use now)."""
    rules = edited_rules("weapons.yaml", "      incident.weapon: firearm\n",
                         "      incident.weapon: firearm\n      incident.in_progress: true\n")
    book = load_rulebook(rules)
    row = next(r for r in book.tables["call-police-response"].rows if r.id == "attend-firearm")
    holds = predicate(row.conditions)
    assert holds({"incident.weapon": "firearm", "incident.in_progress": True})
    assert not holds({"incident.weapon": "firearm", "incident.in_progress": False})


def test_a_row_given_two_staff_rules_holds_where_either_does(edited_rules):
    rules = edited_rules("call-check.yaml", "given: {rules: [firearm]}",
                         "given: {rules: [firearm, adult-from-outside-damaging-now-or-nearby]}")
    book = load_rulebook(rules)
    holds = predicate(next(r for r in book.tables["call-police-response"].rows if r.id == "attend-firearm").conditions)
    assert holds({"incident.weapon": "firearm"})
    assert holds({"incident.kind": "disorder", "incident.harmed_by": "adult", "incident.suspect_present": True})
    assert not holds({"incident.kind": "disorder", "incident.harmed_by": "adult", "incident.suspect_present": False})
