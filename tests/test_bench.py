"""The benchmark script stays runnable (quick mode). It checks answers, never times anything."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))


def test_quick_benchmark_prints_the_table(capsys):
    import run

    assert run.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "| raw durable_rules" in out and "| callguide full decision" in out
    assert "alternating pass pairs: median" in out
    assert "### Scale" in out and "| 300 |" in out


@pytest.mark.parametrize("peer", ["ZenPeer", "ClipsPeer"])
def test_peers_give_callguides_answers(book, decider, peer):
    pytest.importorskip("zen" if peer == "ZenPeer" else "clips")
    import peers
    from incidents import incidents

    from callguide.facts import parse_incident

    engine = getattr(peers, peer)(book)
    for doc in incidents(150, seed=5):
        known = parse_incident(doc).known()
        assert set(engine.fired(known)) == set(decider.engine.fire(known).rules)


def test_split_rulebook_fires_the_same_rules(book):
    """A rulebook split into several rulesets fires the same rules as one ruleset."""
    from incidents import incidents

    from callguide.engine import Engine
    from callguide.facts import parse_incident

    whole, split = Engine(book), Engine(book, chunk_rules=7)
    assert len(split.rulesets) > 5
    for doc in incidents(200, seed=9):
        known = parse_incident(doc).known()
        a, b = whole.fire(known), split.fire(known)
        assert set(a.rules) == set(b.rules) and set(a.derived) == set(b.derived)
        after = whole.fire_after(known, "call_101", a.derived), split.fire_after(known, "call_101", b.derived)
        assert set(after[0]) == set(after[1])
    assert split.live_sessions() == 0


def test_split_chaining_rulebook_fires_the_same_rules(tmp_path):
    """On a synthetic rulebook where one rule in five chains on a finding another ruleset derives, the
    split engine (which passes a finding only to rulesets with a rule of this kind of incident
    joining on it) fires the same rules as one ruleset."""
    from incidents import incidents
    from synthetic import write_rulebook

    from callguide.engine import Engine
    from callguide.facts import parse_incident
    from callguide.rulebook import load_rulebook

    book = load_rulebook(write_rulebook(tmp_path / "rules", 150, seed=3), pack=None)
    whole, split = Engine(book, chunk_rules=150), Engine(book, chunk_rules=10)
    chained = 0
    for doc in incidents(200, seed=4):
        known = parse_incident(doc).known()
        a, b = whole.fire(known), split.fire(known)
        assert set(a.rules) == set(b.rules) and set(a.derived) == set(b.derived), known
        chained += bool(a.derived)
    assert chained > 20  # the chains were exercised


def test_questions_come_from_engine_runs_when_the_what_ifs_disagree(decider, monkeypatch, caplog):
    """Were the what-if evaluation ever to fire other rules than the engine, the questions would come
    from engine runs instead, and be the same questions (the what-ifs are only a quicker way there)."""
    from incidents import incidents

    from callguide import whatif

    docs = incidents(30, seed=12)
    expected = [decider.decide(doc).questions for doc in docs]
    start = whatif.WhatIf.start

    def disagreeing(self, known):
        base = start(self, known)
        base.fired ^= 1  # as if the first rule's match were evaluated wrongly
        return base

    monkeypatch.setattr(whatif.WhatIf, "start", disagreeing)
    with caplog.at_level("WARNING", logger="callguide.decision"):
        assert [decider.decide(doc).questions for doc in docs] == expected
    assert "disagrees with the engine" in caplog.text


def test_what_if_evaluation_matches_the_engine(book, decider):
    """The Python evaluation of the compiled conditions fires exactly what the engine fires."""
    from incidents import incidents

    from callguide.facts import parse_incident

    what_if = decider._what_if
    for share in (0.2, 0.6, 0.9):
        for doc in incidents(300, seed=int(share * 10), known_share=share):
            known = parse_incident(doc).known()
            assert what_if.start(known).fired_ids() == set(decider.engine.fire(known).rules), known


def test_what_ifs_give_the_engines_level_on_a_chaining_rulebook(tmp_path):
    """Every one-fact what-if (``Base.levels``) and several-fact what-if (``Base.level_with``) gives the
    level the engine and policy give, on a synthetic rulebook where one rule in five chains on a
    finding and some have ``any`` groups over one fact or two: the what-ifs' shortcuts (per-fact
    masks, derivation order, flips that change only what fires) hold."""
    import random

    from incidents import incidents
    from synthetic import write_rulebook

    from callguide.decision import Decider
    from callguide.facts import parse_incident
    from callguide.rulebook import load_rulebook

    directory = write_rulebook(tmp_path / "rules", 300, seed=4, any_groups=0.3)
    decider = Decider(load_rulebook(directory, pack=None))
    simple = decider._what_if.simple
    assert 0 < bin(simple).count("1") < len(decider._what_if.rules)  # both kinds of rule are exercised
    what_if, rng = decider._what_if, random.Random(2)
    for doc in incidents(40, seed=6, known_share=0.4):
        known = parse_incident(doc).known()
        base = what_if.start(known)
        level = decider.level(known)
        unknown = [path for path in decider.question_values if path not in known]
        for path in unknown:
            values = decider.question_values[path]
            expected = [decider.level({**known, path: value}) for value in values]
            assert [found or level for found in base.levels(path, values)] == expected, (known, path)
        for _ in range(5):
            picked = rng.sample(unknown, k=min(3, len(unknown)))
            changes = {path: rng.choice(decider.question_values[path]) for path in picked}
            assert base.level_with(changes) == decider.level({**known, **changes}), (known, changes)


def test_a_what_if_that_stops_a_deriving_rule_stops_what_needed_its_finding(tmp_path):
    """A rule matching while a fact is unknown (a ``not`` test) derives a finding another rule needs;
    knowing the fact stops it, and with it everything downstream (here two links down)."""
    import shutil

    import yaml

    from callguide.decision import Decider
    from callguide.rulebook import default_rules_dir, load_rulebook

    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("parameters.yaml", "vocabulary.yaml"):
        shutil.copy(default_rules_dir() / name, rules / name)

    def rule(rule_id: str, when: dict, then: dict) -> dict:
        return {"id": rule_id, "title": f"Rule {rule_id}", "when": when, "then": then,
                "because": f"Rule {rule_id} applies here.", "source": "Synthetic"}

    theme = {"theme": "chain", "title": "Chain", "rules": [
        rule("baseline", {"incident.kind": {"known": True}}, {"recommend": "report_later", "strength": "soft", "default": True}),
        rule("first-link", {"incident.kind": "assault", "incident.weapon": {"not": "bladed"}}, {"derive": ["first_found"]}),
        rule("second-link", {"derived": ["first_found"]}, {"derive": ["second_found"]}),
        rule("needs-both", {"derived": ["second_found"]}, {"recommend": "call_101", "strength": "firm"}),
    ]}
    (rules / "chain.yaml").write_text(yaml.safe_dump(theme, sort_keys=False))
    decider = Decider(load_rulebook(rules, pack=None))
    known = {"incident.kind": "assault"}
    assert decider.level(known).value == "call_101"
    base = decider._what_if.start(known)
    values = ["none", "improvised", "bladed", "firearm"]
    expected = [decider.level({**known, "incident.weapon": value}) for value in values]
    assert expected[2].value == "report_later"
    assert [found or decider.level(known) for found in base.levels("incident.weapon", values)] == expected
    assert base.level_with({"incident.weapon": "bladed", "incident.injury": "minor"}) == \
        decider.level({**known, "incident.weapon": "bladed", "incident.injury": "minor"})
