"""The web pages without a browser: the order of questions and what each page refuses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from callguide.service import create_app
from callguide.web import flow


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
    assert response.status_code == 400
    assert "There is a problem" in response.text and "must be a number" in response.text


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
    monkeypatch.setattr(walkthrough, "build", lambda d, s: builds.append(s.id) or real_build(d, s))
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
    assert response.status_code == 400
    assert "between 0 and 1,000,000" in response.text and "e+06" not in response.text


def test_call_check_form_and_question_pages_parse_numbers_alike(client):
    response = client.post("/call-check", data={"person.age": "30"})
    assert response.status_code == 400 and "Age must be between 10 and 25" in response.text
    response = client.post("/call-check", data={"person.age": "15", "incident.damage_value_gbp": "£1,200"})
    assert response.status_code == 200


def test_prune_follows_the_rules_not_a_copy_of_them(decider):
    # victim_wants_police is read only by rules about someone who was harmed (issue 11: the young
    # person themself too, victim "self"), so with nobody harmed it is dropped.
    kept = flow.prune({"incident.kind": "assault", "incident.victim": "none", "incident.victim_wants_police": True,
                       "incident.weapon": "none"}, decider)
    assert kept == {"incident.kind": "assault", "incident.victim": "none", "incident.weapon": "none"}
    kept = flow.prune({"incident.kind": "assault", "incident.victim": "staff", "incident.victim_wants_police": True},
                      decider)
    assert kept["incident.victim_wants_police"] is True
    assert "missing.hours_absent" in flow.prune({"incident.kind": "missing", "missing.hours_absent": 3.0}, decider)


@pytest.mark.parametrize("kind", flow.KIND_LABELS)
def test_every_journey_ends_without_asking_a_question_twice(decider, kind):
    """Whatever the answers, the next question is never one already answered (prune never drops
    an answer the rules still ask for), and the journey reaches "check your answers"."""
    for pick in (0, -1):  # the first option of each question, then the last ("I don't know")
        state = flow.prune({flow.DANGER: False, flow.KIND: kind}, decider)
        asked: list[str] = []
        step = flow.next_step(state, decider)
        while step not in ("check", "call-999"):
            assert step not in asked, (kind, asked, step)
            asked.append(step)
            q = flow.question(step, decider)
            raw = "3" if q.kind == "number" else q.options[pick][0]
            state = flow.prune({**state, step: flow.parse_answer(step, raw, decider)}, decider)
            step = flow.next_step(state, decider)


def test_call_check_and_question_pages_offer_the_same_answers(decider):
    from callguide.web import callcheck_form

    for path, field in callcheck_form.FIELDS.items():
        if path in callcheck_form.CALL_CHECK_ONLY:
            continue
        asked = [option for option in flow.question(path, decider).options if option[0] != flow.UNKNOWN]
        assert field.options == asked, path


def test_a_missing_child_in_immediate_danger_goes_to_call_999(client):
    # Immediate danger as the rules see it: they answer call 999 for a missing child with an immediate concern.
    response = client.get("/should-i-call/check?incident.risk_to_life=no&incident.kind=missing"
                          "&missing.immediate_concern=yes")
    assert "/should-i-call/call-999" in str(response.url)
    assert "Call 999 now" in response.text
