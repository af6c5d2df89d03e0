"""The call check screen's form: which facts a call handler records, and reading them back.

The same field names (``section.field``) are used by the page's script to build the JSON body
for ``POST /v1/call-checks``, so the form post and the live update ask the same question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .flow import YES_NO, AnswerError, options, parse_number


@dataclass(frozen=True)
class Field:
    path: str
    label: str
    options: list[tuple[str, str]]  # (value, label); empty for a number

    @property
    def id(self) -> str:
        return "cc-" + self.path.replace(".", "-").replace("_", "-")

    @property
    def number(self) -> bool:
        return not self.options


# Recorded by the call check only (callcheck.CallCheckRequest), not a fact the rules read.
CALL_CHECK_ONLY: dict[str, list[tuple[str, str]]] = {"response_so_far.behaviour_policy_followed": YES_NO}


def _field(path: str, label: str) -> Field:
    return Field(path, label, CALL_CHECK_ONLY[path] if path in CALL_CHECK_ONLY else options(path))


GROUPS: list[tuple[str, list[Field]]] = [
    ("Danger now", [
        _field("incident.risk_to_life", "Anyone at immediate risk of death or serious harm"),
        _field("incident.in_progress", "Still happening now"),
        _field("incident.weapon", "Weapon"),
        _field("incident.injury", "Injury"),
    ]),
    ("The incident", [
        _field("incident.kind", "What happened"),
        _field("incident.damage_value_gbp", "Cost of damage (£)"),
        _field("incident.victim", "Who was harmed or lost property"),
        _field("incident.victim_wants_police", "Person harmed wants to report it"),
        _field("incident.hate_motivated", "Aimed at who someone is (hate)"),
        _field("incident.child_calm_now", "Young person calm now"),
        _field("incident.repeat_pattern", "Pattern the home's work has not changed"),
        _field("setting.location", "Where it happened"),
    ]),
    ("Missing young person (only when they are missing)", [
        _field("missing.whereabouts_known", "Whereabouts known"),
        _field("missing.immediate_concern", "Specific worry for their safety now"),
        _field("missing.enquiries_done", "Phone, friends, family, usual places tried"),
        _field("missing.hours_absent", "Hours away"),
    ]),
    ("The young person", [
        _field("person.age", "Age"),
        _field("setting.type", "Where they live"),
        _field("person.exploitation_concern", "Known or suspected exploitation"),
        _field("person.neurodivergent", "Neurodivergence, SEND or communication needs"),
        _field("person.behaviour_in_plan", "Behaviour foreseen in their plan"),
        _field("setting.out_of_county", "Placed by or in another local authority"),
    ]),
    ("What the home has done", [
        _field("response_so_far.de_escalation_tried", "Tried to calm things down"),
        _field("response_so_far.behaviour_policy_followed", "Followed the behaviour policy and plan"),
        _field("response_so_far.manager_consulted", "Spoke to the manager on call"),
        _field("response_so_far.restraint_used", "Young person held or restrained"),
    ]),
]

FIELDS: dict[str, Field] = {f.path: f for _, fields in GROUPS for f in fields}


def read(items: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, Any], list[tuple[str, str]]]:
    """Form fields -> (what to show back in the form, the request body, errors as (id, message))."""
    shown: dict[str, str] = {}
    body: dict[str, dict[str, Any]] = {}
    errors: list[tuple[str, str]] = []
    for name, raw in items:
        field = FIELDS.get(name)
        raw = (raw or "").strip()
        if field is None or raw == "":
            continue
        shown[name] = raw
        section, key = name.split(".", 1)
        value: Any
        if field.number:
            try:
                value = parse_number(name, raw, field.label)
            except AnswerError as exc:
                errors.append((field.id, str(exc)))
                continue
        elif raw in ("yes", "no"):
            value = raw == "yes"
        elif raw in dict(field.options):
            value = raw
        else:
            continue
        body.setdefault(section, {})[key] = value
    if body.get("incident", {}).get("kind") != "missing":
        body.pop("missing", None)
    return shown, body, errors
