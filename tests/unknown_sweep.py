"""Not knowing is not safe (CONTRACT.md invariant 5), swept over the rulebook's own examples.

    .venv/bin/python tests/unknown_sweep.py [--fact person.age] [--all]

For every advice case (tests/advice_cases.yaml) and every scenario step (scenarios/), each known
fact is removed in turn (made unknown) and the answer compared with the highest answer that fact's
values give with everything else kept. A drop (unknown answers lower than the worst value would)
is listed with the value that raises it and whether the decision asks that fact. Each drop needs a
judgement against the guidance: a real hazard is fixed in the rules; a fact whose unknown answer
is slow time on purpose (the question is asked and the guidance says slow time is right until it
is answered) is named in docs/hazard-log.md (H27-unknowns16-8). Only `incident.kind` is never removed.
tests/test_unknown_not_safe.py runs it: every drop is asked, and none is below every answer.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path
from typing import Any


from callguide.corpus import nest
from callguide.decision import Decider
from callguide.facts import allowed_values, parse_incident, ruled_out
from callguide.scenarios import cumulative_facts, load_scenarios
from casefiles import load_cases

ROOT = Path(__file__).resolve().parents[1]
NUMBERS = {"person.age": [12, 15, 16, 17, 18, 21, 25], "incident.damage_value_gbp": [0.0, 40.0, 100.0, 450.0, 1000.0, 5000.0],
           "missing.hours_absent": [0.5, 3.0, 24.0, 72.0], "call.recent_calls": [0, 2, 10]}


def examples() -> list[tuple[str, dict[str, Any]]]:
    cases = load_cases("advice_cases.yaml")["cases"]
    out = [(c["id"], c["facts"]) for c in cases]
    for scenario in load_scenarios(ROOT / "scenarios"):
        for index, facts in enumerate(cumulative_facts(scenario.steps)):
            out.append((f"{scenario.id}#{index + 1}", facts))
    return out


def drops(decider: Decider, name: str, facts: dict[str, Any], only: str | None = None) -> list[dict[str, Any]]:
    known = parse_incident(facts).known()
    found = []
    for path in sorted(known):
        if path == "incident.kind" or (only and path != only):
            continue
        rest = {k: v for k, v in known.items() if k != path}
        unknown = decider.level(rest)
        values = [v for v in allowed_values(path) or NUMBERS[path] if plausible(path, v, rest)]
        by_value = {v: decider.level({**rest, path: v}) for v in values}
        if not by_value:
            continue
        worst = max(by_value.values(), key=lambda level: level.rank)
        best = min(level.rank for level in by_value.values())
        if worst.rank > unknown.rank:
            asked = [q.fact for q in decider.decide(nest(rest)).questions]
            found.append({"example": name, "fact": path, "unknown": unknown.value, "worst": worst.value,
                          "raised_by": [v for v, level in by_value.items() if level == worst],
                          "was": known[path], "asked": path in asked, "below_every": best > unknown.rank,
                          "first": asked[0] if asked else None})
    return found


def plausible(path: str, value: Any, rest: dict[str, Any]) -> bool:
    """A value the other known facts allow: the status and age limits the questions use
    (``facts.ruled_out``: a looked-after child is under 18, a care leaver 16 or over), and a young
    person in supported accommodation is 16 or over (Supported Accommodation (England) Regulations 2023)."""
    if ruled_out(path, value, rest):
        return False
    facts = {**rest, path: value}
    age = facts.get("person.age")
    return not (isinstance(age, int) and age < 16 and facts.get("setting.type") == "supported_accommodation")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fact", help="sweep only this fact (section.field)")
    parser.add_argument("--all", action="store_true", help="list every drop, not one line per fact and pattern")
    args = parser.parse_args(argv)
    decider = Decider()
    found = [d for name, facts in examples() for d in drops(decider, name, facts, args.fact)]
    by_fact: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for drop in found:
        by_fact[drop["fact"]].append(drop)
    for fact, rows in sorted(by_fact.items(), key=lambda item: -len(item[1])):
        print(f"\n## {fact}: {len(rows)} drops ({sum(not r['asked'] for r in rows)} not asked)")
        seen: set[tuple[str, str, str]] = set()
        for row in rows:
            key = (row["unknown"], row["worst"], str(row["raised_by"]))
            if key in seen and not args.all:
                continue
            seen.add(key)
            print(f"  {row['example']}: unknown {row['unknown']} < {row['worst']} if {row['raised_by']} "
                  f"(was {row['was']!r}; {'asked' if row['asked'] else 'NOT ASKED'}; first {row['first']})")
    print(f"\n{len(found)} drops over {len(by_fact)} facts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
