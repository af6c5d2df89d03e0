"""The web pages without a browser: the order of questions and what each page refuses."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from callguide.conditions import parse_when
from callguide.service import create_app
from callguide.web import flow, happened, so_far


@pytest.fixture(scope="module")
def client(decider):
    return TestClient(create_app(decider))


def test_first_question_is_always_immediate_danger(client):
    response = client.get("/should-i-call/question", follow_redirects=True)
    assert "fact=incident.risk_to_life" in str(response.url)
    assert "Is anyone in immediate danger" in response.text


@pytest.mark.parametrize("danger", ["yes", "unknown"])
def test_danger_yes_or_not_sure_goes_to_call_999(client, danger):
    response = client.post("/should-i-call/question", data={"fact": "incident.risk_to_life", "answer": danger})
    assert "/should-i-call/call-999" in str(response.url)
    assert "Call 999 now" in response.text


def test_result_cannot_be_reached_past_a_danger_answer(client):
    response = client.get("/should-i-call/result?incident.risk_to_life=yes&incident.kind=criminal_damage")
    assert "/should-i-call/call-999" in str(response.url)


def test_questions_that_do_not_apply_are_dropped(decider):
    state = flow.prune({"incident.kind": "assault", "missing.hours_absent": 3.0, "incident.damage_value_gbp": 40.0},
                       decider)
    assert state == {"incident.kind": "assault"}


def test_bad_number_is_an_error_not_a_guess(client):
    response = client.post("/should-i-call/question", data={
        "fact": "incident.damage_value_gbp", "answer": "forty", "incident.risk_to_life": "no",
        "incident.kind": "criminal_damage"})
    assert response.status_code == 200  # the form again with its error, as GOV.UK forms are (the API keeps 422)
    assert "There is a problem" in response.text and "must be a number" in response.text
    assert response.headers["content-type"].startswith("text/html")
    api = client.post("/v1/decisions", json={"incident": {"kind": "criminal_damage", "damage_value_gbp": "forty"}})
    assert api.status_code == 422


def test_the_icon_is_served_cached_for_browsers_and_linked_from_every_page(client):
    for path, kind in (("/favicon.ico", "image/x-icon"), ("/favicon.svg", "image/svg+xml")):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind), path
        assert "max-age" in response.headers["cache-control"] and "no-store" not in response.headers["cache-control"]
    assert client.get("/favicon.ico").content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/should-i-call").text
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in page


def test_hand_edited_numbers_are_dropped_before_the_rules_see_them(client):
    # An age out of range or a damage value that is not a number never reaches the rules: the
    # answer is dropped by read_state and asked again, and the other answers are kept.
    response = client.get("/should-i-call/check?incident.risk_to_life=no&incident.kind=criminal_damage"
                          "&person.age=30&incident.weapon=bladed&incident.damage_value_gbp=lots")
    assert response.status_code == 200
    assert "incident.weapon=bladed" in str(response.url)
    assert "person.age" not in str(response.url) and "damage_value" not in str(response.url)


def test_incident_keeps_every_answer(decider):
    state = flow.read_state([("incident.risk_to_life", "no"), ("incident.kind", "assault"),
                             ("incident.weapon", "bladed"), ("incident.injury", "serious"),
                             ("incident.in_progress", "yes"), ("incident.damage_value_gbp", "12.5")], decider)
    facts = flow.incident(state)
    assert facts.incident.weapon == "bladed" and facts.incident.injury == "serious"
    assert facts.incident.in_progress is True


# -- Scenario walkthrough ------------------------------------------------------------------------
def test_walkthrough_reads_the_apps_scenarios_dir_once_and_builds_each_scenario_once(decider, tmp_path,
                                                                                  monkeypatch):
    from pathlib import Path

    from callguide import scenarios, walkthrough
    from callguide.scenarios import default_scenarios_dir

    source = Path(default_scenarios_dir(), "water-over-staff.yaml")
    (tmp_path / source.name).write_text(source.read_text())
    scenario_id = scenarios.load_scenario_file(tmp_path / source.name).id
    reads, builds = [], []
    real_load, real_build = scenarios.load_scenarios, walkthrough.build
    monkeypatch.setattr(scenarios, "load_scenarios", lambda directory=None: reads.append(directory) or real_load(directory))
    monkeypatch.setattr(walkthrough, "build", lambda d, s, *a: builds.append(s.id) or real_build(d, s, *a))
    with TestClient(create_app(decider, scenarios_dir=tmp_path)) as client:
        listing = client.get("/walkthrough")
        assert listing.status_code == 200 and f'href="/walkthrough/{scenario_id}"' in listing.text
        for step in (0, 1, 2, 1):
            assert client.get(f"/walkthrough/{scenario_id}?step={step}").status_code == 200
    assert reads == [tmp_path]  # the app's directory, read once for five pages
    assert builds == [scenario_id]


def test_a_broken_scenario_library_gives_an_html_page_not_a_500(decider, tmp_path):
    (tmp_path / "broken.yaml").write_text("id: Not A Valid Id\n")
    with TestClient(create_app(decider, scenarios_dir=tmp_path)) as client:
        for url in ("/walkthrough", "/walkthrough/anything"):
            response = client.get(url)
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("text/html")
            assert "the scenarios cannot be shown" in response.text
        assert client.get("/should-i-call").status_code == 200


@pytest.mark.parametrize("step", ["abc", "-3", "999", "1.5", ""])
def test_a_bad_walkthrough_step_is_clamped_not_a_json_error(client, step):
    from callguide.scenarios import load_scenarios

    scenario = load_scenarios()[0]
    response = client.get(f"/walkthrough/{scenario.id}?step={step}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


# -- Numbers ----------------------------------------------------------------------------------------
def test_number_limits_come_from_the_facts_contract():
    assert flow.number_limits("person.age") == (10, 25, True)  # facts.Age
    assert flow.number_limits("incident.damage_value_gbp") == (0, 1_000_000, False)


@pytest.mark.parametrize("url", ["/should-i-call/question", "/call-check"])
def test_a_large_number_is_refused_in_plain_figures(client, url):
    data = {"incident.kind": "criminal_damage", "incident.risk_to_life": "no"}
    if url == "/call-check":
        data["incident.damage_value_gbp"] = "2,000,000"
    else:
        data.update(fact="incident.damage_value_gbp", answer="2000000")
    response = client.post(url, data=data)
    assert response.status_code == 200
    assert "between 0 and 1,000,000" in response.text and "e+06" not in response.text


def test_call_check_form_and_question_pages_parse_numbers_alike(client):
    response = client.post("/call-check", data={"person.age": "30"})
    assert response.status_code == 200 and "Age must be between 10 and 25" in response.text
    response = client.post("/call-check", data={"person.age": "15", "incident.damage_value_gbp": "£1,200"})
    assert response.status_code == 200


def test_prune_follows_the_rules_not_a_copy_of_them(decider):
    # victim_wants_police is read only by rules about someone who was harmed (issue 11: the young
    # person themself too, victim "self"), so with nobody harmed it is dropped.
    # (At home: out in the community, violence-in-community weighs the wish of a victim not yet named.)
    kept = flow.prune({"incident.kind": "assault", "incident.victim": "none", "incident.victim_wants_police": True,
                       "incident.weapon": "none", "setting.location": "in_placement"}, decider)
    assert kept == {"incident.kind": "assault", "incident.victim": "none", "incident.weapon": "none",
                    "setting.location": "in_placement"}
    kept = flow.prune({"incident.kind": "assault", "incident.victim": "staff", "incident.victim_wants_police": True},
                      decider)
    assert kept["incident.victim_wants_police"] is True
    assert "missing.hours_absent" in flow.prune({"incident.kind": "missing", "missing.hours_absent": 3.0}, decider)


def test_prune_drops_an_answer_only_when_a_plain_test_rules_out_every_reader(book):
    """Only ``is`` and ``in`` tests that must all hold rule a reader out; ``not`` and the tests
    inside ``any`` might still hold another way."""
    def pruned(*whens: dict) -> dict:
        rules = [SimpleNamespace(conditions=parse_when(when, book.parameters)) for when in whens]
        fake = SimpleNamespace(book=SimpleNamespace(version=f"prune-test-{id(rules)}", rules=rules))
        return flow.prune({"incident.kind": "assault", "incident.weapon": "bladed", "incident.victim_wants_police": True},
                          fake)

    wants = {"incident.victim_wants_police": True}
    assert "incident.victim_wants_police" not in pruned({"incident.kind": "theft", **wants},
                                                        {"incident.kind": {"in": ["theft", "threats"]}, **wants})
    assert "incident.victim_wants_police" not in pruned({"incident.weapon": "none", **wants})
    assert "incident.victim_wants_police" in pruned({"incident.kind": "theft", **wants},
                                                    {"incident.kind": {"in": ["assault"]}, **wants})
    assert "incident.victim_wants_police" in pruned({"incident.kind": {"not": "assault"}, **wants})
    assert "incident.victim_wants_police" in pruned({"any": [{"incident.kind": "theft"}, {"person.age": 15}], **wants})
    # Read only inside ``any``: kept while a branch that reads it could hold, dropped when none can.
    assert "incident.victim_wants_police" not in pruned(
        {"any": [{"person.age": 15}, {"incident.weapon": "none", **wants}]})
    assert "incident.victim_wants_police" in pruned(
        {"any": [{"person.age": 15}, {"incident.weapon": "bladed", **wants}]})
    assert "incident.victim_wants_police" in pruned(
        {"any": [{"person.age": 15}, {"incident.weapon": {"not": "none"}, **wants}]})


@pytest.mark.parametrize("choice", happened.CHOICES)
def test_every_journey_ends_without_asking_a_question_twice(decider, choice):
    """Whatever the answers, the next question is never one already answered (prune never drops
    an answer the rules still ask for), and the journey reaches "check your answers"."""
    for pick in (0, -1):  # the first option of each question, then the last ("I don't know")
        state = flow.answer({flow.DANGER: False}, flow.KIND, choice, decider)
        asked: list[str] = []
        step = flow.next_step(state, decider)
        while step not in ("check", "call-999"):
            assert step not in asked, (choice, asked, step)
            asked.append(step)
            q = flow.question(step, decider)
            raw = str(int(flow.number_limits(step)[0]) + 5) if q.kind == "number" else q.options[pick][0]
            state = flow.answer(state, step, raw, decider)
            step = flow.next_step(state, decider)


def test_a_missing_child_in_immediate_danger_goes_to_call_999(client):
    # Immediate danger as the rules see it: they answer call 999 for a missing child with an immediate concern.
    response = client.get("/should-i-call/check?incident.risk_to_life=no&incident.kind=missing"
                          "&missing.immediate_concern=yes")
    assert "/should-i-call/call-999" in str(response.url)
    assert "Call 999 now" in response.text


# -- What the answer page leads with: the actions' ``first``, not the rules' words or conditions ---------
def police_heading(text: str) -> str:
    """The police answer's heading: the panel's ``h1``, or under a medical panel its ``h2``."""
    import re

    panel = text[text.index('id="result-panel"'):]
    return re.search(r"<h[12][^>]*>(?:Police: )?([^<]*)</h[12]>", panel).group(1).replace("&#39;", "'")


def first_screen(text: str) -> str:
    return text[text.index('id="first-screen"'):text.index('id="reasons"')]


def test_a_mental_health_crisis_of_kind_other_leads_with_medical_help(client, decider):
    """The crisis-team action is first (``first: medical``) for a crisis of kind ``other`` as for
    self-harm, so the answer leads with medical help there too, not a "restorative" panel."""
    answers = "incident.risk_to_life=no&incident.kind=other&health.mental_health_crisis=yes"
    decision = decider.decide({"incident": {"kind": "other", "risk_to_life": False},
                               "health": {"mental_health_crisis": True}})
    assert decision.actions[0].first == "medical"
    screen = first_screen(client.get(f"/should-i-call/result?{answers}").text)
    assert 'id="medical-panel"' in screen and "Get medical help now" in screen and 'href="tel:111"' in screen
    assert 'data-recommendation="no_police"' in screen and "cg-panel--no_police" not in screen
    assert "restorative" not in screen
    record = client.get(f"/should-i-call/record?{answers}").text
    assert ("Get medical help now: A&E, NHS 111 or the crisis team (999 if their life is at risk). "
            "Police: No need to call the police.") in html.unescape(record)


def test_a_call_101_under_medical_help_first_still_has_its_101_button(client, decider):
    """A 13-year-old assaulted by an adult with a serious injury: A&E first (the medical panel and
    its 999 and NHS 111 buttons lead), and the police answer, call 101, has its own 101 button
    under it (it had none: the 101 button was only in the page's non-medical branch)."""
    answers = ("incident.risk_to_life=no&person.status=looked_after&person.age=13&setting.type=foster_care"
               "&incident.kind=assault&incident.victim=self&incident.harmed_by=adult&incident.injury=serious"
               "&incident.in_progress=no&incident.suspect_present=no")
    page = client.get(f"/should-i-call/result?{answers}")
    assert "/should-i-call/result" in str(page.url)
    screen = first_screen(page.text)
    assert 'id="medical-panel"' in screen and 'data-recommendation="call_101"' in screen
    order = [screen.index(mark) for mark in ('id="medical-panel"', 'href="tel:999"', 'href="tel:111"',
                                             'id="result-panel"', 'href="tel:101"')]
    assert order == sorted(order), order  # medical help first, then the police answer and its 101
    assert screen.count('href="tel:101"') == 1 and "Call 101" in screen
    # the non-medical call_101 keeps its one 101 button
    plain = first_screen(client.get(f"/should-i-call/result?{MISSING}{CHILD_14}missing.enquiries_done=yes").text)
    assert 'id="medical-panel"' not in plain and plain.count('href="tel:101"') == 1


MISSING = "incident.risk_to_life=no&incident.kind=missing&"
CHILD_14 = "person.status=looked_after&person.age=14&missing.whereabouts_known=no&"
CHECKS_THEN_101 = "Do these checks now, then call 101 if they are still missing"


@pytest.mark.parametrize("answers, heading", [
    # A known risk (health needs): report at once (first: call), not after the checks.
    (CHILD_14 + "missing.enquiries_done=no&missing.medical_needs=yes", "Call 101 now"),
    # A care leaver out of contact with a known risk: the rules say report now and list no checks
    # (before, any missing young person's 101 without enquiries done read "do these checks").
    ("person.status=care_leaver&person.age=19&missing.enquiries_done=no&missing.medical_needs=yes", "Call 101 now"),
    # No known risk, the first checks not done: the check rule's own headline leads.
    (CHILD_14 + "missing.enquiries_done=no&missing.medical_needs=no&missing.out_of_character=no"
     "&person.exploitation_concern=no", CHECKS_THEN_101),
    # ... also under medical help first (someone needs A&E): the police answer still starts with the checks.
    (CHILD_14 + "missing.enquiries_done=no&incident.injury=serious&incident.in_progress=no"
     "&incident.child_calm_now=yes", CHECKS_THEN_101),
    (CHILD_14 + "missing.enquiries_done=yes", "Call 101 now"),
])
def test_a_missing_young_persons_heading_follows_what_the_rules_put_first(client, answers, heading):
    page = client.get(f"/should-i-call/result?{MISSING}{answers}")
    assert "/should-i-call/result" in str(page.url)
    assert police_heading(page.text) == heading


@pytest.mark.parametrize("facts, heading", [
    ({"missing": {"whereabouts_known": False, "enquiries_done": False, "medical_needs": True}}, "Call 101 now"),
    ({"missing": {"whereabouts_known": False, "enquiries_done": False}}, CHECKS_THEN_101),
])
def test_the_answers_heading_does_not_read_the_rules_words(decider, facts, heading):
    """Reworded actions and headline give the same heading: the page reads ``first``, not the words
    ("without waiting", "still missing")."""
    from callguide.web import answer
    from callguide.web.words import Words

    facts = {**facts, "incident": {"kind": "missing", "risk_to_life": False},
             "person": {"status": "looked_after", "age": 14}}
    decision = decider.decide(facts)
    reworded = decision.model_copy(update={
        "headline": "Some other words.",
        "actions": [action.model_copy(update={"what": "Some other words."}) for action in decision.actions]})
    state = {"incident.kind": "missing", "incident.risk_to_life": False}
    words = Words(flow.vocabulary(decider), state)
    for d in (decision, reworded):
        assert answer.lead(state, d, words, decider.book).title == heading


@pytest.mark.parametrize("kind, ambulance", [("drugs", True), ("self_harm", True), ("criminal_damage", False)])
def test_the_999_page_asks_for_an_ambulance_when_the_rules_put_medical_help_first(client, kind, ambulance):
    """A risk to life from drugs (an overdose) is an ambulance (life-at-risk-needs-ambulance, first:
    ambulance); damage is not."""
    text = client.get(f"/should-i-call/call-999?incident.risk_to_life=yes&incident.kind={kind}").text
    assert ("Ask for an ambulance" in text) is ambulance


# -- The call check before there is a verdict: the call-ask-first table's questions -------------------
def first_asks_on(client, query: str = "") -> list[str]:
    import html
    import re

    text = client.get(f"/call-check?{query}").text
    start = text.index('id="cc-first-asks"')
    return [html.unescape(item) for item in re.findall(r"<li>([^<]*)</li>", text[start:text.index("</ol>", start)])]


def table_asks(decider, facts: dict) -> tuple[str, list[str]]:
    """The call-ask-first row that holds for ``facts`` and its questions, in the vocabulary's words."""
    from callguide.callcheck_parts import tables_for

    known = {f"{section}.{key}": value for section, values in facts.items() for key, value in values.items()}
    tables = tables_for(decider.book)
    row = tables["call-ask-first"].first(tables.fact(known, decider.level(known).value))
    return row.id, [decider.book.vocabulary.fact(path).ask for path in row.then["ask"]]


def test_the_blank_call_check_asks_what_the_ask_first_table_asks_for_an_unknown_incident(client, decider):
    """Nothing said yet (what happened "Not said", checked as "something else" because the contract
    needs a kind): the page lists every question of the table's row for that, "What happened?"
    among them, not a list of its own (it listed two: danger and what happened)."""
    row, asks = table_asks(decider, {"incident": {"kind": "other"}})
    assert row == "ask-what-happened" and len(asks) == 4
    assert first_asks_on(client) == asks
    assert decider.book.vocabulary.fact("incident.kind").ask in asks


def test_the_call_check_asks_first_what_the_table_asks_for_what_is_said(client, decider):
    """A missing young person, nothing else said: the table's questions about where they are and the
    risk come first, then danger; nothing the form already has an answer for."""
    row, asks = table_asks(decider, {"incident": {"kind": "missing"}})
    assert row == "ask-where-they-are"
    shown = first_asks_on(client, "incident.kind=missing")
    assert shown[:len(asks)] == asks
    assert shown[len(asks):] == [decider.book.vocabulary.fact("incident.risk_to_life").ask]
    assert "What happened?" not in shown
    shown = first_asks_on(client, "incident.in_progress=yes&incident.weapon=none")
    assert decider.book.vocabulary.fact("incident.weapon").ask not in shown
    assert shown[-1] == decider.book.vocabulary.fact("incident.kind").ask  # not said, so still asked


# -- One home for words ------------------------------------------------------------------------------
def test_pages_and_scripts_name_only_facts_and_levels_the_vocabulary_defines(decider):
    """A template, script or page module that names a fact (``incident.kind``) or a level
    (``call_101``) the vocabulary does not define would show a raw name or fail: every name must
    be one the vocabulary has words for (the call check's own extra field in its call_check section)."""
    import re
    from pathlib import Path

    from callguide.facts import Incident
    from callguide.web import callcheck_form

    words = flow.vocabulary(decider)
    web = Path(flow.__file__).parent
    sections = "|".join(Incident.model_fields)
    fact_name = re.compile(rf"""["']((?:{sections})\.[a-z_]+)["']""")  # a quoted name: "incident.kind"
    level_name = re.compile(r"""["'](call_[0-9a-z]+|report_[a-z_]+|no_police[a-z_]*)["']|cg-(?:panel|tag)--(\w+)""")
    levels = {level.value for level in words.levels}
    files = [*web.glob("templates/**/*.html"), *web.glob("static/*.js"), *web.glob("static/*.css"), *web.glob("*.py")]
    assert len(files) > 10
    unknown = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for name in set(fact_name.findall(text)):
            if name not in words.facts and name not in words.call_check.facts:
                unknown.append(f"{path.name}: fact {name}")
        for quoted, styled in set(level_name.findall(text)):
            name = quoted or styled
            if name not in levels and name not in PANELS_NOT_LEVELS:
                unknown.append(f"{path.name}: level {name}")
    assert not unknown, unknown
    assert fact_name.search((web / "callcheck_form.py").read_text())  # the check does find names


# Panel styles that are not levels: medical help first, and a call check that could not update.
PANELS_NOT_LEVELS = {"medical", "not"}


def test_what_happened_offers_every_kind_and_the_young_person_as_the_one_harmed(decider):
    from callguide.facts import allowed_values

    plain = sorted(c.facts[flow.KIND] for c in happened.CHOICES.values() if len(c.facts) == 1)
    assert plain == sorted(allowed_values(flow.KIND))
    state = flow.answer({flow.DANGER: False}, flow.KIND, "robbed", decider)
    assert state[flow.KIND] == "theft" and state["incident.victim"] == "self"
    assert happened.current(state) == "robbed"
    # Changing the answer takes away what the old choice said, not what was answered since.
    state = flow.answer({**state, "incident.weapon": "none"}, flow.KIND, "criminal_damage", decider)
    assert "incident.victim" not in state and state["incident.weapon"] == "none"


def test_who_and_where_come_right_after_danger_and_set_the_words(client):
    response = client.post("/should-i-call/question", data={"fact": "incident.risk_to_life", "answer": "no"})
    assert "fact=person.status" in str(response.url)
    response = client.get("/should-i-call/call-999?incident.risk_to_life=yes&setting.type=foster_care")
    assert "the fostering service's out-of-hours line" in response.text.replace("&#39;", "'")


# -- Error pages ----------------------------------------------------------------------------------------
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def failing_client(decider):
    from fastapi import APIRouter

    broken = APIRouter()

    @broken.get("/broken-page")
    def broken_page():
        raise RuntimeError("a bug")

    return TestClient(create_app(decider, routers=[broken]), raise_server_exceptions=False)


@pytest.mark.parametrize("method, url, status, title", [
    ("GET", "/no-such-page", 404, "Page not found"),
    ("DELETE", "/call-check", 405, "Sorry, there is a problem with the service"),
    ("GET", "/broken-page", 500, "Sorry, there is a problem with the service"),
])
def test_browsers_get_error_pages_with_999_and_a_way_back(failing_client, method, url, status, title):
    response = failing_client.request(method, url, headers=BROWSER)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f"<h1 class=\"govuk-heading-l\">{title}</h1>" in response.text
    assert 'href="tel:999"' in response.text and 'id="way-back"' in response.text
    if status == 405:
        assert "GET" in response.headers["allow"]


def test_a_browser_form_too_large_gets_the_error_page_and_the_api_keeps_json(client):
    big = {"incident.kind": "x" * 100_000}
    page = client.post("/call-check", data=big, headers=BROWSER)
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in page.text and 'href="tel:999"' in page.text
    api = client.post("/v1/decisions", content=b"{" + b" " * 100_000 + b"}",
                      headers={**BROWSER, "Content-Type": "application/json"})
    assert api.status_code == 413 and api.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("url, headers", [
    ("/v1/no-such-thing", BROWSER),                      # the API, even from a browser
    ("/no-such-page", {"Accept": "application/json"}),   # asks for JSON
    ("/no-such-page", {}),                               # asks for nothing in particular
])
def test_the_api_and_json_clients_keep_json_errors(client, url, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["detail"]


def test_a_server_error_outside_a_browser_is_not_an_html_page(failing_client):
    response = failing_client.get("/broken-page", headers={"Accept": "application/json"})
    assert response.status_code == 500 and "html" not in response.headers["content-type"]


# -- Every level the rules reach in a setting is reachable by answering the pages -----------------------
@pytest.mark.parametrize("setting", ["childrens_home", "supported_accommodation", "foster_care", "care_leaver"])
def test_every_level_the_rules_reach_in_a_setting_is_reachable_on_the_pages(decider, setting):
    import web_paths

    wanted = web_paths.levels_in_scenarios(decider)[setting]
    assert wanted, f"no scenario is set in {setting}"
    found = web_paths.reach(decider, setting, wanted)
    missing = wanted - set(found)
    assert not missing, f"{setting}: {sorted(missing)} not reachable by answering the pages' questions"


def test_a_number_nobody_knows_is_not_asked_again(decider):
    """A number page left empty travels as ``unknown`` in the address; reading it back must keep it
    (dropping it asked the same page again, for ever)."""
    state = flow.read_state([("incident.kind", "criminal_damage"), ("incident.damage_value_gbp", flow.UNKNOWN)], decider)
    assert state["incident.damage_value_gbp"] == flow.UNKNOWN
    assert flow.next_step({**state, flow.DANGER: False}, decider) != "incident.damage_value_gbp"


def test_the_answer_page_says_which_questions_matter_together(client, decider):
    """A question that changes the answer only with others says which (issue 11's together_with)."""
    decision = decider.decide({"incident": {"kind": "theft", "risk_to_life": False}})
    together = next(q for q in decision.questions if q.together_with)
    page = client.get("/should-i-call/result?incident.risk_to_life=no&incident.kind=theft").text
    item = page[page.index(together.ask):page.index("</li>", page.index(together.ask))]
    labels = "; ".join(decider.book.vocabulary.label(path).lower() for path in together.together_with)
    assert f"together with: {labels})" in item


# -- Who was harmed: the people who are there in the young person's setting ---------------------------
@pytest.mark.parametrize("setting, offered, not_offered", [
    ("childrens_home", {"staff", "resident"}, {"carer"}),
    ("supported_accommodation", {"staff", "resident"}, {"carer"}),
    ("foster_care", {"carer", "resident"}, {"staff"}),
    ("other", {"staff", "carer", "resident"}, set()),   # somewhere else: anyone may be there
    (None, {"staff", "carer", "resident"}, set()),      # not said: every option
    # an adult care leaver in their own home: no foster carer (a support worker may visit)
    (("other", "care_leaver"), {"staff", "resident"}, {"carer"}),
    (("foster_care", "care_leaver"), {"carer", "resident"}, {"staff"}),  # staying put
])
def test_who_was_harmed_offers_the_people_of_the_setting(client, decider, setting, offered, not_offered):
    setting, status = setting if isinstance(setting, tuple) else (setting, None)
    state = {flow.DANGER: False, flow.KIND: "assault", **({"setting.type": setting} if setting else {}),
             **({"person.status": status} if status else {})}
    values = [value for value, _ in flow.question("incident.victim", decider, state).options]
    assert offered <= set(values) and not (not_offered & set(values)), values
    assert {"none", "public", "self", flow.UNKNOWN} <= set(values)
    page = client.get(f"/should-i-call/question?{flow.query(state, fact='incident.victim')}").text
    for value in not_offered:
        assert f'value="{value}"' not in page
    for value in offered:
        assert f'value="{value}"' in page


def test_a_victim_who_is_not_there_after_the_setting_changes_is_asked_again(decider):
    """A foster carer harmed, then "Where they live" changed to a children's home: the answer no
    longer fits and goes (the question comes again); one that still fits stays."""
    answers = {flow.DANGER: False, "setting.type": "childrens_home", flow.KIND: "assault"}
    assert "incident.victim" not in flow.prune({**answers, "incident.victim": "carer"}, decider)
    assert flow.prune({**answers, "incident.victim": "staff"}, decider)["incident.victim"] == "staff"
    assert flow.prune({**answers, "setting.type": "foster_care", "incident.victim": "carer"},
                      decider)["incident.victim"] == "carer"
    state = flow.answer({**answers, "setting.type": "foster_care", "incident.victim": "carer"},
                        "setting.type", "childrens_home", decider)
    assert "incident.victim" not in state


def test_what_happened_has_no_heading_that_repeats_its_only_choice(client, decider):
    """"Something else" was a group heading over one choice also called "Something else": it is now
    a choice on its own after "or", as GOV.UK radios set apart a "none of these" answer."""
    import re

    q = flow.question(flow.KIND, decider)
    for title, group in q.groups:
        assert title not in [label for _, label in group], (title, group)
    page = client.get("/should-i-call/question?incident.risk_to_life=no&fact=incident.kind").text
    other = decider.book.vocabulary.answer(flow.KIND, "other")
    assert page.count(f">{other}<") == 1  # its label, and no heading of the same words
    headings = re.findall(r'<h2 class="govuk-heading-s cg-choice-group">([^<]*)</h2>', page)
    assert headings == [title for title, _ in q.groups if title]
    assert page.index('cg-choice-divider">or<') < page.index('value="other"')


def test_changing_an_answer_keeps_its_place_on_check_your_answers(client, decider):
    """"Change" on check your answers, a new answer, back to the list: the answer is where it was,
    not moved to the bottom (the question's form left its old answer out of the answers it carries)."""
    import html
    import re
    from urllib.parse import urlencode

    state = {flow.DANGER: False, "person.status": "looked_after", "person.age": 15, "setting.type": "childrens_home",
             flow.KIND: "criminal_damage"}
    while (step := flow.next_step(state, decider)) not in ("check", "call-999"):
        values = [value for value, _ in flow.question(step, decider, state).options]
        raw = "40" if not values else next(v for v in ("none", "no", flow.UNKNOWN) if v in values)
        state = flow.answer(state, step, raw, decider)
    assert step == "check"

    def labels(text: str) -> list[str]:
        return re.findall(r'<dt class="govuk-summary-list__key">([^<]*)</dt>', text)

    before = labels(client.get(f"/should-i-call/check?{flow.query(state)}").text)
    assert len(before) >= 8
    fact = "incident.damage_value_gbp"
    assert 4 < [path for path, _ in flow.ordered(state)].index(fact) < len(before) - 1  # not already last
    form = client.get(f"/should-i-call/question?{flow.query(state, fact=fact)}").text
    fields = [(name, html.unescape(value)) for name, value in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)]
    response = client.post("/should-i-call/question", content=urlencode([*fields, ("answer", "45")]),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "/should-i-call/check" in str(response.url)
    assert "About £45" in response.text
    assert labels(response.text) == before
    # "What happened?" changed between two choices that both say who was harmed: that answer stays put
    harmed = happened.choose({flow.DANGER: False, flow.KIND: "assault", "incident.victim": "self",
                              "incident.weapon": "none"}, "threatened")
    assert list(harmed) == [flow.DANGER, flow.KIND, "incident.victim", "incident.weapon"]
    assert harmed[flow.KIND] == "threats"


@pytest.mark.parametrize("url", ["/should-i-call/question", "/call-check"])
@pytest.mark.parametrize("age", ["30", "9"])
def test_an_age_outside_10_to_25_says_what_to_do(client, url, age):
    """The error names the field as before, and says what to do: callguide is for young people
    aged 10 to 25, and an age nobody is sure of is left empty (the page's "I don't know"; "Not
    said" on the call check)."""
    data = {"incident.risk_to_life": "no", "incident.kind": "assault"}
    data.update({"person.age": age} if url == "/call-check" else {"fact": "person.age", "answer": age})
    text = client.post(url, data=data).text.replace("&#39;", "'")
    assert "Age must be between 10 and 25" in text
    assert ("Age must be between 10 and 25, the ages callguide is for. "
            "If you are not sure of their age, leave it empty") in text
    number = client.post(url, data={**data, **({"person.age": "fifteen"} if url == "/call-check" else {"answer": "x"})})
    assert "Age must be a number" in number.text and "the ages callguide is for" not in number.text


# -- A question that matters only together with another waits for it ---------------------------------
def test_the_plan_is_asked_before_the_means_to_carry_it_out(decider):
    """"Do they have the means to carry out that plan?" matters only together with "Do they have a
    plan to end their life?" (the decision's ``together_with``) and came first. The pages ask the
    plan first; a "no" to it makes the means moot, and they are not asked."""
    state = {flow.DANGER: False, "person.status": "looked_after", "person.age": 15, "setting.type": "childrens_home",
             flow.KIND: "self_harm", "health.suicidal_thoughts": True}
    decision = decider.decide(flow.incident(state))
    means = next(q for q in decision.questions if q.fact == "health.means_available")
    assert "health.suicide_plan" in means.together_with
    asked: list[str] = []
    while (step := flow.next_step(state, decider)) not in ("check", "call-999"):
        asked.append(step)
        values = [value for value, _ in flow.question(step, decider, state).options]
        raw = "no" if step == "health.suicide_plan" else ("none" if "none" in values else flow.UNKNOWN)
        state = flow.answer(state, step, raw if values else "", decider)
    assert "health.suicide_plan" in asked and "health.means_available" not in asked, asked
    # With a plan, the means come next, after it.
    state = {key: value for key, value in state.items() if key != "health.suicide_plan"}
    assert flow.next_step(state, decider) == "health.suicide_plan"
    state = flow.answer(state, "health.suicide_plan", "yes", decider)
    assert flow.next_step(state, decider) in ("health.means_available", "call-999")


# -- Each kind of incident asked in its own way (vocabulary ``asking``) ------------------------------
WHO = {flow.DANGER: False, "person.status": "looked_after", "person.age": 15}


def journey(decider, state: dict, answer_with: str = flow.UNKNOWN) -> list[str]:
    """The questions the pages ask, in order, answering each with ``answer_with`` (or the first option)."""
    asked: list[str] = []
    while (step := flow.next_step(state, decider)) not in ("check", "call-999"):
        asked.append(step)
        q = flow.question(step, decider, state)
        values = [value for value, _ in q.options]
        if q.kind == "number":
            raw = ""  # not known
        else:
            raw = answer_with if answer_with in values or answer_with == flow.UNKNOWN else values[0]
        state = flow.answer(state, step, raw, decider)
    return asked


@pytest.mark.parametrize("setting", ["childrens_home", "foster_care", "supported_accommodation"])
@pytest.mark.parametrize("kind", ["self_harm", "other", "assault", "drugs"])
def test_a_patient_is_asked_about_an_ambulance_right_after_what_happened(decider, kind, setting):
    """Medical help first: for self-harm, a crisis or an assault, "does anyone need an ambulance
    now?" comes before the weapon, injury and who-did-it questions the rules also list, and a yes
    goes straight to "Call 999"."""
    state = {**WHO, "setting.type": setting, flow.KIND: kind}
    decision = decider.decide(flow.incident(state))
    listed = [q.fact for q in decision.questions]
    assert "incident.weapon" in listed and listed.index("incident.weapon") < listed.index("health.medical_emergency")
    assert flow.next_step(state, decider) == "health.medical_emergency"
    assert flow.next_step({**state, "health.medical_emergency": True}, decider) == "call-999"


def test_self_harm_does_not_ask_who_did_it(decider):
    """Self-harm is a health and care matter: nobody is asked who caused the harm, whether it was
    hate, or whether "the person harmed" wants the police, nor a question that matters only with those."""
    state = {**WHO, "setting.type": "childrens_home", flow.KIND: "self_harm"}
    listed = {q.fact for q in decider.decide(flow.incident(state)).questions}
    not_asked = {"incident.harmed_by", "incident.hate_motivated", "incident.victim", "incident.victim_wants_police"}
    assert not_asked & listed  # the rules do list some of them: the pages leave them out
    asked = journey(decider, dict(state))
    assert asked[:3] == ["health.medical_emergency", "incident.injury", "incident.in_progress"], asked
    assert not set(asked) & not_asked, asked
    assert "setting.location" not in asked  # it mattered only together with who was harmed


@pytest.mark.parametrize("answer_with", [flow.UNKNOWN, "no"])
def test_a_missing_young_person_is_asked_about_their_safety_not_an_incident(client, decider, answer_with):
    """A missing young person is not in front of the carer: no weapon, injury, still-happening or
    ambulance question, on the question pages or among the answer page's "questions still worth
    asking", while the decision (for apps and call handlers) still lists them after the
    immediate concern."""
    state = {**WHO, "setting.type": "childrens_home", flow.KIND: "missing"}
    decision = decider.decide(flow.incident(state))
    assert decision.questions[0].fact == "missing.immediate_concern"
    assert "incident.weapon" in [q.fact for q in decision.questions]
    incident_questions = {"incident.weapon", "incident.injury", "incident.in_progress", "health.medical_emergency",
                          "incident.victim", "incident.child_calm_now"}
    asked = journey(decider, dict(state), answer_with)
    assert asked[:4] == list(flow.MISSING_ROUTE) and not set(asked) & incident_questions, asked
    page = client.get("/should-i-call/result?incident.risk_to_life=no&person.status=looked_after&person.age=15"
                      "&setting.type=childrens_home&incident.kind=missing&missing.whereabouts_known=no"
                      "&missing.immediate_concern=unknown&missing.enquiries_done=unknown&missing.hours_absent=unknown")
    assert page.status_code == 200 and 'id="open-questions"' in page.text
    open_questions = page.text[page.text.index('id="open-questions"'):]
    open_questions = open_questions[:open_questions.index("</ul>")]
    assert "immediate_concern" in open_questions
    assert "weapon" not in open_questions and "incident.injury" not in open_questions
# -- Journeys on a bad night (journeys2): what the pages must say ------------------------------------
def _main_text(html_text: str) -> str:
    import html
    import re

    main = html_text[html_text.index("<main"):html_text.index("</main>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


@pytest.mark.parametrize("query, must", [
    # a fire still burning: the rule's own first step (fire-in-progress), not only "while you wait"
    ("incident.kind=fire_setting&incident.in_progress=yes&setting.type=childrens_home", "Get everyone out"),
    # a gun: never handle it (College of Policing APP, armed policing: advice about securing a knife does not apply to a gun)
    ("incident.kind=weapon&incident.weapon=firearm", "Do not touch, move or try to take the gun"),
    # an overdose or heavy bleeding: the ambulance step
    ("incident.kind=self_harm&health.medical_emergency=yes", "Ask the 999 operator for an ambulance"),
])
def test_the_999_page_says_what_to_do_now_from_the_rules_that_made_it_an_emergency(client, query, must):
    response = client.get(f"/should-i-call/call-999?incident.risk_to_life=no&{query}")
    assert 'data-recommendation="call_999"' in response.text
    assert 'id="do-now"' in response.text
    assert must in _main_text(response.text)


def test_the_999_page_never_presumes_the_young_person_is_a_suspect(client):
    """While someone is in danger nobody knows who did what, and a harmed young person is a victim:
    no "if the young person is arrested" on the 999 page (custody actions are for a suspect)."""
    for query in ("incident.risk_to_life=yes",
                  "incident.risk_to_life=no&incident.kind=assault&incident.victim=self&incident.in_progress=yes"):
        text = _main_text(client.get(f"/should-i-call/call-999?{query}").text)
        assert "arrested" not in text and "Call 999" in text, query


def test_an_unanswered_question_names_the_question_in_its_error(client):
    response = client.post("/should-i-call/question", data={
        "fact": "incident.in_progress", "answer": "", "incident.risk_to_life": "no", "incident.kind": "assault"})
    text = _main_text(response.text)
    assert "There is a problem" in text
    assert "Select an answer to “Is it still happening now?”, or “I don’t know”" in text
    assert response.text.count("Is it still happening now?") >= 3  # the summary, the message, the legend


def test_who_caused_the_harm_not_known_reads_dont_know_like_every_other_answer(decider):
    """Check your answers and the record show "I don't know" as "Don't know" for every question,
    who caused the harm too ("Nobody knows who yet" is its own answer, ``not_known``)."""
    from callguide.web.words import Words

    words = Words(flow.vocabulary(decider), {"incident.kind": "assault", "incident.harmed_by": flow.UNKNOWN})
    assert words.answer("incident.harmed_by", flow.UNKNOWN) == words.answer("incident.weapon", flow.UNKNOWN) == "Don’t know"
    assert words.answer("incident.harmed_by", "not_known") == "Nobody knows who yet"


def test_the_record_of_a_missing_young_person_is_in_the_third_person(client):
    state = ("incident.risk_to_life=no&person.status=looked_after&person.age=15&setting.type=childrens_home"
             "&incident.kind=missing&missing.whereabouts_known=no&missing.immediate_concern=no"
             "&missing.enquiries_done=yes&missing.hours_absent=3")
    record = _main_text(client.get(f"/should-i-call/record?{state}").text)
    assert "Whereabouts known: No" in record
    assert not re.search(r"\b(we|We|I|our|Our)\b", record), record


def test_the_999_page_goes_back_to_the_answer_that_made_it_999(client):
    """A night worker who tapped "Yes, still happening" by mistake goes Back to that question, not
    to the first page (journeys2: going back and changing an answer)."""
    state = ("incident.risk_to_life=no&person.status=looked_after&setting.type=childrens_home"
             "&incident.kind=fire_setting&incident.in_progress=yes")
    text = client.get(f"/should-i-call/call-999?{state}").text
    back = re.search(r'<a href="([^"]+)" class="govuk-back-link"', text).group(1)
    assert "fact=incident.in_progress" in back and "incident.kind=fire_setting" in back.replace("&amp;", "&")
    # "not sure" about danger, the first question: back to it
    text = client.get("/should-i-call/call-999?incident.risk_to_life=unknown").text
    assert "fact=incident.risk_to_life" in re.search(r'<a href="([^"]+)" class="govuk-back-link"', text).group(1)


def test_no_hint_repeats_its_question(decider):
    """A hint adds something the question does not say (the hate question's hint repeated its list)."""
    words = flow.vocabulary(decider)
    for path, fact in words.facts.items():
        if fact.hint:
            said = fact.hint.removeprefix("For example ").rstrip(".").lower()
            assert said not in fact.ask.lower(), path


def test_the_missing_person_route_is_named_only_for_a_missing_young_person(client):
    """A carer reporting an assault on the young person is told to call 101, not about a
    missing-person route; a missing young person's "Call 101 now" still names it."""
    def panel(query: str) -> str:
        text = client.get(f"/should-i-call/result?incident.risk_to_life=no&{query}").text
        start = text.index('id="result-panel"')
        return _main_text("<main>" + text[start:text.index("</div>", text.index("</div>", start) + 1)] + "</main>")

    assault = panel("setting.type=foster_care&incident.kind=assault&incident.victim=self&incident.harmed_by=adult"
                    "&incident.injury=minor&incident.in_progress=no")
    assert "Call the police on 101" in assault and "missing" not in assault
    missing = panel("setting.type=childrens_home&person.age=15&incident.kind=missing&missing.whereabouts_known=no"
                    "&missing.immediate_concern=no&missing.enquiries_done=yes&missing.hours_absent=3")
    assert "Call 101 now" in missing and "missing-person route" in missing


def test_back_from_a_changed_answer_goes_to_check_your_answers(client, decider):
    """Changing an answer from check your answers and thinking better of it: Back returns to check
    your answers (GOV.UK's change pattern), also after an error, not to the question before it."""
    import html

    state = flow.answer({flow.DANGER: False, "person.status": "looked_after", "person.age": 15,
                         "setting.type": "foster_care"}, flow.KIND, "criminal_damage", decider)
    while (step := flow.next_step(state, decider)) not in ("check", "call-999"):
        state = flow.answer(state, step, "" if flow.question(step, decider).kind == "number" else "unknown", decider)
    check = client.get(f"/should-i-call/check?{flow.query(state)}").text
    change = html.unescape(re.search(r'<a class="govuk-link" href="([^"]+fact=setting.type[^"]*)">Change', check).group(1))
    back = re.compile(r'<a href="([^"]+)" class="govuk-back-link')
    page = client.get(change).text
    assert back.search(page).group(1).startswith("/should-i-call/check?")
    error = client.post("/should-i-call/question", data={**dict(flow.encode(state)), "fact": "setting.type",
                                                        "change": "check"}).text
    assert "There is a problem" in error and back.search(error).group(1).startswith("/should-i-call/check?")
    # the same question reached by the journey, not from check your answers: back to the question before
    plain = client.get(f"/should-i-call/question?{flow.query(state, fact='setting.type')}").text
    assert "fact=person.age" in back.search(plain).group(1)


def test_the_999_page_for_a_bleeding_young_person_sends_an_ambulance_not_to_a_and_e(client):
    """Heavy bleeding after self-harm: the 999 page's "Do now" is the ambulance step, not "get them
    to A&E" (other medical help, for when nobody needs an ambulance)."""
    text = client.get("/should-i-call/call-999?incident.risk_to_life=no&incident.kind=self_harm"
                      "&incident.injury=serious&health.medical_emergency=yes").text
    do_now = _main_text("<main>" + text[text.index('id="do-now"'):text.index("</ol>", text.index('id="do-now"'))] + "</main>")
    assert "Ask the 999 operator for an ambulance" in do_now and "A&E" not in do_now


def test_the_999_page_for_a_missing_young_person_at_risk_says_have_the_philomena_form_ready(client):
    text = _main_text(client.get("/should-i-call/call-999?incident.risk_to_life=no&incident.kind=missing"
                                 "&missing.immediate_concern=yes").text)
    assert "Philomena form ready" in text and "arrested" not in text


def test_who_caused_the_harm_offers_i_dont_know_once_and_not_the_young_person_they_harmed(decider):
    """"Nobody knows who yet" and "I don't know" asked the same thing twice; and once the young
    person is the one harmed, they are not offered as the one who caused it (that is self-harm)."""
    labels = [label for _, label in flow.question("incident.harmed_by", decider, {flow.KIND: "assault"}).options]
    assert labels.count("I\u2019m not sure") + labels.count("I don\u2019t know") == 1
    assert "Nobody knows who yet" not in labels
    values = [value for value, _ in flow.question("incident.harmed_by", decider,
                                                  {flow.KIND: "assault", "incident.victim": "self"}).options]
    assert "young_person" not in values and "adult" in values
    values = [value for value, _ in flow.question("incident.harmed_by", decider,
                                                  {flow.KIND: "assault", "incident.victim": "staff"}).options]
    assert "young_person" in values
    # An answer made impossible by a later one is dropped, and asked again.
    state = {flow.DANGER: False, flow.KIND: "assault", "incident.harmed_by": "young_person", "incident.victim": "self"}
    assert "incident.harmed_by" not in flow.prune(state, decider)


def test_i_dont_know_who_caused_it_is_not_taken_as_the_young_person_did_it(client, decider):
    """Held-out review 7: the page's "I don't know" for who caused the harm is "Nobody knows who
    yet" (``not_known``), so the answer does not tell the carer how to put it right with the young
    person (a suspect's actions) but to find out what happened first; a named answer is kept."""
    assert flow.known_facts({flow.KIND: "criminal_damage", "incident.harmed_by": flow.UNKNOWN}) == {
        flow.KIND: "criminal_damage", "incident.harmed_by": "not_known"}
    assert flow.known_facts({"incident.harmed_by": "adult", "incident.weapon": flow.UNKNOWN}) == {
        "incident.harmed_by": "adult"}
    answers = ("incident.risk_to_life=no&person.status=looked_after&person.age=14&setting.type=childrens_home"
               "&setting.location=in_placement&incident.kind=criminal_damage&incident.victim=none"
               "&incident.damage_value_gbp=80&incident.in_progress=no&incident.child_calm_now=yes"
               "&incident.injury=none&incident.weapon=none&incident.harmed_by=unknown")
    text = html.unescape(client.get(f"/should-i-call/result?{answers}").text)
    assert "do not treat the young person as the one who did" in text
    assert "agree with them how the damage will be put right" not in text
    named = html.unescape(client.get("/should-i-call/result?" + answers.replace("harmed_by=unknown",
                                                                                "harmed_by=young_person")).text)
    assert "agree with them how the damage will be put right" in named


def test_the_medical_panel_names_the_help_the_rules_put_first(decider):
    """An ambulance when the rules' first medical help is an ambulance; A&E, NHS 111 or the crisis
    team (with 999 if a life is at risk) when it is other medical help, such as the crisis team."""
    from callguide.web import answer

    ambulance = decider.decide({"incident": {"kind": "self_harm"}, "health": {"medical_emergency": True}})
    assert [a.first for a in ambulance.actions if a.first in answer.MEDICAL_FIRST][0] == "ambulance"
    assert answer.medical_line(ambulance) == "Get medical help now: call 999 for an ambulance"
    crisis = decider.decide({"incident": {"kind": "other", "risk_to_life": False}, "health": {"mental_health_crisis": True}})
    assert "crisis team" in answer.medical_line(crisis) and "999" in answer.medical_line(crisis)
    assert answer.medical_line(decider.decide({"incident": {"kind": "criminal_damage", "damage_value_gbp": 20}})) == ""


def test_the_answer_so_far_is_offered_only_once_no_question_left_could_make_it_999(client, decider):
    """A broken window in foster care took 16 pages. Once who, where and what happened are known
    and no question left could make it a 999 call, each page offers the answer so far; while the
    weapon, injury or still-happening questions could, it is not offered."""
    state = {**WHO, "setting.type": "foster_care", flow.KIND: "criminal_damage"}
    assert not so_far.answer_so_far(state, decider)  # a weapon or an injury could still make it 999
    page = client.get(f"/should-i-call/question?{flow.query(state)}&fact=incident.weapon").text
    assert 'id="answer-so-far"' not in page
    for fact, value in (("incident.weapon", "none"), ("incident.injury", "none"), ("incident.in_progress", False)):
        state = flow.answer(state, fact, {False: "no"}.get(value, value), decider)
    assert so_far.answer_so_far(state, decider)
    step = flow.next_step(state, decider)
    page = client.get(f"/should-i-call/question?{flow.query(state)}&fact={step}").text
    assert 'id="answer-so-far"' in page
    result = client.get(f"/should-i-call/result?{flow.query(state)}")
    assert result.status_code == 200 and 'data-recommendation="' in result.text and 'id="open-questions"' in result.text
    # Never before who, where and what happened, nor for a missing young person before the missing route.
    assert not so_far.answer_so_far({flow.DANGER: False, flow.KIND: "criminal_damage"}, decider)
    assert not so_far.answer_so_far({**WHO, "setting.type": "foster_care", flow.KIND: "missing"}, decider)


def test_away_with_whereabouts_known_is_not_asked_a_missing_childs_enquiries(decider):
    """Away with whereabouts known is not missing (DfE 2014): after whereabouts and a specific
    worry, no enquiries or hours away; not knowing where they are asks the whole route."""
    state = {**WHO, "setting.type": "foster_care", flow.KIND: "missing"}
    away = journey(decider, {**state, "missing.whereabouts_known": True})
    assert away[0] == "missing.immediate_concern"
    assert "missing.enquiries_done" not in away and "missing.hours_absent" not in away, away
    gone = journey(decider, {**state, "missing.whereabouts_known": False})
    assert gone[:3] == ["missing.immediate_concern", "missing.enquiries_done", "missing.hours_absent"], gone


def test_the_record_says_what_was_not_known_without_stating_it(client):
    """"Not known at the time: Someone needs an ambulance now" read like a statement; each unknown
    answer now says it was not known."""
    answers = ("incident.risk_to_life=no&person.status=looked_after&person.age=15&setting.type=childrens_home"
               "&incident.kind=self_harm&health.medical_emergency=unknown&incident.injury=minor")
    record = html.unescape(client.get(f"/should-i-call/record?{answers}").text)
    assert "Someone needs an ambulance now: not known" in record


def test_once_the_young_person_caused_it_they_are_not_offered_as_the_one_harmed(client):
    """A residential worker says the young person punched a wall (they caused it): "who was harmed"
    must not offer "the young person themself", which says someone else harmed them, silently drops
    "the young person caused it" and asks who caused it again without that answer."""
    answers = ("incident.risk_to_life=no&person.status=looked_after&person.age=16&setting.type=childrens_home"
               "&incident.kind=criminal_damage&incident.harmed_by=young_person")
    page = client.get(f"/should-i-call/question?{answers}&fact=incident.victim").text
    offered = re.findall(r'name="answer"[^>]*value="([^"]+)"', page)
    assert "none" in offered and "staff" in offered and "self" not in offered
    # Told the other way round (someone harmed the young person), "the young person" is not offered
    # as the one who caused it, as before.
    page = client.get("/should-i-call/question?incident.risk_to_life=no&incident.kind=assault&incident.victim=self"
                      "&fact=incident.harmed_by").text
    assert "young_person" not in re.findall(r'name="answer"[^>]*value="([^"]+)"', page)


def test_the_999_page_does_not_ask_for_a_second_call_to_the_police(client):
    """Another resident threatened the young person with a knife that is still there, and they are
    still nearby: 999. The 999 call is the report, so "Do now" does not also say "report it to the
    police" (or "on 101"); the three steps it has room for include keeping the knife out of reach."""
    text = _main_text(client.get(
        "/should-i-call/call-999?incident.risk_to_life=no&person.status=looked_after&person.age=15"
        "&setting.type=childrens_home&incident.kind=threats&incident.victim=self&incident.in_progress=no"
        "&incident.weapon=bladed&incident.injury=none&incident.suspect_present=yes").text)
    do_now = text[text.index("Do now"):text.index("While you wait")]
    assert "Report it to the police" not in do_now and "101" not in do_now
    assert "knife or blade was left behind and it is safe to, put it somewhere secure" in do_now


@pytest.mark.parametrize("answers, advice", [
    # a care leaver hurt by a partner, who does not want the police: slow time, said once
    ("incident.risk_to_life=no&person.status=care_leaver&person.age=20&setting.type=other&incident.kind=assault"
     "&incident.victim=self&incident.in_progress=no&incident.injury=minor&incident.weapon=none"
     "&incident.suspect_present=no&incident.harmed_by=adult&incident.victim_wants_police=no",
     "Don't call the police now: keep everyone safe and decide in slow time."),
    # a 17-year-old robbed outside: 101, said once
    ("incident.risk_to_life=no&person.status=looked_after&person.age=17&setting.type=supported_accommodation"
     "&incident.kind=theft&incident.victim=self&incident.in_progress=no&incident.weapon=none&incident.injury=minor"
     "&incident.suspect_present=no&incident.harmed_by=adult", "Call the police on 101 now (999 if anyone is in danger)"),
])
def test_the_record_says_the_advice_once(client, answers, advice):
    """The record's advice was the answer's title and then the headline that starts with it:
    "Don't call the police now. Don't call the police now: keep everyone safe..."."""
    text = _main_text(client.get(f"/should-i-call/record?{answers}").text).replace("&#39;", "'")
    said = text[text.index("Advice from callguide"):text.index("The reasons given")]
    assert advice in said
    title = advice.split(":")[0].split(" now")[0]
    assert said.count(title) == 1, said


def test_the_weapon_question_for_self_harm_asks_about_what_they_hurt_themselves_with(client, decider):
    """A residential worker whose 16-year-old is cutting themselves: "a weapon, or an object being
    used to threaten serious harm?" could be answered "no weapon" (nobody was threatened), which
    would miss a blade being used right now (a 999 call for an ambulance). Self-harm asks it in its
    own words (vocabulary ``asking.self_harm.asks``), on the page and in the decision's questions;
    other kinds keep the threat wording."""
    answers = "incident.risk_to_life=no&setting.type=childrens_home&person.age=16"
    page = _main_text(client.get(f"/should-i-call/question?{answers}&incident.kind=self_harm&fact=incident.weapon").text)
    assert "Are they hurting themselves with a knife, blade or other object" in page and "threaten" not in page.split("?")[0]
    page = _main_text(client.get(f"/should-i-call/question?{answers}&incident.kind=assault&fact=incident.weapon").text)
    assert "used to threaten serious harm" in page
    asked = {q.fact: q.ask for q in decider.decide({"incident": {"kind": "self_harm", "in_progress": True}}).questions}
    assert asked["incident.weapon"].startswith("Are they hurting themselves")


def test_a_young_person_bleeding_after_punching_a_wall_gets_first_aid_on_the_first_screen(client):
    """No police for a punched wall, but the young person's bleeding knuckles were nowhere on the
    answer: a minor injury now puts first aid in "Do now" (without the "Get medical help now" panel,
    which is for a serious injury or an emergency)."""
    text = _main_text(client.get(
        "/should-i-call/result?incident.risk_to_life=no&person.status=looked_after&person.age=16"
        "&setting.type=childrens_home&incident.kind=criminal_damage&incident.weapon=none&incident.injury=minor"
        "&incident.damage_value_gbp=0&setting.location=in_placement&incident.in_progress=no"
        "&incident.harmed_by=young_person&incident.hate_motivated=no&incident.repeat_pattern=no&incident.victim=none").text)
    do_now = text[text.index("Do now"):text.index("Why")]
    assert "give first aid" in do_now and "Get medical help now" not in text


@pytest.mark.parametrize("kind, asked", [
    ("criminal_damage", "Who is said to have done the damage?"),   # a curtain pulled down: no one was "harmed"
    ("theft", "Who is said to have taken it?"),
    ("assault", "Who is said to have caused the harm?"),
    # held-out review 14: cannabis found in a bedroom harmed nobody, and "I don't know" to "who caused
    # the harm?" told carers not to treat the young person as the one who had it
    ("drugs", "Who is said to have had the drugs, or given or sold them?"),
    ("disorder", "Who is said to have started it?"),
    ("other", "Who is said to have done it?"),
])
def test_who_did_it_is_asked_in_the_words_of_what_happened(client, kind, asked):
    page = _main_text(client.get("/should-i-call/question?incident.risk_to_life=no&setting.type=foster_care"
                                 f"&incident.kind={kind}&fact=incident.harmed_by").text)
    assert asked in page


# -- The call check's form records every fact its API reads (held-out review 12) ---------------------
def test_the_call_check_form_has_a_field_for_every_fact_the_call_check_api_accepts(client):
    """A handler can enter whatever POST /v1/call-checks accepts: people inside a building on fire,
    whether the fire service is needed, the mental-health facts (health.*), a plan that agrees police
    involvement, and previous missing episodes were not on the page."""
    from callguide.callcheck import CallCheckRequest

    accepted = {f"{section}.{name}" for section, field in CallCheckRequest.model_fields.items()
                for name in field.annotation.model_fields}
    text = client.get("/call-check").text
    on_page = set(re.findall(r'<(?:select|input)[^>]*\bname="([a-z_]+\.[a-z_]+)"', text))
    assert accepted <= on_page, sorted(accepted - on_page)
    for path in ("call.people_inside", "call.fire_service_needed", "health.suicide_plan"):
        assert f'id="cc-{path.replace(".", "-").replace("_", "-")}"' in text


def _verdict(client, data: dict) -> tuple[str | None, str]:
    text = client.post("/call-check", data=data).text
    found = re.search(r'id="cc-panel" data-recommendation="(\w+)"', text)
    return (found.group(1) if found else None), html.unescape(text)


def test_the_call_check_form_reads_people_inside_a_fire(client):
    """A fire said to be over and nobody in danger is not an emergency, until the handler records that
    someone is still inside while nobody has said the fire service is not needed (National Fire Chiefs
    Council: get out, stay out, call 999). Out, the fire service not needed and nobody hurt or in danger,
    people inside their own home are no emergency (heldout16: the page used to say 999 for them)."""
    out = {"incident.kind": "fire_setting", "incident.in_progress": "no", "incident.risk_to_life": "no",
           "incident.injury": "none", "incident.child_calm_now": "yes", "call.fire_service_needed": "no"}
    level, _ = _verdict(client, out)
    assert level != "call_999"
    level, _ = _verdict(client, {**out, "call.people_inside": "yes"})
    assert level != "call_999"
    not_said = {k: v for k, v in out.items() if k != "call.fire_service_needed"}
    level, text = _verdict(client, {**not_said, "call.people_inside": "yes"})
    assert level == "call_999" and "Get everyone out" in text
    level, text = _verdict(client, {**out, "call.people_inside": "no", "call.fire_service_needed": "yes"})
    assert level == "call_999" and "fire service" in text.lower()


def test_the_call_check_form_reads_the_mental_health_facts(client):
    """Right Care, Right Person (2023): a crisis with no crime and no real and immediate risk goes to
    health partners; a plan and the means to carry it out is a real and immediate risk to life."""
    crisis = {"incident.kind": "other", "incident.in_progress": "no", "incident.risk_to_life": "no",
              "health.mental_health_crisis": "yes", "health.suicidal_thoughts": "yes", "health.suicide_plan": "no"}
    level, text = _verdict(client, crisis)
    assert level == "no_police" and "Referral to health partners" in text
    level, text = _verdict(client, {**crisis, "health.suicide_plan": "yes", "health.means_available": "yes"})
    assert level == "call_999" and "ambulance" in text.lower()


# -- callers16: who is ringing ----------------------------------------------------------------------
def test_the_handler_page_asks_which_professional_rings(client):
    text = client.get("/call-check").text
    assert 'name="call.professional"' in text and "Their personal adviser" in text


def test_the_handler_page_asks_a_young_person_caller_as_you(client):
    """The first questions before a verdict are put to the young person as "you" when they ring
    (vocabulary ``to_the_young_person``), and to anyone else in the usual words."""
    theirs = first_asks_on(client, "call.caller=young_person")
    carers = first_asks_on(client, "call.caller=foster_carer")
    assert any(ask.startswith("Are you, or is anyone, in danger") for ask in theirs), theirs
    assert not any(ask.startswith("Are you, or is anyone") for ask in carers), carers


# A foster child of 15 sexually harmed by someone unknown: 101 already, nothing left to change the level.
SEXUAL_HARM_ANSWERED = {"incident.risk_to_life": False, "person.status": "looked_after", "person.age": 15,
                        "setting.type": "foster_care", "incident.kind": "sexual", "incident.victim": "self",
                        "incident.harmed_by": flow.UNKNOWN, "incident.in_progress": False,
                        "health.medical_emergency": False, "incident.injury": "none", "incident.weapon": "none",
                        "incident.suspect_present": False}


def test_blackmail_over_images_is_asked_when_it_changes_only_the_steps(decider):
    """H28-journeys17-1 (NCA 2024; UKCIS 2024): a child sexually harmed by someone unknown is already
    a call to the police, so blackmail over images cannot change the level; it changes what to do
    (do not pay or send more, keep the messages), so the pages still ask it, and not when someone
    else was harmed (it changes nothing there)."""
    state = dict(SEXUAL_HARM_ANSWERED)
    assert flow.next_step(state, decider) == "incident.coercion"
    steps = {a.id for a in decider.decide(flow.incident({**state, "incident.coercion": True})).actions}
    assert "sextortion-steps" in steps
    # H30-advice19-4: blackmail not ruled out, a plan to end her life with the means would make it 999
    # (NHS: help for suicidal thoughts; NCA 2024), so that is asked next; ruled out, nothing more.
    assert flow.next_step({**state, "incident.coercion": flow.UNKNOWN}, decider) == "health.suicide_plan"
    assert flow.next_step({**state, "incident.coercion": flow.UNKNOWN, "health.suicide_plan": False}, decider) == "check"
    assert flow.next_step({**state, "incident.coercion": False}, decider) == "check"
    other = {**state, "incident.victim": "resident", "incident.harmed_by": "young_person"}
    assert flow.next_step(other, decider) != "incident.coercion"


@pytest.mark.parametrize("steps_asked, asked", [
    ("[incident.coercion]", "incident.coercion"),   # the rulebook's own
    ("[person.neurodivergent]", "person.neurodivergent"),  # another fact that changes the steps here
    ("[]", None),                                   # none: straight to the answer
])
def test_the_page_asks_for_the_steps_what_the_vocabulary_says(edited_rules, steps_asked, asked):
    """``asking.<kind>.steps_asked`` lives in rules/vocabulary.yaml, not in web/flow.py: edit it in a
    copy of the rules and the question page, once nothing left could change the level, follows it."""
    from callguide.decision import Decider
    from callguide.rulebook import load_rulebook

    # No plan to end her life: with blackmail not ruled out, that question could make it 999 and comes
    # first (H30-advice19-4); this test is about what is asked once nothing can change the level.
    answered = {**SEXUAL_HARM_ANSWERED, "health.suicide_plan": False}
    copy = edited_rules("vocabulary.yaml", "    steps_asked: [incident.coercion]", f"    steps_asked: {steps_asked}")
    decider = Decider(load_rulebook(copy))
    page = TestClient(create_app(decider)).get(f"/should-i-call/question?{flow.query(answered)}")
    if asked is None:
        assert "/should-i-call/check?" in str(page.url) and "fact=" not in str(page.url)
    else:
        assert f"fact={asked}" in str(page.url)
        assert html.escape(decider.book.vocabulary.ask(asked, flow.known_facts(answered)), quote=False) \
            in page.text


def test_a_step_shows_the_areas_local_contact_for_it(client):
    """The pack's contacts were listed only by GET /v1/contacts: a carer on the pages never saw which
    local team a step means. A missing child's checks now name the Missing Persons Investigation
    Unit's single point of contact, with no number until the area confirms one."""
    page = client.get(f"/should-i-call/result?{MISSING}{CHILD_14}").text
    assert "Local contact: Northamptonshire Police Missing Persons Investigation Unit" in page
    contact = page[page.index("Local contact: Northamptonshire Police Missing"):]
    assert 'href="tel:' not in contact[:contact.index("</span>")]  # its phone is not confirmed: no number is made up


def test_the_999_page_for_a_blackmailed_child_at_risk_lists_staying_with_her_then_the_blackmail_steps(client):
    """H30-advice19-1: a child blackmailed over images who says she will end her life. The "Call 999
    now" page lists three steps under "Do now": staying with her first (NHS: help for suicidal
    thoughts), then the blackmail steps (NCA 2024: do not pay, stop contact, keep the evidence); they
    were fourth or lower, so not shown."""
    text = client.get("/should-i-call/call-999?incident.risk_to_life=yes&person.age=14&setting.type=childrens_home"
                      "&incident.kind=sexual&incident.victim=self&incident.harmed_by=unknown&incident.coercion=yes").text
    start = text.index('id="do-now"')
    items = re.findall(r"<li>(.*?)</li>", text[start:text.index("</ol>", start)], re.S)
    assert len(items) == 3, items
    assert "do not leave them alone" in items[0]
    assert "not to pay" in items[1] and "not to delete" in items[1]


def test_who_did_it_says_when_someone_from_outside_is_a_999_call(client):
    """H30-advice19-3: "who did the damage?" comes before "still nearby?"; its hint says that someone
    from outside still doing it or nearby is 999 (police.uk 'When to call 999')."""
    text = _main_text(client.get("/should-i-call/question?fact=incident.harmed_by&incident.risk_to_life=no"
                                 "&person.status=looked_after&person.age=12&setting.type=foster_care"
                                 "&incident.kind=criminal_damage").text)
    assert "someone from outside" in text and "call 999 now" in text
