"""Questions by what could change the answer together (issue 11, class 11).

The questions a decision lists must lead somewhere: answering them one at a time, in any order,
with the true facts, ends at the answer those facts give; each question's ``would_become`` is a
level its answers (with its ``together_with`` facts) really give; and the safety questions that
could raise the answer come first (CONTRACT invariant 4).
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from callguide.facts import SAFETY_CRITICAL, Level, allowed_values, fact_paths, ruled_out

from strategies import NUMBERS, known_facts, nest

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def values_of(decider, path: str) -> list[Any]:
    """The values worth trying for a fact: its set, or the numbers either side of each threshold."""
    return allowed_values(path) or decider.question_values.get(path) or [0.0]


@st.composite
def completions(draw: st.DrawFn, known: dict[str, Any]) -> dict[str, Any]:
    """``known`` with every other fact of the contract given a value that the others do not rule out
    (no looked-after child of 19: a real incident's facts, which answering its questions gives)."""
    full = dict(known)
    for path in fact_paths():
        if path not in full:
            values = allowed_values(path)
            drawn = st.sampled_from(values) if values is not None else NUMBERS[path]
            full[path] = draw(drawn.filter(lambda v, p=path: not ruled_out(p, v, full)))
    return full


def decide(decider, known: dict[str, Any]):
    return decider.decide(nest(known))


# -- (a) every answer the facts can give is reachable by answering the listed questions ----------------
@SETTINGS
@given(known_facts(), st.data())
def test_answering_the_questions_in_any_order_reaches_the_true_answer(decider, known, data):
    """Whatever the remaining facts are (a completion), answering the listed questions one at a
    time with those facts, in an order an adversary picks, ends at the answer the full facts give:
    no level the facts could give is out of reach, and the list is empty only when nothing unknown
    can change the answer any more."""
    assume(not ruled_out("person.status", known.get("person.status"), known))
    truth = data.draw(completions(known))
    state = dict(known)
    for _ in range(len(fact_paths())):
        questions = decide(decider, state).questions
        if not questions:
            break
        pick = questions[data.draw(st.integers(0, len(questions) - 1), label="question")]
        assert pick.fact not in state
        state[pick.fact] = truth[pick.fact]
    assert decide(decider, state).recommendation == decider.level(truth)


def reachable(decider, known: dict[str, Any], depth: int) -> set[Level]:
    """Levels reached by answering listed questions (any of their values), up to ``depth`` answers."""
    found: set[Level] = set()
    frontier = [known]
    seen: set[tuple] = set()
    for _ in range(depth + 1):
        following = []
        for state in frontier:
            key = tuple(sorted(state.items()))
            if key in seen:
                continue
            seen.add(key)
            decision = decide(decider, state)
            found.add(decision.recommendation)
            for question in decision.questions:
                following += [{**state, question.fact: v} for v in values_of(decider, question.fact)]
        frontier = following
    return found


def test_reasonable_parent_answer_is_reachable_from_the_kind_alone(decider):
    """Damage alone is "report later"; a reasonable parent's "no police" needs where it happened,
    the value and (for the test itself) calm now together: it must be reachable by answering."""
    start = {"incident.kind": "criminal_damage"}
    assert decide(decider, start).recommendation == Level.report_later
    assert {Level.no_police, Level.report_later, Level.call_101, Level.call_999} <= reachable(decider, start, 2)


def test_reasonable_parent_walk_one_question_at_a_time(decider):
    """Following the first listed question that is not about danger, with a carer's true answers."""
    truth = {"incident.kind": "criminal_damage", "setting.location": "in_placement", "incident.damage_value_gbp": 40.0,
             "incident.child_calm_now": True, "incident.in_progress": False, "incident.risk_to_life": False,
             "incident.injury": "none", "incident.weapon": "none", "incident.victim": "none"}
    state = {"incident.kind": "criminal_damage"}
    asked = []
    while (questions := decide(decider, state).questions):
        fact = questions[0].fact
        asked.append(fact)
        state[fact] = truth.get(fact, allowed_values(fact)[-1] if allowed_values(fact) else 0.0)
    assert "setting.location" in asked and "incident.damage_value_gbp" in asked
    assert decide(decider, state).recommendation == Level.no_police


# -- (b) would_become is truthful -------------------------------------------------------------------------
@SETTINGS
@given(known_facts())
def test_would_become_is_what_the_answers_give(decider, known):
    decision = decide(decider, known)
    listed = {q.fact for q in decision.questions}
    for question in decision.questions:
        assert question.would_become != decision.recommendation
        assert question.fact not in known and not set(question.together_with) & set(known)
        assert set(question.together_with) <= listed, "the facts it goes with are asked too"
        alone = {decider.level({**known, question.fact: v}) for v in values_of(decider, question.fact)}
        if alone - {decision.recommendation}:
            # The fact alone changes the answer: its own what-if, as it always was.
            assert not question.together_with
            assert question.would_become in alone
            continue
        facts = [question.fact] + question.together_with
        outcomes = {decider.level({**known, **dict(zip(facts, combo))})
                    for combo in itertools.product(*(values_of(decider, f) for f in facts))}
        assert question.would_become in outcomes, (question, outcomes)


@SETTINGS
@given(known_facts())
def test_nearest_first(decider, known):
    """Outside the safety questions, questions needing fewer other answers come first."""
    questions = decide(decider, known).questions
    rest = [q for q in questions if not (q.safety_critical and q.would_become.rank > decide(decider, known).recommendation.rank)]
    distances = [len(q.together_with) for q in rest]
    assert distances == sorted(distances)


# -- (c) invariant 4, with questions that matter together ---------------------------------------------
@SETTINGS
@given(known_facts())
def test_a_safety_question_that_could_raise_the_answer_comes_first(decider, known):
    decision = decide(decider, known)
    current = decision.recommendation.rank
    raising = [q for q in decision.questions if q.fact in SAFETY_CRITICAL and q.would_become.rank > current]
    alone = [path for path in SAFETY_CRITICAL if path not in known
             and any(decider.level({**known, path: v}).rank > current for v in allowed_values(path))]
    assert set(alone) <= {q.fact for q in raising}
    if raising:
        assert decision.questions[0].fact in SAFETY_CRITICAL


# -- irrelevant questions are not asked -------------------------------------------------------------
@SETTINGS
@given(known_facts())
def test_no_question_about_a_fact_no_rule_for_this_kind_reads(decider, book, known):
    """Relevance comes from the rules: a fact is asked only if a rule that can match this kind of
    incident reads it (so the missing-person questions are asked only about a missing child)."""
    kind = known["incident.kind"]

    def admits(rule) -> bool:
        on_kind = [test for test in rule.conditions.top_tests() if test.path == "incident.kind"]
        if len(on_kind) == 1 and on_kind[0].op == "is":
            return on_kind[0].value == kind
        if len(on_kind) == 1 and on_kind[0].op == "in":
            return kind in on_kind[0].value
        return True

    read = {path for rule in book.rules if admits(rule) for path in rule.conditions.reads()}
    for question in decide(decider, known).questions:
        assert question.fact in read


# -- self-consistent answers (class 10) ------------------------------------------------------------
def _first_kinds(book) -> dict[str, str | None]:
    return {action.id: action.first for rule in book.rules for action in rule.then.actions}


@SETTINGS
@given(known_facts())
def test_call_999_is_the_first_action_of_every_999_answer(decider, known):
    decision = decide(decider, known)
    if decision.recommendation is Level.call_999:
        assert decision.actions and decision.actions[0].what.startswith("Call 999"), decision.actions[0]


@SETTINGS
@given(known_facts())
def test_headline_never_says_call_now_when_the_first_action_is_a_check(decider, book, known):
    from callguide.rulebook import CALL_NOW

    decision = decide(decider, known)
    lead = book.vocabulary.level(decision.recommendation).lead
    if decision.actions and _first_kinds(book)[decision.actions[0].id] == "check":
        assert not CALL_NOW.search(decision.headline), decision.headline
        assert not decision.headline.startswith(lead)
    if CALL_NOW.search(decision.headline):
        assert not decision.actions or _first_kinds(book)[decision.actions[0].id] != "check"


def test_missing_before_enquiries_says_check_first_then_call(decider):
    decision = decide(decider, {"incident.kind": "missing"})
    assert decision.recommendation is Level.call_101
    assert decision.headline.startswith("Do these checks now, then call 101")
    assert decision.actions[0].id == "missing-enquiries"
    done = decide(decider, {"incident.kind": "missing", "missing.enquiries_done": True})
    assert done.headline.startswith(decider.book.vocabulary.level(Level.call_101).lead)
    # A child at greater risk is reported at once: the call leads, and the headline says so.
    young = decide(decider, {"incident.kind": "missing", "person.age": 12})
    assert young.actions[0].id == "report-young-child-now" and young.headline.startswith("Call the police")
    danger = decide(decider, {"incident.kind": "missing", "missing.immediate_concern": True})
    assert danger.headline.startswith("Call 999") and danger.actions[0].what.startswith("Call 999")


def test_a_check_first_action_needs_a_headline_that_does_not_say_call_now(tmp_path):
    import shutil

    import pytest

    from callguide.rulebook import RulebookError, default_rules_dir, load_rulebook

    for name in ("parameters.yaml", "vocabulary.yaml"):
        shutil.copy(default_rules_dir() / name, tmp_path / name)
    rule = """theme: t
title: T
rules:
  - id: check-first
    title: Check first
    when: {{incident.kind: missing}}
    then:
      {headline}
      actions:
        - {{id: look, what: "Look in the garden now", by: now, first: check, source: "Protocol 8.3"}}
    because: "Because the guidance says to look first."
    source: "Protocol 8.3"
"""
    for headline, message in [("", "give the rule a 'headline'"),
                              ('headline: "Call the police on 101 now"', "must not say to call now")]:
        (tmp_path / "t.yaml").write_text(rule.format(headline=headline))
        with pytest.raises(RulebookError, match=message):
            load_rulebook(tmp_path)
    (tmp_path / "t.yaml").write_text(rule.format(headline='headline: "Look in the garden first, then call 101"'))
    assert load_rulebook(tmp_path).rule("check-first").then.headline


def test_the_readable_decision_says_which_answers_go_together(decider, book):
    from callguide.text import render_decision

    decision = decide(decider, {"incident.kind": "criminal_damage"})
    together = next(q for q in decision.questions if q.together_with)
    text = render_decision(decision, book.vocabulary)
    line = next(line for line in text.splitlines() if together.ask in line)
    assert "together with: " + book.vocabulary.label(together.together_with[0]).lower() in line


def test_the_pages_ask_the_same_questions_and_reach_no_police(decider):
    """The "Should I call?" pages ask Decision.questions in order (those that fit the kind: no
    ambulance question about damage), so a carer answering them truthfully about low-value damage
    at home, now calm, gets a reasonable parent's answer."""
    from callguide.web import flow

    truth = {"incident.risk_to_life": False, "incident.kind": "criminal_damage", "setting.location": "in_placement",
             "person.status": "looked_after", "person.age": 14, "setting.type": "childrens_home",
             "incident.damage_value_gbp": 40.0, "incident.child_calm_now": True, "incident.in_progress": False,
             "incident.injury": "none", "incident.weapon": "none", "incident.victim": "none"}
    state: dict[str, Any] = {}
    for _ in range(len(fact_paths())):
        step = flow.next_step(state, decider)
        if step in ("check", "call-999"):
            break
        if step not in flow.ALWAYS_KEPT:  # danger, who and where, what happened: always asked first
            asking = decider.book.vocabulary.asking_for(state[flow.KIND])
            listed = flow.fitting(decider.decide(flow.incident(state)).questions, asking)
            assert step == next(q.fact for q in listed if q.fact not in state)
        state[step] = truth.get(step, flow.UNKNOWN)
    assert step == "check"
    assert decider.decide(flow.incident(state)).recommendation == Level.no_police


# -- the kind's own order among equals (vocabulary ``asking``) ----------------------------------------
def test_among_equally_near_questions_the_kinds_first_facts_lead(decider):
    """For self-harm the injury leads the safety questions and the ambulance the others; for a
    missing child the immediate concern leads, ahead of the weapon. Nearest first still holds."""
    self_harm = [q.fact for q in decide(decider, {"incident.kind": "self_harm", "incident.risk_to_life": False}).questions]
    assert self_harm[0] == "incident.injury"
    rest = [f for f in self_harm if f not in SAFETY_CRITICAL]
    assert rest[0] == "health.medical_emergency", self_harm
    missing = [q.fact for q in decide(decider, {"incident.kind": "missing", "incident.risk_to_life": False}).questions]
    assert missing[0] == "missing.immediate_concern" and "incident.weapon" in missing[1:], missing
    # A kind the vocabulary says nothing of keeps the facts' own order: the weapon before the injury.
    damage = [q.fact for q in decide(decider, {"incident.kind": "criminal_damage", "incident.risk_to_life": False}).questions]
    assert damage.index("incident.weapon") < damage.index("incident.injury"), damage


def test_questions_speak_the_settings_words_in_every_surface(decider):
    """"Does their plan ... agree?" names the setting's plan: a care plan in foster care, a pathway
    plan for a care leaver; the decision, the call check and the pages all fill it in."""
    from callguide.callcheck import CallCheckRequest, check_call

    def plan_question(facts: dict) -> str:
        decision = decider.decide(facts)
        return next(q.ask for q in decision.questions if q.fact == "person.police_in_plan")

    base = {"incident": {"kind": "criminal_damage", "risk_to_life": False, "damage_value_gbp": 40}}
    foster = plan_question({**base, "setting": {"type": "foster_care"}})
    leaver = plan_question({**base, "setting": {"type": "other"}, "person": {"status": "care_leaver", "age": 19}})
    assert "care plan" in foster and "pathway plan" in leaver and "{" not in foster + leaver
    check = check_call(CallCheckRequest.model_validate({**base, "setting": {"type": "foster_care"}}), decider)
    assert "{words." not in check.model_dump_json() and "{Words." not in check.model_dump_json()



@given(known_facts())
@example({"incident.kind": "missing", "person.age": 13, "setting.type": "foster_care",
          "missing.whereabouts_known": False, "missing.enquiries_done": True})
@SETTINGS
def test_no_question_weighs_an_answer_the_known_facts_rule_out(decider, known):
    """A looked-after child is under 18 and a care leaver 16 or over (Children Act 1989 s.22, s.23A,
    s.105): what a question on age or status says it could become, one of its possible answers gives."""
    decision = decide(decider, known)
    for question in decision.questions:
        if question.fact in ("person.status", "person.age") and not question.together_with:
            possible = [v for v in values_of(decider, question.fact) if not ruled_out(question.fact, v, known)]
            reached = {decide(decider, {**known, question.fact: v}).recommendation for v in possible}
            assert question.would_become in reached, (question, possible)


def test_a_13_year_old_is_not_asked_whether_they_are_a_care_leaver(decider):
    missing = {"person": {"age": 13}, "setting": {"type": "foster_care"}, "incident": {"kind": "missing"},
               "missing": {"whereabouts_known": False, "enquiries_done": True}}
    assert "person.status" not in [q.fact for q in decider.decide(missing).questions]
    older = {**missing, "person": {"age": 17}}
    # 17: they may have left care, but a care leaver of 17 is still a child (Children Act 1989 s.23A,
    # s.105), reported missing as any child is, so the answer does not turn on it
    assert "person.status" not in [q.fact for q in decider.decide(older).questions]
