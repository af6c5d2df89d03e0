"""Showing a client's input back in an error message, briefly.

Error messages name the field and echo what was sent, so a person can see the mistake. They never
echo all of it: a 64 KiB body once made a 504 KB error, and a 464-byte YAML alias bomb expanded by
``repr()`` took 783 MB (issue 16). :func:`shown` uses :mod:`reprlib`, which cuts strings, lists and
nesting before it builds any text, so the cost is bounded by the limit, not the value.
"""

from __future__ import annotations

import reprlib
from typing import Any

LIMIT = 80  # characters of a value shown back

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlong = 40
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 4
_repr.maxlevel = 2


def shown(value: Any, limit: int = LIMIT) -> str:
    """``repr(value)`` cut to at most ``limit`` characters (with "..." where it was cut)."""
    try:
        text = _repr.repr(value)
    except (ValueError, RecursionError):  # an int past Python's 4,300-digit limit, say
        text = f"<{type(value).__name__} too long to show>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clip(text: str, limit: int = 300) -> str:
    """A message or field name no longer than ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
