"""`callguide rules diff` (issue 13, item 2): what a rule change would do, safety first."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner

from callguide.cli import main
from callguide.conditions import parse_when
from callguide.corpus import build_corpus, fact_values, kinds_reading
from callguide.facts import allowed_values
from callguide.rulebook import load_rulebook

ROOT = Path(__file__).resolve().parents[1]


def _copy(tmp_path: Path, name: str = "rules") -> Path:
    copy = tmp_path / name
    shutil.copytree(ROOT / "rules", copy)
    return copy


def _set_parameter(rules: Path, name: str, value: float) -> None:
    path = rules / "parameters.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data[name]["value"] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _remove_rule(rules: Path, file: str, rule_id: str) -> None:
    path = rules / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    before = len(data["rules"])
    data["rules"] = [rule for rule in data["rules"] if rule["id"] != rule_id]
    assert len(data["rules"]) == before - 1
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _remove_rows_given(rules: Path, rule_id: str) -> None:
    """The call-check rows given a staff rule go with it (the loader refuses a row given no rule)."""
    for path in rules.glob("call-check*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for table in data["tables"]:
            table["rows"] = [row for row in table["rows"] if rule_id not in row.get("given", {}).get("rules", [])]
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _diff(*args: str):
    return CliRunner().invoke(main, ["rules", "diff", *args], catch_exceptions=False)


def test_identical_rulebooks_report_no_change(tmp_path):
    result = _diff(str(ROOT / "rules"), str(_copy(tmp_path)), "--fail-on-lowered-safety")
    assert result.exit_code == 0, result.output
    assert "No change: the rules are the same and no answer changes." in result.output


def test_a_directory_against_the_rulebook_in_use_gets_its_pack(tmp_path):
    """``rules diff COPY`` (HEAD left out: the rules in use, with the default pack) compares like for
    like: an unchanged copy is "No change", not the area pack's rules and contacts listed as changes."""
    copy = _copy(tmp_path)
    result = _diff(str(copy), "--fail-on-lowered-safety")
    assert result.exit_code == 0, result.output
    assert "No change: the rules are the same and no answer changes." in result.output, result.output
    assert f"Base: {copy} (rulebook " in result.output and ", pack northamptonshire)" in result.output
    _set_parameter(copy, "low_value_damage_gbp", 20)
    rules_section = _diff(str(copy)).output.split("ANSWERS THAT CHANGE")[0]
    assert "parameter low_value_damage_gbp: 20.0 -> " in rules_section
    assert "contact changed" not in rules_section and "added:" not in rules_section, rules_section


def test_a_lower_damage_threshold_lists_the_damage_scenarios_that_move(tmp_path):
    head = _copy(tmp_path)
    value = load_rulebook(ROOT / "rules").parameters["low_value_damage_gbp"].value
    _set_parameter(head, "low_value_damage_gbp", 20)
    markdown = tmp_path / "review.md"
    result = _diff(str(ROOT / "rules"), str(head), "--markdown", str(markdown), "--fail-on-lowered-safety")
    assert result.exit_code == 0, result.output  # it raises advice; nothing about safety goes down
    assert f"parameter low_value_damage_gbp: {value} -> 20.0" in result.output
    assert "no_police -> report_later" in result.output
    assert "scenario broken-window-glass step 2" in result.output  # a window worth more than £20
    assert "low-value-damage-in-home" in result.output  # the rule that made the difference
    assert "[!]" not in result.output
    text = markdown.read_text(encoding="utf-8")
    assert text.startswith("# Rulebook change") and "### higher: no_police -> report_later" in text
    # Every sweep incident that moved is a damage, fire or theft incident (the kinds the threshold's
    # rules read: a sum taken at home is weighed against the same low-value line, small-theft-at-home).
    moved = [line for line in result.output.splitlines() if "e.g. sweep:" in line]
    assert moved and all(any(kind in line for kind in ("criminal_damage", "fire_setting", "theft")) for line in moved)


def test_removing_a_safety_rule_is_flagged_and_fails(tmp_path):
    head = _copy(tmp_path)
    _remove_rule(head, "weapons.yaml", "firearm")
    _remove_rows_given(head, "firearm")
    markdown = tmp_path / "review.md"
    result = _diff(str(ROOT / "rules"), str(head), "--fail-on-lowered-safety", "--markdown", str(markdown))
    assert result.exit_code == 1
    assert "removed: firearm" in result.output
    lines = result.output.splitlines()
    first_group = next(line for line in lines if "->" in line and "incidents)" in line)
    assert first_group.startswith("[!] LOWERS A 999 ANSWER: call_999 -> ")  # flagged first
    assert "scenario gun-in-bag-call-handler step" in result.output
    assert "a call_999 answer would go down" in result.output
    assert "LOWERS A 999 ANSWER" in markdown.read_text(encoding="utf-8")
    # Without the flag it reports, and exits 0.
    assert _diff(str(ROOT / "rules"), str(head)).exit_code == 0


@pytest.mark.parametrize("change", ["removed", "weakened"])
def test_a_safety_rule_removed_or_weakened_is_flagged_even_when_no_answer_in_the_corpus_moves(tmp_path, change):
    """serious-harm-in-progress is covered, for every incident in the corpus today, by the ambulance and
    danger rules; losing it must still be flagged and fail, since the corpus is not every incident."""
    head = _copy(tmp_path)
    if change == "removed":
        _remove_rule(head, "immediate-danger.yaml", "serious-harm-in-progress")
    else:
        path = head / "immediate-danger.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rule = next(r for r in data["rules"] if r["id"] == "serious-harm-in-progress")
        assert rule["then"]["strength"] == "safety"
        rule["then"].update(recommend="call_101", strength="firm")  # only safety rules may say call_999
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    markdown = tmp_path / "review.md"
    result = _diff(str(ROOT / "rules"), str(head), "--fail-on-lowered-safety", "--markdown", str(markdown))
    assert "[!] SAFETY RULE REMOVED OR WEAKENED: serious-harm-in-progress." in result.output
    assert "SAFETY RULE REMOVED OR WEAKENED: serious-harm-in-progress" in markdown.read_text(encoding="utf-8")
    assert result.exit_code == 1
    assert "a safety rule is removed or weakened" in result.output
    assert _diff(str(ROOT / "rules"), str(head)).exit_code == 0  # without the flag it reports, and exits 0


def test_going_below_a_firm_floor_is_flagged(tmp_path):
    head = _copy(tmp_path)
    path = head / "sexual-harm.yaml"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    rule = next(r for r in data["rules"] if r["id"] == "sexual-harm")
    assert rule["then"]["strength"] == "firm"
    rule["then"]["strength"] = "soft"  # the reasonable-parent ceiling may now lower it
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = _diff(str(ROOT / "rules"), str(head), "--fail-on-lowered-safety")
    assert "changed: sexual-harm" in result.output
    assert "[!] GOES BELOW A FIRM FLOOR: call_101 -> report_later" in result.output
    assert "decided before by: sexual-harm" in result.output
    assert result.exit_code == 0  # no 999 answer went down


def test_git_revisions_are_compared(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    _copy(repo)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "rules"], check=True)
    subprocess.run(git + ["commit", "-qm", "base"], check=True)
    subprocess.run(git + ["tag", "base"], check=True)
    _remove_rule(repo / "rules", "weapons.yaml", "firearm")
    _remove_rows_given(repo / "rules", "firearm")
    subprocess.run(git + ["commit", "-qam", "no firearm rule"], check=True)
    monkeypatch.chdir(repo)
    result = _diff("base", "HEAD", "--fail-on-lowered-safety")
    assert result.exit_code == 1, result.output
    assert "Base: base (" in result.output and "removed: firearm" in result.output
    assert _diff("base", "base").output.count("No change") == 1


def test_recorded_decisions_and_call_checks_are_read_without_changing_the_database(tmp_path):
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from callguide.records.models import Base, Record

    database = tmp_path / "records.db"
    engine = create_engine(f"sqlite:///{database}")
    Base.metadata.create_all(engine)
    facts = {"setting": {"type": "childrens_home", "location": "in_placement"},
             "incident": {"kind": "criminal_damage", "damage_value_gbp": 57, "child_calm_now": True}}
    with Session(engine) as session:
        session.add(Record(id="rec-1", kind="decision", created_at=dt.datetime.now(dt.timezone.utc),
                           rulebook="sha256:x", facts=facts, recommendation="no_police", rules=[],
                           decisive_rules=[]))
        check = {**facts, "response_so_far": {"behaviour_policy_followed": True}}  # a call check's own fact
        session.add(Record(id="rec-2", kind="call_check", created_at=dt.datetime.now(dt.timezone.utc),
                           rulebook="sha256:x", facts={**check, "incident": {**facts["incident"], "damage_value_gbp": 63}},
                           recommendation="no_police", rules=[], decisive_rules=[]))
        session.commit()
    engine.dispose()
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    head = _copy(tmp_path)
    _set_parameter(head, "low_value_damage_gbp", 20)
    result = _diff(str(ROOT / "rules"), str(head), "--database-url", f"sqlite:///{database}")
    assert result.exit_code == 0, result.output
    assert "2 record" in result.output and "e.g. record rec-1" in result.output
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before


def test_the_corpus_sweeps_each_value_around_each_threshold(decider):
    book = decider.book
    values = fact_values([decider])
    threshold = book.parameters["low_value_damage_gbp"].value
    assert {threshold - 1, threshold, threshold + 1} <= set(values["incident.damage_value_gbp"])
    assert {"none", "minor", "serious", "life_threatening"} <= set(values["incident.injury"])
    corpus, dropped = build_corpus([decider])
    # Up to 15,000: since held-out review 11 an adult by age gets an adult's steps (no Child
    # Information Form) in every kind, so the age is swept for every kind (13,086 then). Up to 16,000
    # since review 15 (15,119: a drugs fact, incident.drugs_supplied, and two scenarios). Up to 18,000
    # since review 16 (16,680: three sexual-harm facts, incident.coercion, incident.other_person_age and
    # person.may_lack_capacity, and two scenarios).
    assert 2_000 <= len(corpus) <= 18_000
    origins = {incident.origin for incident in corpus}
    assert origins == {"scenario", "sweep"}
    assert len({incident.known for incident in corpus}) == len(corpus)  # no duplicates


def test_a_numbers_cross_sweep_is_limited_to_the_kinds_whose_rules_read_it(book):
    """Read from the parsed conditions: is/in name kinds, not_in all but those, a rule without a
    kind test all of them; rules that do not read the number do not count."""
    every = set(allowed_values("incident.kind"))

    def rulebook(*whens: dict) -> SimpleNamespace:
        return SimpleNamespace(rules=[_rule(f"r{i}", when, book) for i, when in enumerate(whens)])

    damage = {"incident.damage_value_gbp": {"at_least": 10}}
    assert kinds_reading([rulebook({"incident.kind": "theft", **damage},
                                   {"any": [{"incident.kind": {"in": ["assault", "threats"]}}], **damage},
                                   {"incident.kind": "weapon", "incident.injury": "minor"})],
                         "incident.damage_value_gbp") == {"theft", "assault", "threats"}
    assert kinds_reading([rulebook({"incident.kind": {"not_in": ["theft"]}, **damage})],
                         "incident.damage_value_gbp") == every - {"theft"}
    assert kinds_reading([rulebook({"incident.kind": "theft", **damage}), rulebook(damage)],
                         "incident.damage_value_gbp") == every
    # An ``any`` whose other branch names no kind does not narrow the rule's kinds.
    assert kinds_reading([rulebook({"any": [{"incident.kind": "theft"}, {"incident.injury": "minor"}], **damage})],
                         "incident.damage_value_gbp") == every
    assert kinds_reading([book], "incident.damage_value_gbp") == {"criminal_damage", "fire_setting", "theft"}


def _rule(rule_id: str, when: dict, book, recommend: str | None = "report_later", derive: tuple = ()) -> SimpleNamespace:
    return SimpleNamespace(id=rule_id, conditions=parse_when(when, book.parameters),
                           then=SimpleNamespace(recommend=recommend, actions=[], derive=list(derive)))


def test_a_numbers_sweep_follows_findings_to_the_kinds_that_use_them(book):
    """A rule that only derives a finding matters for the kinds of the rules needing it; a rule
    that needs a finding can only fire for the kinds where it is derived (``young-adult`` reads
    the age for every kind, ``missing-young-child`` names no kind: both are about a missing child)."""
    age = {"person.age": {"at_least": 18}}
    only_derives = _rule("adult", age, book, recommend=None, derive=("adult",))
    uses_it_for_missing = _rule("uses", {"incident.kind": "missing", "derived": ["adult"]}, book)
    assert kinds_reading([SimpleNamespace(rules=[only_derives, uses_it_for_missing])], "person.age") == {"missing"}
    derives_for_theft = _rule("finding", {"incident.kind": "theft"}, book, recommend=None, derive=("found",))
    needs_it = _rule("needs", {"derived": ["found"], **age}, book)
    assert kinds_reading([SimpleNamespace(rules=[derives_for_theft, needs_it])], "person.age") == {"theft"}
    # The real rulebook: the missing rules read the age for their level, and since held-out review 11
    # the police steps (no Child Information Form for anyone 18 or over) read it for every kind.
    assert kinds_reading([book], "person.age") == set(allowed_values("incident.kind"))


def test_an_unknown_side_is_a_clear_error():
    result = _diff("no-such-revision-or-directory")
    assert result.exit_code == 2
    assert "neither a directory nor a git revision" in result.output


@pytest.mark.parametrize("flag", ["--head-pack", "--base-pack"])
def test_a_pack_can_be_compared_with_the_base(tmp_path, flag):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "parameters.yaml").write_text(
        "low_value_damage_gbp:\n  value: 10\n  reference: \"A test area's own figure\"\n", encoding="utf-8")
    result = _diff(str(ROOT / "rules"), str(ROOT / "rules"), flag, str(pack))
    assert "parameter low_value_damage_gbp" in result.output
    assert ("report_later -> no_police" if flag == "--base-pack" else "no_police -> report_later") in result.output


# -- the call check's decision tables and the vocabulary: part of the sha, so never "no change" ------
def _edit_row(rules: Path, file: str, row_id: str, **then: object) -> None:
    path = rules / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    row = next(r for table in data["tables"] for r in table["rows"] if r["id"] == row_id)
    row["then"].update(then)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_a_change_only_to_a_table_row_is_named_and_is_not_no_change(tmp_path):
    head = _copy(tmp_path)
    _edit_row(head, "call-check.yaml", "role-missing", role="not_known")
    markdown = tmp_path / "change.md"
    result = _diff(str(ROOT / "rules"), str(head), "--fail-on-lowered-safety", "--markdown", str(markdown))
    assert result.exit_code == 0, result.output  # no row that said call_999 says less
    assert "No change" not in result.output
    line = "table row changed: call-role/role-missing: The young person is missing or away (then.role)"
    assert f"  {line}" in result.output and f"- {line}" in markdown.read_text(encoding="utf-8")
    assert "[!]" not in result.output
    # the row still holds where it did, so no call chooses another row: its new output is named above
    assert "No call-check table chooses another row." in result.output
    assert load_rulebook(head).version != load_rulebook(ROOT / "rules").version  # the sha saw it too


def test_a_change_to_the_carers_steps_or_a_tables_own_source_is_named(tmp_path):
    """The carers' steps (call-home-steps, call-step-*) and the source every THRIVE row cites are rows
    and tables like the others: a change to them is named, never "no change"."""
    head = _copy(tmp_path)
    _edit_row(head, "call-check.yaml", "steps-manager-decides", expected=[])
    _edit_row(head, "call-check.yaml", "step-enquiries-child", note="Phone, friends and family tried.")
    path = head / "call-check-thrive.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(t for t in data["tables"] if t["id"] == "thrive-harm")["source"] = "College of Policing APP: THRIVE"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = _diff(str(ROOT / "rules"), str(head), "--fail-on-lowered-safety")
    assert result.exit_code == 0, result.output
    assert "No change" not in result.output
    for line in ("table row changed: call-home-steps/steps-manager-decides: Anything else outside an emergency "
                 "(then.expected)",
                 "table row changed: call-step-enquiries/step-enquiries-child: A child, with the Philomena form "
                 "(then.note)",
                 "table changed: thrive-harm: Harm: what harm is done, or likely? (source)"):
        assert f"  {line}\n" in result.output, line


def test_a_table_row_that_no_longer_says_999_is_flagged_and_fails(tmp_path):
    head = _copy(tmp_path)
    # Only the level: a new kind would leave the call script with nothing to say for the row, which
    # loading refuses (tables.check_answered), so the diff could not compare at all.
    _edit_row(head, "call-check.yaml", "attend-medical-emergency", level="call_101")
    result = _diff(str(ROOT / "rules"), str(head), "--fail-on-lowered-safety")
    assert result.exit_code == 1, result.output
    assert ("  [!] LOWERS A 999 ANSWER: table row changed: call-police-response/attend-medical-emergency: "
            "Someone needs an ambulance now (then.level)") in result.output
    assert "a call_999 answer would go down" in result.output


def test_a_change_only_to_the_vocabulary_is_named_and_is_not_no_change(tmp_path):
    head = _copy(tmp_path)
    path = head / "vocabulary.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["facts"]["incident.weapon"]["label"] = "Weapon or object"
    data["facts"]["incident.weapon"]["values"]["bladed"] = "A knife"
    data["levels"]["call_101"]["title"] = "Ring 101"
    before = data["settings"]["foster_care"]["manager"]
    data["settings"]["foster_care"]["manager"] = "your fostering social worker"
    data["deadlines"]["24h"] = "Within a day"
    data["care_leaver_staying"]["foster_care"]["plan"] = "staying put plan"
    data["call_check"]["responses"]["health_referral"]["label"] = "Health partners"
    data["call_check"]["phrases"]["ask_first_opening"] = "First, a few questions."
    data["call_check"]["facts"]["response_so_far.behaviour_policy_followed"]["ask"] = "Did you follow the policy?"
    data["asking"]["missing"]["not_asked"].remove("incident.weapon")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = _diff(str(ROOT / "rules"), str(head), "--fail-on-lowered-safety")
    assert result.exit_code == 0, result.output
    assert "No change" not in result.output
    for line in ("vocabulary changed: fact incident.weapon (label, values.bladed)",
                 "vocabulary changed: level call_101 (title)",
                 "vocabulary changed: deadline 24h: “Within 24 hours” -> “Within a day”",
                 f"vocabulary changed: setting foster_care manager: “{before}” -> “your fostering social worker”",
                 "vocabulary changed: care leaver staying in foster_care plan: “pathway plan” -> “staying put plan”",
                 "vocabulary changed: call check response health_referral (label)",
                 "vocabulary changed: call check phrase ask_first_opening: “Before I can advise, I need to ask you a "
                 "few things.” -> “First, a few questions.”",
                 "vocabulary changed: call check fact response_so_far.behaviour_policy_followed (ask)",
                 "vocabulary changed: asking for missing (not_asked)"):
        assert f"  {line}\n" in result.output
    assert "setting childrens_home" not in result.output  # only what changed
    assert "care leaver staying in foster_care manager" not in result.output  # the setting's word, named once


def test_table_rows_added_removed_moved_and_a_table_retitled_are_each_named(book):
    """By table id and row id; a row's position matters (the first row that holds decides), so a
    row moved among the rows on both sides is named, but not the rows merely pushed down by it."""
    from callguide.tablediff import compare_tables

    table = book.tables["thrive-threat"]
    first, second, *rest = table.rows
    new_row = first.model_copy(update={"id": "threat-new", "title": "A new row"})
    moved = table.model_copy(update={"title": "Threat now", "rows": (new_row, *rest[:3], first, *rest[3:])})
    lines = [change.line() for change in compare_tables(book.tables, {**book.tables, "thrive-threat": moved})]
    assert lines == ["table changed: thrive-threat: Threat now (title)",
                     f"table row added: thrive-threat/threat-new: A new row (row 1 of {len(table.rows)})",
                     f"table row removed: thrive-threat/{second.id} (was row 2)",
                     f"table row moved: thrive-threat/{first.id} (row 1 -> 5)"]
    gone = {key: value for key, value in book.tables.items() if key != "call-follow-up"}
    assert [change.line() for change in compare_tables(book.tables, gone)] == [
        f"table removed: call-follow-up: {book.tables['call-follow-up'].title} ({len(book.tables['call-follow-up'].rows)} rows)"]
    assert compare_tables(book.tables, dict(book.tables)) == []


def test_a_response_row_left_without_words_to_say_is_refused_not_a_crash_at_call_time(tmp_path):
    """The call script reads the police response's row (or its kind): a response row whose kind no
    script row answers would leave a handler's check with nothing to say, at decision time."""
    head = _copy(tmp_path)
    _edit_row(head, "call-check.yaml", "attend-medical-emergency", kind="non_emergency_attendance", level="call_101")
    result = CliRunner().invoke(main, ["rules", "check", str(head)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "call-check.yaml:" in result.output
    assert ("row attend-medical-emergency: table call-script has no row for it "
            "(a row with given: {call-police-response: [attend-medical-emergency]} and no 'when')") in result.output


# -- the call checks a change would move (checkdiff.py) ---------------------------------------------
def _edit_when(rules: Path, file: str, row_id: str, when: dict) -> None:
    path = rules / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(r for table in data["tables"] for r in table["rows"] if r["id"] == row_id)["when"] = when
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_a_call_that_would_lose_emergency_attendance_is_flagged_and_fails(tmp_path):
    """Dropping "the fire service is needed" from the fire row changes no staff answer (no staff rule
    reads it) and no row's level: only running the calls, with that fact varied, shows a fire call
    that would no longer get emergency attendance."""
    head = _copy(tmp_path)
    _edit_when(head, "call-check.yaml", "attend-fire", {"any": [
        {"incident.kind": "fire_setting", "incident.in_progress": True},
        {"incident.kind": "fire_setting", "call.people_inside": True},
        {"incident.kind": "fire_setting", "outcome.recommendation": "call_999"},
        {"incident.kind": "fire_setting", "incident.in_progress": {"known": False},
         "incident.risk_to_life": {"known": False}, "incident.child_calm_now": {"known": False}}]})
    result = _diff(str(ROOT / "rules"), str(head), "--fail-on-lowered-safety")
    assert result.exit_code == 1, result.output
    assert "ANSWERS THAT CHANGE: 0 OF" in result.output  # the staff rules' answers do not move
    assert "[!] LOWERS A 999 ANSWER: table row" not in result.output  # nor does the row's own level
    checks = result.output.split("CALL CHECKS THAT CHANGE")[1]
    assert "calls would no longer get emergency attendance: review these first." in checks
    assert "[!] NO LONGER EMERGENCY ATTENDANCE: call-police-response: attend-fire (emergency_attendance) -> " in checks
    assert "call.fire_service_needed=true" in checks
    assert "a call_999 answer would go down" in result.output


def test_a_rule_change_shows_the_call_checks_it_moves(tmp_path):
    """With the tables unchanged, a staff answer that moves still moves the rows that read it."""
    head = _copy(tmp_path)
    _set_parameter(head, "low_value_damage_gbp", 10)
    result = _diff(str(ROOT / "rules"), str(head))
    assert result.exit_code == 0, result.output
    checks = result.output.split("CALL CHECKS THAT CHANGE")[1]
    assert "No call-check table chooses another row." not in checks
    assert "call-police-response: " in checks and "[!]" not in checks
    assert "only the calls whose staff answer moves (and their call-only variations) were run" in checks
    # every incident whose answer moves is also run with each call-only fact varied (who is calling, ...)
    moved = int(re.search(r"ANSWERS THAT CHANGE: (\d+) OF", result.output).group(1))
    calls = int(re.search(r"CALL CHECKS THAT CHANGE: \d+ OF (\d+) CALLS", result.output).group(1))
    assert moved > 0 and calls >= 10 * moved, (moved, calls)


def test_no_change_runs_no_call_check():
    result = _diff(str(ROOT / "rules"), str(ROOT / "rules"))
    assert result.output.count("No change") == 1 and "CALL CHECKS" not in result.output


def test_a_table_only_one_side_has_is_a_rule_change_not_a_change_of_every_call(tmp_path):
    """The call-caller table came with the rule that a neighbour or the young person ringing is not
    asked the carers' steps: against a rulebook without it, every call had "changed" its row."""
    base = _copy(tmp_path, "base")
    path = base / "call-check.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["tables"] = [table for table in data["tables"] if table["id"] != "call-caller"]
    steps = next(table for table in data["tables"] if table["id"] == "call-home-steps")
    row = next(r for r in steps["rows"] if r["id"] == "steps-caller-not-the-carer")
    del row["given"]
    # the same callers as the call-caller table's "not asked" rows (a support worker is one of the carers)
    row["when"] = {"any": [{"call.caller": {"in": ["young_person", "member_of_public"]}},
                           {"call.caller": "other_professional", "call.professional": {"not": "support_worker"}}]}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = _diff(str(base), str(ROOT / "rules"))
    assert result.exit_code == 0, result.output
    assert "table added: call-caller" in result.output
    assert "CALL CHECKS THAT CHANGE: 0 OF" in result.output


def test_a_rulebook_older_than_a_fact_can_still_be_compared(tmp_path):
    """A rulebook written before the contract gained a fact has no words for it: `rules check` still
    refuses it, naming the fact, but `rules diff` compares it (the fact's words are listed as added)."""
    base = _copy(tmp_path)
    path = base / "vocabulary.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["facts"]["incident.drugs_supplied"]
    for asking in data.get("asking", {}).values():
        for field in ("first", "not_asked"):
            if "incident.drugs_supplied" in (asking.get(field) or []):
                asking[field].remove("incident.drugs_supplied")
        (asking.get("asks") or {}).pop("incident.drugs_supplied", None)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    for file in base.glob("*.yaml"):  # the older rulebook's rules cannot read the newer fact
        if "incident.drugs_supplied" in file.read_text(encoding="utf-8") and file.name != "vocabulary.yaml":
            _remove_rules_reading(file, "incident.drugs_supplied")
    checked = CliRunner().invoke(main, ["rules", "check", str(base)])
    assert checked.exit_code != 0 and "incident.drugs_supplied" in checked.output, checked.output
    result = _diff(str(base), str(ROOT / "rules"))
    assert result.exit_code == 0, result.output
    assert "vocabulary added: fact incident.drugs_supplied" in result.output, result.output


def _remove_rules_reading(path: Path, fact: str) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["rules"] = [rule for rule in data.get("rules", []) if fact not in yaml.safe_dump(rule)]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
