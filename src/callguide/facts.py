"""The incident facts a person gives callguide (CONTRACT.md, "Incident facts").

Absent and ``null`` both mean *unknown*, which is never the same as ``false``: a rule that
tests ``child_calm_now: false`` does not fire when nobody has said. Everything else (a field
that is not in the contract, a wrong type, a value outside its set) is rejected, and the error
names the field so that a care worker can put it right.
"""

from __future__ import annotations

from enum import Enum
from functools import cache
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StrictBool, TypeAdapter, ValidationError

from .echo import shown


class Level(str, Enum):
    """The four answers, in rising urgency."""

    no_police = "no_police"
    report_later = "report_later"
    call_101 = "call_101"
    call_999 = "call_999"

    @property
    def rank(self) -> int:
        return LEVEL_ORDER.index(self)


LEVEL_ORDER: list[Level] = [Level.no_police, Level.report_later, Level.call_101, Level.call_999]

Kind = Literal[
    "assault", "criminal_damage", "theft", "threats", "weapon", "sexual", "drugs", "missing",
    "self_harm", "fire_setting", "disorder", "verbal_abuse", "exploitation", "other",
]
Injury = Literal["none", "minor", "serious", "life_threatening"]
Weapon = Literal["none", "improvised", "bladed", "firearm"]
Victim = Literal["none", "staff", "carer", "resident", "public", "self"]
# Who is said to have caused the harm: the young person the call is about, or someone else
# (then the young person may be the victim, and never gets a suspect's actions).
HarmedBy = Literal["young_person", "staff_or_carer", "another_young_person", "adult", "not_known"]
Caller = Literal["home_staff", "foster_carer", "supported_accommodation_staff", "young_person",
                 "member_of_public", "other_professional"]
CallerWants = Literal["investigate", "collect_or_return", "have_a_word", "record_crime", "advice"]

# Contract invariant 4: when one of these is unknown and could raise the answer, ask it first.
SAFETY_CRITICAL: tuple[str, ...] = (
    "incident.risk_to_life", "incident.in_progress", "incident.weapon", "incident.injury",
    "missing.immediate_concern",
)

# Ordinal scales let rules say "at least serious"; the order is the contract's.
ORDINALS: dict[str, list[str]] = {
    "incident.injury": ["none", "minor", "serious", "life_threatening"],
    "incident.weapon": ["none", "improvised", "bladed", "firearm"],
}


# The contract lets any age sit beside either status, but the law does not: a looked-after child
# is under 18 (Children Act 1989 s.22, s.105), and a care leaver is 16 or over (a "relevant child"
# at 16 or 17, s.23A; a "former relevant child" from 18, s.23C). The other fact's limits, by value.
_STATUS_AGES: dict[str, tuple[int, int]] = {"looked_after": (10, 17), "care_leaver": (16, 25)}
RULED_OUT_BY_EACH_OTHER = frozenset({"person.age", "person.status"})  # the only facts ruled_out reads


def ruled_out(path: str, value: Any, known: dict[str, Any]) -> bool:
    """Whether the known facts already rule this answer out (a care leaver of 13), so that asking
    it, or weighing what it would change, is pointless."""
    if path == "person.status" and isinstance(known.get("person.age"), int) and value in _STATUS_AGES:
        low, high = _STATUS_AGES[value]
        return not low <= known["person.age"] <= high
    if path == "person.age" and known.get("person.status") in _STATUS_AGES and isinstance(value, (int, float)):
        low, high = _STATUS_AGES[known["person.status"]]
        return not low <= value <= high
    return False


class _Strict(BaseModel):
    # Infinity and NaN are refused here, not deep in the engine (which cannot encode them).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _whole_number(value: Any) -> Any:
    """JSON Schema counts 15.0 as an integer, so an age may arrive that way; "15" may not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Age = Annotated[int, Strict(), Field(ge=10, le=25), BeforeValidator(_whole_number)]
# A count: JSON Schema lets 300.0 through as an integer, so it is accepted as 300 (like an age).
RecentCalls = Annotated[int, Strict(), Field(ge=0, le=1000), BeforeValidator(_whole_number)]


class Person(_Strict):
    age: Age | None = Field(None, description="Age in years (10 to 25).")
    status: Literal["looked_after", "care_leaver"] | None = None
    neurodivergent: StrictBool | None = Field(
        None, description="Known neurodivergence, SEND or communication needs.")
    exploitation_concern: StrictBool | None = Field(
        None, description="Known or suspected CSE/CCE or county lines.")
    behaviour_in_plan: StrictBool | None = Field(
        None, description="This behaviour is foreseen in the care or behaviour support plan.")
    police_in_plan: StrictBool | None = Field(
        None, description="The placement plan agrees that this worry warrants police involvement (Protocol §8.1).")


class Setting(_Strict):
    type: Literal["childrens_home", "supported_accommodation", "foster_care", "other"] | None = None
    location: Literal["in_placement", "community"] | None = None
    out_of_county: StrictBool | None = Field(None, description="Placed by, or in, another local authority.")


class IncidentDetail(_Strict):
    kind: Kind
    in_progress: StrictBool | None = None
    risk_to_life: StrictBool | None = Field(
        None, description="Real and immediate risk to life or of serious harm, to anyone.")
    injury: Injury | None = None
    weapon: Weapon | None = None
    damage_value_gbp: float | None = Field(None, ge=0, strict=True)
    victim: Victim | None = None
    victim_wants_police: StrictBool | None = None
    hate_motivated: StrictBool | None = None
    child_calm_now: StrictBool | None = Field(
        None, description="The child is calm and the immediate risk has passed.")
    repeat_pattern: StrictBool | None = Field(
        None, description="A pattern that in-house work has not changed.")
    harmed_by: HarmedBy | None = Field(
        None, description="Who is said to have caused the harm: the young person, a member of staff or "
                          "carer, another young person, an adult, or nobody knows.")
    suspect_present: StrictBool | None = Field(
        None, description="The person who caused the harm is still there or nearby.")


class Health(_Strict):
    """The young person, or anyone else, as a patient."""

    medical_emergency: StrictBool | None = Field(
        None, description="Someone needs an ambulance now: not breathing, a seizure, an overdose, a ligature, "
                          "heavy bleeding.")
    mental_health_crisis: StrictBool | None = Field(
        None, description="The young person is in a mental-health crisis (severe distress).")
    suicidal_thoughts: StrictBool | None = Field(None, description="They have spoken of thoughts of suicide.")
    suicide_plan: StrictBool | None = Field(None, description="They have a plan to end their life.")
    means_available: StrictBool | None = Field(
        None, description="They have the means to carry out the plan (tablets, a ligature, a blade).")


class ResponseSoFar(_Strict):
    de_escalation_tried: StrictBool | None = None
    manager_consulted: StrictBool | None = None
    restraint_used: StrictBool | None = None


class Missing(_Strict):
    whereabouts_known: StrictBool | None = None
    hours_absent: float | None = Field(None, ge=0, strict=True)
    immediate_concern: StrictBool | None = Field(
        None, description="A specific concern for the child's safety now.")
    enquiries_done: StrictBool | None = Field(
        None, description="Phone, friends and family, known places tried and recorded.")
    # The risk factors the missing-person guidance names (College of Policing APP).
    out_of_character: StrictBool | None = Field(None, description="Going missing is out of character.")
    missing_before: StrictBool | None = Field(None, description="They have gone missing before.")
    medical_needs: StrictBool | None = Field(
        None, description="They need medication or have health needs that put them at risk while away.")
    with_risky_person: StrictBool | None = Field(
        None, description="Last seen with, or believed to be with, someone who may harm or exploit them.")


class Call(_Strict):
    """What a Force Control Room call handler learns on the call (issue 15)."""

    caller: Caller | None = None
    caller_wants: CallerWants | None = Field(
        None, description="What the caller wants the police to do.")
    fire_service_needed: StrictBool | None = Field(None, description="A fire needs the fire service now.")
    people_inside: StrictBool | None = Field(None, description="People are inside the building on fire.")
    recent_calls: RecentCalls | None = Field(
        None, description="Calls to the police from this placement in the last 28 days, before this one.")


class Incident(_Strict):
    """One incident, as far as it is known."""

    person: Person = Field(default_factory=Person)
    setting: Setting = Field(default_factory=Setting)
    incident: IncidentDetail
    response_so_far: ResponseSoFar = Field(default_factory=ResponseSoFar)
    missing: Missing = Field(default_factory=Missing)
    health: Health = Field(default_factory=Health)
    call: Call = Field(default_factory=Call)

    def known(self) -> dict[str, Any]:
        """Known facts only, as a flat ``{"section.field": value}`` map (values are plain JSON types)."""
        return {f"{section}.{name}": value
                for section in type(self).model_fields
                for name, value in getattr(self, section).__dict__.items() if value is not None}


@cache
def fact_paths() -> dict[str, Any]:
    """Every leaf fact the contract defines, mapped to its pydantic field info (built once; do not mutate)."""
    paths: dict[str, Any] = {}
    for section, field in Incident.model_fields.items():
        model = field.annotation
        for name, info in model.model_fields.items():  # type: ignore[union-attr]
            paths[f"{section}.{name}"] = info
    return paths


@cache
def _adapter(path: str) -> TypeAdapter:
    info = fact_paths()[path]
    return TypeAdapter(Annotated[info.annotation, info])  # the field's own limits (ge, le) included


def admissible(path: str, value: Any) -> bool:
    """Whether ``value`` is a value the contract accepts for this fact (a what-if must not try an
    age of 26 or a negative sum just because a threshold sits next to it)."""
    try:
        _adapter(path).validate_python(value)
    except ValidationError:
        return False
    return True


def allowed_values(path: str) -> list[Any] | None:
    """The finite set of values a fact can take, or None for a number."""
    annotation = fact_paths()[path].annotation
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    for option in get_args(annotation):
        if option is type(None):
            continue
        if get_origin(option) is Literal:
            return list(get_args(option))
        if option is bool or bool in get_args(option):  # StrictBool is Annotated[bool, ...]
            return [True, False]
    return None


class InvalidFacts(ValueError):
    """Raised for facts that break the contract; ``errors`` name each field."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))


def parse_incident(data: Any) -> Incident:
    """Validate raw facts (a dict from JSON or YAML) into an :class:`Incident`."""
    if not isinstance(data, dict):
        raise InvalidFacts([("(document)", "expected an object with an 'incident' section")])
    try:
        return Incident.model_validate(data)
    except ValidationError as exc:
        raise InvalidFacts([describe_error(err) for err in exc.errors()]) from None


def describe_error(err: dict[str, Any]) -> tuple[str, str]:
    """One pydantic error as (dotted field path, message a care worker can act on)."""
    loc = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
    field = ".".join(loc) or "(document)"
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return field, "is not a fact callguide knows; check the spelling against the contract"
    if kind == "missing":
        return field, "is required"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return field, f"must be one of {expected} (got {shown(err.get('input'))})"
    return field, f"{err.get('msg', 'is not valid')} (got {shown(err.get('input'))})"
