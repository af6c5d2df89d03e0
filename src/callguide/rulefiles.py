"""Reading the rulebook's YAML files: what the loader (``rulebook.py``) and area packs (``packs.py``) share.

Each mapping keeps its line number (``__line__``) so an error can point at it; YAML aliases are
refused (``yamlsafe``); a pydantic error becomes one line naming the field.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import yamlsafe

RULE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SPECIAL_FILES = {"parameters.yaml", "vocabulary.yaml", "releases.yaml", "contacts.yaml", "actions.yaml"}
DEFAULT: Any = object()  # load_rulebook's pack argument when not given


class RulebookError(ValueError):
    """A rulebook that must not be used; the message says where and why."""


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Parameter(_Data):
    value: float
    unit: str
    description: str
    reference: str = Field(min_length=3)


class _LineLoader(yamlsafe.Loader):  # type: ignore[misc,valid-type]
    """Keeps each mapping's line number so errors can point at it (and refuses YAML aliases)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    try:
        return yamlsafe.load(path.read_text(encoding="utf-8"), _LineLoader)
    except yaml.YAMLError as exc:
        raise RulebookError(f"{path.name}: not valid YAML: {exc}") from None


def pydantic_message(exc: ValidationError, whole: str = "(rule)") -> str:
    """One line for a validation error, naming each field (``whole``: the thing itself)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or whole}: {err['msg']}" for err in exc.errors())


def strip_lines(value: Any) -> Any:
    """The YAML as written: without the ``__line__`` numbers the loader keeps for its errors."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def placeholders(text: str) -> list[str]:
    """The ``{fields}`` a rule's or a row's text fills in."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]
