"""``GET /v1/rules``, ``GET /v1/rules/{id}`` (the rulebook as people read it, with the words each
source quotes) and ``GET /v1/contacts`` (the area pack's local contacts)."""

from __future__ import annotations

import string
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from .decision import Decider
from .explanation import plain
from .facts import Level
from .packs import Contact
from .problems import Problems, json_response, not_found
from .releases import RulebookRelease
from .rulebook import Rule, Rulebook
from .sources import Quote, quotes


class RuleOut(BaseModel):
    id: str
    title: str
    reason: str = Field(description="Why the rule applies; {section.fact} is filled in from the facts in a decision.")
    source: str
    theme: str
    theme_title: str
    recommends: Level | None = None
    strength: str | None = None
    quotes: list[Quote] = Field(default_factory=list, description=(
        "The words of the protocol or leaflet that the source quotes, with the section (checked "
        "against the public texts in docs/sources)."))
    rulebook: str


class RuleList(BaseModel):
    rulebook: str
    rulebook_release: RulebookRelease | None = None
    pack: str | None = Field(None, description="The area pack applied to the national base, if any.")
    count: int
    rules: list[RuleOut]


class ContactList(BaseModel):
    rulebook: str
    pack: str | None = Field(None, description="The area pack the contacts come from; null for the national base.")
    contacts: dict[str, Contact]


class _Template(string.Formatter):
    """Fills ``{param.x}`` with the rulebook's value and leaves fact placeholders for the reader."""

    def __init__(self, book: Rulebook):
        self.book = book

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        if field_name.startswith("param.") and field_name[6:] in self.book.parameters:
            return plain(self.book.parameters[field_name[6:]].value), field_name
        return "{" + field_name + "}", field_name


def rule_out(rule: Rule, book: Rulebook) -> RuleOut:
    return RuleOut(id=rule.id, title=rule.title, reason=_Template(book).format(rule.because), source=rule.source,
                   theme=rule.theme, theme_title=book.themes.get(rule.theme, rule.theme),
                   recommends=rule.then.recommend, strength=rule.then.strength, quotes=quotes(rule.source),
                   rulebook=book.version)


def rules_router(decider: Decider) -> APIRouter:
    router = APIRouter(tags=["rules"])
    book = decider.book

    @router.get("/v1/rules", response_model=RuleList, response_model_exclude_none=True)
    def list_rules(theme: str | None = None) -> Response:
        """Every rule as people read it (id, title, reason, source, theme), and the rulebook version."""
        rules = [rule_out(rule, book) for rule in book.rules if theme is None or rule.theme == theme]
        return json_response(RuleList(rulebook=book.version, rulebook_release=book.release, pack=book.pack or None,
                              count=len(rules), rules=rules))

    @router.get("/v1/contacts", response_model=ContactList, response_model_exclude_none=True)
    def list_contacts() -> Response:
        """The area pack's local contacts that the actions name (a null phone: not yet confirmed by the area)."""
        return json_response(ContactList(rulebook=book.version, pack=book.pack or None, contacts=book.contacts),
                     exclude_none=False)

    @router.get("/v1/rules/{rule_id}", response_model=RuleOut, response_model_exclude_none=True,
                responses={404: {"model": Problems}})
    def get_rule(rule_id: str) -> Response:
        """One rule, by its stable id."""
        if rule_id not in book.by_id:
            return not_found("rule", rule_id)
        return json_response(rule_out(book.rule(rule_id), book))

    return router
