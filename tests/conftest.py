"""Shared fixtures. One compiled rulebook per test session: compiling is the slow part."""

from __future__ import annotations

import pytest

from callguide.decision import Decider
from callguide.rulebook import load_rulebook


@pytest.fixture(scope="session")
def book():
    return load_rulebook()


@pytest.fixture(scope="session")
def decider(book):
    return Decider(book)
