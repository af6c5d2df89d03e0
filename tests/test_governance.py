"""Review and sign-off, and area packs (issue 13, items 3 and 4)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient

from callguide.callcheck import check_call
from callguide.cli import main
from callguide.decision import Decider
from callguide.releases import load_signoffs
from callguide.rulebook import RulebookError, load_rulebook
from callguide.service import create_app
from servers import free_port, serve_command, server_env, serving

ROOT = Path(__file__).resolve().parents[1]
WINDOW = {"setting": {"type": "childrens_home", "location": "in_placement"},
          "incident": {"kind": "criminal_damage", "damage_value_gbp": 40, "child_calm_now": True,
                       "injury": "none", "weapon": "none"}}


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy)
    return copy


def _sign_off(rules: Path, sha: str, **extra: object) -> None:
    entry = {"version": "test-1", "rulebook": sha, "date": "2026-01-15",
             "reviewed_by": ["registered manager", "call handler supervisor"], "notes": "a test sign-off", **extra}
    (rules / "releases.yaml").write_text(yaml.safe_dump({"releases": [entry]}), encoding="utf-8")


def _committed_copy(tmp_path: Path) -> tuple[Path, Path, str]:
    """A git repository holding a copy of the rules, committed as signed off: (repo, rules, sha)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    rules = _copy(repo)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "rules"], check=True)
    subprocess.run(git + ["commit", "-qm", "signed off"], check=True)
    return repo, rules, load_rulebook(rules, pack=None).version


def _review_against_the_sign_off(repo: Path, rules: Path, signed: str, monkeypatch) -> None:
    """Record the committed sha as signed off, and point the CLI at the (since edited) copy."""
    _sign_off(rules, signed, commit="HEAD")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("CALLGUIDE_RULES", str(rules))
    monkeypatch.setenv("CALLGUIDE_PACK", "none")


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# -- sign-off ---------------------------------------------------------------------------------------
def test_the_shipped_rulebook_has_no_sign_off_and_every_answer_says_so(decider):
    assert load_signoffs(ROOT / "rules" / "releases.yaml") == []  # nobody has reviewed it: none invented
    decision = decider.decide(WINDOW)
    assert decision.rulebook == decider.book.version
    assert decision.rulebook_release.model_dump() == {"version": "unreviewed", "reviewed": False, "reviewed_on": None}
    check = check_call({"incident": {"kind": "assault"}}, decider)
    assert check.rulebook_release.reviewed is False and check.rulebook == decider.book.version


def test_signing_off_a_copy_makes_its_answers_reviewed_without_changing_its_sha(tmp_path):
    rules = _copy(tmp_path)
    before = load_rulebook(rules, pack=None)
    assert before.release.reviewed is False
    _sign_off(rules, before.version)
    after = load_rulebook(rules, pack=None)
    assert after.version == before.version  # releases.yaml is not part of the sha
    decision = Decider(after).decide(WINDOW)
    assert decision.rulebook_release.model_dump(mode="json") == {
        "version": "test-1", "reviewed": True, "reviewed_on": "2026-01-15"}
    # Any change to the rules is a different rulebook: the sign-off no longer applies.
    (rules / "parameters.yaml").write_text((rules / "parameters.yaml").read_text() + "\n# edited\n")
    assert load_rulebook(rules, pack=None).release.reviewed is False


def test_a_sign_off_must_name_an_exact_sha(tmp_path):
    rules = _copy(tmp_path)
    _sign_off(rules, "sha256:" + "0" * 64)
    assert load_rulebook(rules, pack=None).release.reviewed is False
    _sign_off(rules, "latest")
    with pytest.raises(RulebookError, match=r"releases.yaml: sign-off 1: rulebook"):
        load_rulebook(rules, pack=None)


def test_the_pages_show_a_calm_notice_only_when_unreviewed(tmp_path, decider):
    with TestClient(create_app(decider)) as client:
        page = client.get("/should-i-call").text
        assert 'data-rulebook-reviewed="false"' in page and "has not yet been reviewed" in page
        assert client.get("/v1/rules").json()["rulebook_release"]["reviewed"] is False
    rules = _copy(tmp_path)
    _sign_off(rules, load_rulebook(rules, pack=None).version)
    with TestClient(create_app(Decider(load_rulebook(rules, pack=None)))) as client:
        assert "has not yet been reviewed" not in client.get("/should-i-call").text
        body = client.post("/v1/decisions", json=WINDOW).json()
        assert body["rulebook_release"] == {"version": "test-1", "reviewed": True, "reviewed_on": "2026-01-15"}


# -- review pack ------------------------------------------------------------------------------------
def test_the_review_pack_lists_every_rule_in_plain_words(tmp_path, book):
    listed = [line.split()[0] for line in _run("rules", "list").output.splitlines()]
    out = tmp_path / "review.md"
    result = _run("rules", "review", "--markdown", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert listed and all(f"(`{rule_id}`)" in text for rule_id in listed)
    assert "**not reviewed**" in text and "No version has been signed off yet" in text
    assert f"`{book.version}`" in text
    section = text.split("(`reasonable-parent-test`)")[1].split("\n### ")[0]
    assert "**When it applies**" in section and "“Is the young person calm now, and has the immediate risk passed?”: yes" in section
    assert "no higher than this" in section  # how strongly: a ceiling
    assert "> “Police should not be called for matters where a reasonable parent would not call the police” (Protocol §8.1)" in section
    assert "**Scenarios that show it:** `" in section
    for title in book.themes.values():
        assert f"## {title} (`" in text


def test_the_review_pack_words_every_kind_of_condition(book):
    """From the parsed conditions: a fact's tests on one line, parameters named with their unit,
    derived findings with the rules that find them, ``any`` groups joined by OR."""
    from callguide.conditions import parse_when
    from callguide.review import when_words

    conditions = parse_when({
        "derived": ["home_matter"], "incident.kind": "criminal_damage",
        "incident.damage_value_gbp": {"at_least": 10, "at_most": "param.low_value_damage_gbp"},
        "any": [{"incident.victim": {"in": ["staff", "carer"]}, "incident.weapon": {"known": False}},
                {"incident.in_progress": {"not": True}}],
        "person.age": {"not_in": [10, 11]}}, book.parameters)
    ask = {path: f"“{book.questions[path].ask}”" for path in book.questions}
    limit = book.parameters["low_value_damage_gbp"]
    assert when_words(conditions, book, {"home_matter": ["rule-a", "rule-b"]}) == [
        "another rule found “home matter” (rule-a, rule-b)",
        "the incident is criminal damage",
        f"{ask['incident.damage_value_gbp']}: at least 10 and at most {limit.value:g} {limit.unit} "
        "(parameter low_value_damage_gbp)",
        f"at least one of: ({ask['incident.victim']}: one of staff, carer; {ask['incident.weapon']}: not known) "
        f"OR ({ask['incident.in_progress']}: anything but yes (not knowing included))",
        f"{ask['person.age']}: none of 10, 11 (not knowing included)"]


def test_the_review_pack_shows_the_changes_since_the_last_sign_off(tmp_path, monkeypatch):
    repo, rules, signed = _committed_copy(tmp_path)
    data = yaml.safe_load((rules / "parameters.yaml").read_text(encoding="utf-8"))
    line = float(data["low_value_damage_gbp"]["value"])
    data["low_value_damage_gbp"]["value"] = 20
    (rules / "parameters.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    _review_against_the_sign_off(repo, rules, signed, monkeypatch)
    out = tmp_path / "review.md"
    assert _run("rules", "review", "--markdown", str(out)).exit_code == 0
    changes = out.read_text(encoding="utf-8").split("## Changes since the last sign-off")[1].split("\n## ")[0]
    assert "Since test-1 (2026-01-15, commit `HEAD`)" in changes
    assert f"parameter low_value_damage_gbp: {line} -> 20.0" in changes
    assert "no_police -> report_later" in changes


def test_the_review_pack_shows_each_decision_table_row_in_plain_words(book):
    """The call check's tables are part of the signed-off sha: each row is in the pack, its
    conditions in the same words as the rules' (review.when_words), its outcome, why and source."""
    result = _run("rules", "review", "--markdown", "-")
    assert result.exit_code == 0, result.output
    text = result.output
    tables = text.split("## The call check's decision tables")[1].split("\n## ")[0]
    for table in book.tables.values():
        assert f"### {table.title} (`{table.id}`)" in tables
        assert all(f"`{row.id}`" in tables for row in table.rows)
    headings = [line for line in tables.splitlines() if line.startswith("#### ")]
    assert len(headings) == sum(len(table.rows) for table in book.tables.values()) > 100  # one per row
    fire = tables.split("(`attend-fire`)")[1].split("\n#### ")[0]
    ask = {path: f"“{question.ask}”" for path, question in book.questions.items()}
    assert "#### 1. A fire that needs the fire service (`attend-fire`)" in tables
    assert f"at least one of: ({ask['call.fire_service_needed']}: yes) OR (the incident is fire setting; " \
           f"{ask['incident.in_progress']}: yes)" in fire
    assert "- police response: emergency attendance\n- level: call 999\n" in fire
    assert "- headline: “Emergency: a fire. Fire service now, and officers attend.”" in fire
    assert "**Source:** Police.uk 'When to call 999' (someone is in danger)" in fire
    say = tables.split("(`say-fire`)")[1].split("\n#### ")[0]
    assert "- the table “The police response the guidance points to” chose police response: emergency attendance" in say
    assert "- say to the caller: “Get everyone out now, and do not go back in for anything.” “The fire service" in say
    # The carers' steps: which are expected (asked as the vocabulary asks them), "none", and "any" row chosen.
    steps = tables.split("(`call-home-steps`)")[1].split("\n### ")[0]
    asking = steps.split("(`steps-not-while-asking-first`)")[1].split("\n#### ")[0]
    assert f"- the table “{book.tables['call-ask-first'].title}” chose any of its rows" in asking
    assert "- the carers' steps expected (asked about when not said): none\n" in asking
    policy = book.vocabulary.fact("response_so_far.behaviour_policy_followed").ask
    assert f"“{policy}”" in steps.split("(`steps-behaviour-where-they-live`)")[1].split("\n#### ")[0]
    threat = tables.split("(`thrive-threat`)")[1].split("\n#### ")[0]
    assert f"Every row also cites, before its own source: {book.tables['thrive-threat'].source}." in threat
    assert "**When it holds:** always, when no row above holds (the table's default)." in \
        tables.split("`threat-none-now`")[1].split("\n#### ")[0]
    # Text a setting changes is shown in the words used when the setting is not known, in italics.
    assert "{words." not in text and "{Words." not in text
    manager = book.vocabulary.settings["unknown"]["manager_on_call"]
    assert f"*{manager}*" in tables


def test_the_review_pack_shows_the_vocabulary(book):
    text = _run("rules", "review", "--markdown", "-").output
    words = text.split("## The words callguide uses (`vocabulary.yaml`)")[1].split("\n## ")[0]
    weapon = book.vocabulary.facts["incident.weapon"]
    assert (f"- **{weapon.label}** (`incident.weapon`): asked “{weapon.ask}”; answers: none “{weapon.values['none']}”; "
            f"improvised “{weapon.values['improvised']}”; bladed “{weapon.values['bladed']}”") in words
    assert all(f"(`{path}`)" in words for path in book.vocabulary.facts)
    assert "- **call 999** (`call_999`): page title “Call 999 now”; banner “CALL 999 NOW”" in words
    assert "- `next working day`: “Next working day”" in words
    foster = words.split("#### Foster care (`foster_care`)")[1].split("\n#### ")[0]
    assert f"- manager: “{book.vocabulary.settings['foster_care']['manager']}”" in foster
    assert "#### Children's home (`childrens_home`)" in words and "(`unknown`)" in words
    staying = words.split("#### A care leaver staying in foster care (`care_leaver_staying.foster_care`)")[1]
    assert "- plan: “pathway plan”" in staying.split("\n#### ")[0]
    call = words.split("### The call handler's check (`call_check`)")[1]
    checks = book.vocabulary.call_check
    assert all(f"- `{kind}`: “{texts.label}”" in call for kind, texts in checks.responses.items())
    assert "- `health_referral`: “Referral to health partners (Right Care, Right Person)”; could become “a referral " \
           "to health partners”" in call
    assert all(f"“{text}”" in call for text in checks.phrases.values())
    assert "(`response_so_far.behaviour_policy_followed`): asked “Have you followed" in call


def test_the_changes_since_the_last_sign_off_name_table_rows_and_words(tmp_path, monkeypatch):
    repo, rules, signed = _committed_copy(tmp_path)
    path = rules / "call-check.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    row = next(r for table in data["tables"] for r in table["rows"] if r["id"] == "follow-up-repeat-pattern")
    row["then"]["follow_up"] = "Pass to the neighbourhood team: a pattern that has not changed."
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    vocabulary = rules / "vocabulary.yaml"
    vocabulary.write_text(vocabulary.read_text(encoding="utf-8").replace('label: "Weapon"', 'label: "A weapon"'),
                          encoding="utf-8")
    _review_against_the_sign_off(repo, rules, signed, monkeypatch)
    text = _run("rules", "review", "--markdown", "-").output
    changes = text.split("## Changes since the last sign-off")[1].split("\n## ")[0]
    assert "No change" not in changes
    assert "- table row changed: call-follow-up/follow-up-repeat-pattern: A pattern the carers' work has not " \
           "changed (then.follow_up)" in changes
    assert "- vocabulary changed: fact incident.weapon (label)" in changes
    assert "- **A weapon** (`incident.weapon`)" in text  # and the pack shows the new words


# -- area packs --------------------------------------------------------------------------------------
def _pack(tmp_path: Path, parameters: str) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "parameters.yaml").write_text(parameters, encoding="utf-8")
    return pack


def test_a_pack_that_lowers_the_damage_threshold_raises_a_40_pound_window(tmp_path):
    base = load_rulebook(ROOT / "rules", pack=None)
    pack = _pack(tmp_path, "low_value_damage_gbp:\n  value: 10\n"
                           "  reference: \"Agreed locally for this test area\"\n")
    local = load_rulebook(ROOT / "rules", pack=pack)
    before, after = Decider(base).decide(WINDOW), Decider(local).decide(WINDOW)
    assert before.recommendation.value == "no_police"
    assert after.recommendation.rank > before.recommendation.rank
    assert after.rulebook != before.rulebook and local.pack == "pack"
    assert local.parameters["low_value_damage_gbp"].unit == base.parameters["low_value_damage_gbp"].unit
    # The same pack through the command line and the environment.
    facts = tmp_path / "window.yaml"
    facts.write_text(yaml.safe_dump(WINDOW))
    assert '"recommendation": "no_police"' in _run("decide", "--json", "--pack", "none", str(facts)).output
    assert '"recommendation": "no_police"' not in _run("decide", "--json", "--pack", str(pack), str(facts)).output


def test_serve_takes_the_pack_from_its_option_for_every_worker(tmp_path):
    """Issue 13: the pack is chosen with CALLGUIDE_PACK or --pack, the service included; a pack that
    is not a directory stops it with one line (it was a traceback from the rulebook snapshot)."""
    pack = _pack(tmp_path, "low_value_damage_gbp:\n  value: 10\n  reference: \"Agreed locally for this test area\"\n")
    with serving(tmp_path, "--pack", str(pack), "--workers", "2",
                 env=server_env(CALLGUIDE_DATABASE_URL=f"sqlite:///{tmp_path / 'records.db'}")) as served:
        bodies = [httpx.post(f"{served.base}/v1/decisions", json=WINDOW, timeout=30).json() for _ in range(4)]
    local = load_rulebook(ROOT / "rules", pack=pack).version
    assert {body["rulebook"] for body in bodies} == {local}
    assert {body["recommendation"] for body in bodies} == {"report_later"}  # no_police under the base
    for option, env in ((["--pack", str(tmp_path / "no-such-pack")], {}),
                        ([], {"CALLGUIDE_PACK": str(tmp_path / "no-such-pack")})):
        result = subprocess.run(serve_command(free_port(), *option), env=server_env(**env), cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 1, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"callguide: the rulebook cannot be used: area pack {tmp_path / 'no-such-pack'}: not a directory"]


def test_a_changed_value_needs_its_own_reference(tmp_path):
    pack = _pack(tmp_path, "low_value_damage_gbp:\n  value: 10\n")
    with pytest.raises(RulebookError, match="pack/parameters.yaml:2: parameter low_value_damage_gbp: a changed value needs its own reference"):
        load_rulebook(ROOT / "rules", pack=pack)


def test_pack_rules_replace_by_id_or_are_added(tmp_path, book):
    pack = _pack(tmp_path, "")
    base = load_rulebook(ROOT / "rules", pack=None)
    original = base.rule("reasonable-parent-test")
    replaced = {**original.model_dump(mode="json", exclude={"theme", "file", "line"}), "title": "Local wording of the test"}
    added = {"id": "local-extra-action", "title": "A local action", "when": {"incident.kind": "theft"},
             "then": {"actions": [{"id": "tell-local-team", "what": "Tell the local team.", "by": "next working day",
                                   "source": "A local procedure"}]},
             "because": "The area asks for this after every theft.", "source": "A local procedure"}
    (pack / "local.yaml").write_text(yaml.safe_dump({"theme": "local", "title": "Local rules",
                                                     "rules": [replaced, added]}, allow_unicode=True))
    local = load_rulebook(ROOT / "rules", pack=pack)
    assert len(local.rules) == len(base.rules) + 1
    ids = [r.id for r in local.rules]
    assert ids.index("reasonable-parent-test") == [r.id for r in base.rules].index("reasonable-parent-test")
    assert local.rule("reasonable-parent-test").title == "Local wording of the test"
    assert local.rule("local-extra-action").file == "pack/local.yaml"
    decision = Decider(local).decide({"incident": {"kind": "theft"}})
    assert "tell-local-team" in [a.id for a in decision.actions]


def test_a_pack_gives_a_shared_action_in_its_own_words_for_every_rule_that_uses_it(tmp_path):
    """A pack's actions.yaml was skipped without a word; now it lays the area's words over the base's
    shared actions (naming its own team), with their own source, and counts in the rulebook's sha."""
    pack = _pack(tmp_path, "")
    local_words = "Tell the Northshire safeguarding hub now, on the number in your local procedures."
    (pack / "actions.yaml").write_text(yaml.safe_dump({"actions": {"safeguarding-referral": {
        "what": local_words, "by": "now", "source": "Northshire local safeguarding procedures"}}}))
    base = load_rulebook(ROOT / "rules", pack=None)
    local = load_rulebook(ROOT / "rules", pack=pack)
    users = [rule.id for rule in base.rules if any(a.id == "safeguarding-referral" for a in rule.then.actions)]
    assert len(users) >= 2
    for rule_id in users:
        action = next(a for a in local.rule(rule_id).then.actions if a.id == "safeguarding-referral")
        assert action.what == local_words and action.source == "Northshire local safeguarding procedures"
    (tmp_path / "other").mkdir()
    assert local.version != load_rulebook(ROOT / "rules", pack=_pack(tmp_path / "other", "")).version


@pytest.mark.parametrize("actions, refusal", [
    # new words under the national source: the national guidance does not say the area's words
    ({"safeguarding-referral": {"what": "Tell the local hub now.", "by": "now", "source": "SOURCE"}},
     r"pack/actions.yaml:\d+: shared action safeguarding-referral: the area's words need their own source"),
    ({"tell-local-hub": {"what": "Tell the local hub.", "by": "now", "source": "Local procedures"}},
     r"pack/actions.yaml:\d+: shared action tell-local-hub is used by no rule"),
    # validated where it is written: the error names the pack's file, not a national rule using it
    ({"safeguarding-referral": {"what": "Tell the local hub.", "by": "today", "source": "Local procedures"}},
     r"pack/actions.yaml:\d+: shared action safeguarding-referral: by: Input should be"),
])
def test_a_pack_action_is_refused_with_its_file_and_line(tmp_path, actions, refusal):
    base = yaml.safe_load((ROOT / "rules" / "actions.yaml").read_text(encoding="utf-8"))["actions"]
    for body in actions.values():
        if body["source"] == "SOURCE":
            body["source"] = base["safeguarding-referral"]["source"]
    pack = _pack(tmp_path, "")
    (pack / "actions.yaml").write_text(yaml.safe_dump({"actions": actions}))
    with pytest.raises(RulebookError, match=refusal):
        load_rulebook(ROOT / "rules", pack=pack)


def test_a_step_carries_the_areas_contacts_for_it(book, tmp_path):
    """contacts.yaml says which steps each contact is for; the decision's step carries it (without
    a number the area has not confirmed), and a contact for a step no rule gives is refused."""
    facts = {"incident": {"kind": "exploitation"}, "person": {"age": 15, "exploitation_concern": True}}
    steps = {a.id: a for a in Decider(book).decide(facts).actions}
    assert [c.name for c in steps["exploitation-hub"].contacts] == ["Northamptonshire Police Child Exploitation Hub"]
    assert steps["exploitation-hub"].contacts[0].phone is None
    assert all(a.contacts is None for a in Decider(load_rulebook(ROOT / "rules", pack=None)).decide(facts).actions)
    pack = _pack(tmp_path, "")
    (pack / "contacts.yaml").write_text(yaml.safe_dump({"area": "Test", "contacts": {"hub": {
        "name": "The test hub", "source": "A local procedure", "actions": ["exploitation-hubb"]}}}))
    with pytest.raises(RulebookError, match=r"pack/contacts.yaml: contact hub: actions: \['exploitation-hubb'\] are not steps"):
        load_rulebook(ROOT / "rules", pack=pack)


def test_the_default_pack_is_northamptonshire_with_its_contacts(book, monkeypatch):
    assert book.pack == "northamptonshire"
    assert {"out_of_hours_social_care", "missing_person_coordinator", "police_non_emergency"} <= set(book.contacts)
    assert book.version != load_rulebook(ROOT / "rules", pack=None).version  # the sha covers the pack
    monkeypatch.setenv("CALLGUIDE_PACK", "none")
    assert load_rulebook().pack == ""
    with TestClient(create_app(Decider(book))) as client:
        body = client.get("/v1/contacts").json()
        assert body["pack"] == "northamptonshire" and body["contacts"]["police_non_emergency"]["phone"] == "101"
        assert body["contacts"]["out_of_hours_social_care"]["phone"] is None  # not guessed
        rule = client.get("/v1/rules/reasonable-parent-test").json()
        assert {"document": "protocol", "section": "8.1",
                "text": "Police should not be called for matters where a reasonable parent would not call the police"} in rule["quotes"]


def test_the_national_base_alone_passes_rules_check_and_its_scenarios():
    check = _run("rules", "check", "--pack", "none")
    assert check.exit_code == 0, check.output
    assert "(national base alone)" in check.output and "release: not reviewed" in check.output
    scenarios = _run("scenarios", "run", "--pack", "none")
    assert scenarios.exit_code == 0, scenarios.output
    coverage = _run("rules", "coverage", "--pack", "none").output
    assert f"rules exercised by {len(list((ROOT / 'scenarios').glob('*.yaml')))} scenarios" in coverage


def test_rules_check_reports_a_misquote_in_a_pack(tmp_path):
    pack = _pack(tmp_path, "")
    (pack / "contacts.yaml").write_text(yaml.safe_dump({"contacts": {"police_non_emergency": {
        "name": "Police non-emergency", "phone": "101",
        "source": "Protocol §8.3 ('call handlers will ask no questions')"}}}))
    result = _run("rules", "check", "--pack", str(pack))
    assert result.exit_code == 1
    assert "contacts.yaml: " in result.output and "is not in Protocol §8.3" in result.output


def test_northamptonshires_arrangements_are_in_its_pack_not_the_national_base():
    """Issue 13: the 3-day Child Information Form timing and the Youth Violence Intervention Unit are
    Northamptonshire's (Protocol §8.3); the national base says what the national guidance says."""
    facts = {"setting": {"type": "childrens_home", "location": "community"},
             "incident": {"kind": "weapon", "weapon": "bladed", "in_progress": False, "risk_to_life": False,
                          "injury": "none", "child_calm_now": True,
                          "harmed_by": "young_person"}}  # the Child Information Form is for a suspect (review whodid17)
    local = {a.id for a in Decider(load_rulebook()).decide(facts).actions}
    national = {a.id for a in Decider(load_rulebook(None, None)).decide(facts).actions}
    assert {"child-information-3-days", "yviu-engagement"} <= local
    assert not {"child-information-3-days", "yviu-engagement"} & national
    assert "child-information-rest" in national and "child-information-rest" not in local
    base_sources = " ".join(rule.source + " ".join(a.source for a in rule.then.actions)
                            for rule in load_rulebook(None, None).rules)
    assert "Youth Violence Intervention Unit" not in base_sources and "within 3 days" not in base_sources


def _table_pack(tmp_path: Path, rows: list[dict], script: list[dict] | None = None) -> Path:
    pack = _pack(tmp_path, "")
    tables = [{"id": "call-police-response", "rows": rows}]
    tables += [{"id": "call-script", "rows": [LOCAL_SCRIPT] if script is None else script}] if script != [] else []
    (pack / "local-call-check.yaml").write_text(yaml.safe_dump(
        {"title": "Local call check", "tables": tables}, allow_unicode=True))
    return pack


LOCAL_ROW = {"id": "local-missing-hub", "before": "missing-child", "when": {"incident.kind": "missing", "setting.out_of_county": True},
             "then": {"kind": "missing_person_process", "level": "call_101",
                      "headline": "Take a missing-person report and tell the area's missing hub.",
                      "what_happens": "The report goes to the local missing hub as well as the placing area."},
             "because": "The area's missing hub follows up every child placed here from another area.",
             "source": "A local missing-from-care procedure"}
LOCAL_SCRIPT = {"id": "say-local-missing-hub", "before": "say-missing-child-not-carer", "when": {},
                "given": {"call-police-response": ["local-missing-hub"]},
                "then": {"say": ["I'll take a missing-person report now and pass it to our missing hub.",
                                 "Ring 999 at once if you become worried for their safety right now."]},
                "because": "The area's missing hub follows up every child placed here from another area.",
                "source": "A local missing-from-care procedure"}


def test_a_pack_changes_call_check_rows_by_id_or_adds_them_before_a_named_row(tmp_path, book):
    """An area may say how its own force answers a call: the call check lives in the rulebook's
    tables, so a pack changes their rows as it changes rules (checked as the base's)."""
    base = load_rulebook(ROOT / "rules", pack=None)
    replaced = {**base.tables["call-police-response"].rows[-1].model_dump(
        mode="json", include={"id", "when", "then", "because", "source"})}
    replaced["then"] = {**replaced["then"], "headline": "Give advice locally: no officer is needed for this."}
    pack = _table_pack(tmp_path, [LOCAL_ROW, replaced])
    local = load_rulebook(ROOT / "rules", pack=pack)
    ids = [r.id for r in local.tables["call-police-response"].rows]
    assert ids.index("local-missing-hub") == ids.index("missing-child") - 1
    assert len(ids) == len(base.tables["call-police-response"].rows) + 1
    assert local.tables["call-police-response"].rows[-1].file == "pack/local-call-check.yaml"
    assert local.version != base.version
    away = {"person": {"age": 15}, "setting": {"type": "childrens_home", "out_of_county": True},
            "incident": {"kind": "missing"}, "missing": {"whereabouts_known": False}}
    answer = check_call(away, Decider(local))
    assert answer.police_response.rule == "local-missing-hub"
    assert answer.headline.startswith("Take a missing-person report and tell")
    assert answer.say_to_caller[0] == "I'll take a missing-person report now and pass it to our missing hub."
    assert check_call(away, Decider(base)).police_response.rule == "missing-child"
    calm = {"incident": {"kind": "verbal_abuse", "victim": "none", "child_calm_now": True, "in_progress": False},
            "setting": {"type": "foster_care"}}
    assert check_call(calm, Decider(base)).police_response.rule == "advice-as-a-parent"
    assert check_call(calm, Decider(local)).headline == "Give advice locally: no officer is needed for this."


@pytest.mark.parametrize("rows, error", [
    ([{**LOCAL_ROW, "before": None}], r"local-call-check.yaml:\d+: row local-missing-hub: a new row says which row it goes before"),
    ([{**LOCAL_ROW, "before": "no-such-row"}], "a new row says which row it goes before"),
    ([{**LOCAL_ROW, "then": {**LOCAL_ROW["then"], "kind": "a_taxi"}}], r"row local-missing-hub: 'kind': \['a_taxi'\] not one of"),
    ([{**LOCAL_ROW, "when": {"incident.kind": "missing", "setting.out_of_countee": True}}], "row local-missing-hub: .*out_of_countee"),
    ([LOCAL_ROW], r"local-call-check.yaml:\d+: row local-missing-hub: table call-script has no row for it"),
])
def test_a_pack_row_that_cannot_work_is_refused_with_file_line_and_row(tmp_path, rows, error):
    pack = _table_pack(tmp_path, rows, script=[] if "call-script" in error else None)
    with pytest.raises(RulebookError, match=error):
        load_rulebook(ROOT / "rules", pack=pack)
    result = _run("rules", "check", "--pack", str(pack))
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_a_pack_cannot_invent_a_table_or_change_its_outputs(tmp_path):
    pack = _pack(tmp_path, "")
    (pack / "t.yaml").write_text(yaml.safe_dump({"title": "t", "tables": [{"id": "call-taxi", "rows": [LOCAL_ROW]}]}))
    with pytest.raises(RulebookError, match="t.yaml:2: table call-taxi: a pack changes the rows of a table the rulebook has"):
        load_rulebook(ROOT / "rules", pack=pack)
    (pack / "t.yaml").write_text(yaml.safe_dump({"title": "t", "tables": [
        {"id": "call-police-response", "outputs": {"kind": ["a_taxi"]}, "rows": [LOCAL_ROW]}]}))
    with pytest.raises(RulebookError, match="the outputs stay the base's"):
        load_rulebook(ROOT / "rules", pack=pack)
