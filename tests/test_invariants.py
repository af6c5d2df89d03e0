"""The safety invariants of CONTRACT.md and issue 11 (docs/contract.md), over generated incidents with unknown facts."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from callguide.evaluation import roles
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


UNKNOWN_IS_SERIOUS = ("incident.in_progress", "incident.risk_to_life")


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
    # Unknown can become any value; a known value can only become a more serious one. Except:
    # invariant 5 treats not knowing whether it is over, or whether anyone is in danger, as
    # serious, so learning "no" may lower the answer; learning "yes" never may.
    start = -1 if before is None else scale.index(before)
    if before is None and path in UNKNOWN_IS_SERIOUS:
        start = 0
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
def test_no_reason_beside_the_answer_points_below_it(decider, book, known):
    """Nothing argues a person out of the answer: a rule listed as also applying recommends the
    answer itself, or is a limit the answer keeps within (a ceiling at or above it); a rule that
    would have gone lower is only ever listed as outweighed."""
    decision = decider.decide(nest(known))
    for reason in decision.rationale:
        rule = book.rule(reason.rule)
        if reason.role == "also_applies" and rule.then.recommend is not None:
            assert rule.then.recommend == decision.recommendation or (
                rule.then.strength == "ceiling" and rank(rule.then.recommend) >= rank(decision.recommendation)), reason


def test_a_limit_the_answer_keeps_within_is_still_a_reason(decider):
    """A neurodivergent child's low-value damage at home: the reasonable-parent test sets "no
    police", and the Child First limit for their needs is listed beside it, not dropped."""
    decision = decider.decide({"person": {"age": 13, "neurodivergent": True},
                               "setting": {"type": "childrens_home", "location": "in_placement"},
                               "incident": {"kind": "criminal_damage", "damage_value_gbp": 120, "in_progress": False,
                                            "risk_to_life": False, "injury": "none", "child_calm_now": True}})
    assert decision.recommendation.value == "no_police"
    roles = {reason.rule: reason.role for reason in decision.rationale}
    assert roles.get("needs-explain-behaviour") == "also_applies", roles


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
        # A number's values: round ones, and those either side of each threshold the rules use
        # (ages 17, 18, 19 for an adult); a number outside the contract's range is never asked about.
        numbers = {0.0, 99.0, 100.0, 101.0, 999.0, 1000.0, 1001.0, *decider.question_values.get(question.fact, [])}
        outcomes = {decider.level({**known, question.fact: v})
                    for v in (allowed_values(question.fact) or sorted(numbers))}
        assert question.would_become in outcomes
        assert question.would_become != decision.recommendation


@SETTINGS
@given(known_facts())
def test_decisions_are_deterministic(decider, known):
    first = decider.decide(nest(known)).model_dump()
    second = decider.decide(nest(known)).model_dump()
    assert first == second


# -- invariant 5 (CONTRACT.md) -------------------------------------------------------------------
DANGER_KINDS = ["assault", "threats", "weapon", "sexual", "exploitation", "self_harm", "fire_setting"]


@SETTINGS
@given(known_facts(), st.sampled_from(DANGER_KINDS))
def test_invariant_5_not_knowing_is_not_safe(decider, known, kind):
    known = {k: v for k, v in known.items()
             if k not in ("incident.in_progress", "incident.child_calm_now", "incident.risk_to_life")}
    known["incident.kind"] = kind
    decision = decider.decide(nest(known))
    floor = Level.call_999 if kind == "fire_setting" else Level.call_101
    assert rank(decision.recommendation) >= rank(floor), decision.headline
    texts = [decision.headline] + [r.because for r in decision.rationale]
    for absent in ("no sign of", "nobody is in danger", "it is over now", "nobody was badly hurt", "there was no weapon"):
        assert not any(absent in t.lower() for t in texts), texts


# -- issue 11 invariants (docs/contract.md) ----------------------------------------------------
def _suspect_actions(book) -> set[str]:
    return {a.id for rule in book.rules for a in rule.then.actions if tuple(a.for_) == ("suspect",)}


@SETTINGS
@given(known_facts())
def test_no_suspect_action_for_a_victim_or_patient(decider, book, known):
    decision = decider.decide(nest(known))
    listed = {a.id for a in decision.actions}
    stage_one = decider.engine.fire(known)
    held = roles(stage_one.derived)
    kind, victim = known["incident.kind"], known.get("incident.victim")
    # From the contract's facts alone, whatever the role rules say: CONTRACT.md's "victim: self".
    # Exploitation of another young person living there (victim: resident) makes the young person a
    # bystander, not the one exploited (held-out review 9: another-young-person-exploited).
    harmed = ((victim == "self" and kind != "self_harm") or kind == "self_harm"
              or (kind == "exploitation" and victim != "resident"))
    if harmed:
        assert held & {"victim", "patient"}, "the role rules missed a victim or patient"
    if "suspect" in held and held & {"victim", "patient"}:
        # Held-out review 11: a patient (a crisis) also said to have harmed someone else is a suspect
        # too (patient-who-harmed-someone); never a victim, and only when another person was harmed.
        assert "victim" not in held and victim in ("staff", "carer", "resident", "public"), (held, victim)
    elif held & {"victim", "patient"}:
        assert not listed & _suspect_actions(book), sorted(listed & _suspect_actions(book))


@SETTINGS
@given(known_facts())
def test_no_suspect_action_when_someone_else_or_nobody_knows_who_caused_it(decider, book, known):
    """Held-out review 7: `harmed_by` naming someone else, or `not_known`, never lists a suspect's
    actions (the young person is not assumed to have done it); `not_known` says to find out. A
    missing young person's absence is caused by nobody, so `harmed_by` does not apply to it."""
    assume(known["incident.kind"] != "missing")
    harmed_by = known.get("incident.harmed_by")
    if harmed_by in (None, "young_person"):
        known["incident.harmed_by"] = harmed_by = "not_known"
    decision = decider.decide(nest(known))
    listed = {a.id for a in decision.actions}
    assert not listed & _suspect_actions(book), sorted(listed & _suspect_actions(book))
    held = roles(decider.engine.fire(known).derived)
    if known["incident.kind"] == "exploitation" and known.get("incident.victim") == "resident":
        # Another young person there is being exploited: done to a child by others, so the young
        # person is a witness unless said to be the one who did it (rule someone-else-caused-it).
        assert "bystander" in held and not listed & _suspect_actions(book), held
    elif harmed_by == "not_known" and not held & {"victim", "patient"}:
        assert "not_known" in held and "find-out-who" in listed, (held, sorted(listed))


@SETTINGS
@given(known_facts(), st.sampled_from(["assault", "threats", "sexual", "theft", "verbal_abuse"]))
def test_no_suspect_action_when_nobody_has_said_who_was_harmed_or_who_did_it(decider, book, known, kind):
    """Held-out review 7: in an incident where someone harms a person, with neither the person harmed
    nor who did it said (and the plan not foreseeing it as the young person's behaviour), the young
    person's role is not known: no suspect's actions, and the advice says to find out first."""
    known["incident.kind"] = kind
    for path in ("incident.victim", "incident.harmed_by"):
        known.pop(path, None)
    assume(known.get("person.behaviour_in_plan") is not True)
    decision = decider.decide(nest(known))
    listed = {a.id for a in decision.actions}
    assert not listed & _suspect_actions(book), sorted(listed & _suspect_actions(book))
    assert "find-out-who" in listed, sorted(listed)


SETTING_WORDS = re.compile(r"registered manager|\bthe home\b|manager on call", re.IGNORECASE)


@SETTINGS
@given(known_facts(), st.sampled_from(["foster_care", "care_leaver"]))
def test_no_childrens_home_words_outside_homes(decider, known, where):
    if where == "foster_care":
        known["setting.type"] = "foster_care"
    else:
        known["setting.type"], known["person.status"] = "other", "care_leaver"
    decision = decider.decide(nest(known))
    texts = [decision.headline] + [t for r in decision.rationale for t in (r.because, r.title)]
    texts += [a.what for a in decision.actions]
    for text in texts:
        assert not SETTING_WORDS.search(text), text


# A care leaver of 18-25 is an adult (Children Act 1989 s.105): the advice to them or about them
# never uses a child's words for the adults around them ("as a parent would") or a child's steps.
CHILD_WORDS = re.compile(r"\b(as|a) (good |reasonable )?parent would|child information form|appropriate adult|\bCAMHS\b", re.I)


# Steps for another young person living there (who may be a child) keep a parent's words.
OTHER_CHILD_ACTIONS = {"other-child-repair", "other-child-return", "help-other-child-report"}


@SETTINGS
@given(known_facts(), st.integers(min_value=18, max_value=25))
def test_no_child_words_for_an_adult_care_leaver(decider, known, age):
    known["person.age"], known["person.status"] = age, "care_leaver"
    decision = decider.decide(nest(known))
    texts = [decision.headline] + [t for r in decision.rationale for t in (r.because, r.title)]
    texts += [a.what for a in decision.actions if a.id not in OTHER_CHILD_ACTIONS]
    for text in texts:
        assert not CHILD_WORDS.search(text), text


def _first_kind(book) -> dict[str, str | None]:
    return {a.id: a.first for rule in book.rules for a in rule.then.actions}


@SETTINGS
@given(known_facts())
def test_call_999_is_the_first_action_of_every_999_answer(decider, known):
    decision = decider.decide(nest(known))
    if decision.recommendation == Level.call_999:
        assert decision.actions[0].what.startswith("Call 999"), decision.actions[0]


@SETTINGS
@given(known_facts(), st.sampled_from(["serious", "life_threatening"]))
def test_a_serious_injury_lists_medical_help_first(decider, book, known, injury):
    known["incident.injury"] = injury
    decision = decider.decide(nest(known))
    kinds = _first_kind(book)
    if decision.recommendation == Level.call_999:
        # The 999 call is the call to the police too: another "report it" waits until help for the hurt.
        after_call = decision.actions[1:]
    else:
        after_call = [a for a in decision.actions if kinds[a.id] != "call"]
    assert after_call and kinds[after_call[0].id] in ("ambulance", "medical"), [a.id for a in decision.actions]
    assert re.search(r"ambulance|A&E", after_call[0].what), after_call[0].what
    # An ambulance on its way and "get them to A&E" are two different things to do at once.
    ids = {a.id for a in decision.actions}
    assert not {"ambulance", "medical-help"} <= ids, [a.id for a in decision.actions]


# -- held-out review 5: an unknown fact is never described as absent (CONTRACT invariant 5) ------
# Words that state a fact's absence or a settled state. A rule whose condition also holds when the
# fact is unknown ({not: ...}, {not_in: ...}) must hedge instead: "nobody has said anyone was hurt".
ABSENCE_CLAIMS: dict[str, re.Pattern[str]] = {
    "incident.injury": re.compile(
        r"\b(nobody|no one) (was|is|has been|got) (badly |seriously )?(hurt|injured)"
        r"|\bno injur(y|ies)\b(?![^.;]*\breported)|\bno more than a minor injury|harmed nobody", re.I),
    "incident.weapon": re.compile(
        r"\bwith no weapon\b(?![^.;]*\breported)|\bthere (is|was) no weapon|\bwithout a weapon|\bno weapon was", re.I),
    "incident.risk_to_life": re.compile(
        r"\b(nobody|no one) is (at risk|in danger)|\bwith no (real and )?immediate (risk|danger)(?![^.;]*\b(reported|described))"
        r"|\bno risk to (life|their safety)|safety is not at risk", re.I),
    "incident.in_progress": re.compile(r"(?<!said )(?<!once )(?<!know )(?<!when )\bit is over\b|\bit has stopped\b", re.I),
    "incident.child_calm_now": re.compile(r"(?<!when )(?<!that )\b(the young person is|they are) calm now", re.I),
    "incident.damage_value_gbp": re.compile(r"(?<!said )\bnothing was damaged|\bdamaged nothing", re.I),
}


def _absence_claims(known: dict[str, Any], texts: list[str]) -> list[tuple[str, str]]:
    return [(path, text) for path, claim in ABSENCE_CLAIMS.items() if path not in known
            for text in texts if text and claim.search(text)]


@SETTINGS
@given(known_facts())
def test_unknown_facts_are_never_described_as_absent(decider, known):
    from callguide.callcheck import check_call

    decision = decider.decide(nest(known))
    texts = [decision.headline] + [r.because for r in decision.rationale] + [a.what for a in decision.actions]
    assert not _absence_claims(known, texts)
    check = check_call(nest(known), decider)
    response = check.police_response
    said = [check.headline, response.label, response.what_happens, response.follow_up or ""]
    said += list(check.say_to_caller) + [r.because for r in check.rationale]
    assert not _absence_claims(known, said)
