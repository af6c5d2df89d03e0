"""Held-out journeys (journeys17), written from the public guidance and CONTRACT.md's "Web pages"
before anything was run. The young person in every role (Victims' Code 2020; Right Care, Right Person 2023): a victim of sextortion, a
13-year-old and a much older boy, a patient after an overdose, the one who pulled a curtain down, a
young adult who may not be able to decide, a young adult out of contact, a care leaver whose age
nobody gave; and the people who use the pages: a foster carer at 2am, a residential worker, a
personal adviser, a Force Control Room call handler, a trainer.

Every question page on the way is checked as CONTRACT.md says a page must be: its question in its
``legend`` or ``h1``, "I don't know" (or "I'm not sure") offered on every radio question but "what
happened", plain labels (never ``person.age`` nor ``similar_age_child``), and the setting's own
words (no "registered manager" in foster care or a care leaver's flat; no "as a parent would" for an
adult). Every answer page's ``data-recommendation`` is the engine's for the facts the user knew,
POSTed to the API. Each journey's docstring says what the guidance says it should end with.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from test_user_journeys5_browser import (
    FACT_NAME, contract_words, cumulative, engine_says, hear, no_verdict_yet, open_check, plain_facts, press_to,
    questions, result_text, stage, thrive, verdict)
from test_user_journeys6_browser import LABELS, SUSPECT_WORDS, at_least, tel_999_visible
from test_web_browser import (  # noqa: F401 (fixtures)
    NO_MANAGER, answer, base_url, browser, check_a11y, fact_on_page, get_the_answer, journey, page)

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 320, "height": 640}
DONT_KNOW = ("I\u2019m not sure", "I don\u2019t know")
FOSTER = {"status": "Looked after now", "setting": "Foster care"}
HOME = {"status": "Looked after now", "setting": "A children's home"}
OWN_FLAT = "Somewhere else (for example a care leaver's own home)"
SEXUAL = "Sexual harm, or sexual behaviour that worries you"
PARENT = "as a parent would"  # a parent's words, never for an adult (Children and Social Work Act 2017)
ADULT_CHOICE = "as an adult it is their choice"


class EveryPage(dict):
    """``journey``'s ``before`` hook for every question page (not only some facts)."""

    def __init__(self, check) -> None:
        super().__init__()
        self.check = check

    def __bool__(self) -> bool:
        return True

    def __contains__(self, fact: object) -> bool:
        return True

    def __getitem__(self, fact: str):
        return self.check


def plain_page(page, never: tuple[str, ...] = ()) -> str:
    """A page's main text in plain words: no contract field names, no raw value names, none of ``never``."""
    text = page.locator("main").inner_text()
    assert not re.search(FACT_NAME, text), (page.url, re.search(FACT_NAME, text))
    raw = {word for word in contract_words() if re.search(rf"\b{word}\b", text)}
    assert not raw, (page.url, raw)
    for word in never:
        assert word not in text.lower(), (page.url, word)
    return text


def question_page_checker(page, never: tuple[str, ...] = ()):
    """Checks each question page as CONTRACT.md's "Web pages" says: a form in ``main`` with radios or
    an input, the question in its legend or h1, "I don't know" offered on radios (not "what happened",
    whose last choice is "Something else"), plain words."""
    asked: list[str] = []

    def check() -> None:
        fact = fact_on_page(page)
        asked.append(fact)
        assert page.locator("main form").count() == 1, page.url
        question = page.locator("main legend, main h1").first.inner_text().strip()
        assert question, page.url
        radios = page.locator("main input[type=radio]")
        if radios.count():
            labels = [t.strip() for t in page.locator("main .govuk-radios__label").all_inner_texts()]
            if fact != "incident.kind":
                assert any(lab in DONT_KNOW for lab in labels), (fact, labels)
        else:
            assert page.locator("main input.govuk-input").count() == 1, page.url
        # the setting's own words once the setting is known (its own page lists every setting)
        plain_page(page, never if "setting.type=" in page.url else ())

    return EveryPage(check), asked


def facts_of(flat: dict) -> dict:
    """{"person.age": 15, ...} -> the contract's nested incident facts."""
    nested: dict = {}
    for path, value in flat.items():
        section, name = path.split(".", 1)
        nested.setdefault(section, {})[name] = value
    return nested


def page_facts(page) -> dict:
    """The facts the page's own address carries (CONTRACT: an answer not known is absent; "I don't
    know" who did it is "nobody knows who yet", as the pages say it)."""
    flat: dict = {}
    for path, raw in parse_qsl(urlsplit(page.url).query):
        if raw == "unknown":
            if path == "incident.harmed_by":
                flat[path] = "not_known"
            continue
        flat[path] = {"yes": True, "no": False}.get(raw, int(raw) if raw.isdigit() else raw)
    return flat


def same_as_engine(page, knew: dict) -> str:
    """The answer panel's level is the engine's for the same facts POSTed to the API (the page's own
    answers), and for everything the person knew (the pages did not skip a question that mattered)."""
    shown = page.locator("main [data-recommendation]").first.get_attribute("data-recommendation")
    said = page_facts(page)
    assert shown == engine_says(page, facts_of(said))[0], ("the page and the API disagree", shown, said)
    assert shown == engine_says(page, facts_of({**said, **knew}))[0], ("a question that mattered was not asked",
                                                                      shown, {**said, **knew})
    return shown


def then_dont_know(page, stop: str = "/should-i-call/result") -> str:
    """After a changed answer: "I don't know" to whatever else the pages ask, then the answer's level."""
    for _ in range(20):
        if any(end in page.url for end in ("/should-i-call/check", "/should-i-call/call-999", stop)):
            break
        if page.locator("input.govuk-input").count():
            answer(page, text="")
        else:
            answer(page, "I don\u2019t know")
    if "/should-i-call/check" in page.url:
        get_the_answer(page)
    return page.locator("main [data-recommendation]").first.get_attribute("data-recommendation")


def hear_facts(page, flat: dict) -> None:
    """The handler records these facts on the form (the same facts the engine is then asked about)."""
    hear(page, **{path.replace(".", "-").replace("_", "-"): {True: "yes", False: "no"}.get(value, str(value))
                  for path, value in flat.items()})


# -- 1. A foster carer at 2am: her foster daughter of 15 is being blackmailed over images -------------------
def test_j1_a_foster_carer_at_2am_whose_foster_daughter_of_15_is_sextorted_by_someone_unknown(page):
    """NCA (2024) and UKCIS "Sharing nudes and semi-nudes" (2024): a child blackmailed over images
    (sextortion) is a victim of a crime to report to the police now; she is not in trouble, does not
    pay or send more, the messages are kept, and Report Remove can take the images down. Nobody is in
    immediate danger and it is not happening in front of the carer: the police now, not 999 (Protocol
    §8.2.3). Who is on the other end is not known, so the pages must take "I don't know" and still
    ask about the blackmail. A foster carer's words: the supervising social worker, never a
    "registered manager"; never a suspect's steps for a child who was harmed."""
    page.set_viewport_size(SMALL_PHONE)
    hook, asked = question_page_checker(page, never=(NO_MANAGER,))
    journey(page, "No", {**FOSTER, "age": "15"}, SEXUAL, {
        "health.medical_emergency": "No", "incident.in_progress": "No", "incident.injury": "No one was hurt",
        "incident.weapon": "No weapon", "incident.victim": "The young person themself",
        "incident.coercion": "Yes", "incident.suspect_present": "No", "setting.location": "Where they live"},
        before=hook)
    assert "incident.coercion" in asked, asked
    get_the_answer(page)
    level = same_as_engine(page, {"incident.in_progress": False, "incident.injury": "none",
                                  "incident.weapon": "none", "incident.suspect_present": False})
    assert level == "call_101", level
    text = plain_page(page, never=(NO_MANAGER, *SUSPECT_WORDS, *LABELS)).lower()
    assert "supervising social worker" in text, text
    assert "not to pay" in text and "not to delete the messages" in text, text
    assert "report remove" in text, text
    assert tel_999_visible(page)
    check_a11y(page)


# -- 2. A residential worker: a girl of 13 sent images to a boy of 17 ---------------------------------------
def test_j2_a_residential_worker_whose_girl_of_13_sent_images_to_a_much_older_boy(page):
    """UKCIS "Sharing nudes and semi-nudes" (2024) and the NSPCC's harmful sexual behaviour framework:
    images between young people of a similar age, with no pressure, are a safeguarding plan; a much
    older (or much younger) other child, an adult or a child under 13 makes it a matter for the police
    and children's social care now. Lily, 13, in a children's home, sent images to a boy she says is
    17: the other person's age decides, so the pages must ask it (with "I don't know"), and she is the
    one at risk, never given a suspect's steps. The police now, not 999: nobody is in danger.
    Expectation corrected: I first had the worker say Lily herself was harmed, by another young
    person. That is already sexual harm to a child (101) whoever the other is, so the age cannot change
    it and is rightly not asked; the age decides when the worker sees it as images she sent, nobody
    harmed, which is how the journey now answers."""
    page.set_viewport_size(PHONE)
    hook, asked = question_page_checker(page)
    journey(page, "No", {**HOME, "age": "13"}, SEXUAL, {
        "health.medical_emergency": "No", "incident.in_progress": "No", "incident.injury": "No one was hurt",
        "incident.weapon": "No weapon", "incident.victim": "No one",
        "incident.harmed_by": "The young person", "incident.coercion": "No",
        "incident.other_person_age": "A child (under 18) much older than the young person",
        "incident.suspect_present": "No", "setting.location": "Where they live", "incident.child_calm_now": "Yes"},
        before=hook)
    assert "incident.other_person_age" in asked, asked
    get_the_answer(page)
    level = same_as_engine(page, {"incident.coercion": False, "incident.in_progress": False,
                                  "incident.injury": "none", "incident.child_calm_now": True})
    assert level == "call_101", level
    # the sources may cite the fostering regulations beside the children's homes' (journeys6 J10)
    plain_page(page, never=(*SUSPECT_WORDS, *LABELS, "foster carer", "supervising social worker", "personal adviser"))
    check_a11y(page)


# -- 3. A residential worker: a girl of 16 has taken an overdose ----------------------------------------------
def test_j3_a_residential_worker_whose_girl_of_16_took_an_overdose_gets_an_ambulance_first(page):
    """NHS "When to call 999", Right Care, Right Person (2023): an overdose
    is a medical emergency, 999 for an ambulance, medical help before anything else; self-harm is a
    health and care matter, never an offence: no suspect's steps. The worker answers "No" to the
    danger question (she is awake and talking), chooses "hurt themself", and the first thing asked is
    whether anyone needs an ambulance; "Yes" is the "Call 999 now" page, asking for an ambulance."""
    page.set_viewport_size(PHONE)
    hook, asked = question_page_checker(page)
    journey(page, "No", {**HOME, "age": "16"}, "The young person has hurt themself",
            {"health.medical_emergency": "Yes"}, before=hook)
    assert asked[asked.index("incident.kind") + 1] == "health.medical_emergency", asked
    assert "/should-i-call/call-999" in page.url, page.url
    level = same_as_engine(page, {})
    assert level == "call_999"
    text = plain_page(page, never=(*SUSPECT_WORDS, *LABELS, "foster")).lower()
    assert "ambulance" in text, text
    steps = page.locator("#do-now").inner_text().lower()
    assert "ambulance" in steps and "weapon" not in steps, steps
    assert tel_999_visible(page)
    check_a11y(page)
    # Not knowing whether she needs an ambulance after tablets is not "no": medical help is still offered
    # first (NHS: call 999, A&E or 111). Expectation corrected: I wrote "never no police". The level is
    # the police's, and self-harm is not a police matter (Right Care, Right Person 2023); what must not
    # happen is an answer with nothing about her health on its first screen.
    page.go_back()
    page.wait_for_load_state("load")
    assert fact_on_page(page) == "health.medical_emergency", page.url
    answer(page, "I don\u2019t know")
    then_dont_know(page)
    same_as_engine(page, {})
    first = page.locator("#first-screen, #call-999-panel").first.inner_text().lower()
    assert "a&e" in first or "111" in first or "ambulance" in first, first
    plain_page(page, never=(*SUSPECT_WORDS, *LABELS))


# -- 4. The one who did it: a boy of 14 pulled a curtain down and is calm now ----------------------------------
def test_j4_a_residential_worker_whose_boy_of_14_pulled_a_curtain_down_is_told_no_police(page):
    """Howard League (2017-2019), Protocol §8.1 (a reasonable parent would not call the police) and
    the 2018 national protocol: pulling down a curtain, nobody hurt, over, the young person calm, the
    home's own curtain worth about £20, is not a police matter; the home responds as a parent would,
    with the young person's plan. The check-your-answers page and the record show plain labels
    ("Cost of the damage", "£20"), never field names; the record is written about a child."""
    page.set_viewport_size(PHONE)
    hook, asked = question_page_checker(page, never=("foster", "personal adviser"))
    journey(page, "No", {**HOME, "age": "14"}, "Damage to property", {
        "incident.in_progress": "No", "incident.injury": "No one was hurt", "incident.weapon": "No weapon",
        "incident.harmed_by": "The young person", "incident.victim": "No one", "setting.location": "Where they live",
        "incident.child_calm_now": "Yes", "incident.hate_motivated": "No", "incident.repeat_pattern": "No",
        "person.police_in_plan": "No", "incident.victim_wants_police": "No"},
        typed={"incident.damage_value_gbp": "20"}, before=hook)
    answers = plain_page(page)
    assert "Cost of the damage" in answers or "incident.damage_value_gbp" not in asked, answers
    primary = page.locator("main .govuk-button:not(.govuk-button--secondary):not(.govuk-button--warning)")
    assert primary.count() == 1, "check your answers has one primary button (CONTRACT: Web pages)"
    get_the_answer(page)
    level = same_as_engine(page, {"incident.injury": "none", "incident.weapon": "none", "incident.in_progress": False,
                                  "incident.child_calm_now": True, "incident.damage_value_gbp": 20,
                                  "incident.harmed_by": "young_person", "setting.location": "in_placement"})
    assert level == "no_police", level
    text = plain_page(page, never=("foster", "personal adviser", "child information form", "arrest", *LABELS)).lower()
    assert PARENT in text, text
    check_a11y(page)
    with page.expect_navigation():
        page.locator("#record-link").click()
    record = plain_page(page, never=LABELS).lower()
    assert "young person" in record


# -- 5. A personal adviser: a care leaver of 19 who may not be able to decide ----------------------------------
CARE_LEAVER = {"status": "A care leaver", "setting": OWN_FLAT}


def test_j5_a_personal_adviser_for_a_care_leaver_of_19_who_may_not_be_able_to_decide(page):
    """Mental Capacity Act 2005 ss.1-4, Care Act 2014 s.42 (adult safeguarding), Code of Practice for
    Victims: Jodie, 19, in her own flat, says a neighbour had sex with her last night and she does not
    want the police. Capacity is presumed (MCA s.1(2)), so whether there is a reason to doubt it must be
    asked on the way, with "I don't know" offered; not known, her wish stands and the question stays
    on the answer, to be answered from there. With a reason to doubt it, her wish is heard but cannot
    decide alone: the police and adult social care (at least 101). An adult in her own flat: her
    personal adviser, never a "registered manager", never "as a parent would"."""
    page.set_viewport_size(PHONE)
    never = (NO_MANAGER, PARENT, "foster", "philomena")
    hook, asked = question_page_checker(page, never=never)
    journey(page, "No", {**CARE_LEAVER, "age": "19"}, SEXUAL, {
        "health.medical_emergency": "No", "incident.in_progress": "No", "incident.injury": "No one was hurt",
        "incident.weapon": "No weapon", "incident.victim": "The young person themself",
        "incident.harmed_by": "Another adult", "incident.suspect_present": "No", "incident.victim_wants_police": "No",
        "setting.location": "Where they live", "incident.child_calm_now": "Yes",
        "incident.other_person_age": "An adult (18 or over)"}, before=hook)
    assert "person.may_lack_capacity" in asked, asked
    get_the_answer(page)
    first = same_as_engine(page, {"incident.in_progress": False, "incident.victim_wants_police": False})
    text = plain_page(page, never=(*never, *SUSPECT_WORDS)).lower()
    assert "personal adviser" in text
    with page.expect_navigation():
        page.locator("#open-questions a[href*='fact=person.may_lack_capacity']").click()
    answer(page, "Yes")
    then_dont_know(page)
    level = same_as_engine(page, {"person.may_lack_capacity": True})
    assert at_least(level, "call_101") and at_least(level, first), (first, level)
    text = plain_page(page, never=(*never, *SUSPECT_WORDS, ADULT_CHOICE)).lower()
    assert "safeguarding" in text and "personal adviser" in text, text
    check_a11y(page)


# -- 6. A personal adviser: a care leaver of 19 out of contact for three days ----------------------------------
def test_j6_a_personal_adviser_whose_care_leaver_of_19_is_out_of_contact(page):
    """College of Policing APP (missing persons), Children and Social Work Act 2017 ("as a
    young adult"): an adult out of contact is a police matter only when there is a risk; with no
    specific worry, the personal adviser keeps trying (no missing-child forms: no Philomena form, no
    return home interview). When the adviser learns he spoke of ending his life, it is reported at
    once (at least 101; more concern never lowers it, invariant 2)."""
    page.set_viewport_size(PHONE)
    never = (NO_MANAGER, PARENT, "philomena form", "return home interview")
    hook, asked = question_page_checker(page, never=never)
    journey(page, "No", {**CARE_LEAVER, "age": "19"}, "The young person is missing, or not where they should be", {
        "missing.whereabouts_known": "No", "missing.immediate_concern": "No", "missing.enquiries_done": "Yes",
        "missing.out_of_character": "No", "missing.with_risky_person": "No", "missing.medical_needs": "No",
        "missing.missing_before": "Yes"}, typed={"missing.hours_absent": "72"}, before=hook)
    assert not {"incident.weapon", "incident.injury"} & set(asked), asked
    get_the_answer(page)
    calm = same_as_engine(page, {})
    assert calm in ("no_police", "report_later"), calm
    text = plain_page(page, never=(*never, *SUSPECT_WORDS)).lower()
    assert "personal adviser" in text
    check_a11y(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Back to your answers").click()
    with page.expect_navigation():
        page.locator("#answers a[href*='fact=missing.immediate_concern']").click()
    answer(page, "Yes")
    then_dont_know(page)
    worried = same_as_engine(page, {"missing.immediate_concern": True})
    assert at_least(worried, "call_101"), worried
    # Found here (H28-journeys17-2): the 999 page told the adviser to say they were calling about "a
    # young person in care", of a man of 19 who left care (Children and Social Work Act 2017: a care leaver is not in care).
    text = plain_page(page, never=(*never, "young person in care", "who is in care")).lower()
    assert "care leaver" in text, text


# -- 7. A personal adviser: a care leaver whose age they leave empty, missing -----------------------------------
def test_j7_a_care_leaver_whose_age_nobody_gave_is_answered_as_a_child_until_it_is_known(page):
    """CONTRACT invariant 5 (not knowing is not safe), Children Act 1989 s.23A and s.105 (a care leaver
    of 16 or 17 is a child), the Philomena protocol and DfE 2014: a care leaver whose age the person
    asking leaves empty, whose whereabouts nobody knows, is answered as a missing child would be until
    the age is known: the police now (at least 101), never "as an adult it is their choice". The age
    page says it may be left empty. Its words claim neither a child's nor an adult's: no "registered
    manager", no "as a parent would"."""
    page.set_viewport_size(PHONE)
    never = (NO_MANAGER, PARENT, ADULT_CHOICE)
    hook, asked = question_page_checker(page, never=never)
    age_hint: list[str] = []
    journey(page, "No", {**CARE_LEAVER, "age": ""}, "The young person is missing, or not where they should be", {
        "missing.whereabouts_known": "No", "missing.immediate_concern": "No", "missing.enquiries_done": "Yes"},
        typed={"missing.hours_absent": "5"}, before=hook,
        pages_seen=age_hint)
    assert any("leave it empty" in seen.lower() for seen in age_hint), "the age page does not say it may be empty"
    get_the_answer(page)
    level = same_as_engine(page, {})
    assert at_least(level, "call_101"), level
    plain_page(page, never=(*never, *SUSPECT_WORDS))
    check_a11y(page)


# -- 8. A call handler: a personal adviser rings about a care leaver blackmailed over images ----------------------
def test_j8_a_call_handler_whose_caller_is_a_personal_adviser_for_a_care_leaver_blackmailed_over_images(page):
    """NCA (2024) on sextortion, MCA 2005 and Care Act 2014 s.42, Protocol §8.3 (the handler asks
    specific questions): a personal adviser rings; Jodie, 20, a care leaver with a learning disability,
    is being blackmailed by a man for money over images. The handler can record who is ringing (a
    personal adviser), the blackmail, the other person's age and the doubt about her capacity, each
    with "Not said"; the verdict is the police now (at least 101), the engine's for the same facts, and
    the words to the adviser never say "let their personal adviser know", "registered manager" or "as a
    parent would", nor that reporting is simply her choice."""
    open_check(page)
    for field, value in (("call-professional", "personal_adviser"), ("incident-coercion", "yes"),
                         ("incident-other-person-age", "adult"), ("person-may-lack-capacity", "yes")):
        box = page.locator(f"#cc-{field}")
        options = [o.strip() for o in box.locator("option").all_inner_texts()]
        assert options[0] == "Not said", (field, options)
        assert not any(re.search(FACT_NAME, o) or "_" in o for o in options), (field, options)
        label = page.locator(f"label[for='cc-{field}']").inner_text()
        assert label and "." not in label and "_" not in label, label
    hear(page, **{"call-caller": "other_professional", "call-professional": "personal_adviser",
                  "incident-kind": "sexual"})
    no_verdict_yet(page)
    said = {"call.caller": "other_professional", "call.professional": "personal_adviser", "incident.kind": "sexual",
            "incident.risk_to_life": False, "incident.in_progress": False, "person.age": 20,
            "person.status": "care_leaver", "setting.type": "other", "incident.victim": "self",
            "incident.harmed_by": "adult", "incident.coercion": True, "incident.other_person_age": "adult",
            "person.may_lack_capacity": True, "incident.injury": "none", "incident.weapon": "none"}
    hear_facts(page, said)
    level = verdict(page)
    assert at_least(level, "call_101"), level
    body = page.request.post("/v1/call-checks", data=facts_of(said)).json()
    assert level == body["recommendation"] == engine_says(page, facts_of(said))[0], (level, body["recommendation"])
    text = result_text(page).lower()
    for word in (NO_MANAGER, PARENT, "let their personal adviser know", "let the adviser know", "their choice",
                 *SUSPECT_WORDS, *LABELS):
        assert word not in text, word
    assert not re.search(FACT_NAME, text), text
    # Found on reading this page (H28-journeys17-4): the adviser, who is the one supporting her, was told
    # "the people who look after or support the young person will be told. You don't need to step in
    # yourself"; and (H28-journeys17-3) nothing on the handler's page read the blackmail.
    said = page.locator("#cc-say").inner_text().lower()
    assert "step in yourself" not in text and "support the young person will be told" not in text, said
    assert "not to pay" in said and "stopncii" in said, said
    assert thrive(page)["risk"].startswith("High"), thrive(page)
    check_a11y(page)


# -- 9. A call handler: a foster carer rings at 2am about her foster daughter's sextortion -------------------------
def test_j9_a_call_handler_hears_a_foster_carer_about_sextortion_and_the_check_agrees_with_the_pages(page):
    """NCA (2024), UKCIS (2024), Protocol §8.3: the same night as journey 1, told to the police by the
    foster carer. Who is on the other end is "Not said": a blackmailed child is a police matter now
    whoever it is (at least 101), the handler's verdict is the engine's, and what the handler reads
    out is about a child who was harmed, in a foster carer's words (no "registered manager")."""
    open_check(page)
    hear(page, **{"call-caller": "foster_carer", "incident-kind": "sexual"})
    no_verdict_yet(page)
    said = {"call.caller": "foster_carer", "incident.kind": "sexual", "incident.risk_to_life": False,
            "incident.in_progress": False, "person.age": 15, "person.status": "looked_after",
            "setting.type": "foster_care", "incident.victim": "self", "incident.coercion": True,
            "incident.injury": "none", "incident.weapon": "none", "setting.location": "in_placement"}
    hear_facts(page, said)
    level = verdict(page)
    assert at_least(level, "call_101"), level
    assert level == engine_says(page, facts_of(said))[0]
    text = result_text(page).lower()
    for word in (NO_MANAGER, *SUSPECT_WORDS, *LABELS):
        assert word not in text, word
    asked = " ".join(questions(page)).lower()
    assert "calm things down" not in asked
    # Found after journey 1 (H28-journeys17-3): the handler had nothing to say about the blackmail that
    # the carer's own pages now say (NCA 2024), and graded the risk "Low" while it goes on.
    said = page.locator("#cc-say").inner_text().lower()
    assert "not their fault" in said and "not to pay" in said and "not to delete" in said, said
    assert thrive(page)["risk"].startswith("High"), thrive(page)
    check_a11y(page)


# -- 10. A trainer runs the images and the capacity scenarios ------------------------------------------------------
def test_j10_a_trainer_runs_a_session_on_images_and_capacity_in_each_settings_own_words(page):
    """README "For trainers", UKCIS (2024), MCA 2005: a trainer for foster carers and personal advisers
    builds a session of "Pictures shared between two 15-year-olds" (foster care) and "A care leaver
    with a learning disability says a neighbour had sex with her" (her own flat) and runs it with the
    keys. Every step's facts are in plain labels ("Pressure, threats or blackmail", never
    ``incident.coercion`` or ``similar_age_child``); every answer is the engine's for the facts so far;
    the foster carer's answers never say "registered manager", and the adult's never "registered
    manager" nor "as a parent would"."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/walkthrough")
    chosen = ["images-between-teenagers-foster", "care-leaver-may-not-be-able-to-decide"]
    for scenario_id in chosen:
        page.locator(f"#session-{scenario_id}").focus()
        page.keyboard.press("Space")
    page.locator("#session-build").focus()
    press_to(page, "Enter")
    # Expectation corrected: I took the session to keep the order ticked; it keeps the list's order
    # (the trainer can move one up, journeys6 J9): the scenarios run in the order the session shows.
    items = page.locator("#session-scenarios > li")
    chosen = [items.nth(i).get_attribute("data-scenario") for i in range(items.count())]
    assert sorted(chosen) == sorted(["images-between-teenagers-foster", "care-leaver-may-not-be-able-to-decide"])
    page.locator("#session-start").focus()
    press_to(page, "Enter")
    never = {"images-between-teenagers-foster": (NO_MANAGER, *LABELS),
             "care-leaver-may-not-be-able-to-decide": (NO_MANAGER, PARENT, *LABELS)}
    seen_labels: set[str] = set()
    for number, scenario_id in enumerate(chosen, start=1):
        assert f"/walkthrough/{scenario_id}?" in page.url and stage(page) == "start"
        for step, facts in enumerate(cumulative(scenario_id), start=1):
            press_to(page, "ArrowRight")
            assert stage(page) == "facts"
            text = plain_facts(page)
            seen_labels.update(line.split("\t")[0].strip() for line in text.splitlines())
            press_to(page, " ")
            assert stage(page) == "answer"
            shown = page.locator("#answer").get_attribute("data-recommendation")
            assert shown == engine_says(page, facts)[0], (scenario_id, step)
            plain_page(page, never=never[scenario_id])
            if step == 1:
                check_a11y(page)
        press_to(page, "ArrowRight")
        assert stage(page) == "end"
        if number < len(chosen):
            press_to(page, "ArrowRight")
    text = " ".join(seen_labels)
    assert "Pressure, threats or blackmail" in text and "May not be able to decide for themselves" in text, text
    assert page.locator("#session-end").is_visible()
