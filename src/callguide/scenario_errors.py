"""Scenario file mistakes explained for a trainer, not a programmer.

Each message names the step and field, says what is allowed, and where YAML itself cannot be
read, says where and gives the usual fix (most often: text with a colon in it needs quotes).
"""

from __future__ import annotations

from typing import Any

import yaml

from .echo import shown

ID_HINT = "use lower-case words joined by hyphens, like 'broken-window-glass'"

# The usual causes of YAML errors in a hand-written scenario, by a phrase of PyYAML's message.
YAML_HINTS: tuple[tuple[str, str], ...] = (
    ("mapping values are not allowed", "text with a colon in it must be in quotes, for example "
     "reveal: \"Staff say: she has gone\""),
    ("found character '\\t'", "indent with spaces, not tabs"),
    ("found a tab character", "indent with spaces, not tabs"),
    ("could not find expected ':'", "each line needs 'name: value'; text with a colon or a # in it must be "
     "in quotes"),
    ("expected <block end>", "check the indentation: the lines of one list or section must start in the "
     "same column"),
    ("did not find expected '-' indicator", "check the indentation: the items of a list each start with "
     "'- ' in the same column"),
    ("did not find expected key", "check the indentation, and put text with a colon or a # in quotes"),
    ("found unexpected end of stream", "a quote or bracket is opened and never closed"),
    ("did not find expected ',' or ']'", "a [ list ] is not closed, or text in it with a comma or colon needs "
     "quotes"),
    ("did not find expected ',' or '}'", "a { section } is not closed, or text in it with a comma or colon "
     "needs quotes"),
    ("found undefined alias", "text starting with * must be in quotes"),
    ("found character '@'", "text starting with @ or ` must be in quotes"),
    ("found character '`'", "text starting with @ or ` must be in quotes"),
)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """'line 7: not valid YAML (mapping values are not allowed here); hint: ...'."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    problem = str(getattr(exc, "problem", "") or exc).strip()
    hint = next((h for phrase, h in YAML_HINTS if phrase in problem), "check the indentation, and put "
                "text with a colon, # or quote in it in quotes")
    return f"{where}not valid YAML ({problem}); hint: {hint}"


def describe_validation_error(err: dict[str, Any]) -> str:
    """One pydantic error as 'step 2: expect.recommendation: message'."""
    loc = list(err.get("loc", ()))
    parts: list[str] = []
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        parts.append(f"step {loc[1] + 1}")
        loc = loc[2:]
    elif len(loc) >= 2 and loc[0] == "learning_points" and isinstance(loc[1], int):
        parts.append(f"learning point {loc[1] + 1}")
        loc = loc[2:]
    field = ".".join(str(p) for p in loc)
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        message = "is not a scenario field; check the spelling (see README 'Writing a scenario')"
    elif kind == "missing":
        message = "is required"
    elif kind in ("literal_error", "enum"):
        message = f"must be one of {err.get('ctx', {}).get('expected', '')} (got {shown(err.get('input'))})"
    elif kind == "string_pattern_mismatch" and field == "id":
        message = f"{ID_HINT} (got {shown(err.get('input'))})"
    elif kind == "value_error":
        # our own validator: its message already names the step and field
        return str(err.get("ctx", {}).get("error", err.get("msg", "")))
    else:
        message = f"{err.get('msg', 'is not valid')} (got {shown(err.get('input'))})"
    if field:
        parts.append(field)
    return ": ".join(parts + [message]) if parts else message
