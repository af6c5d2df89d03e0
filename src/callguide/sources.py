"""Sources anyone can check: the quotes a rule's ``source`` takes from the protocol or the leaflet.

A ``source`` is a list of citations separated by ``;``. A citation that starts with
``Protocol §N`` cites that section of the Northamptonshire joint protocol (2025); one that starts
with ``leaflet`` (any case) cites the protocol's leaflet, optionally naming its heading before the
quote (``leaflet, Role of the police: '...'``). Inside such a citation, text in single quotes is a
quote of that document: it must appear there word for word (whitespace, case and curly quotes
aside; ``...`` marks words left out), inside the cited section. Other citations (statutes,
national guidance, research) are named, not quoted against a stored text.

The two public texts are kept in ``docs/sources/``; :func:`check_source` and
:func:`check_directory` compare quotes against them (``callguide rules check`` and the tests).
Reading a quote out of a source (:func:`quotes`) needs only the source string.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import yaml

from . import yamlsafe
from pydantic import BaseModel

from .datafiles import data_dir

DOCUMENTS = {
    "protocol": ("Northamptonshire joint protocol for reducing the criminalisation of care experienced "
                 "children and young people (2025)", "northamptonshire-joint-protocol-2025.txt"),
    "leaflet": ("The Northamptonshire protocol for reducing the criminalisation of children in care "
                "and care leavers (leaflet)", "northamptonshire-protocol-leaflet.txt"),
}
# Words that make a source cite something no practitioner can open.
FORBIDDEN = ("DOMAIN",)
SOURCE_KEYS = {"source", "reference"}

_CITATION = re.compile(r"^\s*(?P<doc>protocol\s*§\s*(?P<section>\d+(?:\.\d+)*)|leaflet\b)(?P<rest>.*)$",
                       re.IGNORECASE | re.DOTALL)
# A quote opens after a space or bracket and closes before anything but a letter, so the
# apostrophe in "carer's" neither opens nor closes one.
_QUOTE = re.compile(r"(?:(?<=[\s(:,])|^)['‘](?P<text>.+?)['’](?![A-Za-z])")
_HEADING = re.compile(r"^(?P<number>\d+(?:\.\d+)*)[ ](?P<title>[A-Za-z'].*)$")
_TRANSLATE = str.maketrans({"‘": "'", "’": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"',
                            "–": "-", "—": "-", "‐": "-", "…": "..."})


class Quote(BaseModel):
    document: str   # protocol | leaflet
    section: str    # "8.1" for the protocol; the leaflet's heading, or ""
    text: str


@dataclass(frozen=True)
class SourceText:
    """One stored public text, with its numbered sections (the leaflet has none)."""

    name: str
    text: str
    sections: dict[str, str]

    def section_text(self, section: str) -> str | None:
        return self.sections.get(section) if section else self.text


def normalise(text: str) -> str:
    """For comparing quotes: NFKC, straight quotes and dashes, single spaces, lower case."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return re.sub(r"\s+", " ", text).strip().lower()


def split_citations(source: str) -> list[str]:
    """``source`` split at ``;`` outside quotes."""
    parts: list[str] = []
    start = 0
    inside = False
    for index, char in enumerate(source):
        if char in "'‘’":
            before = source[index - 1] if index else " "
            after = source[index + 1] if index + 1 < len(source) else " "
            if not inside and not before.isalnum():
                inside = True
            elif inside and not after.isalpha():
                inside = False
        elif char == ";" and not inside:
            parts.append(source[start:index])
            start = index + 1
    parts.append(source[start:])
    return [part.strip() for part in parts if part.strip()]


def quotes(source: str) -> list[Quote]:
    """The quotes of the protocol or the leaflet in one ``source`` string, in order."""
    found: list[Quote] = []
    for citation in split_citations(source):
        match = _CITATION.match(citation)
        if not match:
            continue
        rest = match.group("rest")
        if match.group("section"):
            document, section = "protocol", match.group("section")
        else:
            document = "leaflet"
            head = _QUOTE.split(rest, maxsplit=1)[0] if _QUOTE.search(rest) else ""
            section = head.strip(" ,:(").strip()
        for quote in _QUOTE.finditer(rest):
            found.append(Quote(document=document, section=section, text=quote.group("text").strip()))
    return found


def sources_dir() -> Path | None:
    """``$CALLGUIDE_SOURCES``, else the checkout's ``docs/sources``, else the copy in the wheel."""
    return data_dir("docs/sources", "CALLGUIDE_SOURCES")


@lru_cache(maxsize=8)
def load_texts(directory: Path) -> dict[str, SourceText]:
    texts: dict[str, SourceText] = {}
    for name, (_, file) in DOCUMENTS.items():
        text = (directory / file).read_text(encoding="utf-8")
        texts[name] = SourceText(name, text, _sections(text) if name == "protocol" else {})
    return texts


def _sections(text: str) -> dict[str, str]:
    """Numbered sections by heading line (the contents table, with its tabs, is not a heading).

    A section's text runs to the next heading that is not inside it, so ``8.2`` includes ``8.2.3``.
    """
    lines = text.splitlines()
    headings = [(index, match.group("number")) for index, line in enumerate(lines)
                if (match := _HEADING.match(line)) and "\t" not in line]
    sections: dict[str, str] = {}
    for position, (start, number) in enumerate(headings):
        end = len(lines)
        for later, other in headings[position + 1:]:
            if not other.startswith(number + "."):
                end = later
                break
        sections.setdefault(number, "\n".join(lines[start:end]))
    return sections


def check_quote(quote: Quote, texts: dict[str, SourceText]) -> str | None:
    """None if the quote is in the cited section, else what is wrong."""
    document = texts[quote.document]
    where = f"Protocol §{quote.section}" if quote.document == "protocol" else "the leaflet"
    body = document.section_text(quote.section) if quote.document == "protocol" else document.text
    if body is None:
        return f"Protocol §{quote.section} does not exist"
    haystack = normalise(body)
    position = 0
    for fragment in re.split(r"\.\.\.|…", quote.text):
        fragment = normalise(fragment).strip(" ,.")
        if not fragment:
            continue
        found = haystack.find(fragment, position)
        if found < 0:
            return f"'{quote.text}' is not in {where}"
        position = found + len(fragment)
    if quote.document == "leaflet" and quote.section and normalise(quote.section) not in haystack:
        return f"the leaflet has no heading '{quote.section}'"
    return None


def check_source(source: str, texts: dict[str, SourceText]) -> list[str]:
    """Problems with one source: a word that cites no public document, or a quote not in its text."""
    problems = [f"cites {word}, which is not a public document" for word in FORBIDDEN if word in source]
    problems += [problem for quote in quotes(source) if (problem := check_quote(quote, texts))]
    return problems


def iter_sources(document: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every ``source`` and ``reference`` string in a YAML document, with where it is."""
    if isinstance(document, dict):
        label = document.get("id")
        for key, value in document.items():
            here = f"{path}.{key}" if path else str(key)
            if label and isinstance(label, str):
                here = f"{label}.{key}"
            if key in SOURCE_KEYS and isinstance(value, str):
                yield here, value
            else:
                yield from iter_sources(value, f"{label}" if label else here)
    elif isinstance(document, list):
        for item in document:
            yield from iter_sources(item, path)


def check_directory(directory: Path, texts: dict[str, SourceText] | None = None) -> list[str]:
    """Every source in every YAML file of a rules or pack directory, checked; problems name file and place."""
    if texts is None:
        stored = sources_dir()
        if stored is None:
            return ["docs/sources not found: the protocol and leaflet texts are needed to check quotes"]
        texts = load_texts(stored)
    problems: list[str] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        document = yamlsafe.load(path.read_text(encoding="utf-8"))
        for where, source in iter_sources(document):
            problems += [f"{path.name}: {where}: {problem}" for problem in check_source(source, texts)]
    return problems
