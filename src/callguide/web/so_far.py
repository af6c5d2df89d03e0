"""What the pages offer from the answers so far: the answer before every question is answered,
and the questions still worth asking on the answer page (both only the questions that fit the
kind of incident, :func:`flow.fitting`)."""

from __future__ import annotations

from typing import Any, Mapping

from ..decision import Decider, Decision
from ..facts import Level
from ..questions import QuestionOut
from ..vocabulary import Vocabulary
from .flow import ALWAYS_KEPT, KIND, UNKNOWN, deciding, fitting, left_to_ask, missing_route, needs_999, vocabulary


def answer_so_far(state: Mapping[str, Any], decider: Decider) -> bool:
    """Whether the pages may offer the answer before every question is answered: who, where and
    what happened are known (and, for a missing young person, the missing-person route), and no
    question left could make it a 999 call. The rest can only refine it, and the answer page lists
    them as "questions still worth asking"."""
    if any(fact not in state for fact in ALWAYS_KEPT) or (
            state[KIND] == "missing" and any(fact not in state for fact in missing_route(state))):
        return False
    decision = deciding(state, decider)
    if needs_999(state, decision):
        return False
    left = left_to_ask(decision, state, vocabulary(decider).asking_for(state[KIND]))
    return bool(left) and all(q.would_become is not Level.call_999 for q in left)


def unanswered_questions(decision: Decision, state: Mapping[str, Any], words: Vocabulary) -> list[QuestionOut]:
    """Questions still worth asking: the ones that fit and nobody has answered, or answered "don't know"."""
    asking = words.asking_for(state.get(KIND))
    return [q for q in fitting(decision.questions, asking) if state.get(q.fact, UNKNOWN) == UNKNOWN]
