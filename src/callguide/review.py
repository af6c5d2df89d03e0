"""The review pack: the rulebook in plain words, for practitioners to review and sign off.

``callguide rules review --markdown FILE`` writes, for each theme and rule: when it applies, what it
recommends and how strongly, why, its source with the words it quotes, the scenarios that show it,
and, when a version was signed off before (``releases.yaml``), what changed since then.
"""

from __future__ import annotations

import re
from typing import Any, Callable

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


def _value(path: str, value: Any, book: Rulebook) -> str:
    if isinstance(value, str) and value.startswith("param."):
        parameter = book.parameters[value[6:]]
        return f"{plain(parameter.value)} {parameter.unit} (parameter {value[6:]})"
    return plain(value)


def _fact(path: str, book: Rulebook) -> str:
    if path == "outcome.recommendation":
        return "the answer callguide has reached"
    question = book.questions.get(path)
    return f"“{question.ask}”" if question else path.split(".", 1)[1].replace("_", " ")


def condition_words(path: str, test: Any, book: Rulebook) -> str:
    """One condition in plain words, e.g. "“Is it still happening now?”: not yes (no, or not known)"."""
    fact = _fact(path, book)
    if path == "incident.kind" and not isinstance(test, dict):
        return f"the incident is {plain(test)}"
    tests = test if isinstance(test, dict) else {"is": test}
    parts: list[str] = []
    for op, operand in tests.items():
        if op == "is":
            parts.append(_value(path, operand, book))
        elif op == "not":
            parts.append(f"anything but {_value(path, operand, book)} (not knowing included)")
        elif op == "in":
            parts.append("one of " + ", ".join(_value(path, v, book) for v in operand))
        elif op == "not_in":
            parts.append("none of " + ", ".join(_value(path, v, book) for v in operand) + " (not knowing included)")
        elif op == "at_least":
            parts.append(f"at least {_value(path, operand, book)}")
        elif op == "at_most":
            parts.append(f"at most {_value(path, operand, book)}")
        elif op == "known":
            parts.append("known" if operand else "not known")
    return f"{fact}: {' and '.join(parts)}"


def when_words(when: dict[str, Any], book: Rulebook, derivers: dict[str, list[str]]) -> list[str]:
    lines: list[str] = []
    for key, test in when.items():
        if key == "derived":
            for name in test:
                lines.append(f"another rule found “{plain(name)}” ({', '.join(derivers.get(name, []))})")
        elif key == "any":
            groups = ["; ".join(when_words(group, book, derivers)) for group in test]
            lines.append("at least one of: " + " OR ".join(f"({g})" for g in groups))
        else:
            lines.append(condition_words(key, test, book))
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
    lines += [f"- {line}" for line in when_words(rule.when, book, derivers)]
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
