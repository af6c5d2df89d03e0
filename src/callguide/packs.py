"""Area packs: one area's local variant of the national rulebook (OpenFisca's "reforms").

A pack is a directory holding any of:

- ``parameters.yaml``: overrides of the base's parameters, in the same format (a changed ``value``
  needs its own ``reference``: the base's reference does not support the area's figure); new
  parameters for the pack's own rules;
- rule files (``*.yaml``, the base's format): a rule whose id is in the base replaces it where it
  stands; any other rule is added. Every rule cites its own source;
- table files (``tables:``): rows for the base's decision tables (the call check's), each citing
  its source: a row whose id is in the table replaces it where it stands; a new row says which row
  it goes ``before``;
- ``actions.yaml``: the area's words for the base's shared actions (``sharedactions.py``): every
  rule that uses one says the area's words (changed words cite their own source); new ones are
  for the pack's rules;
- ``contacts.yaml``: the local numbers and teams the actions name (out-of-hours children's social
  care, the missing person coordinator, the police non-emergency number, ...);
- ``releases.yaml``: sign-offs of the base and pack together (``releases.py``).

Chosen with ``CALLGUIDE_PACK=DIR`` (``none`` for the national base alone) or ``--pack DIR``;
the checkout's ``packs/northamptonshire`` is the default. The rulebook's sha covers the pack's
files, so an answer's ``rulebook`` says which area's rules gave it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .datafiles import data_dir
from .releases import RELEASES_FILE
from .rulefiles import DEFAULT, SPECIAL_FILES, Parameter, RulebookError, pydantic_message, read_yaml, strip_lines

DEFAULT_PACK = "northamptonshire"
PACK_ENV = "CALLGUIDE_PACK"
NO_PACK = {"", "none"}
CONTACTS_FILE = "contacts.yaml"


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=3, description="The team or service, as people know it.")
    phone: str | None = Field(None, description="Null until the area has confirmed the number.")
    hours: str | None = None
    note: str | None = None
    source: str = Field(min_length=3, description="Where the area publishes it.")
    actions: tuple[str, ...] = Field((), description=(
        "The steps (action ids) this contact is for: an answer shows the contact beside each of them."))


def default_pack_dir() -> Path | None:
    """``$CALLGUIDE_PACK`` (``none``: no pack), else the checkout's (or wheel's) Northamptonshire pack."""
    chosen = os.environ.get(PACK_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in NO_PACK else Path(chosen)
    packs = data_dir("packs", "CALLGUIDE_PACKS")
    candidate = packs / DEFAULT_PACK if packs else None
    return candidate if candidate and candidate.is_dir() else None


def pack_option(value: str | None) -> Path | None | str:
    """A ``--pack`` value: a directory, ``none`` for the base alone, or unset (the default pack)."""
    if value is None:
        return DEFAULT
    return None if value.strip().lower() in NO_PACK else Path(value)


def apply_pack(pack: Path, rules: list[Any], themes: dict[str, str], parameters: dict[str, Any],
               load_theme: Callable[[Path, dict[str, Any], Any], tuple[str, str, list[Any]]],
               ) -> tuple[list[Path], list[Any], dict[str, str], dict[str, Any], dict[str, Contact], list[Any]]:
    """The base's rules, themes and parameters with the pack applied; also the pack's files (for the sha)
    and its table files, as ``(name, raw)``, for the rulebook to apply (``tables.patch_tables``) once
    the pack's parameters are known. ``load_theme`` is the rulebook's own reader of a rule file, so a
    pack's rules are checked as the base's."""

    if not pack.is_dir():
        raise RulebookError(f"area pack {pack}: not a directory")
    files = sorted(p for p in pack.glob("*.yaml") if p.name != RELEASES_FILE)
    parameters = dict(parameters)
    raw = read_yaml(pack / "parameters.yaml") if (pack / "parameters.yaml").exists() else {}
    for name, body in (raw or {}).items():
        if name == "__line__":
            continue
        where = f"{pack.name}/parameters.yaml:{body.get('__line__', '?') if isinstance(body, dict) else '?'}"
        if not isinstance(body, dict):
            raise RulebookError(f"{where}: parameter {name}: give value, unit, description and reference")
        body = strip_lines(body)
        base = parameters.get(name)
        if base is not None and "value" in body and body["value"] != base.value and "reference" not in body:
            raise RulebookError(f"{where}: parameter {name}: a changed value needs its own reference")
        try:
            parameters[name] = Parameter.model_validate({**(base.model_dump() if base else {}), **body})
        except ValidationError as exc:
            raise RulebookError(f"{where}: parameter {name}: {pydantic_message(exc)}") from None
    rules = list(rules)
    themes = dict(themes)
    positions = {rule.id: index for index, rule in enumerate(rules)}
    table_files: list[tuple[str, Any]] = []
    for path in files:
        if path.name in SPECIAL_FILES:
            continue
        raw = read_yaml(path)
        if isinstance(raw, dict) and "tables" in raw:
            table_files.append((f"{pack.name}/{path.name}", raw))
            continue
        theme, title, pack_rules = load_theme(path, parameters, raw)
        themes.setdefault(theme, title)
        for rule in pack_rules:
            rule = rule.model_copy(update={"file": f"{pack.name}/{path.name}"})
            if rule.id in positions:
                rules[positions[rule.id]] = rule
            else:
                positions[rule.id] = len(rules)
                rules.append(rule)
    return files, rules, themes, parameters, load_contacts(pack / CONTACTS_FILE), table_files


def load_contacts(path: Path) -> dict[str, Contact]:
    if not path.exists():
        return {}
    raw = strip_lines(read_yaml(path) or {})
    contacts: dict[str, Contact] = {}
    for key, body in (raw.get("contacts") or {}).items() if isinstance(raw, dict) else []:
        try:
            contacts[key] = Contact.model_validate(body)
        except ValidationError as exc:
            raise RulebookError(f"{path.parent.name}/{path.name}: contact {key}: {pydantic_message(exc)}") from None
    return contacts
