"""Which answers can be true where the young person lives and beside the answers already given,
for the "Should I call?" pages (:mod:`callguide.web.flow`) to offer and to keep."""

from __future__ import annotations

from typing import Any, Mapping

from ..vocabulary import adult

# Answers that name someone who is not there in the young person's setting (``setting.type``, or
# ``own_home``: an adult care leaver living somewhere else, in their own home): no foster carer in a
# children's home, supported accommodation or an adult's own home, no staff in foster care (a support
# worker or personal adviser may visit an adult's home). Somewhere else, or not said: every answer.
NOT_THERE: dict[str, dict[str, frozenset[str]]] = {
    "incident.victim": {"childrens_home": frozenset({"carer"}), "supported_accommodation": frozenset({"carer"}),
                        "foster_care": frozenset({"staff"}), "own_home": frozenset({"carer"})},
}
# Answers that cannot be true beside another answer: when the young person is the one harmed,
# they are not the one who caused it (that is self-harm, its own kind of incident).
NOT_WITH: dict[str, dict[tuple[str, str], frozenset[str]]] = {
    "incident.harmed_by": {("incident.victim", "self"): frozenset({"young_person"})},
}
NOT_KNOWN = "not_known"
WHO_CAUSED_IT = "incident.harmed_by"


def fits(fact: str, value: Any, state: Mapping[str, Any]) -> bool:
    """Whether an answer can be true where the young person lives (``NOT_THERE``) and beside the
    other answers (``NOT_WITH``)."""
    if str(value) in NOT_THERE.get(fact, {}).get(_where(state), frozenset()):
        return False
    return not any(str(value) in ruled_out and str(state.get(other)) == answer
                   for (other, answer), ruled_out in NOT_WITH.get(fact, {}).items())


def offered(fact: str, value: Any, state: Mapping[str, Any]) -> bool:
    """It ``fits``, and no answer given rules it out the other way round (the young person who caused
    it is not offered as the one harmed, which would say someone else did and drop that answer)."""
    return fits(fact, value, state) and not any(
        other == fact and str(value) == answer and str(state.get(path)) in ruled_out
        for path, pairs in NOT_WITH.items() for (other, answer), ruled_out in pairs.items())


def _where(state: Mapping[str, Any]) -> str:
    setting = str(state.get("setting.type"))
    return "own_home" if setting == "other" and adult(state) else setting
