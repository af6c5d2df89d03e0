"""The scenario library: every scenario is a regression test, and every rule is exercised."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from callguide.cli import main
from callguide.facts import Level
from callguide.scenarios import (
    AUDIENCES, ScenarioError, check_against_rulebook, coverage, cumulative_facts, default_scenarios_dir,
    load_scenario_file, load_scenarios, merge_facts, parse_scenario, run_scenario)

LIBRARY = load_scenarios()


@pytest.fixture(scope="module")
def results(decider):
    return {scenario.id: run_scenario(decider, scenario) for scenario in LIBRARY}


@pytest.mark.parametrize("scenario", LIBRARY, ids=lambda s: s.id)
def test_scenario_passes(decider, scenario):
    result = run_scenario(decider, scenario)
    assert result.passed, "\n".join(result.failures)


def test_library_size_and_breadth():
    assert len(LIBRARY) >= 40
    audiences = {a for s in LIBRARY for a in s.audience}
    assert set(AUDIENCES) - {"police_officers", "registered_managers", "social_workers"} <= audiences
    facts = [f for s in LIBRARY for f in cumulative_facts(s.steps)]
    assert any(f.get("person", {}).get("status") == "care_leaver" for f in facts)
    assert any(f.get("setting", {}).get("out_of_county") is True for f in facts)
    assert any(f["incident"]["kind"] == "missing" for f in facts)
    for setting in ("childrens_home", "supported_accommodation", "foster_care"):
        assert any(f.get("setting", {}).get("type") == setting for f in facts), setting


def test_every_theme_and_every_level_is_taught(book, results):
    themes = {book.rule(r).theme for result in results.values() for step in result.steps for r in step.fired
              if not book.rule(r).then.default}
    assert themes == set(book.themes)
    assert {step.recommendation for result in results.values() for step in result.steps} == set(Level)


def test_answers_go_down_as_well_as_up(results):
    def moves(result):
        ranks = [step.recommendation.rank for step in result.steps]
        return {("up" if b > a else "down") for a, b in zip(ranks, ranks[1:]) if a != b}
    assert sum("down" in moves(r) for r in results.values()) >= 5
    assert sum("up" in moves(r) for r in results.values()) >= 5


def test_every_rule_is_exercised_by_a_scenario(book, results):
    """`callguide rules coverage` in CI: a rule no scenario exercises fails the build."""
    uncovered = [rule_id for rule_id, ids in coverage(list(results.values()), book).items() if not ids]
    assert uncovered == []


def test_rules_coverage_command():
    outcome = CliRunner().invoke(main, ["rules", "coverage"])
    assert outcome.exit_code == 0, outcome.output
    import re
    found = re.search(r"coverage: (\d+)/(\d+) rules", outcome.output)
    assert found and found.group(1) == found.group(2)
    assert "NOT EXERCISED" not in outcome.output


def test_rules_coverage_fails_when_a_rule_is_not_exercised(tmp_path):
    (tmp_path / "one.yaml").write_text(Path(default_scenarios_dir(), "water-over-staff.yaml").read_text())
    outcome = CliRunner().invoke(main, ["rules", "coverage", "--dir", str(tmp_path), "--own-only"])
    assert outcome.exit_code == 1
    assert "firearm" in outcome.output and "NOT EXERCISED BY ANY SCENARIO" in outcome.output


def test_every_named_rule_and_action_exists(book):
    for scenario in LIBRARY:
        assert check_against_rulebook(scenario, book) == [], scenario.id


def test_facts_are_cumulative_and_null_makes_unknown():
    base = {"incident": {"kind": "assault", "injury": "minor"}, "setting": {"type": "childrens_home"}}
    merged = merge_facts(base, {"incident": {"injury": None, "in_progress": True}})
    assert merged == {"incident": {"kind": "assault", "in_progress": True}, "setting": {"type": "childrens_home"}}
    assert base["incident"]["injury"] == "minor"  # the earlier step is untouched


# -- running and reporting -------------------------------------------------------------------

def _scenario(**changes):
    data = {
        "id": "tiny", "title": "A tiny scenario", "audience": ["foster_carers"],
        "learning_points": [{"point": "Something worth learning.", "source": "Protocol §8.1"}],
        "steps": [
            {"reveal": "A glass is smashed.", "facts": {
                "setting": {"location": "in_placement"},
                "incident": {"kind": "criminal_damage", "damage_value_gbp": 5}},
             "expect": {"recommendation": "no_police", "rules": ["low-value-damage-in-home"]}},
            {"reveal": "It is still going on and a shard is being waved at the carer.",
             "facts": {"incident": {"in_progress": True, "weapon": "improvised"}},
             "expect": {"recommendation": "call_999"}},
        ]}
    data.update(changes)
    return data


def test_run_scenario_reports_each_wrong_expectation(decider):
    data = _scenario()
    data["steps"][1]["expect"] = {"recommendation": "no_police", "rules": ["low-value-damage-in-home"],
                                  "not_rules": ["weapon-in-use-now"], "actions": ["restorative-repair"],
                                  "not_actions": ["call-999"], "decisive": ["verbal-abuse"]}
    result = run_scenario(decider, parse_scenario(data))
    assert not result.passed and result.steps[0].passed
    failures = "\n".join(result.failures)
    assert "step 2: expected no_police, got call_999" in failures
    assert "expected rule low-value-damage-in-home to apply" in failures
    assert "expected rule weapon-in-use-now not to apply" in failures
    assert "expected rule verbal-abuse to be decisive" in failures
    assert "expected action restorative-repair" in failures
    assert "expected action call-999 not to be listed" in failures


def test_run_command_prints_a_line_each_and_the_totals(tmp_path):
    import yaml
    good, bad = _scenario(id="good-one"), _scenario(id="bad-one")
    bad["steps"][0]["expect"]["recommendation"] = "call_101"
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(good))
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    outcome = CliRunner().invoke(main, ["scenarios", "run", "--dir", str(tmp_path), "--own-only"])
    assert outcome.exit_code == 1
    lines = outcome.output.strip().splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    assert any(line.startswith("PASS good-one") for line in lines)
    assert any(line.startswith("FAIL bad-one") for line in lines)
    assert "step 1: expected call_101, got no_police" in outcome.output
    only = CliRunner().invoke(main, ["scenarios", "run", "--dir", str(tmp_path), "good-one"])
    assert only.exit_code == 0 and only.output.strip().splitlines()[-1] == "1 passed, 0 failed"
    missing = CliRunner().invoke(main, ["scenarios", "run", "--dir", str(tmp_path), "no-such"])
    assert missing.exit_code == 2


def test_run_command_on_the_library_passes():
    outcome = CliRunner().invoke(main, ["scenarios", "run"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.strip().splitlines()[-1] == f"{len(LIBRARY)} passed, 0 failed"


def test_list_command_and_audience_filter():
    outcome = CliRunner().invoke(main, ["scenarios", "list", "--audience", "call_handlers"])
    assert outcome.exit_code == 0
    ids = [line.split()[0] for line in outcome.output.splitlines()]
    expected = [s.id for s in LIBRARY if "call_handlers" in s.audience]
    assert ids == expected and len(ids) >= 3


# -- checking a trainer's file -----------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    (lambda d: d["steps"][1]["expect"].update(recommendation="call_100"),
     "step 2: expect.recommendation: "),
    (lambda d: d["steps"][0]["facts"]["incident"].update(injury="bad"),
     "step 1: facts.incident.injury: must be one of"),
    (lambda d: d["steps"][1]["facts"]["incident"].update(weapn="knife"),
     "step 2: facts.incident.weapn: is not a fact callguide knows"),
    (lambda d: d["steps"][0].update(expected={"recommendation": "no_police"}),
     "step 1: expected: is not a scenario field"),
    (lambda d: d["steps"][1].pop("expect"), "step 2: expect: is required"),
    (lambda d: d.update(audience=["carers"]), "audience.0: must be one of"),
    (lambda d: d.pop("learning_points"), "learning_points: is required"),
    (lambda d: d["steps"][0]["facts"].update(incident={"damage_value_gbp": 5}),
     "step 1: facts.incident.kind: is required"),
])
def test_check_names_the_step_and_field(tmp_path, change, message):
    import yaml
    data = _scenario()
    change(data)
    path = tmp_path / "trainer.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    outcome = CliRunner().invoke(main, ["scenarios", "check", str(path)])
    assert outcome.exit_code == 1
    assert f"{path}: {message}" in outcome.output, outcome.output


def test_check_names_unknown_rule_ids_and_wrong_answers(tmp_path):
    import yaml
    data = _scenario()
    data["steps"][0]["expect"]["rules"] = ["low-value-damage"]
    path = tmp_path / "trainer.yaml"
    path.write_text(yaml.safe_dump(data))
    outcome = CliRunner().invoke(main, ["scenarios", "check", str(path)])
    assert outcome.exit_code == 1
    assert "step 1: expect.rules: no rule 'low-value-damage'" in outcome.output
    data = _scenario()
    data["steps"][1]["expect"]["recommendation"] = "call_101"
    path.write_text(yaml.safe_dump(data))
    outcome = CliRunner().invoke(main, ["scenarios", "check", str(path)])
    assert outcome.exit_code == 1 and "step 2: expected call_101, got call_999" in outcome.output
    path.write_text(yaml.safe_dump(_scenario()))
    outcome = CliRunner().invoke(main, ["scenarios", "check", str(path)])
    assert outcome.exit_code == 0 and "ok (tiny, 2 steps" in outcome.output


def test_check_reports_bad_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nsteps: [\n")
    outcome = CliRunner().invoke(main, ["scenarios", "check", str(path)])
    assert outcome.exit_code == 1 and "not valid YAML" in outcome.output


def test_loader_refuses_duplicate_ids(tmp_path):
    import yaml
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(_scenario()))
    with pytest.raises(ScenarioError, match=f"{tmp_path}/b.yaml: id 'tiny' is already used in {tmp_path}/a.yaml"):
        load_scenarios(tmp_path)


def test_the_environment_adds_a_trainers_folder_to_the_library(tmp_path, monkeypatch):
    import yaml
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(_scenario()))
    monkeypatch.setenv("CALLGUIDE_SCENARIOS", str(tmp_path))
    assert default_scenarios_dir() != tmp_path   # the built-in library stays where it is
    ids = [s.id for s in load_scenarios()]
    assert "tiny" in ids and len(ids) == len(LIBRARY) + 1
    assert [s.id for s in load_scenarios(builtin=False)] == ["tiny"]
    scenario = load_scenario_file(tmp_path / "t.yaml")
    assert scenario.file == "t.yaml" and scenario.model_dump()["steps"][0]["expect"]["recommendation"] == "no_police"


def test_the_readme_example_scenario_is_valid_and_passes(decider, tmp_path):
    """A trainer follows README's journey with its example: check it, add the folder, walk it, print it."""
    import yaml
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("Writing a scenario (no code needed)"):]
    block = section[section.index("```yaml") + len("```yaml"):]
    block = block[:block.index("```")]
    scenario = parse_scenario(yaml.safe_load(block))
    result = run_scenario(decider, scenario)
    assert result.passed, result.failures
    folder = tmp_path / "my-scenarios"
    folder.mkdir()
    (folder / f"{scenario.id}.yaml").write_text(block, encoding="utf-8")
    assert f"callguide walkthrough {scenario.id}" in readme and "export CALLGUIDE_SCENARIOS=" in readme
    checked = CliRunner().invoke(main, ["scenarios", "check", str(folder / f"{scenario.id}.yaml")])
    assert checked.exit_code == 0 and "ok" in checked.output
    env = {"CALLGUIDE_SCENARIOS": str(folder)}
    walked = CliRunner().invoke(main, ["walkthrough", scenario.id, "--auto"], env=env)
    assert walked.exit_code == 0 and "--- Step 2 of 2 ---" in walked.output
    printed = CliRunner().invoke(main, ["walkthrough", scenario.id, "--handout", str(tmp_path / "h.md"),
                                        "--answers", str(tmp_path / "a.md")], env=env)
    assert printed.exit_code == 0, printed.output
    assert scenario.steps[0].notes and scenario.steps[0].notes in (tmp_path / "a.md").read_text()
