"""What makes a fired rule stop firing: the answers that make every branch of its ``any`` groups fail.

A fired rule that an ``any`` group keeps firing only while facts are unknown ("an adult who does not
want the police") stops when every branch fails, which may take two answers or more; the questions
(``questions.py``) list those answers together. The groups are the question finder's parsed
conditions: each branch has ``atoms`` (one fact's tests: ``path``, ``test(facts)``,
``holds_unknown``), ``groups`` and ``derived``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence


def stopping_answers(groups: Sequence[Sequence[Any]], values: Mapping[str, list[Any]],
                     known: dict[str, Any]) -> list[dict[str, Any]]:
    """For each ``any`` group, the unknown facts (two or more) whose answers make every branch fail:
    in each branch that holds, one fact that holds while unknown, with a value (from ``values``) that
    makes no other branch hold (an age given to stop "age not known" must not be one that "under 18"
    then holds for)."""
    found = []
    for group in groups:
        options: list[list[tuple[str, Any]]] = []
        for branch in group:
            if _fails(branch, known):
                continue  # it fails already
            failing = [] if branch.groups or branch.derived else [
                (a.path, v) for a in branch.atoms if a.path not in known and a.holds_unknown
                for v in values.get(a.path, []) if not a.test({a.path: v})]
            if not failing:
                break  # this branch cannot be made to fail by answering one fact
            options.append(failing)
        else:
            assignment = _stopping(group, known, options)
            if assignment is not None and len(assignment) >= 2:
                found.append(assignment)
    return found


def _fails(branch: Any, facts: dict[str, Any]) -> bool:
    return any(a.path in facts and not a.test(facts) or a.path not in facts and not a.holds_unknown
               for a in branch.atoms)


def _stopping(group: Sequence[Any], known: dict[str, Any],
              options: list[list[tuple[str, Any]]]) -> dict[str, Any] | None:
    """The first choice of one failing answer per branch under which every branch of ``group``
    fails (depth first, one value per fact); None if there is none."""
    def search(i: int, chosen: dict[str, Any]) -> dict[str, Any] | None:
        if i == len(options):
            facts = {**known, **chosen}
            ok = all(_fails(b, facts) for b in group if not (b.groups or b.derived))
            return dict(chosen) if ok else None
        for path, value in options[i]:
            if path in chosen and chosen[path] != value:
                continue
            result = search(i + 1, {**chosen, path: value})
            if result is not None:
                return result
        return None

    return search(0, {})
