"""Where callguide's data folders (``rules/``, ``scenarios/``) are found."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir(name: str, env_var: str) -> Path | None:
    """``$env_var``, else the checkout's ``name/``, else the copy inside the wheel; None if none."""
    if os.environ.get(env_var):
        return Path(os.environ[env_var])
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1] / name, here / "_data" / name):
        if candidate.is_dir():
            return candidate
    return None
