"""Sources anyone can check (issue 13, item 1): every quote of the protocol or the leaflet in a rule,
action or parameter source is in the public text under docs/sources/, inside the cited section."""

from __future__ import annotations

from pathlib import Path

import pytest

from callguide.sources import check_directory, check_source, load_texts, quotes, sources_dir

ROOT = Path(__file__).resolve().parents[1]
RULE_DIRS = [ROOT / "rules", *sorted(p for p in (ROOT / "packs").glob("*") if p.is_dir())]


@pytest.fixture(scope="module")
def texts():
    directory = sources_dir()
    assert directory is not None and directory.resolve() == (ROOT / "docs" / "sources").resolve()
    return load_texts(directory)


@pytest.mark.parametrize("directory", RULE_DIRS, ids=lambda p: p.name)
def test_every_quote_is_in_its_document_and_nothing_cites_the_brief(directory, texts):
    assert check_directory(directory, texts) == []


def test_the_rulebook_quotes_the_documents(book):
    quoted = [q for rule in book.rules for q in quotes(rule.source)]
    assert {q.document for q in quoted} == {"protocol", "leaflet"}
    assert len(quoted) >= 10


def test_an_altered_quote_fails(edited_rules, texts):
    copy = edited_rules("reasonable-parent.yaml", "where a reasonable parent would not call the police",
                        "where a reasonable parent would call the police")
    problems = check_directory(copy, texts)
    assert len(problems) == 1
    assert problems[0].startswith("reasonable-parent.yaml: ") and "is not in Protocol §8.1" in problems[0]


def test_a_quote_from_the_wrong_section_fails(texts):
    # In the protocol, but in §8.1, not §8.3.
    assert check_source("Protocol §8.3 ('a reasonable parent would not call the police')", texts) == [
        "'a reasonable parent would not call the police' is not in Protocol §8.3"]
    assert check_source("Protocol §8.1 ('a reasonable parent would not call the police')", texts) == []
    assert check_source("Protocol §99 ('anything')", texts) == ["Protocol §99 does not exist"]


def test_whitespace_case_curly_quotes_and_ellipses_are_tolerated(texts):
    assert check_source("Protocol §8.2.3 (‘Would this be GOOD enough\n   for my child?’)", texts) == []
    assert check_source("Protocol §1 ('balances the rights and needs of ... any victims')", texts) == []
    # The ellipsis keeps order: the fragments the other way round are not a quote.
    assert check_source("Protocol §1 ('any victims ... balances the rights and needs of')", texts) != []


def test_the_leaflet_heading_and_quote_are_checked(texts):
    good = "leaflet, Role of the police: 'To be called where the situation cannot be safely managed'"
    assert check_source(good, texts) == []
    assert quotes(good)[0].section == "Role of the police"
    assert check_source("leaflet, Role of the teachers: 'Custody only used as a last resort'", texts) == [
        "the leaflet has no heading 'Role of the teachers'"]
    assert check_source("leaflet 'Custody only used as a first resort'", texts) == [
        "'Custody only used as a first resort' is not in the leaflet"]


def test_quotes_of_other_documents_and_apostrophes_are_not_protocol_quotes():
    assert quotes("Howard League: taking small sums from a carer's purse; Dorset 'slow time' protocol") == []
    assert quotes("DfE statutory guidance (2014): 'away from placement without authorisation'") == []
    found = quotes("Protocol §8.1 (the children's 'in house' responses); leaflet 'Restorative justice'")
    assert [(q.document, q.section, q.text) for q in found] == [
        ("protocol", "8.1", "in house"), ("leaflet", "", "Restorative justice")]


def test_the_brief_is_not_a_source(texts):
    assert check_source("DOMAIN: a weapon; Protocol §8.3", texts) == [
        "cites DOMAIN, which is not a public document"]


def test_no_rule_file_names_the_brief_even_in_a_comment():
    """A rule's reader looks up what its comments cite too: the public documents, never the brief."""
    from callguide.rulebook import default_rules_dir

    root = default_rules_dir().parent
    files = [*default_rules_dir().glob("*.yaml"), *(root / "packs").glob("*/*.yaml")]
    assert files
    named = [f"{path.name}:{n}" for path in files
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "DOMAIN" in line]
    assert named == []
