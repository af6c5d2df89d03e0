"""How each kind of incident is asked about (``asking`` in ``rules/vocabulary.yaml``).

Per kind: the facts asked ``first`` (medical help first for a patient), those ``not_asked`` (a
weapon, for a missing young person), a fact's question in the kind's own words (``asks``) and the
facts asked for their steps alone (``steps_asked``: blackmail over images, once sexual harm is
already 101). The vocabulary reads the section through :func:`load_asking` and adds the file and
the line to an :class:`AskingError`, which names the entry (kept apart from ``vocabulary.py`` so
that neither outgrows a module; this one imports nothing of callguide's, so no circle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Collection, Mapping

LISTS = ("first", "not_asked", "steps_asked")  # each a list of facts


class AskingError(ValueError):
    """An ``asking`` entry that must not be used; ``keys`` is where it is, from the file's top
    (``("asking", "sexual", "steps_asked", 0)``), for the vocabulary to find its line."""

    def __init__(self, message: str, keys: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.keys = keys


@dataclass(frozen=True)
class Asking:
    """How a kind of incident is asked about: ``first`` leads among the decision's questions that are
    equally near, and the staff pages ask it right after "what happened"; ``not_asked`` does not fit
    the kind, so the pages leave it unknown (the decision still lists it, in its place);
    ``steps_asked`` is asked on the pages once nothing left could change the level, while some answer
    would still change what to do (the decision never lists it then: it cannot change the level)."""

    first: tuple[str, ...] = ()
    not_asked: frozenset[str] = frozenset()
    asks: Mapping[str, str] = field(default_factory=dict)  # a fact's question in this kind's words
    steps_asked: tuple[str, ...] = ()


NO_ORDER = Asking()  # a kind the vocabulary says nothing about: the decision's own order, every fact asked


def load_asking(raw: Any, paths: Collection[str], kinds: Collection[str]) -> dict[str, Asking]:
    """``asking``: per kind of incident (one of ``kinds``), lists of facts (``paths``) and questions."""
    if not isinstance(raw, dict):
        raise AskingError("asking: each entry is a kind of incident and how it is asked about", ("asking",))
    out: dict[str, Asking] = {}
    for kind, body in raw.items():
        where, keys = f"asking.{kind}", ("asking", str(kind))
        if kind not in kinds:
            raise AskingError(f"{where}: not a kind of incident ({list(kinds)})", keys)
        if not isinstance(body, dict) or not set(body) <= {*LISTS, "asks"}:
            raise AskingError(f"{where}: needs 'first' and/or 'not_asked' (each a list of facts), and optionally "
                              "'asks' (a fact's question for this kind) and 'steps_asked' (a list of facts)", keys)
        asks = body.get("asks") or {}
        if not isinstance(asks, dict) or any(f not in paths or not isinstance(q, str) or not q.strip()
                                             for f, q in asks.items()):
            raise AskingError(f"{where}.asks: each entry is a fact in the contract and its question", (*keys, "asks"))
        lists = {key: body.get(key) or [] for key in LISTS}
        for key, facts in lists.items():
            if not isinstance(facts, list):
                raise AskingError(f"{where}.{key}: a list of facts in the contract", (*keys, key))
            wrong = [f for f in facts if not isinstance(f, str) or f not in paths]
            if wrong:
                raise AskingError(f"{where}.{key}: {wrong} are not facts in the contract",
                                  (*keys, key, facts.index(wrong[0])))
        _refuse_overlap(where, keys, lists, "first", "cannot be both asked first and not asked")
        _refuse_overlap(where, keys, lists, "steps_asked", "cannot be both asked for their steps and not asked")
        out[kind] = Asking(first=tuple(lists["first"]), not_asked=frozenset(lists["not_asked"]),
                           asks={str(f): str(q) for f, q in asks.items()}, steps_asked=tuple(lists["steps_asked"]))
    return out


def _refuse_overlap(where: str, keys: tuple[str, ...], lists: Mapping[str, list[Any]], key: str, why: str) -> None:
    """A fact in ``lists[key]`` and in ``not_asked`` too: the two say opposite things about it."""
    both = sorted(set(lists[key]) & set(lists["not_asked"]))
    if both:
        raise AskingError(f"{where}: {both} {why}", (*keys, key))
