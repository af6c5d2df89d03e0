"""Realistic incidents, one group per theme of the guidance, with the answer the public guidance expects."""

from __future__ import annotations

import re

import pytest

HOME = {"type": "childrens_home", "location": "in_placement"}
CALM = {"child_calm_now": True, "in_progress": False, "risk_to_life": False}

CASES = [
    # theme, description, facts, expected level, rule ids that must be in the rationale
    ("immediate-danger", "a young person threatens to jump from a roof",
     {"incident": {"kind": "self_harm", "risk_to_life": True}}, "call_999", ["risk-to-life"]),
    ("immediate-danger", "a resident collapses after being punched",
     {"setting": HOME, "incident": {"kind": "assault", "injury": "life_threatening", "victim": "resident"}},
     "call_999", ["life-threatening-injury"]),
    ("immediate-danger", "a fire in a bedroom, still burning",
     {"setting": HOME, "incident": {"kind": "fire_setting", "in_progress": True}}, "call_999", ["fire-in-progress"]),
    ("immediate-danger", "a carer is being badly beaten now",
     {"setting": {"type": "foster_care", "location": "in_placement"},
      "incident": {"kind": "assault", "in_progress": True, "injury": "serious", "victim": "carer"}},
     "call_999", ["serious-harm-in-progress"]),
    ("weapons", "waving a kitchen knife at staff right now",
     {"setting": HOME, "incident": {"kind": "threats", "weapon": "bladed", "in_progress": True, "victim": "staff"}},
     "call_999", ["weapon-in-use-now"]),
    ("weapons", "a knife was used earlier, now put down and calm",
     {"setting": HOME, "incident": {"kind": "threats", "weapon": "bladed", **CALM}}, "call_101", ["bladed-weapon"]),
    ("weapons", "a chair leg was swung, it is over",
     {"setting": HOME, "incident": {"kind": "assault", "weapon": "improvised", "injury": "none", **CALM}},
     "report_later", ["improvised-weapon-afterwards"]),
    ("violence", "a push at bedtime, nobody hurt, calm now",
     {"setting": HOME, "incident": {"kind": "assault", "injury": "none", "weapon": "none", "victim": "staff", **CALM}},
     "no_police", ["reasonable-parent-test", "low-level-violence-in-home"]),
    ("violence", "a staff member has a broken nose, the young person is calm",
     {"setting": HOME, "incident": {"kind": "assault", "injury": "serious", "victim": "staff", **CALM}},
     "call_101", ["assault-serious-injury"]),
    ("violence", "swearing at a carer",
     {"setting": {"type": "foster_care", "location": "in_placement"},
      "incident": {"kind": "verbal_abuse", "victim": "carer", "in_progress": False}},
     "no_police", ["verbal-abuse"]),
    ("violence", "a scuffle still going on, de-escalation not yet tried",
     {"setting": HOME, "incident": {"kind": "assault", "in_progress": True, "injury": "none", "weapon": "none",
                                    "risk_to_life": False},
      "response_so_far": {"de_escalation_tried": False}},
     "report_later", ["try-de-escalation-first"]),
    ("damage-and-theft", "a broken window worth £40, calm now",
     {"setting": HOME, "incident": {"kind": "criminal_damage", "damage_value_gbp": 40, "injury": "none",
                                    "weapon": "none", **CALM}},
     "no_police", ["low-value-damage-in-home"]),
    ("damage-and-theft", "a smashed TV worth £450",
     {"setting": HOME, "incident": {"kind": "criminal_damage", "damage_value_gbp": 450, **CALM}},
     "report_later", ["moderate-damage-in-home"]),
    ("damage-and-theft", "a car worth £3,000 damaged in the community",
     {"setting": {"type": "supported_accommodation", "location": "community"},
      "incident": {"kind": "criminal_damage", "damage_value_gbp": 3000, "victim": "public"}},
     "call_101", ["significant-damage"]),
    ("damage-and-theft", "£10 taken from a carer's purse",
     {"setting": {"type": "foster_care", "location": "in_placement"},
      "incident": {"kind": "theft", "victim": "carer", "victim_wants_police": False, **CALM}},
     "no_police", ["reasonable-parent-test", "theft-at-home"]),
    ("sexual-harm", "an allegation of sexual touching between residents",
     {"setting": HOME, "incident": {"kind": "sexual", "victim": "resident", "in_progress": False}},
     "call_101", ["sexual-harm"]),
    ("exploitation-and-drugs", "a small amount of cannabis found",
     {"setting": HOME, "incident": {"kind": "drugs"}, "person": {"exploitation_concern": False}},
     "report_later", ["small-amount-of-cannabis"]),
    ("exploitation-and-drugs", "drugs and cash found on a young person known to the CE hub",
     {"setting": HOME, "incident": {"kind": "drugs"}, "person": {"exploitation_concern": True}},
     "call_101", ["exploitation-share-with-police", "possible-victim-of-exploitation"]),
    ("missing", "not back, nobody knows where, enquiries done",
     {"incident": {"kind": "missing"}, "missing": {"whereabouts_known": False, "enquiries_done": True}},
     "call_101", ["missing-whereabouts-unknown"]),
    ("missing", "reported missing, nobody has said whether they know where",
     {"incident": {"kind": "missing"}}, "call_101", ["missing-whereabouts-unknown"]),
    ("violence", "one resident hitting another right now, de-escalation not yet tried",
     {"setting": HOME, "incident": {"kind": "assault", "in_progress": True, "injury": "minor", "weapon": "none",
                                    "victim": "resident", "risk_to_life": False},
      "response_so_far": {"de_escalation_tried": False}},
     "call_101", ["assault-in-progress"]),
    ("missing", "at a friend's house and refusing to come back",
     {"incident": {"kind": "missing"}, "missing": {"whereabouts_known": True, "immediate_concern": False}},
     "no_police", ["away-without-authorisation"]),
    ("missing", "missing and seen getting into a car with unknown adults",
     {"incident": {"kind": "missing"}, "missing": {"whereabouts_known": False, "immediate_concern": True}},
     "call_999", ["missing-immediate-concern"]),
    ("reasonable-parent", "pulled a curtain down, calm now, but it keeps happening",
     {"setting": HOME, "incident": {"kind": "criminal_damage", "damage_value_gbp": 20, "repeat_pattern": True, **CALM}},
     "report_later", ["repeat-pattern"]),
    ("child-first", "damage foreseen in the behaviour support plan",
     {"setting": HOME, "person": {"behaviour_in_plan": True},
      "incident": {"kind": "criminal_damage", "damage_value_gbp": 2500, **CALM}},
     "report_later", ["behaviour-foreseen-in-plan"]),
    ("child-first", "self-harm with a minor injury",
     {"setting": HOME, "incident": {"kind": "self_harm", "injury": "minor", "victim": "self", "risk_to_life": False}},
     "no_police", ["self-harm-is-care"]),
    ("victims", "a member of staff who was pushed wants to report",
     {"setting": HOME, "incident": {"kind": "assault", "injury": "minor", "victim": "staff",
                                    "victim_wants_police": True, **CALM}},
     "call_101", ["staff-or-carer-wants-to-report"]),
    ("health", "a young person has taken an overdose and is drowsy",
     {"setting": HOME, "incident": {"kind": "drugs"}, "health": {"medical_emergency": True}},
     "call_999", ["medical-emergency"]),
    ("health", "a mental-health crisis with no crime and no risk to life",
     {"setting": HOME, "incident": {"kind": "other", "risk_to_life": False}, "health": {"mental_health_crisis": True}},
     "no_police", ["mental-health-crisis-care"]),
    ("victims", "racist abuse of another resident",
     {"setting": HOME, "incident": {"kind": "verbal_abuse", "victim": "resident", "hate_motivated": True, **CALM}},
     "report_later", ["hate-motivated"]),
]


@pytest.mark.parametrize("theme, description, facts, level, rule_ids", CASES, ids=[c[1] for c in CASES])
def test_theme_case(decider, book, theme, description, facts, level, rule_ids):
    decision = decider.decide(facts)
    assert decision.recommendation.value == level, decision.headline
    cited = [reason.rule for reason in decision.rationale]
    for rule_id in rule_ids:
        assert rule_id in cited, f"{rule_id} missing from {cited}"
    assert book.rule(cited[0]).then.recommend.value == level
    assert any(book.rule(r).theme == theme for r in cited)


def test_every_theme_is_exercised_here(book):
    exercised = {case[0] for case in CASES}
    recommending = {rule.theme for rule in book.rules if rule.then.recommend}
    assert recommending <= exercised


DUTIES = [
    # the duty, an incident that brings it, the action id, its deadline
    ("record every incident", {"incident": {"kind": "other"}}, "record-incident", "24h"),
    ("restraint recorded in 24h", {"setting": HOME, "incident": {"kind": "assault"},
                                   "response_so_far": {"restraint_used": True}}, "restraint-record", "24h"),
    ("staff debriefed in 48h", {"setting": HOME, "incident": {"kind": "assault"},
                                "response_so_far": {"restraint_used": True}}, "restraint-staff-debrief", "48h"),
    ("child spoken to in 5 days", {"setting": HOME, "incident": {"kind": "assault"},
                                   "response_so_far": {"restraint_used": True}}, "restraint-child-debrief", "5 days"),
    # The young person hurt a member of staff: the Child Information Form is for a suspect, and with
    # nobody saying who was hurt the young person's role is not known (rule who-caused-it-not-known).
    ("Child Information Form now", {"incident": {"kind": "assault", "injury": "serious", "victim": "staff"}},
     "child-information-now", "now"),
    ("Child Information Form in 3 days", {"incident": {"kind": "assault", "injury": "serious", "victim": "staff"}},
     "child-information-3-days", "3 days"),
    ("Ofsted for a serious police incident", {"setting": HOME, "incident": {"kind": "assault", "risk_to_life": True}},
     "notify-ofsted-serious", "24h"),
    ("Ofsted for exploitation", {"setting": HOME, "incident": {"kind": "exploitation"}},
     "notify-ofsted-exploitation", "24h"),
    ("missing: enquiries now", {"incident": {"kind": "missing"}, "missing": {"whereabouts_known": False}},
     "missing-enquiries", "now"),
    ("missing: Philomena form", {"incident": {"kind": "missing"}, "missing": {"whereabouts_known": False}},
     "philomena-form", "now"),
    ("every 999 answer says how to call", {"incident": {"kind": "weapon", "weapon": "firearm"}}, "call-999", "now"),
    ("inform the social worker", {"incident": {"kind": "theft"}}, "inform-social-worker", "next working day"),
    ("staff welfare", {"incident": {"kind": "assault", "victim": "staff"}}, "staff-welfare-check", "48h"),
    # the young person's own damage: with nobody saying who did it, no suspect's step (review whodid17)
    ("restorative follow-up", {"setting": HOME, "incident": {"kind": "criminal_damage", "damage_value_gbp": 30,
                                                              "harmed_by": "young_person", **CALM}},
     "restorative-conversation", "next working day"),
    ("out of county", {"setting": {"out_of_county": True}, "incident": {"kind": "theft"}}, "placing-authority",
     "next working day"),
]


@pytest.mark.parametrize("duty, facts, action_id, by", DUTIES, ids=[d[0] for d in DUTIES])
def test_duties_reach_the_actions(decider, duty, facts, action_id, by):
    actions = {action.id: action for action in decider.decide(facts).actions}
    assert action_id in actions, sorted(actions)
    assert actions[action_id].by == by
    assert actions[action_id].source.strip()


def test_no_police_does_not_bring_police_only_duties(decider):
    decision = decider.decide({"setting": HOME, "incident": {"kind": "criminal_damage", "damage_value_gbp": 30, **CALM}})
    ids = {action.id for action in decision.actions}
    assert decision.recommendation.value == "no_police"
    assert "child-information-now" not in ids and "notify-ofsted-serious" not in ids
    assert "call-999-if-it-changes" in ids


def test_reasons_quote_the_facts(decider, book):
    decision = decider.decide({"setting": HOME, "incident": {"kind": "criminal_damage", "damage_value_gbp": 40, **CALM}})
    text = " ".join(reason.because for reason in decision.rationale)
    line = book.parameters["low_value_damage_gbp"].value
    assert "£40" in text and f"£{line:,.0f}" in text and "local" in text  # a local default, not the guidance's figure


def test_words_are_about_a_child_not_an_offender(book):
    for rule in book.rules:
        for text in [rule.because, rule.title] + [a.what for a in rule.then.actions]:
            assert "offender" not in text.lower() and "perpetrator" not in text.lower(), rule.id


CARE_LEAVER_KINDS = ["assault", "criminal_damage", "drugs", "theft", "verbal_abuse", "other", "sexual", "exploitation"]


@pytest.mark.parametrize("setting", ["foster_care", "supported_accommodation", "childrens_home", "other"])
def test_a_care_leaver_gets_an_adults_words_wherever_they_live(decider, setting):
    """A care leaver staying put or in their own home is an adult: a personal adviser and a pathway
    plan, never "the young person's social worker", a care plan or a child's forms, and no word
    twice over ("their personal adviser and their personal adviser")."""
    for kind in CARE_LEAVER_KINDS:
        for victim in ("self", "carer", "none"):
            decision = decider.decide({
                "person": {"age": 19, "status": "care_leaver"}, "setting": {"type": setting, "location": "in_placement"},
                "incident": {"kind": kind, "victim": victim, "injury": "minor", "in_progress": False,
                             "risk_to_life": False, "child_calm_now": True}})
            text = " ".join([decision.headline] + [a.what for a in decision.actions]
                            + [r.because for r in decision.rationale])
            where = (setting, kind, victim)
            assert "young person's social worker" not in text, where
            assert "care plan" not in text, where
            assert "Child Information Form" not in text and "appropriate adult" not in text, where
            assert "against a child" not in text and "Designated Officer" not in text, where
            assert not re.search(r"\b(their personal adviser) and \1\b", text), where


# --- h11: a child in care living somewhere else, and words that read as English in every setting ---
@pytest.mark.parametrize("status, age", [("looked_after", 15), ("looked_after", 17), (None, 13)])
def test_a_child_in_care_living_elsewhere_gets_a_childs_words(decider, status, age):
    """`other` for a child in care (placed with family, at a residential school): their social worker,
    never a personal adviser (an adult's) or a registered manager (a home's)."""
    for kind in CARE_LEAVER_KINDS:
        for victim in ("self", "carer", "none"):
            person = {"age": age, **({"status": status} if status else {})}
            decision = decider.decide({
                "person": person, "setting": {"type": "other", "location": "in_placement"},
                "incident": {"kind": kind, "victim": victim, "injury": "minor", "in_progress": False,
                             "risk_to_life": False, "child_calm_now": True}})
            text = " ".join([decision.headline] + [a.what for a in decision.actions]
                            + [r.because for r in decision.rationale]).lower()
            where = (status, age, kind, victim)
            assert "personal adviser" not in text and "registered manager" not in text, where
            assert "pathway plan" not in text, where


@pytest.mark.parametrize("status,age", [("looked_after", None), (None, 12), ("looked_after", 16)])
def test_a_child_in_care_whose_setting_was_not_said_gets_a_childs_words(decider, status, age):
    """A child known to be in care (or under 16) with the setting not said: their social worker and
    care plan, never a personal adviser or a pathway plan (an adult's), whatever the incident."""
    for kind in CARE_LEAVER_KINDS + ["fire_setting", "weapon", "missing"]:
        person = {**({"age": age} if age else {}), **({"status": status} if status else {})}
        decision = decider.decide({"person": person, "incident": {"kind": kind}})
        text = " ".join([decision.headline] + [a.what for a in decision.actions]
                        + [r.because for r in decision.rationale]).lower()
        assert "personal adviser" not in text and "pathway plan" not in text, (status, age, kind)


def test_setting_words_read_as_english_in_every_setting(book):
    """A setting's word put into a rule's text never gives "the their carers" or "the your home"."""
    pattern = re.compile(r"\{([wW])ords\.(\w+)\}")
    doubled = re.compile(r"\b(the|a|an|your|their) (the|a|an|your|their|whoever)\b", re.IGNORECASE)
    for rule in book.rules:
        for text in [rule.because] + [a.what for a in rule.then.actions]:
            for words in book.vocabulary.word_sets():
                filled = pattern.sub(lambda m: words[m.group(2)], text)
                assert not doubled.search(filled), (rule.id, filled)
