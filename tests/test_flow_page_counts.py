"""How many pages a carer who knows every fact answers about an everyday incident, and why each
question after "the answer so far" is offered is still asked (journeys6, task b).

Measured on the pages' own flow (danger, who and where, what happened, then each question): a
curtain pulled down or a broken mug 16 pages, swearing 14, a push that is over 18 (17 before review
15 asked about an exploitation concern for an assault). Every question asked could still change
the answer when it is asked (the what-ifs list it), and every one asked
after the answer so far is offered (nothing left could make it 999) either changes the answer by
itself or is part of a route to a call now (101): a person harmed outside the home who wants to
report it, hate, a member of staff or another adult who caused it. Leaving those out, or ending the
pages early, would drop a question that could raise the answer to 101, which invariant 5's spirit
("not knowing is not safe") and the task forbid. The counts are pinned so that they do not grow
unnoticed.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from callguide.facts import Level, allowed_values
from callguide.web import flow
from callguide.web.so_far import answer_so_far

COMMON = {"incident.risk_to_life": False, "person.status": "looked_after", "incident.weapon": "none",
          "incident.injury": "none", "incident.in_progress": False, "incident.child_calm_now": True,
          "setting.location": "in_placement", "incident.harmed_by": "young_person", "incident.victim_wants_police": False,
          "incident.hate_motivated": False, "incident.repeat_pattern": False, "person.police_in_plan": False,
          "health.medical_emergency": False, "incident.suspect_present": True}
FOSTER = {"person.age": 12, "setting.type": "foster_care", "incident.victim": "carer"}
HOME = {"person.age": 14, "setting.type": "childrens_home", "incident.victim": "staff"}
# (incident, who, what happened, facts of its own, question pages with the danger page, the answer)
EVERYDAY = [
    ("a curtain pulled down", FOSTER, "criminal_damage", {"incident.damage_value_gbp": 30}, 16, Level.no_police),
    ("a broken mug", HOME, "criminal_damage", {"incident.damage_value_gbp": 5}, 16, Level.no_police),
    ("swearing at staff", HOME, "verbal_abuse", {}, 14, Level.no_police),
    # 18 since review 15: the exploitation question is asked for an assault too (a child with an
    # exploitation concern drawn into an assault out in the community is told to the police).
    ("a push that is over", FOSTER, "assault", {}, 18, Level.no_police),
]
WHO_AND_WHAT = ("incident.risk_to_life", "person.status", "person.age", "setting.type", "incident.kind")


def walk(decider, truth: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]], int | None]:
    """The questions after what happened, the answers before each, and the page the answer so far is first offered on."""
    state = flow.prune({path: truth[path] for path in WHO_AND_WHAT}, decider)
    asked: list[str] = []
    before: list[dict[str, Any]] = []
    offered = None
    for _ in range(40):
        step = flow.next_step(state, decider)
        if step in ("check", "call-999"):
            break
        if offered is None and answer_so_far(state, decider):
            offered = len(asked)
        asked.append(step)
        before.append(dict(state))
        state = flow.prune({**state, step: truth.get(step, flow.UNKNOWN)}, decider)
    assert step == "check"
    return asked, before, offered


AMOUNTS = [0, 5, 30, 100, 250, 500, 1000, 5000]  # pounds of damage, around every threshold the rules use


def values(fact: str) -> list[Any]:
    found = allowed_values(fact)
    return AMOUNTS if found is None else [v for v in found if v != "not_known"]


def changes(decider, state: dict[str, Any], fact: str, others: list[str]) -> set[Level]:
    """The answers ``fact`` leads to, alone or with some answers to ``others`` (any left unknown),
    that leaving ``fact`` unknown would not give."""
    known = flow.known_facts(state)
    found: set[Level] = set()
    for combo in itertools.product(*[[*values(o), None] for o in others]):
        given = {**known, **{o: v for o, v in zip(others, combo) if v is not None}}
        without = decider.level(given)
        found |= {level for level in (decider.level({**given, fact: v}) for v in values(fact)) if level is not without}
    return found


@pytest.mark.parametrize("name,who,kind,own,pages,level", EVERYDAY, ids=[e[0] for e in EVERYDAY])
def test_a_carer_who_knows_everything_is_asked_only_what_could_still_change_the_answer(decider, name, who, kind,
                                                                                        own, pages, level):
    truth = {**COMMON, **who, **own, "incident.kind": kind}
    asked, before, offered = walk(decider, truth)
    assert 1 + 4 + len(asked) == pages, asked           # danger, status, age, setting, what happened, then these
    assert decider.level(flow.known_facts({**before[-1], asked[-1]: truth.get(asked[-1], flow.UNKNOWN)})) is level
    assert offered is not None and offered < len(asked), "the answer so far is offered on the way"
    for i, fact in enumerate(asked):
        state = before[i]
        current = decider.level(flow.known_facts(state))
        listed = {q.fact for q in flow.deciding(state, decider).questions}
        assert fact in listed, (name, fact, "asked though it could not change the answer")
        if i < offered:
            continue
        # After the offer: kept because it changes the answer, alone or with the questions after it
        # (to a call now, or down to no police from slow time: both are the right answer for the facts)
        alone = any(decider.level({**flow.known_facts(state), fact: v}) is not current for v in values(fact))
        assert alone or changes(decider, state, fact, [f for f in asked[i + 1:] if f != fact]), (name, fact)


def test_after_the_answer_so_far_a_curtain_still_asks_questions_that_could_make_it_a_call_now(decider):
    """Why the curtain's last questions are not left out: who was harmed, hate and who caused it can
    each make it a call now together with the questions after them (a member of the public whose
    property it was and who wants to report it; hate with the wish to report)."""
    truth = {**COMMON, **FOSTER, "incident.damage_value_gbp": 30, "incident.kind": "criminal_damage"}
    asked, before, offered = walk(decider, truth)
    for fact in ("incident.harmed_by", "incident.hate_motivated", "incident.victim"):
        i = asked.index(fact)
        assert i >= offered, (fact, asked)
        assert Level.call_101 in changes(decider, before[i], fact, [f for f in asked[i + 1:] if f != fact]), fact


OUTSIDE = [("criminal_damage", 16), ("fire_setting", 14), ("disorder", 13)]


@pytest.mark.parametrize("kind,pages", OUTSIDE, ids=[kind for kind, _ in OUTSIDE])
def test_an_adult_from_outside_still_nearby_is_reached_and_the_young_person_is_not_asked_more(decider, kind, pages):
    """H29-outside18-1, police.uk "When to call 999": someone suspected of a crime nearby. Over now,
    an adult from outside still nearby is a 999 call, reached by "who did it?" then "still nearby?";
    when the young person did it, "still nearby?" is never asked (at home they are always nearby).
    Damage asks who did it anyway (its page count is pinned above); a fire or disorder that is over
    asks it once, after the rest, as nothing else would."""
    for who in ("young_person", "adult"):
        truth = {**COMMON, **HOME, "incident.kind": kind, "incident.harmed_by": who, "incident.damage_value_gbp": 30}
        state = flow.prune({path: truth[path] for path in WHO_AND_WHAT}, decider)
        asked: list[str] = []
        for _ in range(40):
            step = flow.next_step(state, decider)
            if step in ("check", "call-999"):
                break
            asked.append(step)
            state = flow.prune({**state, step: truth.get(step, flow.UNKNOWN)}, decider)
        assert "incident.harmed_by" in asked, (who, asked)
        if who == "adult":
            assert step == "call-999" and asked[-2:] == ["incident.harmed_by", "incident.suspect_present"], asked
        else:
            assert step == "check" and "incident.suspect_present" not in asked, asked
            assert 1 + 4 + len(asked) == pages, asked
