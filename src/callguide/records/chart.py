"""The report page's chart, drawn by matplotlib (Agg, no screen) as SVG on the server."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)

CHART_MEASURES = ("police_called", "arrest", "charge", "community_resolution", "outcome_22", "outcome_20")


def monitoring_svg(report: dict[str, Any]) -> str:
    """Occurrences per month, and in placement vs in the community, for the §4 measures."""
    labels = {m["id"]: m["label"] for m in report["measures"]}
    fig = Figure(figsize=(10, 7), layout="constrained")
    top, bottom = fig.subplots(2, 1)
    months = list(report["by_month"])
    width = 0.8 / len(CHART_MEASURES)
    for i, measure in enumerate(CHART_MEASURES):
        values = [report["by_month"][m][measure]["occurrences"] or 0 for m in months]  # suppressed: no bar
        top.bar([x + i * width for x in range(len(months))], values, width, label=labels[measure])
    top.set_xticks([x + width * (len(CHART_MEASURES) - 1) / 2 for x in range(len(months))], months)
    top.set_title("Occurrences per month")
    top.set_ylabel("occurrences")
    top.legend(fontsize="small", ncols=3)
    locations = list(report["by_location"])
    for j, location in enumerate(locations):
        values = [report["by_location"][location][m]["occurrences"] or 0 for m in CHART_MEASURES]
        bottom.barh([y + j * 0.8 / max(len(locations), 1) for y in range(len(CHART_MEASURES))], values,
                    0.8 / max(len(locations), 1), label=location.replace("_", " "))
    bottom.set_yticks(range(len(CHART_MEASURES)), [labels[m] for m in CHART_MEASURES])
    bottom.invert_yaxis()
    bottom.set_title("In the placement vs in the community")
    bottom.set_xlabel("occurrences")
    if locations:
        bottom.legend(fontsize="small")
    out = io.StringIO()
    fig.savefig(out, format="svg")
    return out.getvalue()
