"""The call handler's view (callguide.callcheck): Right Care, Right Person, responses, THRIVE, words."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import known_facts, nest

from callguide.callcheck import CallCheckRequest, check_call
from callguide.facts import Level, allowed_values

STEPS = ("de_escalation_tried", "manager_consulted", "behaviour_policy_followed")
EMERGENCY_TRIGGERS = [
    {"incident": {"risk_to_life": True}},
    {"incident": {"injury": "life_threatening"}},
    # every other safety rule too (the call check follows the rules; it keeps no copy of them)
    {"incident": {"weapon": "firearm"}},
    {"incident": {"in_progress": True, "weapon": "bladed"}},
    {"incident": {"in_progress": True, "injury": "serious"}},
]


def _check(decider, body):
    return check_call(body, decider)


# -- Right Care, Right Person: real and immediate risk always means attend --------------------
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(known=known_facts(), trigger=st.sampled_from(EMERGENCY_TRIGGERS + ["missing"]),
       steps=st.tuples(*[st.sampled_from([True, False, None])] * 4))
def test_immediate_risk_always_means_attend_now(decider, known, trigger, steps):
    body = nest(known)
    if trigger == "missing":
        body["incident"]["kind"] = "missing"
        body.setdefault("missing", {})["immediate_concern"] = True
    else:
        for section, values in trigger.items():
            body.setdefault(section, {}).update(values)
    said = dict(zip(STEPS, steps[:3]))
    body.setdefault("response_so_far", {}).update({k: v for k, v in said.items() if v is not None})
    if steps[3] is not None:
        body.setdefault("missing", {})["enquiries_done"] = steps[3]
    check = _check(decider, body)
    assert check.police_response.kind == "emergency_attendance"
    assert check.police_response.attend is True
    assert check.consistent_with_guidance is True
    assert check.recommendation is Level.call_999
    assert check.thrive.grade == "high"
    assert not any(step.expected for step in check.home_steps)  # nothing the home must do first
    assert not any(q.fact.startswith("response_so_far.") or q.fact == "missing.enquiries_done"
                   for q in check.questions)
    assert any("Officers are coming now" in words for words in check.say_to_caller)


def test_risk_to_life_with_nothing_done_at_home_still_attends(decider):
    body = {"incident": {"kind": "criminal_damage", "risk_to_life": True, "damage_value_gbp": 5},
            "person": {"behaviour_in_plan": True},
            "response_so_far": {"de_escalation_tried": False, "manager_consulted": False,
                                "behaviour_policy_followed": False}}
    check = _check(decider, body)
    assert check.police_response.kind == "emergency_attendance"
    assert check.headline.startswith("Attend now")
    assert "Right Care, Right Person" in check.police_response.source


# -- the response it points to ------------------------------------------------------------------
@pytest.mark.parametrize("body, kind, attend, consistent", [
    ({"incident": {"kind": "missing"}, "missing": {"whereabouts_known": False, "hours_absent": 3}},
     "missing_person_process", True, True),
    ({"incident": {"kind": "assault", "injury": "minor", "victim": "resident", "victim_wants_police": True,
                   "risk_to_life": False, "in_progress": False}},
     "non_emergency_attendance", True, True),
    ({"incident": {"kind": "criminal_damage", "damage_value_gbp": 40, "injury": "none", "weapon": "none",
                   "in_progress": False, "risk_to_life": False},
      "setting": {"location": "in_placement"}},
     "advice_and_signposting", False, False),
    ({"incident": {"kind": "missing", "risk_to_life": False},
      "missing": {"whereabouts_known": True, "immediate_concern": False}},
     "advice_and_signposting", False, False),
])
def test_police_response_follows_the_decision(decider, body, kind, attend, consistent):
    check = _check(decider, body)
    assert check.police_response.kind == kind
    assert check.police_response.attend is attend
    assert check.consistent_with_guidance is consistent
    assert check.recommendation == decider.decide(CallCheckRequest.model_validate(body).incident_facts()).recommendation


def test_advice_and_signposting_has_neighbourhood_follow_up(decider):
    check = _check(decider, {"incident": {"kind": "verbal_abuse", "risk_to_life": False},
                             "setting": {"location": "in_placement"}})
    assert check.police_response.kind == "advice_and_signposting"
    assert "neighbourhood team" in check.police_response.follow_up
    assert "Protocol §8.3" in check.police_response.source
    assert any("neighbourhood team" in words for words in check.say_to_caller)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(known=known_facts())
def test_check_agrees_with_the_decision(decider, known):
    body = nest(known)
    check = _check(decider, body)
    decision = decider.decide(body)
    assert check.recommendation == decision.recommendation  # the override only ever agrees (invariant 1)
    assert check.consistent_with_guidance == (decision.recommendation in (Level.call_999, Level.call_101))
    assert check.police_response.attend == check.consistent_with_guidance
    assert check.rationale == decision.rationale
    assert check.rulebook == decision.rulebook
    assert {q.fact for q in decision.questions} <= {q.fact for q in check.questions}


# -- questions: most urgent first ---------------------------------------------------------------
def test_urgent_questions_come_first(decider):
    check = _check(decider, {"incident": {"kind": "assault"}, "setting": {"location": "in_placement"}})
    urgent = [q.urgent for q in check.questions]
    assert urgent[0] is True
    assert urgent == sorted(urgent, reverse=True)
    assert check.questions[0].fact == "incident.risk_to_life"
    assert check.settled is False


def test_home_steps_not_described_become_questions(decider):
    body = {"incident": {"kind": "criminal_damage", "damage_value_gbp": 40, "injury": "none", "weapon": "none",
                         "in_progress": False, "risk_to_life": False}, "setting": {"location": "in_placement"}}
    facts = [q.fact for q in _check(decider, body).questions]
    for step in STEPS:
        assert f"response_so_far.{step}" in facts
    body["response_so_far"] = {step: True for step in STEPS}
    facts = [q.fact for q in _check(decider, body).questions]
    assert not any(f"response_so_far.{step}" == fact for step in STEPS for fact in facts)


def test_missing_child_enquiries_are_checked(decider):
    body = {"incident": {"kind": "missing"}, "missing": {"whereabouts_known": False}}
    check = _check(decider, body)
    enquiries = next(s for s in check.home_steps if s.step == "missing.enquiries_done")
    assert enquiries.expected is True and enquiries.said is None
    assert "missing.enquiries_done" in [q.fact for q in check.questions]
    assert "Philomena" in enquiries.source


def test_what_the_caller_said_is_reported_as_said(decider):
    body = {"incident": {"kind": "assault"},
            "response_so_far": {"de_escalation_tried": False, "behaviour_policy_followed": True}}
    steps = {s.step: s.said for s in _check(decider, body).home_steps}
    assert steps["response_so_far.de_escalation_tried"] is False
    assert steps["response_so_far.behaviour_policy_followed"] is True
    assert steps["response_so_far.manager_consulted"] is None


# -- THRIVE -------------------------------------------------------------------------------------
def test_thrive_headings_carry_their_facts_and_sources(decider):
    body = {"person": {"age": 14, "exploitation_concern": True},
            "incident": {"kind": "theft", "victim": "public", "injury": "none"},
            "setting": {"location": "community"}}
    thrive = _check(decider, body).thrive
    for name in ("threat", "harm", "risk", "investigation", "vulnerability", "engagement"):
        item = getattr(thrive, name)
        assert item.summary and item.facts
        assert "National Decision Model" in item.source
    vulnerability = {f.fact: f.value for f in thrive.vulnerability.facts}
    assert vulnerability["person.age"] == 14 and vulnerability["person.exploitation_concern"] is True
    assert vulnerability["person.neurodivergent"] is None  # unknown stays unknown
    assert "exploitation" in thrive.vulnerability.summary
    assert {f.fact: f.value for f in thrive.harm.facts}["incident.victim"] == "public"


@pytest.mark.parametrize("level, grade", [(Level.call_999, "high"), (Level.call_101, "medium"),
                                          (Level.report_later, "low"), (Level.no_police, "low")])
def test_thrive_grade_follows_the_level(decider, level, grade):
    bodies = {
        Level.call_999: {"incident": {"kind": "assault", "risk_to_life": True}},
        Level.call_101: {"incident": {"kind": "missing"}, "missing": {"whereabouts_known": False}},
        Level.report_later: {"incident": {"kind": "other"}},
        Level.no_police: {"incident": {"kind": "verbal_abuse"}, "setting": {"location": "in_placement"}},
    }
    check = _check(decider, bodies[level])
    assert check.recommendation is level
    assert check.thrive.grade == grade


# -- words: non-judgmental, about a child ------------------------------------------------------
JUDGMENTAL = re.compile(r"\b(offender|perpetrator|suspect|criminal|culprit|thug|wasting|waste of|should have|"
                        r"should not have|shouldn't have|your fault)\b", re.IGNORECASE)


@pytest.mark.parametrize("body", [
    {"incident": {"kind": "assault", "risk_to_life": True}},
    {"incident": {"kind": "missing"}, "missing": {"whereabouts_known": False}},
    {"incident": {"kind": "assault", "victim_wants_police": True, "victim": "staff"}},
    {"incident": {"kind": "criminal_damage", "damage_value_gbp": 30}, "setting": {"location": "in_placement"},
     "response_so_far": {"de_escalation_tried": False, "manager_consulted": False,
                         "behaviour_policy_followed": False}},
])
def test_words_for_the_caller_are_plain_and_about_a_child(decider, body):
    check = _check(decider, body)
    words = " ".join(check.say_to_caller)
    assert words.startswith("Thank you")
    assert "young person" in words
    assert not JUDGMENTAL.search(words), words
    texts = [check.headline, check.police_response.what_happens, *(getattr(check.thrive, n).summary for n in (
        "threat", "harm", "risk", "investigation", "vulnerability", "engagement"))]
    for text in texts:
        assert not re.search(r"\boffender\b", text, re.IGNORECASE), text


def test_every_kind_gives_a_complete_check(decider):
    for kind, risk in itertools.product(allowed_values("incident.kind"), (None, False)):
        body = {"incident": {"kind": kind, **({} if risk is None else {"risk_to_life": risk})}}
        check = _check(decider, body)
        assert check.say_to_caller and check.rationale
        assert check.police_response.source


def test_words_for_report_later_are_not_the_no_police_words(decider):
    later = _check(decider, {"incident": {"kind": "other"}})
    home = _check(decider, {"setting": {"location": "in_placement"},
                            "incident": {"kind": "criminal_damage", "damage_value_gbp": 30, "child_calm_now": True}})
    assert later.recommendation is Level.report_later and home.recommendation is Level.no_police
    assert "registered manager decides next working day" in " ".join(later.say_to_caller)
    assert "the way a parent would handle it" not in " ".join(later.say_to_caller)
    assert "the way a parent would handle it" in " ".join(home.say_to_caller)


def test_a_caller_who_spoke_to_the_manager_is_not_asked_to_again(decider):
    said = _check(decider, {"incident": {"kind": "other"}, "response_so_far": {"manager_consulted": True}})
    not_said = _check(decider, {"incident": {"kind": "other"}})
    assert not any("manager on call" in words for words in said.say_to_caller)
    assert any("manager on call" in words for words in not_said.say_to_caller)
