"""The conflict policy: how the rules that fired become one recommendation.

Every rule that recommends a level says how strongly:

- ``safety``: someone is in immediate danger. Always ``call_999``; nothing outweighs it.
- ``firm``: a floor that the reasonable-parent test and Child First cannot lower (a victim who
  wants to report, sexual harm, a missing child whose whereabouts are unknown, ...).
- ``soft``: how serious the incident is on its face; the tests below may lower it.
- ``ceiling``: the reasonable-parent test and Child First practice: no higher than this.

The answer is ``max(highest firm floor, min(highest soft floor, lowest ceiling))``. Because it
only ever rises when a floor is added or a ceiling removed, a rulebook whose conditions grow
with seriousness can never lower its advice when a more serious fact is added (invariant 2),
and a safety rule always wins (invariant 1). The "slow time" baseline rule is a soft floor that
fires for every incident, so there is always at least one reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from .facts import LEVEL_ORDER, Level
from .rulebook import Rule


@dataclass(frozen=True)
class Resolution:
    level: Level
    decisive: list[Rule]      # the rules that set the level, most decisive first
    outweighed: list[Rule]    # higher soft floors that a ceiling lowered


def combine(firm: Level | None, soft: Level | None, ceiling: Level | None) -> Level:
    """The policy itself: ``max(firm, min(soft, ceiling))`` over the extremes of what fired."""
    rank = combine_ranks(_rank(firm), _rank(soft), _rank(ceiling) if ceiling is not None else None)
    return LEVEL_ORDER[rank]


def combine_ranks(firm: int, soft: int, ceiling: int | None) -> int:
    """``combine`` on positions in ``LEVEL_ORDER`` (-1, or None for the ceiling: nothing of that
    strength fired), for the what-ifs, which ask it tens of times a decision."""
    lowered = soft if soft < 0 or ceiling is None else min(soft, ceiling)
    if firm < 0 and lowered < 0:
        # Only ceilings fired; the rulebook's baseline makes this unreachable, but a ceiling
        # alone still answers at its own level rather than inventing one.
        return ceiling if ceiling is not None else _REPORT_LATER
    return max(firm, lowered)


def resolve(fired: list[Rule]) -> Resolution:
    # One pass over what fired (a hundred rules and more in a large rulebook), in firing order.
    by_strength: dict[str | None, list[Rule]] = {"safety": [], "firm": [], "soft": [], "ceiling": []}
    for rule in fired:
        then = rule.then
        if then.recommend is not None and then.strength in by_strength:
            by_strength[then.strength].append(rule)
    firm = _highest(by_strength["safety"] + by_strength["firm"])
    soft = _highest(by_strength["soft"])
    ceiling = _lowest(by_strength["ceiling"])
    level = combine(firm, soft, ceiling)

    if firm is not None and firm == level:
        decisive = _at(by_strength["safety"], level) + _at(by_strength["firm"], level)
        outweighed: list[Rule] = []
    elif ceiling is not None and soft is not None and _rank(ceiling) < _rank(soft) and ceiling == level:
        decisive = _at(by_strength["ceiling"], level)
        outweighed = sorted((r for r in by_strength["soft"] if _rank(r.then.recommend) > _rank(level)),
                            key=lambda r: -_rank(r.then.recommend))
    else:
        decisive = _at(by_strength["soft"], level) or _at(by_strength["ceiling"], level)
        outweighed = []
    return Resolution(level=level, decisive=decisive, outweighed=outweighed)


_REPORT_LATER = LEVEL_ORDER.index(Level.report_later)


def _rank(level: Level | None) -> int:
    return LEVEL_ORDER.index(level) if level is not None else -1


def _highest(rules: list[Rule]) -> Level | None:
    return max({r.then.recommend for r in rules}, key=_rank, default=None)  # a set: at most 4 to rank


def _lowest(rules: list[Rule]) -> Level | None:
    return min({r.then.recommend for r in rules}, key=_rank, default=None)


def _at(rules: list[Rule], level: Level) -> list[Rule]:
    return [r for r in rules if r.then.recommend == level]
