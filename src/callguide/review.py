"""The review pack: the rulebook in plain words, for practitioners to review and sign off.

``callguide rules review --markdown FILE`` writes, for each theme and rule: when it applies, what it
recommends and how strongly, why, its source with the words it quotes, the scenarios that show it,
and, when a version was signed off before (``releases.yaml``), what changed since then. Then the call
check's decision tables, row by row (when it holds, what it decides, why, its source), and the
vocabulary (each answer's, deadline's and fact's words, and the words that differ per setting): they
are part of the signed-off sha too, so the reviewers see them.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Iterator, Sequence

from .conditions import AnyOf, Conditions, FactTest, Item
from .explanation import plain
from .facts import Level
from .releases import SignOff
from .rulebook import Rule, Rulebook
from .tables import STAFF_RULES, Row, Table
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
    "above": "more than {}",
    "below": "less than {}",
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
    question = _question(path, book)
    return f"“{_template(question.ask, book)}”" if question else path.split(".", 1)[1].replace("_", " ")


def _question(path: str, book: Rulebook) -> Any:
    """How a fact is asked: a contract fact's question, or one only the call check records; else None."""
    if path in book.questions:
        return book.questions[path]
    call_facts = book.vocabulary.call_check.facts if book.vocabulary is not None else {}
    return call_facts.get(path)


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
    """``{param.x}`` filled in; a setting's word (``{words.x}``) as the words used when the setting is
    not known, in italics (the pack lists every setting's); fact placeholders such as
    ``{incident.damage_value_gbp}`` kept for the reader."""
    text = re.sub(r"\{param\.(\w+)\}", lambda m: plain(book.parameters[m.group(1)].value), text)
    if book.vocabulary is None:
        return text
    unknown = book.vocabulary.settings["unknown"]

    def word(match: re.Match[str]) -> str:
        value = unknown.get(match.group(2), match.group(0))
        return f"*{value[:1].upper() + value[1:] if match.group(1) == 'W' else value}*"
    return re.sub(r"\{([wW])ords\.(\w+)\}", word, text)


def quote_lines(sources: Iterable[str]) -> list[str]:
    """The words each source quotes from the protocol or leaflet, one line each."""
    lines = []
    for quote in (q for source in sources for q in quotes(source)):
        where = f"Protocol §{quote.section}" if quote.document == "protocol" else (
            f"leaflet, {quote.section}" if quote.section else "leaflet")
        lines.append(f"> “{quote.text}” ({where})")
    return list(dict.fromkeys(lines))  # a rule and its action may quote the same words


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
    lines += quote_lines([rule.source] + [a.source for a in rule.then.actions])
    shown = ", ".join(f"`{s}`" for s in scenarios) if scenarios else "**none**: no scenario shows this rule yet"
    lines += ["", f"**Scenarios that show it:** {shown}", "", "Reviewer's notes: ______________________", ""]
    return lines


# -- the call check's decision tables and the vocabulary --------------------------------------------
OUTPUT_WORDS = {"kind": "police response", "ask": "ask first", "say": "say to the caller",
                "says": "THRIVE says", "what_happens": "what happens", "follow_up": "neighbourhood follow-up",
                "expected": "the carers' steps expected (asked about when not said)",
                "not_first": "added to each step's note", "step": "the step (asked about as)",
                "asked_of_caller": "the carers' steps asked of this caller",
                "also_for_the_carers": "also left for the carers (not asked of this caller)"}
SETTING_TITLES = {"childrens_home": "Children's home", "supported_accommodation": "Supported accommodation",
                  "foster_care": "Foster care", "care_leaver": "A care leaver in their own home",
                  "looked_after_elsewhere": "A child in care living somewhere else",
                  "looked_after_unknown": "A child in care, not said where they live",
                  "unknown": "Not said where the young person lives"}
LEVEL_FIELD_WORDS = {"title": "page title", "shout": "banner", "short": "short form", "lead": "headline starts",
                     "body": "what the answer page says"}


def _output_value(value: object, book: Rulebook) -> str:
    if isinstance(value, str) and _question(value, book) is not None:
        return _fact(value, book)
    return plain(value)


def outcome_words(table: Table, row: Row, book: Rulebook) -> list[str]:
    """A row's outputs in plain words, one line each, in the table's order."""
    lines = []
    for name, kind in table.outputs.items():
        if name not in row.then:
            continue
        value = row.then[name]
        if kind == "text":
            words = f"“{_template(value, book)}”"
        elif kind == "lines":
            words = " ".join(f"“{_template(line, book)}”" for line in value)
        else:
            words = ", ".join(_output_value(v, book) for v in (value if isinstance(value, list) else [value])) or "none"
        lines.append(f"{OUTPUT_WORDS.get(name, plain(name))}: {words}")
    return lines


def _given_words(key: str, wanted: list[object] | str, book: Rulebook) -> str:
    if key == STAFF_RULES:
        titles = " or ".join(f"“{book.rule(rule_id).title or plain(rule_id)}” (`{rule_id}`)" for rule_id in wanted)
        return f"the staff rule {titles} holds (its conditions are among those below)"
    name, _, output = key.partition(".")
    other = book.tables[name]
    if wanted == "any":
        return f"the table “{other.title}” chose any of its rows"
    if output:
        chosen = f"{OUTPUT_WORDS.get(output, plain(output))}: {', '.join(plain(v) for v in wanted)}"
    else:
        titles = {row.id: row.title or plain(row.id) for row in other.rows}
        chosen = " or ".join(f"“{titles[v]}” (`{v}`)" for v in wanted)
    return f"the table “{other.title}” chose {chosen}"


def _decides_words(table: Table, book: Rulebook) -> str:
    """What a table's rows decide, e.g. "level (one of high, medium, low, not known); THRIVE says (words)"."""
    outputs = []
    for name, kind in table.outputs.items():
        allowed = (f"one of {', '.join(_output_value(v, book) for v in kind)}" if isinstance(kind, list)
                   else "words" if kind == "text" else "sentences")
        optional = ", may be left out" if name in table.optional else ""
        outputs.append(f"{OUTPUT_WORDS.get(name, plain(name))} ({allowed}{optional})")
    return "; ".join(outputs)


def table_section(table: Table, book: Rulebook) -> list[str]:
    """A decision table: what it decides and the sources its rows cite, then each row in order."""
    sources = list(dict.fromkeys(part.strip() for row in table.rows for part in row.source.split(";")))
    aloud = f" Its words are read aloud: at most {table.max_words} words a row." if table.max_words else ""
    aloud += f" Every row also cites, before its own source: {table.source}." if table.source else ""
    lines = [f"### {table.title} (`{table.id}`)", "",
             f"In `{table.file}`. It decides: {_decides_words(table, book)}.{aloud}",
             f"Read top to bottom; the first row that holds decides. Sources its rows cite: {'; '.join(sources)}.", ""]
    for number, row in enumerate(table.rows, 1):
        lines += [f"#### {number}. {row.title} (`{row.id}`)" if row.title else f"#### {number}. `{row.id}`", ""]
        conditions = [_given_words(key, wanted, book) for key, wanted in row.given.items()]
        conditions += when_words(row.conditions, book, {}) if row.conditions else []
        if conditions:
            lines.append("**When it holds** (all of these):")
            lines += [f"- {line}" for line in conditions]
        else:
            lines.append("**When it holds:** always, when no row above holds (the table's default).")
        lines += ["", "**Outcome:**"] + [f"- {line}" for line in outcome_words(table, row, book)]
        lines += ["", f"**Why:** {_template(row.because, book)}", "", f"**Source:** {row.source}"]
        lines += quote_lines([row.source]) + ["", "Reviewer's notes: ______________________", ""]
    return lines


def vocabulary_section(book: Rulebook) -> list[str]:
    """Per answer level its words; each deadline; per fact its question, label and answer words;
    per setting the words that differ between settings."""
    words = book.vocabulary
    if words is None:
        return []
    lines = ["## The words callguide uses (`vocabulary.yaml`)", "",
             "How each answer, deadline and question is worded, and the words that change with the setting.",
             "", "### The four answers", ""]
    for level, texts in reversed(list(words.levels.items())):  # call 999 first
        parts = [f"{LEVEL_FIELD_WORDS[name]} “{_template(getattr(texts, name), book)}”" for name in LEVEL_FIELD_WORDS]
        lines.append(f"- **{LEVEL_WORDS[level]}** (`{level.value}`): " + "; ".join(parts))
    lines += ["", "### Deadlines", ""] + [f"- `{key}`: “{text}”" for key, text in words.deadlines.items()]
    lines += ["", "### Each fact: its label, its question and the words for its answers", ""]
    for path, fact in words.facts.items():
        parts = [f"asked “{_template(fact.ask, book)}”"] + ([f"hint “{_template(fact.hint, book)}”"] if fact.hint else [])
        parts += [f"unit {fact.unit}"] if fact.unit else []
        if fact.values:
            parts.append("answers: " + "; ".join(f"{plain(value)} “{text}”" for value, text in fact.values.items()))
        lines.append(f"- **{fact.label}** (`{path}`): " + "; ".join(parts))
    settings = words.settings
    names = list(settings["unknown"])
    same = [name for name in names if len({settings[key][name] for key in settings}) == 1]
    lines += ["", "### Words per setting", "",
              "Who “the manager” is, what the plan is called and so on, in each setting (only the words that "
              "differ between settings)."]
    if same:
        lines.append("The same in every setting: " + "; ".join(f"{name} “{settings['unknown'][name]}”" for name in same))
    for key, texts in settings.items():
        lines += ["", f"#### {SETTING_TITLES.get(key, plain(key))} (`{key}`)", ""]
        lines += [f"- {plain(name)}: “{texts[name]}”" for name in names if name not in same]
    for key in words.staying:
        title = SETTING_TITLES.get(key, plain(key)).lower()
        lines += ["", f"#### A care leaver staying in {title} (`care_leaver_staying.{key}`)", "",
                  "The setting's words, with these over them:"]
        lines += [f"- {plain(name)}: “{text}”" for name, text in words.staying_overlay(key).items()]
    if words.under_18:
        lines += ["", "#### A care leaver of 16 or 17 (`care_leaver_under_18`)", "",
                  "Still a child: these over the words of where they live:"]
        lines += [f"- {plain(name)}: “{text}”" for name, text in words.under_18.items()]
    if words.age_not_given:
        lines += ["", "#### A care leaver whose age is not given (`care_leaver_age_not_given`)", "",
                  "A child until it is known, perhaps an adult: these over the words of where they live:"]
        lines += [f"- {plain(name)}: “{text}”" for name, text in words.age_not_given.items()]
    return lines + [""] + _asking(book) + _call_check_words(book)


def _asking(book: Rulebook) -> list[str]:
    """Per kind of incident, the questions the pages ask first, those they leave out and those they
    ask only for the steps."""
    words = book.vocabulary
    if words is None or not words.asking:
        return []
    lines = ["### How each kind of incident is asked about (`asking`)", ""]
    for kind, asking in words.asking.items():
        parts = [f"first: {'; '.join(words.label(path) for path in asking.first)}"] if asking.first else []
        if asking.not_asked:
            parts.append(f"not asked on the pages: {'; '.join(sorted(words.label(p) for p in asking.not_asked))}")
        parts += [f"{words.label(path)} asked as \u201c{ask}\u201d" for path, ask in asking.asks.items()]
        if asking.steps_asked:  # the pages ask it last, when it changes only what to do
            parts.append(f"asked for the steps alone: {'; '.join(words.label(p) for p in asking.steps_asked)}")
        lines.append(f"- **{plain(kind)}** (`{kind}`): " + "; ".join(parts))
    return lines + [""]


def _call_check_words(book: Rulebook) -> list[str]:
    """The call check's own words: each police response's label, its fixed phrases, its own facts."""
    words = book.vocabulary.call_check if book.vocabulary else None
    if words is None:
        return []
    lines = ["### The call handler's check (`call_check`)", "",
             "Each police response's label (and, after “the response could become”, its short words):", ""]
    lines += [f"- `{kind}`: “{texts.label}”" + (f"; could become “{texts.becomes}”" if texts.becomes else "")
              for kind, texts in words.responses.items()]
    lines += ["", "Fixed phrases ({response}, {level} and {source} are filled in):", ""]
    lines += [f"- {plain(name)}: “{text}”" for name, text in words.phrases.items()]
    lines += ["", "Facts only the call check records:", ""]
    lines += [f"- **{fact.label}** (`{path}`): asked “{_template(fact.ask, book)}”" for path, fact in words.facts.items()]
    return lines + [""]


def review_pack(book: Rulebook, coverage: dict[str, list[str]], last: SignOff | None,
                changes_since: Callable[[SignOff], str] | None = None) -> str:
    """The whole pack as Markdown. ``changes_since(signoff)`` renders the diff from a signed-off version."""
    release = book.release
    status = (f"signed off as **{release.version}** on {release.reviewed_on}" if release.reviewed
              else "**not reviewed**: no practitioner has signed off this exact rulebook")
    lines = ["# callguide rulebook: review pack", "",
             f"- Rulebook: `{book.version}`" + (f" (area pack: {book.pack})" if book.pack else " (national base alone)"),
             f"- Status: {status}",
             f"- {len(book.rules)} rules in {len(book.themes)} themes; {len(book.parameters)} parameters; "
             f"{len(book.tables)} call-check decision tables with {sum(len(t.rows) for t in book.tables.values())} rows",
             "", "How to read it: each rule says when it applies, what it recommends and how strongly, why, "
             "where the guidance says so (with the words it quotes), and which training scenarios show it. "
             "The conflict policy: safety rules always give call 999; otherwise the answer is the highest "
             "firm floor, or else the highest 'how serious it looks' level capped by the lowest ceiling. "
             "After the rules come the decision tables of the call handler's check (each row: when it holds, "
             "what it decides, why and its source) and the words callguide uses for every answer, question "
             "and setting: all of them are part of the rulebook you sign off. Words in *italics* change with "
             "the setting (they are shown as they read when the setting is not known; see 'Words per setting').",
             "", "To sign off: record the version name, the rulebook sha above, the date, the reviewers' "
             "roles and any notes in `rules/releases.yaml` (see its comments). A sign-off covers this exact "
             "sha only; any later change needs a new review.", "", "## Changes since the last sign-off", ""]
    if last is None:
        lines.append("No version has been signed off yet: this is the first review, so every rule, table row "
                     "and word below is to be reviewed.")
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
    if book.tables:
        lines += ["## The call check's decision tables", "",
                  "The Force Control Room call check (`POST /v1/call-checks`, the call-check page) is worked out "
                  "from these tables, not from the rules above. Rows may read the answer the rules above reached.", ""]
        for table in book.tables.values():
            lines += table_section(table, book)
    lines += vocabulary_section(book)
    if book.contacts:
        lines += ["## Local contacts", ""]
        lines += [f"- **{c.name}**: {c.phone or 'number not yet confirmed'}. {c.note or ''} (source: {c.source})"
                  for c in book.contacts.values()]
    return "\n".join(lines).rstrip() + "\n"
