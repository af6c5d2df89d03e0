"""The four safety invariants of CONTRACT.md, over generated incidents with unknown facts."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callguide.facts import ORDINALS, SAFETY_CRITICAL, Level, allowed_values

from strategies import known_facts, nest

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The facts that make an incident more serious, each from less to more serious.
ESCALATIONS: dict[str, list[Any]] = {
    "incident.injury": ORDINALS["incident.injury"],
    "incident.weapon": ORDINALS["incident.weapon"],
    "incident.in_progress": [False, True],
    "incident.risk_to_life": [False, True],
    "missing.immediate_concern": [False, True],
}


def rank(level: Level | str) -> int:
    return Level(level).rank


@SETTINGS
@given(known_facts(), st.sampled_from(["risk_to_life", "life_threatening"]))
def test_invariant_1_danger_always_gives_999(decider, known, trigger):
    if trigger == "risk_to_life":
        known["incident.risk_to_life"] = True
    else:
        known["incident.injury"] = "life_threatening"
    decision = decider.decide(nest(known))
    assert decision.recommendation == Level.call_999
    assert decision.headline.startswith("Call 999")


@SETTINGS
@given(known_facts(), st.sampled_from(sorted(ESCALATIONS)), st.data())
def test_invariant_2_more_serious_never_lowers(decider, known, path, data):
    scale = ESCALATIONS[path]
    before = known.get(path)
    # Unknown can become any value; a known value can only become a more serious one.
    start = -1 if before is None else scale.index(before)
    if start == len(scale) - 1:
        return
    after = data.draw(st.sampled_from(scale[start + 1:]))
    lower = decider.decide(nest(known)).recommendation
    higher = decider.decide(nest({**known, path: after})).recommendation
    assert rank(higher) >= rank(lower), f"{path}: {before!r} -> {after!r} lowered {lower} to {higher}"


@SETTINGS
@given(known_facts())
def test_invariant_3_rationale_cites_real_rules(decider, book, known):
    decision = decider.decide(nest(known))
    assert decision.rationale, "a decision always has reasons"
    ids = {rule.id for rule in book.rules}
    for reason in decision.rationale:
        assert reason.rule in ids
        assert reason.source.strip()
        assert reason.because.strip() and "{" not in reason.because
    assert decision.rationale[0].role == "decisive"
    decisive = book.rule(decision.rationale[0].rule)
    assert decisive.then.recommend == decision.recommendation


@SETTINGS
@given(known_facts())
def test_invariant_4_safety_questions_come_first(decider, known):
    decision = decider.decide(nest(known))
    current = rank(decision.recommendation)
    could_raise = []
    for path in SAFETY_CRITICAL:
        if path in known or (path.startswith("missing.") and known["incident.kind"] != "missing"):
            continue
        if any(rank(decider.level({**known, path: v})) > current for v in allowed_values(path)):
            could_raise.append(path)
    if could_raise:
        assert decision.questions, "an unknown safety fact that could raise the answer must be asked"
        assert decision.questions[0].fact in SAFETY_CRITICAL
        asked = {q.fact for q in decision.questions}
        assert set(could_raise) <= asked


@SETTINGS
@given(known_facts())
def test_questions_are_true_what_ifs(decider, known):
    """Each question names a value-change that really happens, and no listed fact is known.

    Questions that matter only together with other facts are checked in tests/test_questions.py."""
    decision = decider.decide(nest(known))
    for question in decision.questions:
        assert question.fact not in known
        if question.together_with:
            continue
        outcomes = {decider.level({**known, question.fact: v})
                    for v in (allowed_values(question.fact) or [0.0, 99.0, 100.0, 101.0, 999.0, 1000.0, 1001.0])}
        assert question.would_become in outcomes
        assert question.would_become != decision.recommendation


@SETTINGS
@given(known_facts())
def test_decisions_are_deterministic(decider, known):
    first = decider.decide(nest(known)).model_dump()
    second = decider.decide(nest(known)).model_dump()
    assert first == second
