"""The call check's guidance and words live in the rulebook, under its sha, not in the code.

callcheck*.py only assemble the answer: which of the carers' steps are expected, each step's words
and source (rules/call-check.yaml: call-home-steps, call-step-*), the police responses' labels and
the fixed phrases (rules/vocabulary.yaml: call_check), and the source every THRIVE row cites (the
THRIVE tables' own source) all come from the rulebook, so a practitioner signing it off sees them and
``callguide rules diff`` reports a change to them.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import yaml

from callguide.callcheck import check_call
from callguide.decision import Decider
from callguide.rulebook import load_rulebook

ROOT = Path(__file__).resolve().parents[1]
CALL_CHECK_CODE = sorted((ROOT / "src" / "callguide").glob("callcheck*.py"))
# The most words a string in the call check's code may have: an id, a fact path or a table id is
# one word, a separator or a placeholder none; a label or a sentence a handler reads has two or more,
# and belongs in rules/ (every label and phrase callcheck*.py used to spell out has two or more).
MOST_WORDS = 1


def _skipped(tree: ast.AST) -> set[int]:
    """Strings that are not shown to a handler: docstrings, pydantic ``Field(description=...)`` (the
    API's documentation) and the messages of exceptions raised for a broken rulebook."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and body and isinstance(body[0], ast.Expr):
            skipped.add(id(body[0].value))
        parts: list[ast.AST] = []
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Field":
            parts = [keyword.value for keyword in node.keywords if keyword.arg == "description"]
        elif isinstance(node, ast.Raise) and node.exc is not None:
            parts = [node.exc]
        skipped.update(id(inner) for part in parts for inner in ast.walk(part))
    return skipped


def phrases(source: str, most: int = MOST_WORDS) -> list[str]:
    """The string literals (an f-string's literal parts together) of more than ``most`` words."""
    tree = ast.parse(source)
    skipped = _skipped(tree)
    texts: list[str] = []
    inside_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    for node in ast.walk(tree):
        if id(node) in skipped or id(node) in inside_fstrings:
            continue
        if isinstance(node, ast.JoinedStr):
            texts.append("".join(part.value for part in node.values
                                  if isinstance(part, ast.Constant) and isinstance(part.value, str)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
    return [text for text in texts if len([w for w in text.split() if re.search(r"[A-Za-z]", w)]) > most]


def test_the_scanner_finds_a_phrase_written_in_code():
    code = '''
"""A module docstring, however long it is."""
from pydantic import BaseModel, Field
LABELS = {"emergency_attendance": "Emergency attendance", "health_referral": "Referral to health partners"}
class Out(BaseModel):
    """A class docstring."""
    label: str = Field(description="Documentation for the API, not words for a handler.")
def why(kind, words):
    if kind is None:
        raise LookupError("a table without its default row")
    return f"The response could become {words[kind]}.", "; ".join(["a", "b"]), f"{kind} {words}"
'''
    assert phrases(code) == ["Emergency attendance", "Referral to health partners", "The response could become ."]


def test_no_handler_facing_phrase_is_written_in_the_call_check_code():
    assert len(CALL_CHECK_CODE) >= 2
    found = {path.name: phrases(path.read_text(encoding="utf-8")) for path in CALL_CHECK_CODE}
    assert not any(found.values()), (
        f"words a handler reads belong in rules/ (a call-check table, or call_check in vocabulary.yaml): {found}")


# -- the carers' steps are tables -----------------------------------------------------------------
def test_each_step_the_steps_table_can_expect_has_one_table_of_its_own(book):
    expecting = book.tables["call-home-steps"]
    assert expecting.rows[-1].when == {} and not expecting.rows[-1].given  # a default row: a call always gets one
    step_tables = [table for table_id, table in book.tables.items() if table_id.startswith("call-step-")]
    steps = [table.outputs["step"] for table in step_tables]
    assert all(len(step) == 1 for step in steps)
    assert [step[0] for step in steps] == expecting.outputs["expected"]  # one table a step, in the same order
    for table in step_tables:
        assert all(row.then["step"] == table.outputs["step"][0] for row in table.rows)
    # The enquiries are listed only for a missing young person: that table has no default row.
    assert all("incident.kind" in row.conditions.reads() for row in book.tables["call-step-enquiries"].rows)


def test_the_rulebook_decides_the_steps_labels_and_phrases(tmp_path):
    """Change the rulebook, not the code, and the call check changes with it."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    path = rules / "call-check.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = {row["id"]: row for table in data["tables"] for row in table["rows"]}
    rows["steps-manager-decides"]["then"]["expected"] = []
    rows["step-manager"]["then"]["note"] = "Talk it through with {words.manager_on_call}."
    rows["step-manager"]["source"] = "Protocol §8.2.3"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    path = rules / "vocabulary.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["call_check"]["responses"]["advice_and_signposting"]["label"] = "Advice only"
    data["call_check"]["phrases"]["why_step"] = "Expected before a call ({source})."
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    before, after = Decider(load_rulebook()), Decider(load_rulebook(rules))

    # Name-calling out in the community: a call about behaviour, but not where they live.
    community = {"incident": {"kind": "verbal_abuse", "in_progress": False, "risk_to_life": False, "injury": "none",
                              "harmed_by": "young_person"},
                 "setting": {"type": "foster_care", "location": "community"}}
    old, new = check_call(community, before), check_call(community, after)
    assert [s.step for s in old.home_steps if s.expected] == ["response_so_far.manager_consulted"]
    assert not any(s.expected for s in new.home_steps)
    manager = next(s for s in new.home_steps if s.step == "response_so_far.manager_consulted")
    assert (manager.note, manager.source) == ("Talk it through with the fostering service's out-of-hours line.",
                                             "Protocol §8.2.3")
    assert (old.police_response.label, new.police_response.label) == ("Advice and signposting", "Advice only")

    at_home = {"incident": {"kind": "criminal_damage", "damage_value_gbp": 40, "in_progress": False,
                            "risk_to_life": False, "injury": "none", "weapon": "none", "harmed_by": "young_person"},
               "setting": {"type": "childrens_home", "location": "in_placement"}}
    why = {q.fact: q.why for q in check_call(at_home, after).questions}
    assert why["response_so_far.de_escalation_tried"] == "Expected before a call (Protocol §5.2 (trauma informed); " \
                                                         "Protocol §8.1)."


def test_every_thrive_row_cites_its_tables_source_first(book, decider):
    check = check_call({"incident": {"kind": "theft", "in_progress": False, "risk_to_life": False}}, decider)
    for key in ("threat", "harm", "risk", "investigation", "vulnerability", "engagement"):
        table = book.tables[f"thrive-{key}"]
        assert table.source
        assert getattr(check.thrive, key).source.startswith(f"{table.source}; ")
