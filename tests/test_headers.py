"""Security headers (issue 12): nosniff everywhere, no-store on records/reports/audit, and a
Content-Security-Policy on the pages that the pages really work under, in Chromium (no CSP
bypass here: the inline scripts run because the policy names their hashes)."""

from __future__ import annotations

import httpx
import pytest

expect = pytest.importorskip("playwright.sync_api").expect

from test_records import CALL_999, auth, start
from test_web_browser import HOME_15, base_url, browser, get_the_answer, journey  # noqa: F401 (fixtures)

VIOLATIONS = """document.addEventListener('securitypolicyviolation',
    e => (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI));"""


def test_every_response_has_nosniff_and_records_are_never_stored(decider, tmp_path):
    srv = start(decider, f"sqlite:///{tmp_path / 'h.db'}")
    try:
        admin, analyst = auth(srv.key("admin")), auth(srv.key("analyst"))
        with httpx.Client(base_url=srv.url) as http:
            record_id = http.post("/v1/decisions", params={"record": "true"}, json=CALL_999,
                                  headers=auth(srv.key("staff"))).headers["Callguide-Record-Id"]
            responses = {
                "decision": http.post("/v1/decisions", json=CALL_999),
                "health": http.get("/healthz"), "css": http.get("/static/callguide.css"),
                "not found": http.get("/v1/rules/nope"), "page": http.get("/should-i-call"),
                "records": http.get("/v1/records", headers=admin),
                "record": http.get(f"/v1/records/{record_id}", headers=admin),
                "records 401": http.get("/v1/records"),
                "report": http.get("/v1/reports/monitoring", headers=analyst),
                "report csv": http.get("/v1/reports/monitoring", params={"format": "csv"}, headers=analyst),
                "report page": http.get("/reports/monitoring", headers=analyst),
                "audit": http.get("/v1/audit", headers=admin),
                "erasure": http.post("/v1/erasures", json={"child_ref": "C-NONE"}, headers=admin),
            }
        for name, r in responses.items():
            assert r.headers["X-Content-Type-Options"] == "nosniff", name
            private = name.startswith(("record", "report", "audit", "erasure"))
            assert (r.headers.get("Cache-Control") == "no-store") == private or name == "page", name
            html = r.headers["content-type"].startswith("text/html")
            assert ("Content-Security-Policy" in r.headers) == html, name
        policy = responses["page"].headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in responses["report page"].headers[
            "Content-Security-Policy"]
    finally:
        srv.stop()


@pytest.fixture
def strict_page(browser, base_url):  # noqa: F811
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844})
    context.add_init_script(VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(10_000)
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    yield page, messages
    context.close()


def _no_violations(page, messages: list[str]) -> None:
    assert page.evaluate("window.__csp || []") == []
    assert not [m for m in messages if "Content Security Policy" in m], messages


def test_the_pages_work_under_their_policy(strict_page):
    page, messages = strict_page
    for path in ("/", "/should-i-call", "/walkthrough"):
        page.goto(path)
        # the inline script in the page's head ran, and so did the inline module that starts GOV.UK Frontend
        assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')"), path
        page.locator(".govuk-service-navigation__toggle").wait_for(state="visible")  # initAll() showed it
        _no_violations(page, messages)
    journey(page, "No", HOME_15, "Damage to property", {
        "incident.weapon": "No weapon", "incident.injury": "No one was hurt", "setting.location": "Where they live",
        "incident.in_progress": "No"}, typed={"incident.damage_value_gbp": "40"})
    assert get_the_answer(page)
    _no_violations(page, messages)  # the result page's inline script (print button) included
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/call-check")
    page.get_by_label("What happened", exact=True).select_option("assault")
    page.get_by_label("Anyone in immediate danger", exact=True).select_option("yes")
    expect(page.locator("#cc-panel")).to_have_attribute("data-recommendation", "call_999")
    _no_violations(page, messages)  # callcheck.js and its fetches to this service


def test_no_page_can_be_framed(strict_page, base_url):  # noqa: F811
    page, messages = strict_page
    page.goto("/static/callguide.css")  # any page of this origin's neighbour would do: frame one of ours
    page.set_content(f'<iframe id="f" src="{base_url}/should-i-call"></iframe>')
    page.wait_for_timeout(500)  # not a timing assertion: gives the refused frame time to report
    framed = [f for f in page.frames if f is not page.main_frame]
    assert framed and not framed[0].url.endswith("/should-i-call"), framed[0].url  # an error page instead
    assert any("frame-ancestors" in m for m in messages), messages
