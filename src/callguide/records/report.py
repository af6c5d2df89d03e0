"""The Protocol §4 monitoring figures, from stored records.

Each measure is counted by occurrences (records) and by people (distinct child references;
records without one count as occurrences only), in total, inside the placement vs in the
community, per placement reference and per calendar month (UTC). Two more figures only
callguide can give: how often the police were called against the recommendation (both ways),
and which rules drive police involvement most.

Definitions where the protocol is silent:
- *suspect occurrence*: the provider said the child was a suspect, or the child was arrested,
  or the police recorded any outcome (an outcome needs a suspect);
- *offender occurrence*: an outcome that records the child as the offender (charge or summons,
  caution, community resolution);
- *police called against the recommendation*: called when callguide said ``no_police``, or not
  called when it said ``call_999``/``call_101``. Calls after ``report_later`` are counted on
  their own: the protocol leaves that to the manager next working day.

Statistical disclosure control (issue 12): every figure is built from a set of records (the
whole selection, one location, one placement, one month). A set smaller than ``min_records``
(``CALLGUIDE_REPORT_MIN_RECORDS``, default 5) has all its figures suppressed (``null``; "<min"
on the page and empty in the CSV), so that no filter narrows the report down to one child.
Zero records is not suppressed: an empty set describes nobody.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable

from .config import DEFAULT_REPORT_MIN_RECORDS
from .store import as_utc


POLICE_LEVELS = {"call_999", "call_101"}
OFFENDER_OUTCOMES = {"charge", "caution", "community_resolution"}


@dataclass(frozen=True)
class Measure:
    id: str
    label: str
    target: str          # decrease | increase | "" (context)
    test: Callable[[Any], bool]


def _suspect(r) -> bool:
    return bool(r.suspect) or bool(r.arrested) or r.outcome is not None


MEASURES: tuple[Measure, ...] = (
    Measure("questions", "Incidents asked about", "", lambda r: True),
    Measure("police_recommended", "Police recommended (999 or 101)", "",
            lambda r: r.recommendation in POLICE_LEVELS),
    Measure("police_called", "Police called", "", lambda r: r.police_called is True),
    Measure("suspect", "Suspect occurrences", "decrease", _suspect),
    Measure("offender", "Offender occurrences", "decrease", lambda r: r.outcome in OFFENDER_OUTCOMES),
    Measure("charge", "Charges / summons", "decrease", lambda r: r.outcome == "charge"),
    Measure("community_resolution", "Community resolutions", "increase",
            lambda r: r.outcome == "community_resolution"),
    Measure("outcome_22", "Outcome 22 (diversionary activity)", "increase", lambda r: r.outcome == "outcome_22"),
    Measure("outcome_20", "Outcome 20 (other agency has primacy)", "increase", lambda r: r.outcome == "outcome_20"),
    Measure("outcome_21", "Outcome 21 (not in the public interest)", "", lambda r: r.outcome == "outcome_21"),
    Measure("caution", "Cautions", "", lambda r: r.outcome == "caution"),
    Measure("arrest", "Arrests", "decrease", lambda r: r.arrested is True),
    Measure("nfa_arrest", "Arrests that result in NFA", "decrease",
            lambda r: r.arrested is True and r.outcome == "nfa"),
)


def _small(rows: list, min_records: int) -> bool:
    return 0 < len(rows) < min_records


def _tally(rows: list, min_records: int = 1) -> dict[str, dict[str, int | None]]:
    out: dict[str, dict[str, int | None]] = {}
    hidden = _small(rows, min_records)
    for m in MEASURES:
        hits = [r for r in rows if m.test(r)]
        out[m.id] = {"occurrences": None if hidden else len(hits),
                     "people": None if hidden else len({r.child_ref for r in hits if r.child_ref})}
    return out


def _grouped(rows: list, key: Callable[[Any], str], min_records: int) -> dict[str, dict[str, dict[str, int | None]]]:
    groups: dict[str, list] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return {name: _tally(groups[name], min_records) for name in sorted(groups)}


def monitoring(rows: Iterable, *, start: date | None = None, end: date | None = None,
               placement: str | None = None, top_rules: int = 20,
               min_records: int = DEFAULT_REPORT_MIN_RECORDS) -> dict[str, Any]:
    rows = list(rows)
    hidden = _small(rows, min_records)
    against = Counter()
    for r in rows:
        if r.police_called is None:
            continue
        against["police_called_known"] += 1
        if r.police_called and r.recommendation == "no_police":
            against["called_when_no_police_recommended"] += 1
        elif r.police_called and r.recommendation == "report_later":
            against["called_after_report_later"] += 1
        elif not r.police_called and r.recommendation in POLICE_LEVELS:
            against["not_called_when_police_recommended"] += 1
    recommended, called = Counter(), Counter()
    for r in rows:
        for rule in r.decisive_rules or []:
            if r.recommendation in POLICE_LEVELS:
                recommended[rule] += 1
            if r.police_called:
                called[rule] += 1
    drivers = [] if hidden else sorted(set(recommended) | set(called), key=lambda k: (-called[k], -recommended[k], k))
    report = {
        "period": {"from": start.isoformat() if start else None,
                   "to": end.isoformat() if end else None, "placement": placement},
        "measures": [{"id": m.id, "label": m.label, "target": m.target or None} for m in MEASURES],
        "total": _tally(rows, min_records),
        "by_location": _grouped(rows, lambda r: r.location or "unknown", min_records),
        "by_placement": _grouped(rows, lambda r: r.placement_ref or "(none)", min_records),
        "by_month": _grouped(rows, lambda r: as_utc(r.created_at).strftime("%Y-%m"), min_records),
        "against_recommendation": {k: None if hidden else against[k] for k in (
            "police_called_known", "called_when_no_police_recommended",
            "not_called_when_police_recommended", "called_after_report_later")},
        "rules_driving_police": [{"rule": k, "recommended_police": recommended[k],
                                  "police_called": called[k]} for k in drivers[:top_rules]],
        "records_without_child_ref": None if hidden else sum(1 for r in rows if not r.child_ref),
    }
    report["suppression"] = {"min_records": min_records, "cells_suppressed": _suppressed(report)}
    return report


def _suppressed(report: dict[str, Any]) -> int:
    tallies = [report["total"]] + [t for dim in ("by_location", "by_placement", "by_month")
                                   for t in report[dim].values()]
    return sum(1 for t in tallies if t["questions"]["occurrences"] is None)


CSV_COLUMNS = ("dimension", "group", "measure", "target", "occurrences", "people")


def to_csv(report: dict[str, Any]) -> str:
    """One row per figure, long format (loads straight into Qlik)."""
    targets = {m["id"]: m["target"] or "" for m in report["measures"]}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    sections = [("total", {"all": report["total"]})] + [
        (dim, report[f"by_{dim}"]) for dim in ("location", "placement", "month")]
    for dim, groups in sections:
        for group, tally in groups.items():
            for measure, counts in tally.items():
                writer.writerow([dim, group, measure, targets[measure], _cell(counts["occurrences"]),
                                 _cell(counts["people"])])
    for measure, n in report["against_recommendation"].items():
        writer.writerow(["against_recommendation", "all", measure, "", _cell(n), ""])
    for row in report["rules_driving_police"]:
        for measure in ("recommended_police", "police_called"):
            writer.writerow(["rules_driving_police", row["rule"], measure, "", row[measure], ""])
    return buf.getvalue()


def _cell(value: int | None) -> str | int:
    """A suppressed figure is an empty cell (Qlik reads it as missing, not as zero)."""
    return "" if value is None else value


def to_text(report: dict[str, Any]) -> str:
    period = report["period"]
    lines = [f"Monitoring (Protocol §4): {period['from'] or 'start'} to {period['to'] or 'now'}"
             + (f", placement {period['placement']}" if period["placement"] else "")]
    locations = list(report["by_location"])
    header = f"{'measure':42} {'target':9} {'all':>11}" + "".join(f" {loc:>14}" for loc in locations)
    lines += ["", "occurrences / people", header]
    for m in report["measures"]:
        def cell(t):
            c = t[m["id"]]
            return "<min" if c["occurrences"] is None else f"{c['occurrences']}/{c['people']}"
        lines.append(f"{m['label'][:42]:42} {m['target'] or '':9} {cell(report['total']):>11}"
                     + "".join(f" {cell(report['by_location'][loc]):>14}" for loc in locations))
    a = report["against_recommendation"]
    a = {k: "<min" if v is None else v for k, v in a.items()}
    lines += ["", f"Police called against the recommendation (of {a['police_called_known']} with a known answer):",
              f"  called when callguide said no police:      {a['called_when_no_police_recommended']}",
              f"  not called when callguide said call:       {a['not_called_when_police_recommended']}",
              f"  called after 'report later' (manager's call): {a['called_after_report_later']}"]
    if report["rules_driving_police"]:
        lines += ["", "Rules driving police involvement (recommended / called):"]
        lines += [f"  {r['rule']:40} {r['recommended_police']:>5} {r['police_called']:>5}"
                  for r in report["rules_driving_police"]]
    if report["by_placement"]:
        lines += ["", "Per placement (police called / arrests / charges):"]
        for name, t in report["by_placement"].items():
            figures = [t[m]["occurrences"] for m in ("police_called", "arrest", "charge")]
            lines.append(f"  {name:30} " + " ".join(f"{'<min' if v is None else v:>5}" for v in figures))
    lines += ["", f"Figures from fewer than {report['suppression']['min_records']} records are shown as <min."]
    return "\n".join(lines) + "\n"
