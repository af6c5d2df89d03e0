"""The incident facts a person gives callguide (CONTRACT.md, "Incident facts").

Absent and ``null`` both mean *unknown*, which is never the same as ``false``: a rule that
tests ``child_calm_now: false`` does not fire when nobody has said. Everything else (a field
that is not in the contract, a wrong type, a value outside its set) is rejected, and the error
names the field so that a care worker can put it right.

The facts themselves (sections, names, types, allowed values and the API's descriptions) are data,
in ``facts.yaml`` beside this module; the models are built from it once, at import.
"""

from __future__ import annotations

from enum import Enum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StrictBool, TypeAdapter, ValidationError, create_model

from . import yamlsafe
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

# Contract invariant 4: when one of these is unknown and could raise the answer, ask it first.
SAFETY_CRITICAL: tuple[str, ...] = (
    "incident.risk_to_life", "incident.in_progress", "incident.weapon", "incident.injury",
    "missing.immediate_concern",
)


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
Count = Annotated[int, Strict(), Field(ge=0, le=1000), BeforeValidator(_whole_number)]


# The contract's facts, section by section: their names, types and meanings are data (facts.yaml).
_SPEC: dict[str, Any] = yamlsafe.load((Path(__file__).with_name("facts.yaml")).read_text(encoding="utf-8"))

# What each type in facts.yaml is here: the type a value must have, and the field's own limits.
_TYPES: dict[str, tuple[Any, dict[str, Any]]] = {
    "flag": (StrictBool, {}),
    "age": (Age, {}),
    "count": (Count, {}),
    "amount": (float, {"ge": 0, "strict": True}),
}


def _field(path: str, spec: dict[str, Any]) -> tuple[Any, Any]:
    """One fact as a pydantic field: optional (None: not known) unless ``required``."""
    if "values" in spec:
        annotation, limits = Literal[tuple(spec["values"])], {}
    elif spec.get("type") in _TYPES:
        annotation, limits = _TYPES[spec["type"]]
    else:
        raise ValueError(f"facts.yaml: {path}: a fact needs `values` or a type of {', '.join(_TYPES)}, "
                         f"not {spec.get('type')!r}")
    extra = {"description": " ".join(spec["description"].split())} if "description" in spec else {}
    if spec.get("required"):
        return annotation, Field(**limits, **extra)
    return annotation | None, Field(None, **limits, **extra)


def _section(section: str, spec: dict[str, Any]) -> type[_Strict]:
    fields = {name: _field(f"{section}.{name}", field) for name, field in spec["fields"].items()}
    return create_model(spec["model"], __base__=_Strict, __doc__=spec.get("doc"), __module__=__name__, **fields)


SECTIONS: dict[str, type[_Strict]] = {name: _section(name, spec) for name, spec in _SPEC.items()}
ResponseSoFar = SECTIONS["response_so_far"]  # the call check adds its own facts to it

# Ordinal scales let rules say "at least serious"; the order is the contract's.
ORDINALS: dict[str, list[str]] = {
    f"{section}.{name}": list(field["values"])
    for section, spec in _SPEC.items() for name, field in spec["fields"].items() if field.get("ordered")}


class _Facts(_Strict):
    def known(self) -> dict[str, Any]:
        """Known facts only, as a flat ``{"section.field": value}`` map (values are plain JSON types)."""
        return {f"{section}.{name}": value
                for section in type(self).model_fields
                for name, value in getattr(self, section).__dict__.items() if value is not None}


def _required(model: type[_Strict]) -> bool:
    return any(info.is_required() for info in model.model_fields.values())


# One incident, as far as it is known: a section with a required fact is required, the others
# default to "nothing known".
Incident = create_model(
    "Incident", __base__=_Facts, __doc__="One incident, as far as it is known.", __module__=__name__,
    **{name: (model, Field() if _required(model) else Field(default_factory=model))
       for name, model in SECTIONS.items()})


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
