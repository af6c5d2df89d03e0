"""The review pack: the rulebook in plain words, for practitioners to review and sign off.

``callguide rules review --markdown FILE`` writes, for each theme and rule: when it applies, what it
recommends and how strongly, why, its source with the words it quotes, the scenarios that show it,
and, when a version was signed off before (``releases.yaml``), what changed since then.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Iterator, Sequence

from .conditions import AnyOf, Conditions, FactTest, Item
from .explanation import plain
from .facts import Level
from .releases import SignOff
from .rulebook import Rule, Rulebook
from .sources import quotes

LEVEL_WORDS = {
    Level.call_999: "call 999",
    Level.call_101: "call the police on 101",
    Level.report_later: "don't call now; the manager decides next working day whether to report",
    Level.no_police: "no police; respond at home as a parent would",
}
STRENGTH_WORDS = {
    "safety": "a safety rule: nothing outweighs it",
    "firm": "a firm floor: at least this, whatever the reasonable-parent test says",
    "soft": "how serious it looks: the reasonable-parent test and Child First may lower it",
    "ceiling": "a ceiling: no higher than this, unless a floor says otherwise",
}


OP_WORDS = {
    "is": "{}",
    "not": "anything but {} (not knowing included)",
    "in": "one of {}",
    "not_in": "none of {} (not knowing included)",
    "at_least": "at least {}",
    "at_most": "at most {}",
}


def _value(test: FactTest, book: Rulebook) -> str:
    if isinstance(test.value, list):
        return ", ".join(plain(v) for v in test.value)
    if test.parameter is not None:
        return f"{plain(test.value)} {book.parameters[test.parameter].unit} (parameter {test.parameter})"
    return plain(test.value)


def _fact(path: str, book: Rulebook) -> str:
    if path == "outcome.recommendation":
        return "the answer callguide has reached"
    question = book.questions.get(path)
    return f"“{question.ask}”" if question else path.split(".", 1)[1].replace("_", " ")


def _test_words(test: FactTest, book: Rulebook) -> str:
    if test.op == "known":
        return "known" if test.value else "not known"
    return OP_WORDS[test.op].format(_value(test, book))


def condition_words(tests: Sequence[FactTest], book: Rulebook) -> str:
    """The tests on one fact in plain words, e.g. "“Is it still happening now?”: anything but yes
    (not knowing included)"."""
    path = tests[0].path
    if path == "incident.kind" and len(tests) == 1 and tests[0].op == "is":
        return f"the incident is {plain(tests[0].value)}"
    return f"{_fact(path, book)}: {' and '.join(_test_words(test, book) for test in tests)}"


def _by_fact(items: Iterable[Item]) -> Iterator[AnyOf | list[FactTest]]:
    """The items, each fact's tests together: a fact written once with two tests
    (``{at_least: 1, at_most: 5}``) is one line."""
    run: list[FactTest] = []
    for item in items:
        if run and not (isinstance(item, FactTest) and item.path == run[0].path):
            yield run
            run = []
        if isinstance(item, AnyOf):
            yield item
        else:
            run.append(item)
    if run:
        yield run


def when_words(conditions: Conditions, book: Rulebook, derivers: dict[str, list[str]]) -> list[str]:
    """One line per condition; the derived findings first (where every rule writes them)."""
    lines = [f"another rule found “{plain(name)}” ({', '.join(derivers.get(name, []))})"
             for name in conditions.derived]
    for item in _by_fact(conditions.items):
        if isinstance(item, AnyOf):
            groups = ["; ".join(when_words(group, book, derivers)) for group in item.groups]
            lines.append("at least one of: " + " OR ".join(f"({g})" for g in groups))
        else:
            lines.append(condition_words(item, book))
    return lines


def recommends_words(rule: Rule) -> str:
    then = rule.then
    if then.recommend is None:
        found = f"finds {', '.join('“' + plain(d) + '”' for d in then.derive)}" if then.derive else ""
        return (found + " (other rules build on it)") if found else "adds actions only; it does not change the answer"
    default = " It applies to every incident and is shown only when it decides." if then.default else ""
    return f"**{LEVEL_WORDS[then.recommend]}** ({then.recommend.value}), {STRENGTH_WORDS[then.strength]}.{default}"


def _template(text: str, book: Rulebook) -> str:
    """``{param.x}`` filled in; fact placeholders such as ``{incident.damage_value_gbp}`` kept for the reader."""
    return re.sub(r"\{param\.(\w+)\}", lambda m: plain(book.parameters[m.group(1)].value), text)


def rule_section(rule: Rule, book: Rulebook, scenarios: list[str], derivers: dict[str, list[str]]) -> list[str]:
    lines = [f"### {rule.title} (`{rule.id}`)", ""]
    lines.append("**When it applies** (all of these):")
    lines += [f"- {line}" for line in when_words(rule.conditions, book, derivers)]
    lines += ["", f"**What it recommends:** {recommends_words(rule)}"]
    if rule.then.derive and rule.then.recommend is not None:
        lines.append(f"It also finds {', '.join('“' + plain(d) + '”' for d in rule.then.derive)}.")
    if rule.then.actions:
        lines += ["", "**What to do:**"]
        lines += [f"- {_template(a.what, book)} (by: {a.by}; source: {a.source})" for a in rule.then.actions]
    lines += ["", f"**Why:** {_template(rule.because, book)}", "", f"**Source:** {rule.source}"]
    for quote in quotes(rule.source) + [q for a in rule.then.actions for q in quotes(a.source)]:
        where = f"Protocol §{quote.section}" if quote.document == "protocol" else (
            f"leaflet, {quote.section}" if quote.section else "leaflet")
        lines.append(f"> “{quote.text}” ({where})")
    shown = ", ".join(f"`{s}`" for s in scenarios) if scenarios else "**none**: no scenario shows this rule yet"
    lines += ["", f"**Scenarios that show it:** {shown}", "", "Reviewer's notes: ______________________", ""]
    return lines


def review_pack(book: Rulebook, coverage: dict[str, list[str]], last: SignOff | None,
                changes_since: Callable[[SignOff], str] | None = None) -> str:
    """The whole pack as Markdown. ``changes_since(signoff)`` renders the diff from a signed-off version."""
    release = book.release
    status = (f"signed off as **{release.version}** on {release.reviewed_on}" if release.reviewed
              else "**not reviewed**: no practitioner has signed off this exact rulebook")
    lines = ["# callguide rulebook: review pack", "",
             f"- Rulebook: `{book.version}`" + (f" (area pack: {book.pack})" if book.pack else " (national base alone)"),
             f"- Status: {status}",
             f"- {len(book.rules)} rules in {len(book.themes)} themes; {len(book.parameters)} parameters",
             "", "How to read it: each rule says when it applies, what it recommends and how strongly, why, "
             "where the guidance says so (with the words it quotes), and which training scenarios show it. "
             "The conflict policy: safety rules always give call 999; otherwise the answer is the highest "
             "firm floor, or else the highest 'how serious it looks' level capped by the lowest ceiling.",
             "", "To sign off: record the version name, the rulebook sha above, the date, the reviewers' "
             "roles and any notes in `rules/releases.yaml` (see its comments). A sign-off covers this exact "
             "sha only; any later change needs a new review.", "", "## Changes since the last sign-off", ""]
    if last is None:
        lines.append("No version has been signed off yet: this is the first review, so every rule below is to be reviewed.")
    elif last.rulebook == book.version:
        lines.append(f"None: this is the signed-off version {last.version} ({last.date}).")
    elif changes_since is None or last.commit is None:
        lines.append(f"The last sign-off was {last.version} ({last.date}, `{last.rulebook}`). Its entry names no "
                     "git `commit`, so the changes cannot be listed here: run `callguide rules diff` against it.")
    else:
        lines.append(f"Since {last.version} ({last.date}, commit `{last.commit}`):")
        lines.append("")
        lines.append(changes_since(last).replace("\n# ", "\n### ").replace("\n## ", "\n### ").split("\n", 1)[1])
    lines += ["", "## Parameters", ""]
    lines += [f"- **{name}**: {plain(p.value)} {p.unit}. {p.description} (reference: {p.reference})"
              for name, p in book.parameters.items()]
    derivers: dict[str, list[str]] = {}
    for rule in book.rules:
        for name in rule.then.derive:
            derivers.setdefault(name, []).append(rule.id)
    for theme, title in book.themes.items():
        lines += ["", f"## {title} (`{theme}`)", ""]
        for rule in (r for r in book.rules if r.theme == theme):
            lines += rule_section(rule, book, coverage.get(rule.id, []), derivers)
    if book.contacts:
        lines += ["## Local contacts", ""]
        lines += [f"- **{c.name}**: {c.phone or 'number not yet confirmed'}. {c.note or ''} (source: {c.source})"
                  for c in book.contacts.values()]
    return "\n".join(lines).rstrip() + "\n"
