"""HTTP routes for records, outcomes, erasure and the monitoring report (issue 6).

| route | role |
|---|---|
| ``PATCH /v1/records/{id}`` (what actually happened) | staff |
| ``GET /v1/records``, ``GET /v1/records/{id}`` | admin (each read is audited) |
| ``DELETE /v1/records/{id}``, ``POST /v1/erasures`` (one child reference) | admin |
| ``GET /v1/reports/monitoring`` (JSON, or ``format=csv``), ``.../chart.svg`` | analyst, admin |
| ``GET /reports/monitoring`` (web page with the chart; browsers log in with Basic auth) | analyst, admin |
| ``GET /v1/audit`` | admin |
"""

from __future__ import annotations

import html
from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from . import report as reports
from .core import Records
from .store import REF_PATTERN, OutcomeOut, OutcomeUpdate, RecordOut, as_utc, audit_entries

READ_REPORT = ("analyst", "admin")


class Erasure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    child_ref: str = Field(pattern=REF_PATTERN, description="Erase every record with this child reference.")


class Erased(BaseModel):
    erased: int


class AuditOut(BaseModel):
    id: int
    at: datetime
    key_id: str
    action: str
    record_id: str | None
    count: int


def records_router(records: Records) -> APIRouter:
    router = APIRouter(tags=["records"])
    store, keys = records.store, records.keys

    def not_found(record_id: str) -> HTTPException:
        return HTTPException(404, detail=[{"field": "record_id", "message": f"there is no record {record_id!r}"}])

    @router.patch("/v1/records/{record_id}", response_model=OutcomeOut)
    def add_outcome(record_id: str, update: OutcomeUpdate, request: Request) -> OutcomeOut:
        """What actually happened (staff): police called or not, suspect, arrest, the police outcome.
        Returns only these fields: staff keys cannot read records back."""
        keys.require(request, "staff")
        out = store.update_outcome(record_id, update)
        if out is None:
            raise not_found(record_id)
        return out

    @router.get("/v1/records", response_model=list[RecordOut])
    def list_records(request: Request, start: date | None = Query(None, alias="from"),
                     end: date | None = Query(None, alias="to"), placement: str | None = None,
                     child_ref: str | None = None, limit: int = Query(100, ge=1, le=1000),
                     offset: int = Query(0, ge=0)) -> list[RecordOut]:
        """Records, oldest first (admin; the read is audited)."""
        who = keys.require(request, "admin")
        return store.list(who.key_id, start=start, end=end, placement=placement, child=child_ref,
                          limit=limit, offset=offset)

    @router.get("/v1/records/{record_id}", response_model=RecordOut)
    def get_record(record_id: str, request: Request) -> RecordOut:
        """One record (admin; the read is audited)."""
        who = keys.require(request, "admin")
        out = store.get(record_id, who.key_id)
        if out is None:
            raise not_found(record_id)
        return out

    @router.delete("/v1/records/{record_id}", status_code=204)
    def delete_record(record_id: str, request: Request) -> Response:
        """Delete one record (admin; audited)."""
        who = keys.require(request, "admin")
        if not store.delete(record_id, who.key_id):
            raise not_found(record_id)
        return Response(status_code=204)

    @router.post("/v1/erasures", response_model=Erased)
    def erase(erasure: Erasure, request: Request) -> Erased:
        """Erase everything held for one child reference (admin; audited by count only). The
        reference goes in the body, not the URL, so it never reaches an access log."""
        who = keys.require(request, "admin")
        return Erased(erased=store.erase_child(erasure.child_ref, who.key_id))

    @router.get("/v1/audit", response_model=list[AuditOut])
    def audit(request: Request, limit: int = Query(1000, ge=1, le=10000)) -> list[AuditOut]:
        """Who read or deleted records, newest first (admin)."""
        keys.require(request, "admin")
        return [AuditOut(id=e.id, at=as_utc(e.at), key_id=e.key_id, action=e.action, record_id=e.record_id,
                         count=e.count) for e in audit_entries(records.db, limit)]

    def build(request: Request, start: date | None, end: date | None, placement: str | None) -> dict[str, Any]:
        who = keys.require(request, *READ_REPORT)
        rows = store.rows_for_report(who.key_id, start=start, end=end, placement=placement)
        return reports.monitoring(rows, start=start, end=end, placement=placement)

    @router.get("/v1/reports/monitoring", tags=["reports"],
                responses={200: {"content": {"text/csv": {}}, "description": "The report (JSON or CSV)"}})
    def monitoring(request: Request, start: date | None = Query(None, alias="from", description="First day (UTC)."),
                   end: date | None = Query(None, alias="to", description="Last day, included (UTC)."),
                   placement: str | None = Query(None, description="One placement reference."),
                   format: Literal["json", "csv"] = "json") -> Any:
        """The Protocol §4 figures by people and occurrences, in placement vs community, per
        placement and per month; police called against the recommendation; the rules that drive
        police involvement (analyst or admin). ``format=csv`` gives one row per figure, for Qlik."""
        report = build(request, start, end, placement)
        if format == "csv":
            return Response(reports.to_csv(report), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="callguide-monitoring.csv"'})
        return report

    @router.get("/v1/reports/monitoring/chart.svg", tags=["reports"],
                responses={200: {"content": {"image/svg+xml": {}}}})
    def monitoring_chart(request: Request, start: date | None = Query(None, alias="from"),
                         end: date | None = Query(None, alias="to"), placement: str | None = None) -> Response:
        """The report's chart (matplotlib), as SVG."""
        from .chart import monitoring_svg

        return Response(monitoring_svg(build(request, start, end, placement)), media_type="image/svg+xml")

    @router.get("/reports/monitoring", include_in_schema=False, response_class=HTMLResponse)
    def monitoring_page(request: Request, start: date | None = Query(None, alias="from"),
                        end: date | None = Query(None, alias="to"), placement: str | None = None) -> HTMLResponse:
        from .chart import monitoring_svg

        report = build(request, start, end, placement)
        # Opened with Basic auth and shows placement references: not kept by caches, and the
        # page's address (its query names a placement) is not sent on to other sites.
        return HTMLResponse(_page(report, monitoring_svg(report), request.url.query),
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    return router


def _page(report: dict[str, Any], svg: str, query: str) -> str:
    esc = html.escape
    svg = svg[svg.find("<svg"):]  # drop the XML prologue to embed it inline
    period = report["period"]
    rows = "".join(
        f"<tr><th scope=row>{esc(m['label'])}</th><td>{esc(m['target'] or '')}</td>"
        f"<td>{report['total'][m['id']]['occurrences']}</td><td>{report['total'][m['id']]['people']}</td>"
        + "".join(f"<td>{t[m['id']]['occurrences']}</td>" for t in report["by_location"].values()) + "</tr>"
        for m in report["measures"])
    loc_heads = "".join(f"<th scope=col>{esc(loc.replace('_', ' '))}</th>" for loc in report["by_location"])
    a = report["against_recommendation"]
    drivers = "".join(f"<tr><td><code>{esc(r['rule'])}</code></td><td>{r['recommended_police']}</td>"
                      f"<td>{r['police_called']}</td></tr>" for r in report["rules_driving_police"])
    csv_link = "/v1/reports/monitoring?" + esc(query + ("&" if query else "") + "format=csv")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>callguide: monitoring (Protocol §4)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:70rem;margin:1rem auto;padding:0 1rem}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}}
th[scope=row],td:first-child{{text-align:left}}svg{{max-width:100%;height:auto}}</style></head>
<body><h1>Monitoring (Protocol §4)</h1>
<p>From {esc(period['from'] or 'the first record')} to {esc(period['to'] or 'today')}{
    ', placement ' + esc(period['placement']) if period['placement'] else ''}.
<a href="{csv_link}">Download CSV (for Qlik)</a></p>
<figure>{svg}<figcaption>Occurrences per month, and in the placement vs in the community.</figcaption></figure>
<table><caption>Occurrences and people</caption><thead><tr><th scope=col>Measure</th><th scope=col>Target</th>
<th scope=col>Occurrences</th><th scope=col>People</th>{loc_heads}</tr></thead><tbody>{rows}</tbody></table>
<h2>Police called against the recommendation</h2>
<p>Of {a['police_called_known']} records with a known answer: called when callguide said no police:
{a['called_when_no_police_recommended']}; not called when it said call: {a['not_called_when_police_recommended']};
called after "report later" (the manager's decision): {a['called_after_report_later']}.</p>
<h2>Rules driving police involvement</h2>
<table><thead><tr><th scope=col>Rule</th><th scope=col>Recommended police</th><th scope=col>Police called</th></tr></thead>
<tbody>{drivers}</tbody></table>
</body></html>"""
