"""Shared fixtures. One compiled rulebook per test session: compiling is the slow part."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from callguide.decision import Decider
from callguide.rulebook import load_rulebook

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def book():
    return load_rulebook()


@pytest.fixture(scope="session")
def decider(book):
    return Decider(book)


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A copy of rules/ under tmp_path, to break or extend in a test."""
    target = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", target)
    return target


@pytest.fixture
def edited_rules(tmp_path):
    """``edit(theme, old, new)``: a copy of rules/ under tmp_path whose ``theme`` file has its first
    ``old`` replaced by ``new``; returns the copy. ``old`` must be in the file, so an edit cannot
    silently miss (and leave a test checking the unchanged rulebook)."""
    copy = tmp_path / "rules"

    def edit(theme: str, old: str, new: str) -> Path:
        if not copy.exists():
            shutil.copytree(ROOT / "rules", copy)
        path = copy / theme
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {theme}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return copy

    return edit
