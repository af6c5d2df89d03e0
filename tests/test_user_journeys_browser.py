"""Held-out journeys (journeys4) as the three kinds of users would make them, in Chromium: a foster
carer, supported-accommodation and residential staff and a personal adviser on "Should I call?", a
call handler on the call check by keyboard only, and a trainer who builds, orders, runs and prints a
session of their own following README only. Each expectation is written from the guidance first
(its docstring names where from): the level, who decides in that setting, and what to do first.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from test_web_browser import (  # noqa: F401 (fixtures)
    NO_MANAGER, browser, check_a11y, get_the_answer, heading, journey, page)
from test_walkthrough_browser import served_with_scenarios

ROOT = Path(__file__).resolve().parents[1]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1280, "height": 720}
FOSTER_12 = {"status": "Looked after now", "age": "12", "setting": "Foster care"}
# What a suspect is told: never for a young person who was harmed (Code of Practice for Victims of Crime 2020; Protocol §5.1)
SUSPECT_WORDS = ("Child Information Form", "arrested", "appropriate adult", "put it right", "put right", "restorative")


def readme_scenario() -> str:
    """The scenario README's trainer section tells a trainer to save as my-scenarios/kai-bedroom-door.yaml."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```yaml\n(id: kai-bedroom-door.*?)```", text, re.S)
    assert found, "README's trainer section no longer has the kai-bedroom-door example"
    return found.group(1)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    """The app as README's trainer section serves it: CALLGUIDE_SCENARIOS=my-scenarios callguide serve."""
    folder = tmp_path_factory.mktemp("my-scenarios")
    (folder / "kai-bedroom-door.yaml").write_text(readme_scenario(), encoding="utf-8")
    with served_with_scenarios(folder) as url:
        yield url


def no_sideways_scroll(page, width: int = 320) -> None:
    """Reflow (WCAG 1.4.10): at 320 CSS pixels (1280 at 400%) nothing scrolls sideways."""
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": 720})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), page.url
    page.set_viewport_size(size)


# -- 1. A foster carer: a 12-year-old pulled down a curtain, calm now -------------------------------------
def test_a_foster_carer_who_does_not_know_most_answers_is_asked_only_what_could_change_it(page):
    """Protocol §8.1 and the Howard League's examples: pulling down a curtain is not a police matter.
    A carer who answers "I don't know" to everything after what happened is not asked whether "the
    person harmed" wants to report it, where it happened or whether the child is calm (each could
    change the answer only with the cost, or who was harmed, which they do not know), but is still
    asked about a weapon, an injury and whether it is still happening, first; and, as they do not
    know whether it is still happening, who did it (another adult still nearby is a 999 call:
    police.uk). The answer: slow time, decided by the carer with their supervising social worker;
    never "registered manager"."""
    pages: list[str] = []
    seen = journey(page, "No", FOSTER_12, "Damage to property", {}, pages_seen=pages)
    # Question pages, the danger page included: 16, then 11; 12 since review 15 asks about an
    # exploitation concern for damage too; 13 since H29-outside18-1 asks who did it when nobody knows
    # whether it is over (tests/test_flow_dont_know.py says why).
    assert 1 + len(seen) <= 13, seen
    assert seen[4:7] == ["incident.weapon", "incident.injury", "incident.in_progress"], seen
    for moot in ("incident.victim_wants_police", "setting.location", "incident.child_calm_now", "incident.suspect_present"):
        assert moot not in seen, seen
    assert get_the_answer(page) == "report_later"
    main = page.locator("main").inner_text()
    assert "supervising social worker" in page.locator("#result-panel").inner_text()  # who decides, first
    # "call 999 if things change" once, in the page's warning, not again as the only "Do now"
    assert main.count("immediate danger") == 1 and "If things change and anyone is in immediate danger" in main
    assert not any(NO_MANAGER in text.lower() for text in [*pages, main])
    check_a11y(page)


def test_a_foster_carer_who_knows_the_facts_is_told_no_police_and_to_respond_as_a_parent(page):
    page.set_viewport_size(PHONE)
    seen = journey(page, "No", FOSTER_12, "Damage to property", {
        "incident.weapon": "No weapon", "incident.injury": "No one was hurt", "incident.in_progress": "No",
        "incident.child_calm_now": "Yes", "setting.location": "Where they live", "incident.victim": "A foster carer",
        "incident.harmed_by": "The young person", "incident.victim_wants_police": "No",
        "incident.hate_motivated": "No", "incident.repeat_pattern": "No"}, typed={"incident.damage_value_gbp": "30"})
    assert "incident.weapon" in seen and "incident.injury" in seen
    assert get_the_answer(page) == "no_police"
    text = page.locator("main").inner_text()
    assert "supervising social worker" in text and NO_MANAGER not in text.lower()
    assert "parent" in page.locator("#result-panel").inner_text()
    assert "put right" in page.locator("#actions").inner_text()  # agreed with them, as a parent would
    check_a11y(page)
    no_sideways_scroll(page)


# -- 2. Supported accommodation: a 17-year-old missing 3 hours, phone off, enquiries partly done --------
def test_supported_accommodation_staff_check_first_then_call_101_for_a_missing_17_year_old(page):
    """Philomena protocol (Protocol §8.3) and DfE guidance on children who go missing: a 17-year-old
    whose whereabouts are unknown is missing; with no specific worry, finish the enquiries (phone,
    friends, places, a search) and record them, then report on 101 if still missing, with the
    Philomena form ready. The accommodation's words: "the accommodation", no foster carer."""
    page.set_viewport_size(PHONE)
    seen = journey(page, "No", {"status": "Looked after now", "age": "17", "setting": "Supported accommodation"},
                   "The young person is missing, or not where they should be", {
                       "missing.whereabouts_known": "No", "missing.immediate_concern": "No",
                       "missing.enquiries_done": "No"}, typed={"missing.hours_absent": "3"})
    assert not {"incident.weapon", "incident.injury", "incident.victim"} & set(seen), seen
    assert get_the_answer(page) == "call_101"
    assert heading(page) == "Do these checks now, then call 101 if they are still missing"
    text = page.locator("main").inner_text()
    assert "accommodation" in text and "Philomena form" in text and "foster" not in text.lower()
    assert page.locator("main a[href='tel:101']").is_visible()
    check_a11y(page)


# -- 3. A children's home: a 14-year-old hit by another resident ---------------------------------------
def test_a_resident_hit_by_another_is_a_victim_and_slow_time_not_999(page):
    """Tri.x local procedures (the victim's wishes, both children's futures) and the Code of Practice
    for Victims: the 14-year-old is the one harmed, so nothing treats them as a suspect; a minor
    injury, over, from another resident who lives there (so "still nearby" is yes) is no emergency:
    keep both apart, ask the harmed child what they want, and the registered manager reviews it.
    Before, "still nearby" was asked before who did it, and a resident at home made it 999."""
    page.set_viewport_size(PHONE)
    seen = journey(page, "No", {"status": "Looked after now", "age": "14", "setting": "A children's home"},
                   "Someone hurt the young person", {
                       "health.medical_emergency": "No", "incident.in_progress": "No", "incident.weapon": "No weapon",
                       "incident.injury": "A minor injury (for example a bruise or a scratch)", "incident.harmed_by": "Another young person",
                       "incident.suspect_present": "Yes", "setting.location": "Where they live"})
    if "incident.suspect_present" in seen:
        assert seen.index("incident.harmed_by") < seen.index("incident.suspect_present"), seen
    assert "/should-i-call/check" in page.url, seen
    assert get_the_answer(page) == "report_later"
    text = page.locator("main").inner_text()
    assert "apart" in text and "registered manager" in text
    for word in SUSPECT_WORDS:
        assert word.lower() not in text.lower(), word
    check_a11y(page)


# -- 4. A personal adviser: a 19-year-old care leaver's phone stolen in the street ---------------------
def test_a_care_leaver_robbed_in_the_street_is_supported_to_report_on_101(page):
    """Code of Practice for Victims of Crime; a care leaver is an adult with a personal adviser
    (Children and Social Work Act 2017): over, nobody hurt, the thief gone, and she wants to report
    it: 101 (not an emergency), with her personal adviser; no children's-home or missing-child words."""
    page.set_viewport_size(PHONE)
    journey(page, "No", {"status": "A care leaver", "age": "19",
                         "setting": "Somewhere else (for example a care leaver's own home)"},
            "Someone stole from or robbed the young person", {
                "incident.in_progress": "No", "incident.weapon": "No weapon", "incident.injury": "No one was hurt",
                "incident.suspect_present": "No", "incident.harmed_by": "Another adult",
                "incident.victim_wants_police": "Yes", "setting.location": "Out in the community"})
    assert get_the_answer(page) == "call_101"
    text = page.locator("main").inner_text()
    assert "personal adviser" in text
    for word in (NO_MANAGER, "philomena", "return home interview", "foster", *map(str.lower, SUSPECT_WORDS)):
        assert word not in text.lower(), word
    assert page.locator("main a[href='tel:101']").is_visible()
    check_a11y(page)


# -- 5. A call handler, keyboard only: a 13-year-old threatened her foster carer with a kitchen knife ----
def tab_to(page, field_id: str, limit: int = 120) -> None:
    """Tab (never the mouse) until ``field_id`` has the focus."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == field_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{field_id}")


def key_choose(page, field_id: str, value: str) -> None:
    """Choose an option of a focused select with the arrow keys."""
    tab_to(page, field_id)
    for _ in range(30):
        if page.evaluate("document.activeElement.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"#{field_id} has no option {value}")


def test_a_call_handler_checks_a_knife_threat_in_foster_care_by_keyboard(page):
    """A blade used to threaten is serious even when things are calm again (Tri.x: severity of the
    threat; the 2018 national protocol), but nobody is in danger now: police involvement now, not an
    emergency (Right Care, Right Person: police attend to investigate a crime): non-emergency
    attendance, call 101's level; the caller is told to secure the knife if safe and to ring 999 if
    anything changes, in foster care's words (no "registered manager")."""
    page.set_viewport_size(DESK)
    page.goto("/call-check")
    page.keyboard.press("Tab")
    for field, value in (("cc-incident-risk-to-life", "no"), ("cc-incident-in-progress", "no"),
                         ("cc-incident-weapon", "bladed"), ("cc-incident-injury", "none"),
                         ("cc-incident-kind", "threats"), ("cc-incident-victim", "carer"),
                         ("cc-incident-harmed-by", "young_person"), ("cc-incident-child-calm-now", "yes"),
                         ("cc-setting-location", "in_placement"), ("cc-person-status", "looked_after")):
        key_choose(page, field, value)
    tab_to(page, "cc-person-age")
    page.keyboard.type("13")
    key_choose(page, "cc-setting-type", "foster_care")
    key_choose(page, "cc-call-caller", "foster_carer")
    page.keyboard.press("Tab")
    page.wait_for_function("document.querySelector('#cc-panel').dataset.recommendation === 'call_101'")
    page.wait_for_load_state("networkidle")
    result = page.locator("#call-check-result").inner_text()
    assert "Non-emergency attendance" in page.locator("#cc-panel").inner_text()
    assert "knife" in page.locator("#cc-say").inner_text() and "999" in page.locator("#cc-say").inner_text()
    assert NO_MANAGER not in result.lower() and "your manager" not in result.lower()
    assert page.locator("#cc-thrive td[data-thrive]").count() == 6
    for part in ("#cc-panel", "#cc-say"):
        box = page.locator(part).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= DESK["height"], (part, box)
    check_a11y(page)


# -- 6. A trainer: a session of their own, in the order they choose, run by keyboard and printed -------
def session_order(page) -> list[str]:
    items = page.locator("#session-scenarios > li")
    return [items.nth(i).get_attribute("data-scenario") for i in range(items.count())]


def press_to(page, key: str) -> None:
    page.wait_for_load_state("load")
    with page.expect_navigation():
        page.keyboard.press(key)


def test_a_trainer_orders_their_own_session_runs_it_and_prints_it_following_readme(page):
    """README "For trainers": the trainer's own scenario (README's kai-bedroom-door, served with
    CALLGUIDE_SCENARIOS) with two built-in ones; the session page lets them choose the order (Move
    up / down, Take out, by keyboard, the focus kept on the link used); the session runs in that
    order, each answer shown only when the trainer presses for it; the handout prints in that order."""
    page.set_viewport_size(PROJECTOR)
    page.goto("/walkthrough")
    for scenario_id in ("broken-window-glass", "purse-money-foster", "kai-bedroom-door"):
        page.locator(f"#session-{scenario_id}").focus()
        page.keyboard.press("Space")
    page.locator("#session-build").focus()
    press_to(page, "Enter")
    assert page.locator("h1").inner_text() == "Your session"
    listed = session_order(page)
    assert set(listed) == {"broken-window-glass", "purse-money-foster", "kai-bedroom-door"}
    check_a11y(page)
    no_sideways_scroll(page)
    # Kai first: "Move up" on it until it is first; the keyboard stays on the link used
    while session_order(page)[0] != "kai-bedroom-door":
        if page.evaluate("document.activeElement.id") != "move-up-kai-bedroom-door":
            page.locator("#move-up-kai-bedroom-door").focus()
        press_to(page, "Enter")
        assert "is now number" in page.locator("#session-status").inner_text()
    assert page.evaluate("document.activeElement.id") in ("item-kai-bedroom-door", "move-up-kai-bedroom-door")
    assert page.locator("#move-up-kai-bedroom-door").count() == 0
    # The purse last, then take out the broken window
    if session_order(page)[-1] != "purse-money-foster":
        page.locator("#move-down-purse-money-foster").focus()
        press_to(page, "Enter")
    assert session_order(page) == ["kai-bedroom-door", "broken-window-glass", "purse-money-foster"]
    page.locator("#remove-broken-window-glass").focus()
    press_to(page, "Enter")
    chosen = ["kai-bedroom-door", "purse-money-foster"]
    assert session_order(page) == chosen
    check_a11y(page)
    page.locator("#session-start").focus()
    press_to(page, "Enter")
    for number, scenario_id in enumerate(chosen, start=1):
        assert f"/walkthrough/{scenario_id}?" in page.url
        assert page.locator("#session-place").inner_text().startswith(f"Scenario {number} of 2")
        press_to(page, "ArrowRight")                          # step 1: what happens, no answer yet
        assert page.locator("#stage").get_attribute("data-stage") == "facts"
        assert page.locator("#answer").count() == 0
        press_to(page, "ArrowRight")                          # the answer, when the trainer chooses
        assert page.locator("#answer").get_attribute("data-recommendation")
        while page.locator("#stage").get_attribute("data-stage") != "end":
            press_to(page, "ArrowRight")
        if number < len(chosen):
            press_to(page, "ArrowRight")                      # the next scenario of the session
    assert page.locator("#session-end").is_visible()
    page.goto(page.locator("#session-place a").get_attribute("href"))
    assert session_order(page) == chosen
    page.get_by_role("link", name="the group's handout").click()
    sheets = page.locator("section.cg-sheet")
    assert [sheets.nth(i).get_attribute("data-scenario") for i in range(sheets.count())] == chosen
    assert "Kai kicks his bedroom door" in page.locator("main").inner_text()
    check_a11y(page)
    page.emulate_media(media="print")
    assert page.pdf(format="A4").startswith(b"%PDF")
    page.emulate_media(media="screen")
