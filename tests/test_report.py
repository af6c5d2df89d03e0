"""The §4 monitoring arithmetic and page, the CLI (keys, report, erase) and the migrations (issue 6)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner

from callguide.cli import main
from callguide.records.auth import KeyStore
from callguide.records.config import Settings
from callguide.records.core import Records
from callguide.records.models import Base
from callguide.records.page import PAGE_CSP, render
from callguide.records.report import MEASURES, to_csv, to_text
from callguide.records.report import monitoring as suppressed_monitoring
from callguide.records.store import REPORT_COLUMNS
from test_records import postgres_schema


def monitoring(rows, **options):
    """The arithmetic, with disclosure control off (it has tests of its own below)."""
    return suppressed_monitoring(rows, **{"min_records": 1, **options})


def row(recommendation="no_police", child=None, placement="P1", location="in_placement", month=1,
        police_called=None, suspect=None, arrested=None, outcome=None, decisive=("rule-a",)):
    return SimpleNamespace(recommendation=recommendation, child_ref=child, placement_ref=placement,
                           location=location, created_at=datetime(2026, month, 15, tzinfo=timezone.utc),
                           police_called=police_called, suspect=suspect, arrested=arrested, outcome=outcome,
                           decisive_rules=list(decisive))


def test_the_report_reads_its_columns_and_not_the_facts():
    names = {column.key for column in REPORT_COLUMNS}
    assert "facts" not in names
    read = set(vars(row()))
    assert read == names  # row() builds exactly what monitoring() reads, so the test rows keep us honest


def test_people_are_distinct_children_and_occurrences_are_records():
    rows = [row(child="A", arrested=True, outcome="charge"), row(child="A", arrested=True, outcome="nfa"),
            row(child="B", arrested=True, outcome="nfa"), row(child=None, arrested=True)]
    total = monitoring(rows)["total"]
    assert total["arrest"] == {"occurrences": 4, "people": 2}
    assert total["nfa_arrest"] == {"occurrences": 2, "people": 2}
    assert total["charge"] == {"occurrences": 1, "people": 1}
    assert total["offender"] == {"occurrences": 1, "people": 1}
    assert total["suspect"] == {"occurrences": 4, "people": 2}


def test_splits_by_location_placement_and_month():
    rows = [row(location="community", placement="P2", month=3, outcome="outcome_20"),
            row(location=None, month=1, outcome="outcome_22"), row(month=3)]
    report = monitoring(rows)
    assert set(report["by_location"]) == {"community", "in_placement", "unknown"}
    assert report["by_location"]["community"]["outcome_20"]["occurrences"] == 1
    assert report["by_location"]["unknown"]["outcome_22"]["occurrences"] == 1
    assert list(report["by_placement"]) == ["P1", "P2"]
    assert list(report["by_month"]) == ["2026-01", "2026-03"]
    assert report["by_month"]["2026-03"]["questions"]["occurrences"] == 2


def test_police_called_against_the_recommendation_both_ways():
    rows = [row("no_police", police_called=True), row("no_police", police_called=False),
            row("call_999", police_called=False), row("call_101", police_called=False),
            row("call_101", police_called=True), row("report_later", police_called=True),
            row("call_999")]  # not said: not counted either way
    assert monitoring(rows)["against_recommendation"] == {
        "police_called_known": 6, "called_when_no_police_recommended": 1,
        "not_called_when_police_recommended": 2, "called_after_report_later": 1}


def test_rules_driving_police_involvement_rank_by_calls_then_recommendations():
    rows = [row("call_999", police_called=True, decisive=("weapon",)),
            row("call_101", police_called=True, decisive=("weapon", "victim-wants")),
            row("call_101", decisive=("victim-wants",)), row("call_101", decisive=("victim-wants",)),
            row("no_police", police_called=True, decisive=("low-damage",)),
            row("no_police", decisive=("parent-test",))]
    drivers = monitoring(rows)["rules_driving_police"]
    assert [(d["rule"], d["police_called"], d["recommended_police"]) for d in drivers] == [
        ("weapon", 2, 2), ("victim-wants", 1, 3), ("low-damage", 1, 0)]


def test_csv_has_one_row_per_figure_and_agrees_with_the_json():
    report = monitoring([row(child="A", arrested=True, outcome="nfa", police_called=True),
                         row(child="B", location="community", outcome="community_resolution")])
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert set(rows[0]) == {"dimension", "group", "measure", "target", "occurrences", "people"}
    total = [r for r in rows if r["dimension"] == "total"]
    assert len(total) == len(MEASURES)
    for r in total:
        assert int(r["occurrences"]) == report["total"][r["measure"]]["occurrences"]
        assert int(r["people"]) == report["total"][r["measure"]]["people"]
    targets = {r["measure"]: r["target"] for r in total}
    assert targets["arrest"] == "decrease" and targets["outcome_22"] == "increase"
    assert "Arrests that result in NFA" in to_text(report)


def test_cells_from_fewer_than_the_minimum_are_suppressed():
    """Statistical disclosure control: no filter narrows a figure down to one child."""
    rows = ([row(placement="BIG", child=f"C{i}", arrested=True, month=1) for i in range(6)]
            + [row(placement="SOLO", child="ONLY", arrested=True, outcome="charge", month=2)])
    report = suppressed_monitoring(rows)  # the default minimum: 5
    assert report["suppression"] == {"min_records": 5, "cells_suppressed": 2}
    assert report["total"]["arrest"] == {"occurrences": 7, "people": 7}
    assert report["by_placement"]["BIG"]["arrest"] == {"occurrences": 6, "people": 6}
    assert all(v == {"occurrences": None, "people": None} for v in report["by_placement"]["SOLO"].values())
    assert report["by_month"]["2026-02"]["charge"] == {"occurrences": None, "people": None}
    one = suppressed_monitoring(rows[-1:], placement="SOLO")  # narrowed to one child: nothing shows
    assert one["total"]["charge"]["occurrences"] is None and one["rules_driving_police"] == []
    assert set(one["against_recommendation"].values()) == {None} and one["records_without_child_ref"] is None
    assert "placement,SOLO,charge,decrease,," in to_csv(one) and "<min" in to_text(one)
    assert suppressed_monitoring([])["total"]["arrest"] == {"occurrences": 0, "people": 0}  # nobody: shown
    assert suppressed_monitoring(rows, min_records=8)["total"]["arrest"]["occurrences"] is None


# -- the page ------------------------------------------------------------------------------------------
HOSTILE = '<script>alert(1)</script>'


def test_the_page_escapes_every_value_it_shows():
    """Placements, rule ids, locations and the query string reach the page; none may become markup."""
    rows = [row(placement="P-1", location=f"odd_{HOSTILE}", decisive=(f"rule-{HOSTILE}",),
                recommendation="call_999", police_called=True) for _ in range(2)]
    report = monitoring(rows, placement=f"P{HOSTILE}")
    page = render(report, query='placement=P1&x="><img src=x onerror=alert(2)>')
    assert "<script" not in page and "<img src=x" not in page
    assert "placement P&lt;script&gt;alert(1)&lt;/script&gt;." in page
    assert "<code>rule-&lt;script&gt;alert(1)&lt;/script&gt;</code>" in page
    assert "<th scope=col>odd &lt;script&gt;" in page
    assert 'href="/v1/reports/monitoring?placement=P1&amp;x=&#34;&gt;&lt;img src=x onerror=alert(2)&gt;&amp;format=csv"' in page
    assert '<img src="data:image/svg+xml;base64,' in page  # the chart, drawn from the report, embedded


def test_the_page_shows_the_figures_with_suppressed_ones_as_min():
    rows = [row(child=f"C{i}", police_called=True, arrested=True) for i in range(5)] + [
        row(location="in_community", child="LONE")]
    page = render(suppressed_monitoring(rows), query="")
    arrests = re.search(r"<tr><th scope=row>Arrests</th>(.*?)</tr>", page).group(1)
    assert arrests == "<td>decrease</td><td>5</td><td>5</td><td>&lt;min</td><td>5</td>"  # total, community, placement
    assert "<th scope=col>in community</th><th scope=col>in placement</th>" in page
    assert "From the first record to today." in page and "fewer than 5 records" in page
    assert 'href="/v1/reports/monitoring?format=csv"' in page
    chart = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page)  # drawn from this report
    assert chart and "<svg" in base64.b64decode(chart.group(1)).decode()
    assert "chart.svg" not in page  # no second request, so no second build and audited read


def test_the_pages_inline_style_is_the_one_its_policy_allows():
    page = render(suppressed_monitoring([]), query="")
    styles = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    assert len(styles) == 1 and "<script" not in page
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}';" in PAGE_CSP and "unsafe-inline" not in PAGE_CSP
    assert "frame-ancestors 'none'" in PAGE_CSP and "default-src 'self'" in PAGE_CSP


# -- migrations ----------------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def migrated(request, tmp_path):
    def records_for(url):
        records = Records(Settings(database_url=url, retention_days=0))
        records.db.ready()
        return records

    if request.param == "sqlite":
        records = records_for(f"sqlite:///{tmp_path / 'm.db'}")
        yield records
        records.db.dispose()
        return
    with postgres_schema() as url:
        records = records_for(url)
        yield records
        records.db.dispose()


def test_migrations_build_exactly_the_models(migrated):
    def differences():
        with migrated.db.engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)

    assert differences() == []
    migrated.db._ready = False
    migrated.db.ready()  # running them again (another worker starting) changes nothing
    assert differences() == []


# -- the command line --------------------------------------------------------------------------------------
def test_cli_creates_keys_and_reports(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLGUIDE_REPORT_MIN_RECORDS", "1")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    created = runner.invoke(main, ["keys", "create", "--role", "analyst", "--label", "area analyst",
                                   "--database-url", url])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    records = Records(Settings(database_url=url))
    principal = KeyStore(records.db).authenticate(key)
    assert principal is not None and principal.role == "analyst"

    listed = runner.invoke(main, ["keys", "list", "--database-url", url])
    assert principal.key_id in listed.output and "analyst" in listed.output and key not in listed.output
    assert runner.invoke(main, ["keys", "revoke", principal.key_id, "--database-url", url]).exit_code == 0
    assert KeyStore(records.db).authenticate(key) is None
    assert runner.invoke(main, ["keys", "create", "--role", "root", "--database-url", url]).exit_code == 2

    from callguide.records.store import References

    for child in ("A", "A", "B"):
        records.store.save(kind="decision", facts={"incident": {"kind": "theft"}}, recommendation="no_police",
                           rules=["r"], decisive_rules=["r"], rulebook="sha256:x",
                           refs=References(placement_ref="P1", child_ref=child), key_id="k")
    out = runner.invoke(main, ["report", "--format", "json", "--database-url", url])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["total"]["questions"] == {"occurrences": 3, "people": 2}
    out = runner.invoke(main, ["report", "--format", "csv", "--placement", "P2", "--database-url", url])
    assert "total,all,questions,,0,0" in out.stdout
    assert runner.invoke(main, ["report", "--from", "yesterday", "--database-url", url]).exit_code == 2
    erased = runner.invoke(main, ["records", "erase", "--child-ref", "A", "--database-url", url])
    assert "erased 2 records" in erased.output
    assert records.store.count() == 1


# -- retention ---------------------------------------------------------------------------------------------
def test_start_up_purges_once_not_again_at_the_first_record(tmp_path):
    records = Records(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", retention_days=30))
    try:
        records.start()  # migrates and purges
        assert records.store.purge_due() is False  # the start-up purge counts: the next is due in an hour
    finally:
        records.db.dispose()


def test_cli_uses_callguide_database_url_without_the_option(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("CALLGUIDE_DATABASE_URL", url)
    created = CliRunner().invoke(main, ["keys", "create", "--role", "staff"])
    assert created.exit_code == 0, created.output
    records = Records(Settings(database_url=url))
    try:
        assert KeyStore(records.db).authenticate(created.stdout.strip()).role == "staff"
    finally:
        records.db.dispose()
