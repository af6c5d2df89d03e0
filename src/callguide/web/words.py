"""The words on the pages, for one young person: the rulebook's vocabulary in their setting's words.

The pages hold no word tables of their own: a fact's label, question and answer words, a level's
title and body, a deadline's words and the setting's words ("your supervising social worker")
all come from ``rules/vocabulary.yaml``. A page builds one :class:`Words` for the answers it
shows (``Words(vocabulary, state)``) and the templates ask it.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..facts import Level
from ..vocabulary import Vocabulary
from . import happened

UNKNOWN = "unknown"
ROUGH = ("incident.damage_value_gbp", "missing.hours_absent")  # asked as "a rough figure is fine"


class Words:
    def __init__(self, vocabulary: Vocabulary, state: Mapping[str, Any] | None = None):
        self.vocabulary = vocabulary
        self.state = dict(state or {})
        self.known = {path: value for path, value in self.state.items() if value != UNKNOWN}

    def setting(self, name: str) -> str:
        """One of the setting's words: ``manager``, ``manager_on_call``, ``home``..."""
        return self.vocabulary.words_for(self.known)[name]

    def fill(self, text: str) -> str:
        return self.vocabulary.fill(text, self.known)

    def label(self, fact: str) -> str:
        return self.fill(self.vocabulary.label(fact))

    def answer(self, fact: str, value: Any) -> str:
        """An answer as the check-your-answers page and the record show it."""
        if value == UNKNOWN:  # every "I don't know", incident.harmed_by's too ("Nobody knows who yet" is not_known)
            return "Not sure" if fact == "incident.risk_to_life" else "Don\u2019t know"
        if fact == "incident.kind":
            return happened.label(self.state, self.vocabulary)
        text = self.vocabulary.answer(fact, value)
        return f"About {text}" if fact in ROUGH else text

    def level_title(self, level: Level | str) -> str:
        return self.vocabulary.level(level).title

    def level_body(self, level: Level | str) -> str:
        return self.fill(self.vocabulary.level(level).body)

    def deadline(self, by: str) -> str:
        return self.vocabulary.deadlines.get(by, by)

    def action(self, what: str, by: str) -> str:
        """An action's words without a leading "Now:" when it is already listed under "Now"."""
        lead = self.deadline(by) + ":"
        if not what.lower().startswith(lead.lower()):
            return what
        rest = what[len(lead):].lstrip()
        return rest[:1].upper() + rest[1:]
