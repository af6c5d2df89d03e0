"""The input contract: what is accepted, what is refused, and how the refusal reads."""

from __future__ import annotations

import pytest

from callguide.facts import InvalidFacts, parse_incident


def refuse(document: dict) -> list[tuple[str, str]]:
    with pytest.raises(InvalidFacts) as error:
        parse_incident(document)
    return error.value.errors


def test_only_kind_is_required():
    incident = parse_incident({"incident": {"kind": "other"}})
    assert incident.known() == {"incident.kind": "other"}
    assert refuse({"incident": {}}) == [("incident.kind", "is required")]
    assert refuse({})[0][0] == "incident"


def test_null_is_unknown_not_false():
    incident = parse_incident({"incident": {"kind": "assault", "child_calm_now": None, "in_progress": False}})
    assert "incident.child_calm_now" not in incident.known()
    assert incident.known()["incident.in_progress"] is False


@pytest.mark.parametrize("document, field", [
    ({"incident": {"kind": "burglary"}}, "incident.kind"),
    ({"incident": {"kind": "other", "injury": "bad"}}, "incident.injury"),
    ({"incident": {"kind": "other", "in_progress": "yes"}}, "incident.in_progress"),
    ({"incident": {"kind": "other", "damage_value_gbp": -5}}, "incident.damage_value_gbp"),
    ({"incident": {"kind": "other", "damage_value_gbp": float("inf")}}, "incident.damage_value_gbp"),
    ({"incident": {"kind": "other"}, "missing": {"hours_absent": float("nan")}}, "missing.hours_absent"),
    ({"incident": {"kind": "other"}, "person": {"age": "15"}}, "person.age"),
    ({"incident": {"kind": "other"}, "person": {"age": 15.5}}, "person.age"),
    ({"incident": {"kind": "other"}, "person": {"age": 9}}, "person.age"),
    ({"incident": {"kind": "other"}, "person": {"name": "Sam"}}, "person.name"),
    ({"incident": {"kind": "other"}, "notes": "free text"}, "notes"),
])
def test_bad_facts_are_refused_naming_the_field(document, field):
    assert field in [name for name, _ in refuse(document)]


def test_messages_say_what_is_allowed():
    (field, message), = refuse({"incident": {"kind": "other", "injury": "bad"}})
    assert "'serious'" in message and "'bad'" in message
    (field, message), = refuse({"incident": {"kind": "other"}, "person": {"name": "Sam"}})
    assert "not a fact callguide knows" in message


def test_a_whole_number_age_written_as_a_decimal_is_accepted():
    assert parse_incident({"incident": {"kind": "other"}, "person": {"age": 15.0}}).person.age == 15


def test_the_models_are_built_from_facts_yaml_and_a_mistake_there_names_the_fact():
    from callguide import facts

    # Every fact in the data file is a field of the model, in its order, and the ordered scales
    # are the ones the data marks as ordered.
    paths = [f"{section}.{name}" for section, spec in facts._SPEC.items() for name in spec["fields"]]
    assert list(facts.fact_paths()) == paths
    assert facts.ORDINALS == {"incident.injury": ["none", "minor", "serious", "life_threatening"],
                              "incident.weapon": ["none", "improvised", "bladed", "firearm"]}
    with pytest.raises(ValueError, match=r"facts.yaml: health.fever: .*not 'flags'"):
        facts._section("health", {"model": "Health", "fields": {"fever": {"type": "flags"}}})
