"""The report login and the API docs in Chromium, against ``callguide serve`` on loopback (issue 16).

- The 401 on the report page sent ``WWW-Authenticate: Bearer, Basic realm=...`` as one challenge;
  Chromium took the first scheme and never offered a Basic login, so analysts could not open it.
  Each challenge now has its own header.
- Once a browser holds Basic credentials it resends them by itself; they must never be enough to
  change records (erasure, deletion): writes need a key sent on purpose.
- ``/docs`` loaded Swagger UI from a CDN, on the same origin as the report login; it now works
  with every request to another host refused.

Skips without Playwright and chromium on a developer's machine; fails in CI (as test_web_browser).
"""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import urlsplit

import httpx
import pytest

from servers import server_env
from test_serving_edges import running
from test_web_browser import browser  # noqa: F401 - the same chromium, flags and CI rule as the pages' tests


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser-edges")
    with running(tmp) as (port, _):
        env = server_env(CALLGUIDE_DATABASE_URL=f"sqlite:///{tmp / 'records.db'}")
        keys = {}
        for role in ("analyst", "admin"):
            made = subprocess.run([sys.executable, "-m", "callguide", "keys", "create", "--role", role],
                                  env=env, capture_output=True, text=True, check=True, timeout=60)
            keys[role] = made.stdout.strip()
        yield f"http://127.0.0.1:{port}", keys


def _context(browser, base: str, key: str | None = None):
    credentials = {"username": "analyst", "password": key} if key else None
    context = browser.new_context(base_url=base, http_credentials=credentials)
    context.set_default_timeout(15_000)
    return context


def test_an_analyst_logs_in_to_the_report_page(browser, served):
    base, keys = served
    context = _context(browser, base, keys["analyst"])
    try:
        page = context.new_page()
        response = page.goto("/reports/monitoring")
        assert response.status == 200
        assert page.locator("h1").inner_text() == "Monitoring (Protocol §4)"
        assert page.locator("img, svg").count() >= 1  # the chart (an <img> since the CSP of issue 12)
        # the page's inline style ran: its policy allows it by hash (tables separate their borders by default)
        assert page.evaluate("getComputedStyle(document.querySelector('table')).borderCollapse") == "collapse"
    finally:
        context.close()


def _report_reads(base: str, keys: dict[str, str]) -> int:
    analyst_id = keys["analyst"].split("_")[1]
    audit = httpx.get(f"{base}/v1/audit", params={"limit": 10000},
                      headers={"Authorization": f"Bearer {keys['admin']}"}, timeout=15).json()
    return sum(1 for e in audit if e["action"] == "read_report" and e["key_id"] == analyst_id)


def test_one_view_of_the_report_page_is_one_audited_read(browser, served):
    """Chromium opens the page and loads all it asks for: one build of the figures, one audit entry
    (an <img> of chart.svg built and audited them a second time); the embedded chart is shown."""
    base, keys = served
    before = _report_reads(base, keys)
    context = _context(browser, base, keys["analyst"])
    refused: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        assert page.goto("/reports/monitoring", wait_until="load").status == 200
        assert page.evaluate("document.querySelector('figure img').complete")
        assert page.evaluate("document.querySelector('figure img').naturalWidth") > 0  # the chart is drawn
    finally:
        context.close()
    assert refused == []
    assert _report_reads(base, keys) - before == 1


def test_without_a_key_the_report_page_asks_and_stays_closed(browser, served):
    base, _ = served
    context = _context(browser, base, "cgk_nothing_wrong")
    try:
        response = context.new_page().goto("/reports/monitoring")
        assert response.status == 401
    finally:
        context.close()


def test_cached_basic_credentials_cannot_change_records(browser, served):
    base, keys = served
    context = _context(browser, base, keys["admin"])
    try:
        page = context.new_page()
        assert page.goto("/reports/monitoring").status == 200  # the admin's Basic login works for reading
        statuses = page.evaluate("""async () => {
            const erase = await fetch('/v1/erasures', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                       body: JSON.stringify({child_ref: 'C-1'})});
            const remove = await fetch('/v1/records/anything', {method: 'DELETE'});
            const read = await fetch('/v1/records');
            return [erase.status, remove.status, read.status];
        }""")
        assert statuses == [401, 401, 401]
    finally:
        context.close()


def test_api_docs_work_with_no_outside_network(browser, served):
    base, _ = served
    context = _context(browser, base)
    elsewhere: list[str] = []

    def only_loopback(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    try:
        page = context.new_page()
        assert page.goto("/docs").status == 200
        page.locator(".opblock").first.wait_for()
        assert page.locator(".opblock").count() >= 5
        assert page.get_by_text("/v1/decisions").count() >= 1
        assert elsewhere == []
        assert page.goto("/redoc").status == 404  # ReDoc would fetch its script and fonts elsewhere
    finally:
        context.close()
