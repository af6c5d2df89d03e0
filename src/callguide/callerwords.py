"""The words a question takes when the young person is the one ringing (``to_the_young_person`` in
``rules/vocabulary.yaml``).

A young person who rings the police is spoken to as themselves ("Are you hurt?"), not about in the
third person ("Is the young person calm now?"): Youth Justice Board Child First guide (2022), see
them as children and collaborate with them; Code of Practice for Victims of Crime (2020), communicate
in simple, accessible language. Which caller that is comes from ``call.caller``; the words are the
vocabulary's, per fact and, where a kind of incident needs its own, per kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

# The one ringing is the young person the facts are about (call.caller's value for them).
YOUNG_PERSON = "young_person"


@dataclass(frozen=True)
class ToTheCaller:
    asks: Mapping[str, str] = field(default_factory=dict)               # fact -> question
    kinds: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # kind -> fact -> question

    def ask(self, path: str, known: Mapping[str, Any]) -> str | None:
        """The question to the young person when they are the caller; None otherwise, or when the
        fact has no words of its own for them (its usual question then reads right to anyone)."""
        if known.get("call.caller") != YOUNG_PERSON:
            return None
        return self.kinds.get(str(known.get("incident.kind")), {}).get(path) or self.asks.get(path)

    def texts(self) -> list[tuple[str, str]]:
        """(where, text) for every question, for the vocabulary's placeholder check."""
        out = [(f"to_the_young_person.asks.{p}", t) for p, t in self.asks.items()]
        return out + [(f"to_the_young_person.kinds.{k}.{p}", t) for k, asks in self.kinds.items()
                      for p, t in asks.items()]


def load_to_the_young_person(raw: Any, paths: Any, kinds: Any) -> ToTheCaller:
    """Read the section; a ValueError names the entry that is wrong (the vocabulary adds the file)."""
    if not raw:
        return ToTheCaller()
    if not isinstance(raw, dict) or not set(raw) <= {"asks", "kinds"}:
        raise ValueError("to_the_young_person: needs 'asks' (fact: question) and optionally 'kinds'")

    def questions(where: str, body: Any) -> dict[str, str]:
        if not isinstance(body, dict):
            raise ValueError(f"{where}: each entry is a fact and its question")
        for path, text in body.items():
            if path not in paths or not isinstance(text, str) or not text.strip():
                raise ValueError(f"{where}.{path}: each entry is a fact in the contract and its question")
        return {str(p): str(t) for p, t in body.items()}

    by_kind = raw.get("kinds") or {}
    wrong = [k for k in by_kind if k not in kinds] if isinstance(by_kind, dict) else by_kind
    if wrong:
        raise ValueError(f"to_the_young_person.kinds: {wrong} are not kinds of incident")
    return ToTheCaller(asks=questions("to_the_young_person.asks", raw.get("asks") or {}),
                       kinds={str(k): questions(f"to_the_young_person.kinds.{k}", v) for k, v in by_kind.items()})
