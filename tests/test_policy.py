"""The conflict policy on its own: max(firm, min(soft, ceiling))."""

from __future__ import annotations

import pytest

from callguide.facts import Level
from callguide.policy import resolve
from callguide.rulebook import Rule


def rule(rule_id: str, level: str, strength: str, default: bool = False) -> Rule:
    return Rule(id=rule_id, title="A rule for a test", when={"incident.kind": "other"},
                then={"recommend": level, "strength": strength, "default": default},
                because="Because of a test.", source="test")


@pytest.mark.parametrize("fired, level, decisive", [
    ([rule("base", "report_later", "soft", True)], "report_later", ["base"]),
    ([rule("base", "report_later", "soft", True), rule("parent", "no_police", "ceiling")], "no_police", ["parent"]),
    ([rule("parent", "no_police", "ceiling"), rule("victim", "call_101", "firm")], "call_101", ["victim"]),
    ([rule("parent", "no_police", "ceiling"), rule("danger", "call_999", "safety")], "call_999", ["danger"]),
    ([rule("serious", "call_101", "soft"), rule("plan", "report_later", "ceiling"),
      rule("parent", "no_police", "ceiling")], "no_police", ["parent"]),
    ([rule("serious", "call_101", "soft"), rule("repeat", "report_later", "firm"),
      rule("parent", "no_police", "ceiling")], "report_later", ["repeat"]),
    ([rule("serious", "call_101", "soft"), rule("plan", "report_later", "ceiling")], "report_later", ["plan"]),
])
def test_policy(fired, level, decisive):
    resolution = resolve(fired)
    assert resolution.level == Level(level)
    assert [r.id for r in resolution.decisive] == decisive


def test_outweighed_floors_are_reported():
    resolution = resolve([rule("serious", "call_101", "soft"), rule("plan", "report_later", "ceiling")])
    assert [r.id for r in resolution.outweighed] == ["serious"]
