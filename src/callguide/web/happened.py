"""The "What happened?" page: choices grouped so they fit a phone, each one a few facts.

A carer thinks "someone stole her phone", not "theft, victim: self". So a choice may set more than
``incident.kind``: the young person being harmed, threatened or robbed sets ``incident.victim:
self`` too, and the rules then treat them as the victim, not the one who did it. The words of a
plain choice are the vocabulary's words for that kind; only the choices where the young person
is the one harmed have words of their own here, because the vocabulary has no single fact for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..vocabulary import Vocabulary

KIND = "incident.kind"
VICTIM = "incident.victim"


@dataclass(frozen=True)
class Choice:
    key: str                 # the radio's value
    facts: Mapping[str, Any]  # what choosing it says
    words: str = ""          # its own words; empty: the vocabulary's words for its kind

    def label(self, vocabulary: Vocabulary) -> str:
        return self.words or vocabulary.answer(KIND, self.facts[KIND])


def _kind(kind: str) -> Choice:
    return Choice(kind, {KIND: kind})


def _to_them(key: str, kind: str, words: str) -> Choice:
    return Choice(key, {KIND: kind, VICTIM: "self"}, words)


# (group heading, choices). Every kind the contract allows is offered once as a plain choice
# (test_web_pages checks it), so nothing a carer could mean is missing. The last group has no
# heading: "Something else" stands on its own after "or" (a heading would only repeat it).
GROUPS: list[tuple[str, list[Choice]]] = [
    ("Harm to people", [
        _kind("assault"), _kind("threats"), _kind("verbal_abuse"), _kind("weapon"), _kind("sexual"),
        _kind("disorder")]),
    ("Property", [_kind("criminal_damage"), _kind("theft"), _kind("fire_setting")]),
    ("The young person at risk", [
        _to_them("harmed", "assault", "Someone hurt the young person"),
        _to_them("threatened", "threats", "Someone threatened the young person"),
        _to_them("robbed", "theft", "Someone stole from or robbed the young person"),
        _kind("self_harm"), _kind("exploitation"), _kind("drugs")]),
    ("Missing", [_kind("missing")]),
    ("", [_kind("other")]),
]

CHOICES: dict[str, Choice] = {choice.key: choice for _, group in GROUPS for choice in group}


def grouped(vocabulary: Vocabulary) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(value, label)]) for the page."""
    return [(title, [(c.key, c.label(vocabulary)) for c in group]) for title, group in GROUPS]


def current(state: Mapping[str, Any]) -> str | None:
    """The choice the answers so far stand for (the most specific that fits), for "Change"."""
    fitting = [c for c in CHOICES.values() if all(state.get(k) == v for k, v in c.facts.items())]
    return max(fitting, key=lambda c: len(c.facts)).key if fitting else None


def label(state: Mapping[str, Any], vocabulary: Vocabulary) -> str:
    key = current(state)
    return CHOICES[key].label(vocabulary) if key else vocabulary.answer(KIND, state.get(KIND, "other"))


def choose(state: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The answers with a new choice: the facts the old choice implied go, the new ones come in
    (in the old one's place where both say it, so check your answers keeps its order)."""
    old, new = CHOICES.get(current(state) or ""), CHOICES[key].facts
    kept = {k: new.get(k, v) for k, v in state.items() if k in new or not (old and k in old.facts)}
    return {**kept, **new}
