"""The command line from CONTRACT.md, run as a user would: a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CALLGUIDE = [sys.executable, "-m", "callguide"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CALLGUIDE, *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_decide_yaml_file_for_a_person(tmp_path: Path):
    incident = tmp_path / "incident.yaml"
    incident.write_text("setting: {type: childrens_home, location: in_placement}\n"
                        "incident: {kind: criminal_damage, damage_value_gbp: 40, child_calm_now: true}\n")
    result = run("decide", str(incident))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("NO POLICE")
    assert "£40" in result.stdout and "Source: Protocol §8.1" in result.stdout
    assert "What to do next:" in result.stdout


def test_decide_json_from_stdin_matches_the_contract():
    result = run("decide", "--json", "-", stdin=json.dumps({"incident": {"kind": "assault", "risk_to_life": True}}))
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["recommendation"] == "call_999"
    assert {"recommendation", "headline", "rationale", "questions", "actions", "rulebook"} <= set(decision)
    assert decision["rulebook"].startswith("sha256:")
    first = decision["rationale"][0]
    assert first["rule"] == "risk-to-life" and first["source"] and first["because"]
    assert all({"what", "by", "source"} <= set(a) for a in decision["actions"])
    assert "considered" not in decision


def test_explain_lists_rules_that_did_not_apply():
    result = run("decide", "--json", "--explain", "-", stdin='{"incident": {"kind": "other"}}')
    considered = {c["rule"] for c in json.loads(result.stdout)["considered"]}
    assert "risk-to-life" in considered and "slow-time-baseline" not in considered


def test_invalid_input_exits_2_naming_the_field():
    result = run("decide", "-", stdin='{"incident": {"kind": "assault", "injury": "bad"}, "person": {"agee": 3}}')
    assert result.returncode == 2
    assert result.stdout == ""
    assert "incident.injury" in result.stderr and "person.agee" in result.stderr


def test_missing_kind_and_bad_documents_exit_2():
    assert "incident" in run("decide", "-", stdin="{}").stderr
    assert run("decide", "-", stdin="{}").returncode == 2
    assert run("decide", "-", stdin="[1, 2]").returncode == 2
    assert run("decide", "-", stdin="incident: {kind: [").returncode == 2
    assert run("decide", "/no/such/file.yaml").returncode == 2


def test_fields_outside_the_contract_are_rejected():
    result = run("decide", "--json", "-", stdin='{"incident": {"kind": "missing", "missing_note": 1}}')
    assert result.returncode == 2 and "incident.missing_note" in result.stderr


def test_rules_list_shows_ids_and_sources():
    result = run("rules", "list")
    assert result.returncode == 0
    assert "risk-to-life" in result.stdout and "Protocol §8.1" in result.stdout
