"""The web pages in a real browser: Debian's chromium driven by Playwright, against the real app
served by uvicorn on a free local port, with axe-core checking every page.

Chromium and axe-core are installed by scripts/install-browser (run by ``make test`` and .ci/run).
Without them these tests skip on a developer's machine and fail in CI (CI=true or
CALLGUIDE_REQUIRE_BROWSER=1). Screenshots go to var/screenshots/ (ignored by git); ``make
screenshots`` runs these tests with CALLGUIDE_SCREENSHOTS=docs/screenshots to refresh the committed
ones, so a test run never changes tracked files.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(os.environ.get("CALLGUIDE_AXE_JS", ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"))
SHOTS = ROOT / os.environ.get("CALLGUIDE_SCREENSHOTS", "var/screenshots")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REQUIRED = os.environ.get("CI", "").lower() == "true" or os.environ.get("CALLGUIDE_REQUIRE_BROWSER") == "1"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (run scripts/install-browser)"
    if not AXE.exists():
        return f"{AXE} is missing (run scripts/install-browser)"
    return None


@pytest.fixture(scope="module")
def base_url():
    import uvicorn

    from callguide.service import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    # uvicorn sets server.started once it listens; wait on it without sleeping in a loop of our own.
    while not server.started and thread.is_alive():
        started.wait(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    reason = _missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url):
    # axe-core goes in as an inline script, which the pages' CSP refuses: bypass it for these tests
    # (tests/test_headers.py checks the pages work under their policy, without a bypass)
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844}, bypass_csp=True)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


@pytest.fixture
def nojs_page(browser, base_url):
    context = browser.new_context(base_url=base_url, java_script_enabled=False, viewport={"width": 390, "height": 844})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def check_a11y(page) -> None:
    """axe-core on the current page: no serious or critical violations (WCAG 2.x A/AA, 2.2 included)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})""")
    bad = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(bad)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def answer_until_check(page, choices: dict, typed: dict, before: dict | None = None) -> list[str]:
    """Answer each question page (a choice by label, or typed text) until "check your answers".

    Facts with no answer given get "I don't know". Returns the facts asked, in order.
    """
    seen: list[str] = []
    for _ in range(20):
        if "/should-i-call/check" in page.url:
            break
        fact = page.locator("input[name=fact]").get_attribute("value")
        seen.append(fact)
        if before and fact in before:
            before[fact]()
        if fact in typed:
            answer(page, text=typed[fact])
        else:
            answer(page, choices.get(fact, "I don’t know"))
    assert "/should-i-call/check" in page.url, seen
    return seen


def answer(page, label: str | None = None, text: str | None = None) -> None:
    """Answers the question on the page (a radio by its label, or the text box) and continues."""
    if label is not None:
        page.get_by_label(label, exact=True).check()
    if text is not None:
        page.locator("input.govuk-input").fill(text)
    page.get_by_role("button", name="Continue").click()


def heading(page) -> str:
    return page.locator("h1").first.inner_text().strip()


# -- Should I call? --------------------------------------------------------------------------
def test_danger_yes_goes_straight_to_call_999(page):
    page.goto("/should-i-call")
    check_a11y(page)
    shot(page, "should-i-call-start")
    page.get_by_role("button", name="Start now").click()
    assert heading(page) == "Is anyone in immediate danger of being killed or seriously hurt right now?"
    check_a11y(page)
    shot(page, "should-i-call-question-danger")
    answer(page, "Yes")
    panel = page.locator("#call-999-panel")
    assert panel.get_by_role("heading", level=1).inner_text() == "Call 999 now"
    assert "/should-i-call/call-999" in page.url
    check_a11y(page)
    shot(page, "should-i-call-999")


def test_not_sure_about_danger_also_says_call_999(page):
    page.goto("/should-i-call/question")
    answer(page, "I’m not sure")
    assert page.locator("#call-999-panel h1").inner_text() == "Call 999 now"


def test_missing_answer_shows_error_summary_and_keeps_focus_path(page):
    page.goto("/should-i-call/question")
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert page.title().startswith("Error:")
    link = summary.get_by_role("link")
    assert "Select yes if anyone is in immediate danger" in link.inner_text()
    link.click()  # the error summary's link moves focus to the first radio
    assert page.evaluate("document.activeElement.name") == "answer"
    check_a11y(page)
    shot(page, "should-i-call-error")


def _low_value_damage_to_check(page) -> None:
    page.goto("/should-i-call/question")
    answer(page, "No")
    assert heading(page) == "What happened?"
    assert page.locator("input[name=fact]").get_attribute("value") == "incident.kind"
    assert page.locator("legend h1").inner_text().strip() == "What happened?"  # the heading labels the radios
    answer(page, "Damage to property")
    answers = {
        "incident.weapon": "No weapon", "incident.injury": "No one was hurt",
        "setting.location": "At the placement (where they live)", "incident.in_progress": "No",
    }

    def on_damage_page() -> None:
        check_a11y(page)
        shot(page, "should-i-call-question-damage")

    seen = answer_until_check(page, answers, {"incident.damage_value_gbp": "40"},
                              before={"incident.damage_value_gbp": on_damage_page})
    assert "incident.damage_value_gbp" in seen
    assert not any(f.startswith("missing.") for f in seen), seen  # missing questions only for a missing child


def test_low_value_damage_gives_no_police_with_record(page):
    _low_value_damage_to_check(page)
    assert heading(page) == "Check your answers"
    answers = page.locator("#answers")
    assert "About £40" in answers.inner_text()
    assert "Damage to property" in answers.inner_text()
    check_a11y(page)
    shot(page, "should-i-call-check-answers")
    page.get_by_role("button", name="Get the answer").click()
    panel = page.locator("#result-panel")
    assert panel.get_attribute("data-recommendation") == "no_police"
    assert panel.locator("h1").inner_text() == "No need to call the police"
    reasons = page.locator("#reasons").inner_text()
    assert "£40" in reasons and "Source:" in reasons
    assert page.locator("#actions .govuk-summary-list__key").count() >= 1
    record = page.locator("#record").inner_text()
    assert "Record for the young person's file" in record
    assert "offender" not in page.content().lower()
    assert page.get_by_role("button", name="Print the record").is_visible()
    # The reminder about 999 is always there on a non-emergency answer.
    assert "If things change and anyone is in immediate danger, call 999." in page.content()
    check_a11y(page)
    shot(page, "should-i-call-result-no-police")
    page.emulate_media(media="print")
    assert not page.locator("#result-panel").is_visible()
    assert page.locator("#record").is_visible()
    page.emulate_media(media="screen")


def test_change_an_answer_from_check_your_answers(page):
    _low_value_damage_to_check(page)
    page.get_by_role("link", name=re.compile("Change cost of the damage")).click()
    assert page.locator("input.govuk-input").input_value() == "40"
    answer(page, text="900")
    assert "/should-i-call/check" in page.url
    assert "About £900" in page.locator("#answers").inner_text()
    page.get_by_role("button", name="Get the answer").click()
    assert page.locator("#result-panel").get_attribute("data-recommendation") != "no_police"


def test_missing_child_gives_call_101_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/should-i-call")
    page.get_by_role("button", name="Start now").click()
    answer(page, "No")
    answer(page, "The young person is missing, or not where they should be")
    answers = {"missing.whereabouts_known": "No", "missing.enquiries_done": "Yes",
               "missing.immediate_concern": "No", "incident.weapon": "No weapon", "incident.injury": "No one was hurt"}
    seen = answer_until_check(page, answers, {"missing.hours_absent": "3"})
    assert "incident.damage_value_gbp" not in seen  # damage value only for damage
    assert any(f.startswith("missing.") for f in seen)
    page.get_by_role("button", name="Get the answer").click()
    panel = page.locator("#result-panel")
    assert panel.get_attribute("data-recommendation") == "call_101"
    assert panel.locator("h1").inner_text() == "Call the police on 101"
    assert not page.get_by_role("button", name="Print the record").is_visible()  # needs JavaScript
    shot(page, "should-i-call-result-missing-101")


# -- Call check -------------------------------------------------------------------------------
def test_call_check_updates_live_and_works_as_a_form(browser, base_url, page):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/call-check")
    check_a11y(page)
    result = page.locator("#call-check-result")
    page.get_by_label("What happened").select_option("criminal_damage")
    page.wait_for_function("document.querySelector('#call-check-result').dataset.updates >= '1'")
    page.get_by_label("Cost of damage (£)").fill("40")
    page.get_by_label("Where it happened").select_option("in_placement")
    page.get_by_label("Weapon").select_option("none")
    page.get_by_label("Injury").select_option("none")
    page.wait_for_function(
        "document.querySelector('#cc-panel').dataset.recommendation === 'no_police'")
    assert "Advice and signposting" in result.locator("#cc-response").inner_text()
    assert result.locator("#cc-thrive td").count() == 6
    assert result.locator("#cc-say p").count() >= 1
    check_a11y(page)
    shot(page, "call-check")
    # Someone now at risk: the check turns to emergency attendance without a page load.
    page.get_by_label("Anyone at immediate risk of death or serious harm").select_option("yes")
    page.wait_for_function("document.querySelector('#cc-panel').dataset.recommendation === 'call_999'")
    assert page.get_by_role("button", name="Update the check").is_visible()
    assert "/call-check" in page.url

    nojs = browser.new_context(base_url=base_url, java_script_enabled=False, viewport={"width": 1280, "height": 900})
    p2 = nojs.new_page()
    p2.goto("/call-check")
    p2.get_by_label("What happened").select_option("missing")
    p2.get_by_label("Whereabouts known").select_option("no")
    p2.get_by_label("Hours away").fill("3")
    p2.get_by_role("button", name="Update the check").click()
    assert p2.locator("#cc-panel").get_attribute("data-recommendation") == "call_101"
    assert "Missing-person process" in p2.locator("#cc-response").inner_text()
    assert p2.get_by_label("Whereabouts known").input_value() == "no"  # the form keeps what was said
    nojs.close()


def test_call_check_never_shows_stale_advice_after_a_failed_update(page):
    """An answer the service refuses (age 30 gives a 422) marks the check as not updated; a later
    change of "immediate risk" must not leave the old, milder advice on screen."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/call-check")
    result = page.locator("#call-check-result")
    panel = page.locator("#cc-panel")

    def updates() -> int:
        return int(result.get_attribute("data-updates") or 0)

    def wait_past(count: int) -> None:
        page.wait_for_function(
            f"Number(document.querySelector('#call-check-result').dataset.updates || 0) > {count}")

    page.get_by_label("What happened").select_option("criminal_damage")
    page.get_by_label("Cost of damage (£)").fill("40")
    page.get_by_label("Where it happened").select_option("in_placement")
    page.get_by_label("Weapon").select_option("none")
    page.get_by_label("Injury").select_option("none")
    page.wait_for_function("document.querySelector('#cc-panel').dataset.recommendation === 'no_police'")
    assert "Advice and signposting" in panel.inner_text()

    before = updates()
    page.get_by_label("Age", exact=True).fill("30")
    page.wait_for_function("document.querySelector('#cc-panel').dataset.state === 'not-updated'")
    wait_past(before)
    assert panel.get_attribute("data-recommendation") is None
    assert "Not updated" in panel.inner_text() and "press Update the check" in panel.inner_text()
    assert "Advice and signposting" not in result.inner_text()
    assert "Not updated" in page.locator("#call-check-live").inner_text()

    before = updates()
    page.get_by_label("Anyone at immediate risk of death or serious harm").select_option("yes")
    wait_past(before)  # the request for "risk = yes" has come back (and failed: the age is still 30)
    assert panel.get_attribute("data-recommendation") is None
    assert panel.get_attribute("data-state") == "not-updated"
    assert "Advice and signposting" not in result.inner_text()

    page.get_by_label("Age", exact=True).fill("15")
    page.wait_for_function("document.querySelector('#cc-panel').dataset.recommendation === 'call_999'")
    assert "Emergency attendance" in panel.inner_text()
    assert panel.get_attribute("data-state") is None
    check_a11y(page)


# -- Walkthrough ------------------------------------------------------------------------------
def test_walkthrough_reveals_steps_and_shows_changes(page):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/walkthrough")
    check_a11y(page)
    shot(page, "walkthrough-list")
    page.get_by_role("link", name=re.compile("window", re.I)).first.click()
    levels = []
    page.get_by_role("link", name="Reveal step 1").click()
    check_a11y(page)
    while True:
        levels.append(page.locator("#step-panel").get_attribute("data-recommendation"))
        assert page.locator("#step-reasons li").count() >= 1
        if len(levels) > 1 and levels[-1] != levels[-2]:
            assert "Changed: was" in page.locator("#step-change").inner_text()
            if len(levels) == 3:
                shot(page, "walkthrough-step")
        nxt = page.locator("#next-step")
        if nxt.inner_text().strip() == "Show the learning points":
            nxt.click()
            break
        nxt.click()
    assert len(set(levels)) > 1, levels  # the answer moved as facts were revealed
    assert page.locator("#learning-points li").count() >= 1
    assert page.locator("#journey li").count() == len(levels)
    check_a11y(page)


def test_home_page_links_the_three_pages(page):
    page.goto("/")
    for name in ("Should I call?", "Call check", "Scenario walkthrough"):
        assert page.get_by_role("main").get_by_role("link", name=name).is_visible()
    html = page.content()
    assert "GOV.UK" not in html and "govuk-header__logotype" not in html
    check_a11y(page)
    shot(page, "home")
