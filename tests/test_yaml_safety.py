"""YAML alias bombs and huge echoed values (issue 16): refused quickly, under a memory limit.

A 464-byte incident whose aliases expand to hundreds of millions of values made ``callguide
decide`` use 783 MB (an error message ``repr()``-ed the expanded value); a 734-byte scenario took
1.48 GB. The commands run here in a child process limited to 400 MB of address space, so the
old behaviour fails (MemoryError, exit 1) instead of exhausting the machine.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from callguide import yamlsafe
from callguide.echo import shown
from callguide.facts import InvalidFacts, parse_incident
from callguide.rulebook import RulebookError, load_rulebook
from callguide.scenarios import ScenarioError, load_scenario_file

ROOT = Path(__file__).resolve().parents[1]
MEMORY_LIMIT = 400 * 2**20  # bytes of address space for the child; the command needs about 150 MB
BOUND_S = 120  # a bound so a hang fails the test; nothing is timed


def _bomb(indent: str, levels: int = 9) -> str:
    """Nested lists of nine aliases each: 9**levels strings from a few hundred bytes."""
    lines = [f"{indent}a0: &a0 [{', '.join(['xxxxxxxxxx'] * 9)}]"]
    lines += [f"{indent}a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


INCIDENT_BOMB = "incident:\n  kind: assault\n  injury:\n" + _bomb("    ")
SCENARIO_BOMB = ("id: bomb\ntitle: A bomb\naudience: [foster_carers]\nlearning_points:\n"
                 "  - {point: p, source: s}\nsteps:\n  - reveal: r\n    facts:\n      incident:\n"
                 "        kind: assault\n        injury:\n" + _bomb("          ") +
                 "    expect: {recommendation: call_999}\n")


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _callguide(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "callguide", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, preexec_fn=_limited, timeout=BOUND_S)


def test_the_bombs_are_small():
    assert len(INCIDENT_BOMB) < 700 and len(SCENARIO_BOMB) < 1000


def test_an_incident_alias_bomb_is_refused_under_a_memory_limit(tmp_path):
    (tmp_path / "bomb.yaml").write_text(INCIDENT_BOMB)
    result = _callguide("decide", "bomb.yaml", cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "aliases" in result.stderr and "MemoryError" not in result.stderr
    assert len(result.stderr) < 2000


def test_a_scenario_alias_bomb_is_refused_under_a_memory_limit(tmp_path):
    (tmp_path / "bomb.yaml").write_text(SCENARIO_BOMB)
    result = _callguide("scenarios", "check", "bomb.yaml", cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "aliases" in result.stdout and "MemoryError" not in result.stderr
    assert len(result.stdout) < 2000


def test_a_rule_file_with_an_alias_is_refused(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    theme = rules / "violence.yaml"
    theme.write_text(theme.read_text() + "\nextra: &x [1]\nagain: *x\n")
    with pytest.raises(RulebookError, match="aliases"):
        load_rulebook(rules)


def test_scenario_files_refuse_aliases_but_not_anchors(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("id: &name s\ntitle: *name\n")
    with pytest.raises(ScenarioError, match="aliases"):
        load_scenario_file(path)
    assert yamlsafe.load("a: &x 1\nb: 2\n") == {"a": 1, "b": 2}


@pytest.mark.parametrize("value", ["x" * 100_000, list(range(100_000)), {"k" * 1000: ["v" * 1000] * 1000},
                                   10 ** 5000, [[[[["deep"]]]]] * 1000],
                         ids=["string", "list", "dict", "int", "nested"])
def test_an_echoed_value_is_short(value):
    assert len(shown(value)) <= 80


def test_an_invalid_fact_echoes_a_short_value():
    with pytest.raises(InvalidFacts) as caught:
        parse_incident({"incident": {"kind": "assault", "injury": "x" * 100_000, "weapon": list(range(10_000))}})
    assert len(str(caught.value)) < 600
    assert {field for field, _ in caught.value.errors} == {"incident.injury", "incident.weapon"}


def test_a_deeply_nested_incident_is_refused_with_a_message(tmp_path):
    (tmp_path / "deep.yaml").write_text("incident: " + "[" * 5000 + "1" + "]" * 5000 + "\n")
    result = _callguide("decide", "deep.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "nested too deeply" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("loader", [yamlsafe.Loader, yaml.SafeLoader], ids=["libyaml", "python"])
@pytest.mark.parametrize("text", ["a: &x 1\nb: *x\n", "a: &x {k: 1}\nb: {<<: *x}\n", "- &x [1]\n- [*x, *x]\n"])
def test_both_loaders_refuse_every_alias(loader, text):
    """Both composers share an anchor's node with its aliases: the node-graph check finds them in either."""
    with pytest.raises(yaml.YAMLError, match="aliases"):
        yamlsafe.load(text, loader)


def test_a_key_written_twice_is_refused_not_silently_dropped(edited_rules):
    """PyYAML keeps the last of two equal keys: a rule with two ``any:`` groups lost the first one
    without a word (found writing a rule). Rule files, and incidents typed as YAML, refuse it."""
    marker = "  - id: care-leaver-missing-at-risk\n    title: A care leaver is out of contact and may be at risk\n    when:\n"
    copy = edited_rules("missing.yaml", marker, marker + "      any: [{person.status: care_leaver}]\n")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(copy, pack=None)
    message = str(caught.value)
    assert "missing.yaml" in message and "'any' is written twice" in message, message
    with pytest.raises(yaml.YAMLError, match="'kind' is written twice"):
        yamlsafe.load("incident:\n  kind: assault\n  kind: missing\n")
    assert yamlsafe.load("incident: {kind: assault}\nperson: {kind: 1}\n")  # the same key in two blocks is fine
