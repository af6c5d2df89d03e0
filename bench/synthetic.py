"""Synthetic rulebooks in the real YAML format, for the scale benchmark.

The real ``parameters.yaml`` and ``vocabulary.yaml`` are copied; the rules are random but valid:
2-4 conditions over the contract's facts, a recommendation or a derived fact, and about one
rule in five chaining on a fact another rule derives.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import yaml

from callguide.facts import ORDINALS, allowed_values, fact_paths
from callguide.rulebook import default_rules_dir

LEVELS = ["no_police", "report_later", "call_101", "call_999"]


def _condition(rng: random.Random, path: str):
    values = allowed_values(path)
    if path in ORDINALS:
        op = rng.choice(["at_least", "at_most", "in", "not"])
    elif values is None:
        return {rng.choice(["at_least", "at_most"]): rng.choice([1, 13, 16, 24, 100, 1000])}
    else:
        op = rng.choice(["is", "in", "not", "not_in"] if len(values) > 2 else ["is", "not"])
    if op == "is":
        return rng.choice(values)
    if op in ("in", "not_in"):
        return {op: rng.sample(values, k=min(2, len(values)))}
    return {op: rng.choice(ORDINALS[path] if path in ORDINALS else values)}


def write_rulebook(directory: Path, count: int, seed: int = 11, any_groups: float = 0.0) -> Path:
    """``any_groups``: the share of rules that also get an ``any`` group, half of them over one
    fact and half over two (the what-ifs treat the two differently; the bench keeps none)."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    source = default_rules_dir()
    for name in ("parameters.yaml", "vocabulary.yaml"):
        shutil.copy(source / name, directory / name)
    paths = [p for p in fact_paths() if p != "incident.kind"]
    kinds = allowed_values("incident.kind")
    rules, derived = [], []
    # The baseline keeps every decision answerable, as in the real rulebook.
    rules.append({"id": "syn-baseline", "title": "Baseline", "when": {"incident.kind": {"known": True}},
                  "then": {"recommend": "report_later", "strength": "soft", "default": True},
                  "because": "Every incident gets a considered response.", "source": "Synthetic"})
    for n in range(1, count):
        when = {"incident.kind": {"in": rng.sample(kinds, k=3)}}
        for path in rng.sample(paths, k=rng.randint(1, 3)):
            when[path] = _condition(rng, path)
        then: dict = {}
        if rng.random() < any_groups:
            picked = rng.sample(paths, k=rng.choice([1, 2]))
            when["any"] = [{path: _condition(rng, path)} for path in (picked * 2)[:2]]
        if derived and rng.random() < 0.2:
            when["derived"] = [rng.choice(derived)]
        if rng.random() < 0.15:
            name = f"syn_fact_{n}"
            then["derive"] = [name]
            derived.append(name)
        if not then or rng.random() < 0.8:
            then["recommend"] = rng.choice(LEVELS[:3])
            then["strength"] = rng.choice(["soft", "soft", "firm", "ceiling"])
        rules.append({"id": f"syn-rule-{n}", "title": f"Synthetic rule {n}", "when": when, "then": then,
                      "because": f"Synthetic rule number {n} applies here.", "source": "Synthetic"})
    for start in range(0, len(rules), 100):
        part = rules[start:start + 100]
        text = yaml.safe_dump({"theme": f"synthetic-{start // 100}", "title": "Synthetic", "rules": part},
                              sort_keys=False)
        (directory / f"synthetic-{start // 100:03d}.yaml").write_text(text)
    return directory
