"""The words callguide shows a person, from ``rules/vocabulary.yaml`` (one home for each word).

For each fact: its question, short label, hint and the words for each answer. For each level: its
title and the lead of a headline. Per setting: the words that differ (who "the manager" is in a
children's home, in foster care or for a care leaver in their own home), so that no answer says
"registered manager" to a foster carer. Rule texts ask for those words as ``{words.manager}``
(``{Words.manager}`` to start a sentence); :meth:`Vocabulary.fill` puts them in. For the call
handler's check (``call_check``): each police response's label, its fixed phrases, and the words for
the facts only the call check records. Per kind of incident (``asking``, read by :mod:`asking`): which
facts are asked first, not asked, in the kind's own words, or for their steps alone.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from . import yamlsafe

from .asking import NO_ORDER, Asking, AskingError, load_asking
from .callerwords import ToTheCaller, load_to_the_young_person
from .facts import LEVEL_ORDER, Level, allowed_values, fact_paths
from .wordsfor import LIVED_IN, adult, care_leaver_age_not_given, relevant_child, setting_key

SETTING_KEYS = ("childrens_home", "supported_accommodation", "foster_care", "care_leaver", "unknown")
# Settings a vocabulary may add; without one, its young people get the `unknown` words (so an older
# rulebook still loads, and `rules diff` can compare against it).
OPTIONAL_SETTING_KEYS = ("looked_after_elsewhere", "looked_after_unknown")
LEVEL_FIELDS = ("title", "shout", "short", "lead", "body")
DEADLINES = ("now", "24h", "48h", "3 days", "5 days", "next working day")
# Settings where a registered manager and "the home" exist (Children's Homes (England) Regulations 2015;
# Supported Accommodation (England) Regulations 2023); foster carers and care leavers have neither.
MANAGED_SETTINGS = ("childrens_home", "supported_accommodation")
# The call check's police responses (callcheck.ResponseKind): what the call-police-response table
# can choose, and "ask_first" while not enough is known.
RESPONSE_KINDS = ("emergency_attendance", "non_emergency_attendance", "missing_person_process", "crime_report",
                  "health_referral", "advice_and_signposting", "ask_first")
# The call check's fixed phrases, each with the only {values} it may (and must) use.
CALL_PHRASES: dict[str, tuple[str, ...]] = {
    "ask_first_what_happens": (), "ask_first_opening": (), "why_ask_first": (), "why_response": ("response",),
    "why_staff": ("level",), "why_step": ("source",)}
# Facts only the call check records (callcheck.CallCheckRequest), not the contract's.
CALL_CHECK_FACTS = ("response_so_far.behaviour_policy_followed",)


class VocabularyError(ValueError):
    """A vocabulary that must not be used; the message names the file and the entry."""


@dataclass(frozen=True)
class FactWords:
    label: str
    ask: str
    hint: str = ""
    unit: str = ""
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LevelWords:
    title: str   # page title: "Call 999 now"
    shout: str   # terminal banner: "CALL 999 NOW"
    short: str   # "could change the answer to: call 999"
    lead: str    # the start of a headline
    body: str    # one paragraph for the answer page; may use {words.*}


@dataclass(frozen=True)
class ResponseWords:
    label: str         # "Referral to health partners (Right Care, Right Person)"
    becomes: str = ""  # after "the response could become": "a referral to health partners" (none for ask_first)


@dataclass(frozen=True)
class CallCheckWords:
    responses: Mapping[str, ResponseWords]
    phrases: Mapping[str, str]
    facts: Mapping[str, FactWords]

    def phrase(self, name: str, **values: str) -> str:
        """A fixed phrase with its values filled in (``why_step`` with ``source=...``)."""
        text = self.phrases[name]
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        return text


@dataclass(frozen=True)
class Vocabulary:
    facts: Mapping[str, FactWords]
    levels: Mapping[Level, LevelWords]
    deadlines: Mapping[str, str]
    settings: Mapping[str, Mapping[str, str]]
    call_check: CallCheckWords
    # A care leaver staying in a setting: that setting's words with these over them (whole word sets).
    staying: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    asking: Mapping[str, Asking] = field(default_factory=dict)
    # A care leaver known to be 16 or 17 (a relevant child, still a child): these over the words above.
    under_18: Mapping[str, str] = field(default_factory=dict)
    age_not_given: Mapping[str, str] = field(default_factory=dict)  # age not given: words for a child or an adult
    # Facts newer than this vocabulary (an older rulebook loaded by ``rules diff``): plain stand-in words.
    filled_in: frozenset[str] = frozenset()
    # The young person ringing: questions put to them as "you" (callerwords.py).
    to_young_person: ToTheCaller = field(default_factory=ToTheCaller)

    def asking_for(self, kind: Any) -> Asking:
        """How the kind ``kind`` (an ``incident.kind`` value, or None) is asked about."""
        return self.asking.get(str(kind), NO_ORDER)

    def fact(self, path: str) -> FactWords:
        """A fact's words: the contract's facts, then those only the call check records."""
        return self.facts[path] if path in self.facts else self.call_check.facts[path]

    def ask(self, path: str, known: Mapping[str, Any]) -> str:
        """A fact's question in the setting's words ("Does their care plan agree ...?"), and in the
        words of the kind of incident where it has its own (``asking.<kind>.asks``: the weapon
        question for self-harm is about what they are hurting themselves with, not a threat)."""
        asks = self.asking_for(known.get("incident.kind")).asks
        return self.fill(self.to_young_person.ask(path, known) or asks.get(path) or self.fact(path).ask, known)

    def label(self, path: str) -> str:
        return self.fact(path).label

    def answer(self, path: str, value: Any) -> str:
        """A fact's value in plain words ("A knife or other blade", "Yes", "£40", "3 hours")."""
        if value is None:
            return "Not said"
        if isinstance(value, bool):
            return "Yes" if value else "No"
        words = self.facts[path]
        if isinstance(value, (int, float)):
            number = f"{int(value):,}" if float(value).is_integer() else f"{value:,}"
            if words.unit == "£":
                return f"£{number}"
            return f"{number} {words.unit}".strip()
        return words.values.get(str(value), str(value).replace("_", " ").capitalize())

    def level(self, level: Level | str) -> LevelWords:
        return self.levels[Level(level)]

    def words_for(self, known: Mapping[str, Any]) -> Mapping[str, str]:
        key = setting_key(known)
        key = key if key in self.settings else "unknown"
        words = self.staying[key] if adult(known) and key in self.staying else self.settings[key]
        overlay = self.age_not_given if care_leaver_age_not_given(known) else self.under_18 if relevant_child(known) else {}
        return {**words, **overlay}

    def staying_overlay(self, setting: str) -> dict[str, str]:
        """The words a care leaver staying in ``setting`` has over the setting's own (what the file says)."""
        own = self.settings.get(setting, {})
        return {name: text for name, text in self.staying.get(setting, {}).items() if own.get(name) != text}

    def word_sets(self) -> list[Mapping[str, str]]:
        """Every set of words an answer can use (the settings, and a care leaver staying in each)."""
        overlays = [{**self.settings["unknown"], **overlay} for overlay in (self.under_18, self.age_not_given)]
        return [*self.settings.values(), *self.staying.values(), *overlays]

    def fill(self, text: str, known: Mapping[str, Any]) -> str:
        """Put the setting's words into ``{words.x}`` / ``{Words.x}``; other fields are left alone."""
        if "ords." not in text:
            return text
        words = self.words_for(known)
        out: list[str] = []
        for literal, name, spec, conversion in string.Formatter().parse(text):
            out.append(literal)
            if name is None:
                continue
            if name.startswith(("words.", "Words.")):
                value = words[name[6:]]
                out.append(value[:1].upper() + value[1:] if name[0] == "W" else value)
            else:  # another placeholder, left for the fact formatter
                out.append("{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}")
        return "".join(out)

    def setting_names(self) -> set[str]:
        return set(self.settings["unknown"])


def placeholder_ok(name: str, vocabulary: Vocabulary) -> bool:
    """True for ``words.x`` / ``Words.x`` naming a word every setting defines."""
    return name.startswith(("words.", "Words.")) and name[6:] in vocabulary.setting_names()


def load_vocabulary(path: Path, newer_facts_ok: bool = False) -> Vocabulary:
    """Read and check ``vocabulary.yaml``: every fact of the contract, every level and setting.
    ``newer_facts_ok``: a fact the contract gained after this file was written gets stand-in words
    (an older rulebook, for ``rules diff``; its rules cannot read that fact)."""
    if not path.exists():
        raise VocabularyError(f"{path.name}: missing; every fact needs its question and words")
    try:
        text = path.read_text(encoding="utf-8")
        raw = yamlsafe.load(text) or {}
    except yaml.YAMLError as exc:
        raise VocabularyError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise VocabularyError(f"{path.name}: expected sections 'levels', 'deadlines', 'settings', 'facts' and "
                              "'call_check' (and optional others: 'care_leaver_staying', 'asking', 'care_leaver_*')")
    facts = _facts(path.name, raw.get("facts") or {}, newer_ok=newer_facts_ok)
    vocabulary = Vocabulary(
        facts=facts,
        levels=_levels(path.name, raw.get("levels") or {}),
        deadlines=_deadlines(path.name, raw.get("deadlines") or {}),
        settings=(settings := _settings(path.name, raw.get("settings") or {})),
        call_check=_call_check(path.name, raw.get("call_check")),
        staying=_staying(path.name, raw.get("care_leaver_staying") or {}, settings),
        asking=_asking(path.name, raw.get("asking") or {}, text),
        under_18=_overlay(path.name, "care_leaver_under_18", raw, settings),
        age_not_given=_overlay(path.name, "care_leaver_age_not_given", raw, settings),
        filled_in=frozenset(path for path in facts if path not in (raw.get("facts") or {})),
        to_young_person=_to_young_person(path.name, raw.get("to_the_young_person")),
    )
    _check_question_words(path.name, vocabulary)
    return vocabulary


def _check_question_words(name: str, vocabulary: Vocabulary) -> None:
    """A question or hint may use the setting's words (``{words.plan}``), and nothing else: it is
    about a fact nobody has answered yet."""
    texts = [(f"facts.{path}.{field_name}", text) for path, words in vocabulary.facts.items()
             for field_name, text in (("ask", words.ask), ("hint", words.hint))]
    for where, text in texts + vocabulary.to_young_person.texts():
        try:
            used = [found for _, found, _, _ in string.Formatter().parse(text) if found is not None]
        except ValueError as exc:
            raise VocabularyError(f"{name}: {where}: {exc}") from None
        wrong = [found for found in used if not placeholder_ok(found, vocabulary)]
        if wrong:
            raise VocabularyError(f"{name}: {where}: {{{wrong[0]}}} is not a word every setting defines ({{words.NAME}})")


def _to_young_person(name: str, raw: Any) -> ToTheCaller:
    try:
        return load_to_the_young_person(raw, set(fact_paths()) | set(CALL_CHECK_FACTS),
                                        [str(k) for k in allowed_values("incident.kind") or []])
    except ValueError as exc:
        raise VocabularyError(f"{name}: {exc}") from None


def _facts(name: str, raw: dict[str, Any], paths: Any = None, section: str = "facts",
           newer_ok: bool = False) -> dict[str, FactWords]:
    paths = fact_paths() if paths is None else paths
    facts: dict[str, FactWords] = {}
    for path, body in raw.items():
        where = f"{name}: {section}.{path}"
        if path not in paths:
            raise VocabularyError(f"{where}: not a fact in the contract" if section == "facts"
                                  else f"{where}: not one of {list(paths)}")
        if not isinstance(body, dict) or not {"label", "ask"} <= set(body):
            raise VocabularyError(f"{where}: needs 'label' and 'ask'")
        unknown = set(body) - {"label", "ask", "hint", "unit", "values"}
        if unknown:
            raise VocabularyError(f"{where}: unknown entries {sorted(unknown)}")
        values = {str(k): str(v) for k, v in (body.get("values") or {}).items()}
        allowed = allowed_values(path) if section == "facts" else [True, False]  # the call check's own: yes/no
        if allowed is not None and allowed != [True, False]:
            missing = [str(v) for v in allowed if str(v) not in values]
            extra = sorted(set(values) - {str(v) for v in allowed})
            if missing or extra:
                raise VocabularyError(f"{where}: words needed for {missing}" if missing
                                      else f"{where}: {extra} are not values of this fact")
        facts[path] = FactWords(label=str(body["label"]), ask=str(body["ask"]), hint=str(body.get("hint", "")),
                                unit=str(body.get("unit", "")), values=values)
    absent = [path for path in paths if path not in facts]
    if absent and not newer_ok:
        raise VocabularyError(f"{name}: no words for {absent}")
    for path in absent:
        label = path.split(".", 1)[1].replace("_", " ").capitalize()
        facts[path] = FactWords(label=label, ask=f"{label}?",
                                values={str(v): str(v) for v in allowed_values(path) or []})
    return facts


def _levels(name: str, raw: dict[str, Any]) -> dict[Level, LevelWords]:
    levels: dict[Level, LevelWords] = {}
    for level in LEVEL_ORDER:
        body = raw.get(level.value)
        if not isinstance(body, dict) or set(body) != set(LEVEL_FIELDS):
            raise VocabularyError(f"{name}: levels.{level.value} needs exactly {list(LEVEL_FIELDS)}")
        levels[level] = LevelWords(**{k: str(body[k]) for k in LEVEL_FIELDS})
    return levels


def _deadlines(name: str, raw: dict[str, Any]) -> dict[str, str]:
    if set(raw) != set(DEADLINES):
        raise VocabularyError(f"{name}: deadlines needs exactly {list(DEADLINES)}")
    return {key: str(raw[key]) for key in DEADLINES}


def _settings(name: str, raw: dict[str, Any]) -> dict[str, dict[str, str]]:
    if not set(SETTING_KEYS) <= set(raw) <= set(SETTING_KEYS + OPTIONAL_SETTING_KEYS):
        raise VocabularyError(f"{name}: settings needs exactly {list(SETTING_KEYS)} "
                              f"(and may add {list(OPTIONAL_SETTING_KEYS)})")
    keys = [key for key in SETTING_KEYS + OPTIONAL_SETTING_KEYS if key in raw]
    names = set(raw["unknown"] or {})
    for key in keys:
        if set(raw[key] or {}) != names:
            raise VocabularyError(f"{name}: settings.{key} must define the same words as settings.unknown "
                                  f"({sorted(names ^ set(raw[key] or {}))} differ)")
    for key in keys:
        if key not in MANAGED_SETTINGS:
            for word, text in raw[key].items():
                if "registered manager" in str(text).lower():
                    raise VocabularyError(f"{name}: settings.{key}.{word}: no registered manager in this setting")
    return {key: {w: str(t) for w, t in raw[key].items()} for key in keys}


def _staying(name: str, raw: dict[str, Any], settings: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """``care_leaver_staying``: for a setting a care leaver can stay in, the words that are theirs."""
    staying: dict[str, dict[str, str]] = {}
    for key, words in raw.items():
        where = f"{name}: care_leaver_staying.{key}"
        if key not in LIVED_IN:
            raise VocabularyError(f"{where}: a care leaver can only stay in a children's home, "
                                  "supported accommodation or foster care")
        if not isinstance(words, dict) or not set(words) <= set(settings[key]):
            extra = sorted(set(words) - set(settings[key])) if isinstance(words, dict) else words
            raise VocabularyError(f"{where}: only words every setting defines ({extra} are not)")
        staying[key] = {**settings[key], **{w: str(t) for w, t in words.items()}}
    return staying


def _overlay(name: str, section: str, raw: dict[str, Any], settings: dict[str, dict[str, str]]) -> dict[str, str]:
    """An overlay (``care_leaver_under_18``, ``care_leaver_age_not_given``): words every setting defines."""
    words = raw.get(section) or {}
    if not isinstance(words, dict) or not set(words) <= set(settings["unknown"]):
        raise VocabularyError(f"{name}: {section}: only words every setting defines")
    return {w: str(t) for w, t in words.items()}


def _asking(name: str, raw: Any, text: str) -> dict[str, Asking]:
    """``asking`` (asking.py); a refusal names the file and the entry's line, as a rule's does."""
    try:
        return load_asking(raw, fact_paths(), [str(k) for k in allowed_values("incident.kind") or []])
    except AskingError as exc:
        raise VocabularyError(f"{name}:{yamlsafe.line_of(text, exc.keys)}: {exc}") from None


def _call_check(name: str, raw: Any) -> CallCheckWords:
    """``call_check``: each police response's label, the fixed phrases, the call-check-only facts."""
    where = f"{name}: call_check"
    if not isinstance(raw, dict) or set(raw) != {"responses", "phrases", "facts"}:
        raise VocabularyError(f"{where}: needs exactly 'responses', 'phrases' and 'facts'")
    responses = raw["responses"] or {}
    if set(responses) != set(RESPONSE_KINDS):
        raise VocabularyError(f"{where}.responses needs exactly {list(RESPONSE_KINDS)}")
    out: dict[str, ResponseWords] = {}
    for kind in RESPONSE_KINDS:
        body = responses[kind]
        fields = {"label"} if kind == "ask_first" else {"label", "becomes"}
        if not isinstance(body, dict) or set(body) != fields or not all(str(v).strip() for v in body.values()):
            raise VocabularyError(f"{where}.responses.{kind}: needs exactly {sorted(fields)}")
        out[kind] = ResponseWords(**{k: str(v) for k, v in body.items()})
    phrases = raw["phrases"] or {}
    if set(phrases) != set(CALL_PHRASES):
        raise VocabularyError(f"{where}.phrases needs exactly {list(CALL_PHRASES)}")
    for key, allowed in CALL_PHRASES.items():
        try:
            used = {field for _, field, _, _ in string.Formatter().parse(str(phrases[key])) if field is not None}
        except ValueError as exc:
            raise VocabularyError(f"{where}.phrases.{key}: {exc}") from None
        if not str(phrases[key]).strip() or used != set(allowed):
            raise VocabularyError(f"{where}.phrases.{key}: uses {sorted(used)}; it must use exactly {list(allowed)}")
    facts = _facts(name, raw["facts"] or {}, CALL_CHECK_FACTS, "call_check.facts")
    return CallCheckWords(responses=out, phrases={k: str(phrases[k]) for k in CALL_PHRASES}, facts=facts)
