"""Not knowing is not safe (CONTRACT.md invariant 5), as two general properties over generated incidents.

1. An age nobody gave is answered at least as protectively as any age under 18 the other facts allow
   (a care leaver of 16 or 17 is a child in law: Children Act 1989 s.105, s.23A; a looked-after
   child is under 18): the age is asked, and until it is answered the answer is a child's.
2. Leaving a danger fact unknown never gives a lower answer than its reassuring value does: not
   knowing whether it is over, whether anyone is in danger or hurt, whether there is a weapon, or
   where a missing child is, is never treated as better news than "it is over", "nobody is hurt",
   "no weapon" or "we know where they are" (the facts of invariants 4 and 5, and the missing-person
   facts of the College of Policing APP and DfE 2014).
3. Leaving any fact unknown never gives a lower answer than every answer to it would: an answer
   nobody gave is never better news than all the answers it could be.
Each property is shown to fail on a rulebook that breaks it (the rules as they were before
H27-unknowns16-1 and the weapon rule before H27-unknowns16-8).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from callguide.decision import Decider
from callguide.facts import allowed_values, fact_paths
from callguide.rulebook import load_rulebook

from strategies import NUMBERS, SAMPLE_NUMBERS
from unknown_sweep import drops, examples, plausible

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Each danger fact with its reassuring answer.
REASSURING: dict[str, Any] = {
    "incident.in_progress": False,
    "incident.child_calm_now": True,
    "incident.risk_to_life": False,
    "incident.injury": "none",
    "incident.weapon": "none",
    "incident.suspect_present": False,
    "health.medical_emergency": False,
    "missing.immediate_concern": False,
    "missing.with_risky_person": False,
    "missing.whereabouts_known": True,
}


@st.composite
def sparse_facts(draw: st.DrawFn) -> dict[str, Any]:
    """Incidents with few facts known (about one in four), half of them about a care leaver: an
    unknown fact matters most when little else is known. The call handler's facts are left out."""
    known: dict[str, Any] = {"incident.kind": draw(st.sampled_from(allowed_values("incident.kind")))}
    if draw(st.booleans()):
        known["person.status"] = "care_leaver"
    for path in fact_paths():
        if path in known or path == "incident.kind" or path.startswith("call."):
            continue
        if draw(st.integers(0, 3)) == 0:
            values = allowed_values(path)
            known[path] = draw(st.sampled_from(values) if values is not None else NUMBERS[path])
    return known


# The incidents each property was found failing on, always tried first.
CARE_LEAVER_MISSING = {"incident.kind": "missing", "person.status": "care_leaver", "setting.type": "other",
                       "missing.whereabouts_known": False, "missing.enquiries_done": True,
                       "missing.immediate_concern": False}
OBJECT_USED_ON_RESIDENT = {"incident.kind": "self_harm", "incident.weapon": "improvised", "incident.victim": "resident",
                           "incident.injury": "minor", "incident.child_calm_now": True, "incident.in_progress": False}


def child_ages(known: dict[str, Any]) -> list[int]:
    """The ages under 18 the other facts allow (a care leaver, or a young person in supported
    accommodation, is 16 or over: unknown_sweep.plausible)."""
    return [age for age in range(10, 18) if plausible("person.age", age, known)]


def age_drop(decider: Decider, known: dict[str, Any]) -> int | None:
    """A child's age that gives a higher answer than leaving the age unknown, if there is one."""
    rest = {k: v for k, v in known.items() if k != "person.age"}
    unknown = decider.level(rest).rank
    return next((age for age in child_ages(rest) if decider.level({**rest, "person.age": age}).rank > unknown), None)


def reassurance_drop(decider: Decider, known: dict[str, Any], path: str) -> bool:
    rest = {k: v for k, v in known.items() if k != path}
    return decider.level({**rest, path: REASSURING[path]}).rank > decider.level(rest).rank


@SETTINGS
@given(sparse_facts())
@example(CARE_LEAVER_MISSING)
@example({"incident.kind": "assault", "person.status": "care_leaver", "incident.victim": "self",
          "incident.harmed_by": "staff_or_carer", "incident.in_progress": False, "incident.child_calm_now": True})
def test_an_age_nobody_gave_is_answered_as_a_child_would_be(decider, known):
    age = age_drop(decider, known)
    assert age is None, f"age {age} gives a higher answer than an age nobody gave: {known}"


@SETTINGS
@given(sparse_facts(), st.sampled_from(sorted(REASSURING)))
@example(OBJECT_USED_ON_RESIDENT, "incident.in_progress")
def test_not_knowing_is_never_safer_than_the_reassuring_answer(decider, known, path):
    assert not reassurance_drop(decider, known, path), f"{path} unknown is answered below {REASSURING[path]!r}: {known}"


def below_every_answer(decider: Decider, known: dict[str, Any], path: str) -> bool:
    rest = {k: v for k, v in known.items() if k != path}
    values = allowed_values(path) or SAMPLE_NUMBERS[path]
    return min(decider.level({**rest, path: v}).rank for v in values) > decider.level(rest).rank


@SETTINGS
@given(sparse_facts(), st.data())
def test_leaving_a_fact_unknown_is_never_below_every_answer_to_it(decider, known, data):
    paths = sorted(p for p in known if p != "incident.kind")
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    assert not below_every_answer(decider, known, path), f"{path} unknown is answered below all its values: {known}"


# -- the same over the rulebook's own examples (tests/unknown_sweep.py) --------------------------
@pytest.fixture(scope="module")
def sweep(decider):
    return [d for name, facts in examples() for d in drops(decider, name, facts)]


def test_every_fact_an_example_could_be_raised_by_is_asked_when_left_unknown(sweep):
    """Each advice case and scenario step with one known fact removed: where a value of that fact
    would raise the answer, the decision asks it (H27-unknowns16-8 lists the drops kept)."""
    assert sweep, "the sweep finds the drops the guidance keeps (the safety-critical facts at least)"
    assert not [d for d in sweep if not d["asked"]]


def test_no_example_leaves_a_fact_unknown_below_every_answer_to_it(sweep):
    assert not [d for d in sweep if d["below_every"]]


# -- the properties can fail ---------------------------------------------------------------------
@pytest.fixture
def old_roles(edited_rules):
    """The rules with a care leaver whose age nobody gave taken as an adult (before H27-unknowns16-1)."""
    edited_rules("roles.yaml", "    when:\n      person.age: {at_least: 18}\n",
                 "    when:\n      any:\n        - person.age: {at_least: 18}\n"
                 "        - {person.status: care_leaver, person.age: {known: false}}\n")
    return edited_rules("roles.yaml", "        - person.age: {known: false}   # age not given",
                        "        - person.status: {not: care_leaver}\n          person.age: {known: false}   # age not given")


def test_the_age_property_fails_on_rules_that_take_an_unknown_age_as_an_adult(old_roles):
    assert age_drop(Decider(load_rulebook(old_roles)), CARE_LEAVER_MISSING) == 16


def test_the_reassurance_property_fails_on_a_rule_that_needs_it_known_to_be_over(edited_rules):
    wrong = Decider(load_rulebook(edited_rules(
        "weapons.yaml", "      incident.in_progress: {not: true}\n      derived: [weapon_to_review]",
        "      incident.in_progress: false\n      derived: [weapon_to_review]")))
    # Self-harm with an object also used on another young person, now calm (weapon-to-review).
    assert reassurance_drop(wrong, OBJECT_USED_ON_RESIDENT, "incident.in_progress")


def lowering_only_while_unknown(edited_rules, when: str) -> Decider:
    """A rulebook with a deliberately wrong ceiling (no police) that holds only while ``when``."""
    return Decider(load_rulebook(edited_rules("child-first.yaml", "rules:\n", f"""rules:
  - id: lowers-while-unknown
    title: A deliberately wrong ceiling that lowers only while a fact is unknown
    when: {when}
    then: {{recommend: no_police, strength: ceiling}}
    because: "This rule is deliberately wrong."
    source: "test only"
""")))


def test_the_every_answer_property_fails_on_a_rule_that_lowers_only_while_a_fact_is_unknown(edited_rules):
    wrong = lowering_only_while_unknown(edited_rules, "{incident.victim: {known: false}}")
    known = {"incident.kind": "assault", "incident.victim": "public", "incident.injury": "minor",
             "setting.location": "community", "incident.in_progress": False, "incident.child_calm_now": True}
    assert below_every_answer(wrong, known, "incident.victim")


def test_the_sweep_finds_an_example_answered_below_every_answer(edited_rules):
    wrong = lowering_only_while_unknown(edited_rules, "{setting.location: {known: false}, incident.kind: criminal_damage}")
    found = [d for name, facts in examples() if name.startswith(("u16-", "broken-window")) for d in drops(wrong, name, facts)]
    assert any(d["below_every"] for d in found), found
