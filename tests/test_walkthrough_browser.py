"""The trainer's pages in a real browser (issue 18): the two-stage reveal by keyboard and without
JavaScript, a trainer's own scenario beside the built-in ones, the call handler's view, the course
filters and the print views. Reuses the browser, pages and axe-core checks of test_web_browser.py;
the server here is started with a trainer's folder in CALLGUIDE_SCENARIOS, as `callguide serve` is.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
import yaml

from test_trainers import OWN
from test_web_browser import browser, check_a11y, nojs_page, page, running, shot  # noqa: F401 (fixtures)

@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    """The real app on a free loopback port, with a trainer's folder added by CALLGUIDE_SCENARIOS."""
    folder = tmp_path_factory.mktemp("my-scenarios")
    (folder / "glass.yaml").write_text(yaml.safe_dump(OWN, sort_keys=False), encoding="utf-8")
    with served_with_scenarios(folder) as url:
        yield url


@contextmanager
def served_with_scenarios(folder):
    """The real app, as ``CALLGUIDE_SCENARIOS=folder callguide serve`` runs it; yields its URL."""
    from callguide.service import create_app

    before = os.environ.get("CALLGUIDE_SCENARIOS")
    os.environ["CALLGUIDE_SCENARIOS"] = str(folder)
    try:
        with running(create_app()) as url:
            yield url
    finally:
        if before is None:
            os.environ.pop("CALLGUIDE_SCENARIOS", None)
        else:
            os.environ["CALLGUIDE_SCENARIOS"] = before


def stage(pg) -> str:
    return pg.locator("#stage").get_attribute("data-stage")


def press(pg, key: str, expected_stage: str) -> None:
    """Press a key and wait for the page it leads to (once this page's script is running: a module
    script runs before the load event, and a key pressed earlier has no listener yet)."""
    pg.wait_for_load_state("load")
    with pg.expect_navigation():
        pg.keyboard.press(key)
    assert stage(pg) == expected_stage, (key, pg.url)


def test_the_group_decides_before_the_answer_by_keyboard(page):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/walkthrough")
    check_a11y(page)
    shot(page, "walkthrough-list")
    page.get_by_role("link", name="A broken window and a piece of glass", exact=True).click()
    assert stage(page) == "start"
    press(page, "ArrowRight", "facts")
    assert page.locator("#answer").count() == 0                      # nothing given away yet
    assert "What would you do now, and why?" in page.locator("#ask-the-group").inner_text()
    facts = page.locator("#step-facts").inner_text()
    assert "Age" in facts and "15" in facts and "person.age" not in facts
    check_a11y(page)
    shot(page, "walkthrough-step")
    levels = []
    for number in range(1, 5):
        if number > 1:
            press(page, "ArrowRight", "facts")
        assert f"step={number}" in page.url and page.locator("#answer").count() == 0
        press(page, " ", "answer")                                    # space shows the answer
        answer = page.locator("#answer")
        assert answer.is_visible()
        page.wait_for_function("document.activeElement && document.activeElement.id === 'answer-heading'")
        levels.append(answer.get_attribute("data-recommendation"))
        assert page.locator("#step-reasons li").count() >= 1
        if number == 3:
            assert "Changed: was" in page.locator("#step-change").inner_text()
            check_a11y(page)
            shot(page, "walkthrough-answer")
    assert levels == ["report_later", "no_police", "call_999", "report_later"]
    press(page, "ArrowLeft", "facts")                                  # back to step 4's facts
    assert "step=4" in page.url
    press(page, "ArrowRight", "answer")
    press(page, "PageDown", "end")                                      # a clicker's key
    assert page.locator("#learning-points li").count() >= 1
    assert page.locator("#journey li").count() == 4
    html = page.content()
    assert "DOMAIN" not in html and not re.search(r"\bincident\.[a-z_]+", html)
    check_a11y(page)


def focused(pg) -> tuple[str, str, str | None]:
    """(id, tag, tabindex) of the focused element, once the page's script has run."""
    pg.wait_for_load_state("load")
    return tuple(pg.evaluate("""() => { const e = document.activeElement;
        return [e.id, e.tagName, e.getAttribute('tabindex')]; }"""))


def test_focus_moves_to_what_each_stage_has_just_shown(page):
    """After "Reveal step N", "Show the answer" and "Show the learning points" (the buttons, as a
    mouse or a keyboard's Enter uses them), focus is on the heading of what was just shown, not
    on <body>, and a polite status line says which stage it is."""
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/walkthrough/broken-window-glass")
    status = page.locator("#stage-status")
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
    for number in range(1, 5):
        page.locator("#next-step").click()
        assert stage(page) == "facts"
        assert focused(page) == ("step-heading", "H2", "-1")
        assert page.locator("#step-heading").inner_text() == f"Step {number}"
        assert status.inner_text() == f"Step {number} of 4"
        page.locator("#next-step").click()
        assert stage(page) == "answer"
        assert focused(page) == ("answer-heading", "H2", "-1")
        assert page.locator("#answer #answer-heading").count() == 1
        assert status.inner_text() == f"The answer for step {number}"
    page.locator("#next-step").click()
    assert stage(page) == "end"
    assert focused(page) == ("learning-points-heading", "H2", "-1")
    assert status.inner_text() == "Learning points"
    check_a11y(page)


def test_the_two_stages_work_without_javascript(nojs_page):
    pg = nojs_page
    pg.goto("/walkthrough/foster-late-home")
    pg.get_by_role("link", name="Reveal step 1").click()
    assert pg.locator("#answer").count() == 0
    pg.get_by_role("link", name="Show the answer").click()
    assert "answer=1" in pg.url and pg.locator("#answer").is_visible()
    pg.get_by_role("link", name="Reveal step 2").click()
    assert "step=2" in pg.url and pg.locator("#answer").count() == 0
    pg.get_by_role("link", name="Back").click()
    assert "step=1&answer=1" in pg.url


def test_own_scenario_is_beside_the_built_in_ones_and_filters_narrow_the_list(nojs_page):
    pg = nojs_page
    pg.goto("/walkthrough")
    assert pg.locator('[data-scenario="glass-in-the-kitchen"]').count() == 1
    assert pg.locator('[data-scenario="broken-window-glass"]').count() == 1
    pg.get_by_label("Audience").select_option("foster_carers")
    pg.get_by_role("button", name="Show these scenarios").click()
    shown = pg.locator("#scenarios > li[data-scenario]")
    ids = [shown.nth(i).get_attribute("data-scenario") for i in range(shown.count())]
    assert "glass-in-the-kitchen" in ids and "broken-window-glass" not in ids
    pg.get_by_label("Topic").select_option("missing")
    pg.get_by_role("button", name="Show these scenarios").click()
    assert "audience=foster_carers" in pg.url and "topic=missing" in pg.url
    assert "glass-in-the-kitchen" not in pg.content()
    pg.goto("/walkthrough/glass-in-the-kitchen?step=2&answer=1")
    assert pg.locator("#answer").get_attribute("data-recommendation") == "call_999"
    assert "about 7 minutes" in pg.locator(".govuk-caption-l").inner_text()


def test_call_handler_scenario_shows_the_call_check(page):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/walkthrough/call-handler-stab-wound-after-fight?step=1&answer=1")
    answer = page.locator("#answer")
    # a stab wound after a fight, nothing said yet about danger: the check asks first
    assert answer.get_attribute("data-police-response") == "ask_first"
    assert "Not enough known yet" in answer.inner_text()
    assert page.locator("#step-thrive [data-thrive]").count() == 6
    assert page.locator("#step-ask li").count() >= 1 and page.locator("#step-say p").count() >= 1
    check_a11y(page)
    shot(page, "walkthrough-call-handler")
    page.goto("/walkthrough/call-handler-stab-wound-after-fight?step=2&answer=1")
    assert page.locator("#answer").get_attribute("data-police-response") == "emergency_attendance"


def test_handout_and_answer_sheet_print_in_plain_words(page):
    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto("/walkthrough/glass-in-the-kitchen/handout")
    check_a11y(page)
    shot(page, "walkthrough-handout")
    text = page.locator("main").inner_text()
    assert "What would you do now, and why?" in text and "Call 999 now" not in text
    assert "Let the group say what a parent would do" not in text and "about 12 minutes" in text
    page.emulate_media(media="print")
    assert not page.locator("header").is_visible() and not page.locator(".cg-print-bar").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")
    page.goto("/walkthrough/glass-in-the-kitchen/answers")
    check_a11y(page)
    shot(page, "walkthrough-answers")
    text = page.locator("main").inner_text()
    assert "Call 999 now" in text and "Let the group say what a parent would do" in text and "Learning points" in text
    assert text.index("Step 2") < text.index("Learning points")
    assert "DOMAIN" not in text and "person.age" not in text
    page.goto("/walkthrough/answers?id=broken-window-glass&id=glass-in-the-kitchen")
    assert page.locator("section.cg-sheet").count() == 2
    assert page.locator("h1").inner_text() == "Course answer sheet"


def test_the_list_fits_a_phone_without_sideways_scrolling(page):
    """A trainer on a 375px phone: the Topic filter's longest choice ("Missing from care (Philomena
    protocol), and care leavers out of contact") made the page scroll sideways (journeys2, F2)."""
    page.set_viewport_size({"width": 375, "height": 812})
    for url in ("/walkthrough", "/walkthrough?topic=missing", "/walkthrough/broken-window-glass?step=1"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, url
    page.goto("/walkthrough")
    box = page.get_by_label("Topic").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375
    check_a11y(page)


def test_a_trainer_builds_runs_and_prints_a_session_of_three_scenarios_by_keyboard(page):
    """A trainer picks three scenarios for an afternoon's session: ticks them on the list, builds
    the session, runs the three one after another with the keys (after one's learning points the
    next one starts), and prints one handout and one answer sheet for the three. Before, a session
    of chosen scenarios needed a hand-written address (?id=a&id=b)."""
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/walkthrough")
    page.locator("#session-build").focus()
    page.keyboard.press("Enter")                                     # nothing ticked: named error, list again
    page.wait_for_load_state("load")
    assert "Tick at least one scenario" in page.locator(".govuk-error-summary").inner_text()
    page.locator(".govuk-error-summary a").click()
    assert page.evaluate("document.activeElement.type") == "checkbox"   # the error leads to the first box
    chosen = ["broken-window-glass", "call-handler-bus-shelter-smashed", "purse-money-foster"]  # as listed
    for scenario_id in chosen:
        page.locator(f"#session-{scenario_id}").focus()
        page.keyboard.press("Space")
    check_a11y(page)
    page.locator("#session-build").focus()
    # Wait for the new page: this page (the list, with the error) is already loaded, so waiting for
    # "load" alone could read its heading before the browser has left it (a CI run under load did).
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Your session"
    listed = page.locator("#session-scenarios > li")
    assert [listed.nth(i).get_attribute("data-scenario") for i in range(listed.count())] == chosen
    check_a11y(page)
    page.get_by_role("link", name="Start the session").click()
    for number, scenario_id in enumerate(chosen, start=1):
        assert f"/walkthrough/{scenario_id}?" in page.url and stage(page) == "start"
        assert page.locator("#session-place").inner_text().startswith(f"Scenario {number} of 3")
        while stage(page) != "end":
            press(page, "ArrowRight", stage_after(page))
        if number < 3:
            assert page.locator("#next-scenario").is_visible()
            press(page, "ArrowRight", "start")                          # the next scenario starts
    assert page.locator("#session-end").is_visible()
    page.goto(page.locator("#session-place a").get_attribute("href"))
    page.get_by_role("link", name="the group's handout").click()
    assert page.locator("section.cg-sheet").count() == 3 and page.locator("h1").inner_text() == "Course handout"
    page.go_back()
    page.get_by_role("link", name="the answer sheet").click()
    sheets = page.locator("section.cg-sheet")
    assert [sheets.nth(i).get_attribute("data-scenario") for i in range(sheets.count())] == chosen


def stage_after(pg) -> str:
    """The stage the next key press leads to: facts -> answer -> next facts, the last answer -> end."""
    now = stage(pg)
    if now == "start":
        return "facts"
    if now == "facts":
        return "answer"
    step = re.search(r"step=(\d+)", pg.url)
    total = int(re.search(r"of (\d+)", pg.locator(".govuk-caption-l").inner_text()).group(1))
    return "end" if step and int(step.group(1)) >= total else "facts"
