"""Whose words an answer uses: the setting where the young person lives, a care leaver's own home,
and whether they are an adult or a child (vocabulary.py fills the words these choose)."""

from __future__ import annotations

from typing import Any, Mapping

# The settings a young person lives in with carers or staff (a care leaver may stay on in one).
LIVED_IN = ("childrens_home", "supported_accommodation", "foster_care")


def setting_key(known: Mapping[str, Any]) -> str:
    """Whose words apply: the setting where the young person lives, or a care leaver's own home.

    A care leaver living in a children's home, supported accommodation or foster care ("staying
    put") keeps that setting's words for the people around them (``Vocabulary.words_for`` puts
    a care leaver's own words over them: a personal adviser and a pathway plan); elsewhere
    (``other`` or not said) a care leaver's own. A child known to be looked after (or under 16, too
    young to have left care) living somewhere else (``other``: with family, at a residential school)
    has a social worker, never a personal adviser or a registered manager; so has such a child
    whose setting nobody said (``looked_after_unknown``).
    """
    kind = known.get("setting.type")
    if kind in LIVED_IN:
        return kind
    if adult(known):
        return "care_leaver"
    age = known.get("person.age")
    if known.get("person.status") == "looked_after" or (isinstance(age, int) and age < 16):
        return "looked_after_elsewhere" if kind == "other" else "looked_after_unknown"
    return "unknown"


def adult(known: Mapping[str, Any]) -> bool:
    """A care leaver, or 18 or over (a child is under 18: Children Act 1989 s.105): the words are an
    adult's, as the rulebook's ``care_leaver`` finding (roles.yaml) says; a care leaver of 16 or 17 keeps a
    personal adviser's words though the rules treat them as a child (``child``)."""
    age = known.get("person.age")
    return known.get("person.status") == "care_leaver" or (isinstance(age, int) and age >= 18)


def relevant_child(known: Mapping[str, Any]) -> bool:
    """A care leaver known to be 16 or 17 (Children Act 1989 s.23A): a personal adviser's words, a child's."""
    age = known.get("person.age")
    return known.get("person.status") == "care_leaver" and isinstance(age, int) and age < 18


def care_leaver_age_not_given(known: Mapping[str, Any]) -> bool:
    """A care leaver whose age nobody gave: 16 or 17 (a child) or an adult. The rules answer them as a
    child until it is known (roles.yaml); their words fit either (``care_leaver_age_not_given``)."""
    return known.get("person.status") == "care_leaver" and not isinstance(known.get("person.age"), int)
