"""HTTP routes for records, outcomes, erasure and the monitoring report (issue 6).

| route | role |
|---|---|
| ``PATCH /v1/records/{id}`` (what actually happened) | staff |
| ``GET /v1/records``, ``GET /v1/records/{id}`` | admin (each read is audited) |
| ``DELETE /v1/records/{id}``, ``POST /v1/erasures`` (one child reference) | admin |
| ``GET /v1/reports/monitoring`` (JSON, or ``format=csv``), ``.../chart.svg`` | analyst, admin |
| ``GET /reports/monitoring`` (web page with the chart; browsers log in with Basic auth) | analyst, admin |
| ``GET /v1/audit`` | admin |

:func:`install_records` wires them into an app with the :class:`~.core.Records` they serve. The
dependency is one way: this module uses core, core never uses this module.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from . import page
from . import report as reports
from .auth import Principal, permit, presented_key, unauthorised
from .config import Settings
from .core import Records
from .guard import RecordsUnavailable
from .logfilter import install_log_hygiene
from .store import (RECORD_ID_PATTERN, REF_PATTERN, OutcomeOut, OutcomeUpdate, RecordOut, as_utc,
                    audit_entries)

READ_REPORT = ("analyst", "admin")
MAX_OFFSET = 10_000_000
RETRY_AFTER_SECONDS = 5


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
    detail: dict[str, Any] | None = Field(None, description="For outcome changes and deletions: the outcome "
                                                            "fields before and after.")


def unavailable(request: Request, exc: RecordsUnavailable) -> JSONResponse:
    """503 for the records routes when the database is not answering (decisions are unaffected)."""
    return JSONResponse(status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, content={"detail": [
        {"field": "(records)", "message": f"records are unavailable just now ({exc.reason}); decisions are "
                                          f"unaffected; try again in a few seconds"}]})


async def authenticated(records: Records, request: Request) -> Principal:
    """The caller, if their key is valid: 401, 429 (too many invalid keys) or 503 otherwise."""
    key = presented_key(request)
    if key is None:
        raise unauthorised("an API key is needed")
    client = request.client.host if request.client else "-"
    if records.logins.blocked(client):
        raise HTTPException(429, detail=[{"field": "authorization", "message":
                                          "too many invalid keys from this client; wait a minute"}],
                            headers={"Retry-After": "60"})
    principal = await records.run(records.keys.authenticate, key, client)
    if principal is None:
        raise unauthorised("the API key is not valid")
    return principal


async def authorise(records: Records, request: Request, *roles: str) -> Principal:
    """The caller, if their key is valid and has one of ``roles``: 401, 403, 429 or 503 otherwise."""
    return permit(await authenticated(records, request), *roles)


def _period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise HTTPException(422, detail=[{"field": "from", "message": "must not be after 'to'"}])


def RecordId() -> Any:  # noqa: N802 - a fresh parameter object per use (FastAPI keeps state on them)
    return Path(pattern=RECORD_ID_PATTERN, description="The record's id (a UUID).")


def Ref() -> Any:  # noqa: N802
    return Query(None, pattern=REF_PATTERN)


def records_router(records: Records) -> APIRouter:
    router = APIRouter(tags=["records"])
    store = records.store

    def not_found(record_id: str) -> HTTPException:
        return HTTPException(404, detail=[{"field": "record_id", "message": f"there is no record {record_id!r}"}])

    @router.patch("/v1/records/{record_id}", response_model=OutcomeOut)
    async def add_outcome(update: OutcomeUpdate, request: Request, record_id: str = RecordId()) -> OutcomeOut:
        """What actually happened (staff, for their own provider's records): police called or not,
        suspect, arrest, the police outcome. Each change is audited with before and after. Returns
        only these fields: staff keys cannot read records back."""
        who = await authorise(records, request, "staff")
        out = await records.run(store.update_outcome, record_id, update, who)
        if out is None:
            raise not_found(record_id)
        if out == "other-provider":
            raise HTTPException(403, detail=[{"field": "record_id", "message":
                                              "this record was made by another provider; only its own "
                                              "provider's keys may add what happened"}])
        return out

    @router.get("/v1/records", response_model=list[RecordOut])
    async def list_records(request: Request, start: date | None = Query(None, alias="from"),
                           end: date | None = Query(None, alias="to"), placement: str | None = Ref(),
                           child_ref: str | None = Ref(), limit: int = Query(100, ge=1, le=1000),
                           offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[RecordOut]:
        """Records, oldest first (admin; the read is audited)."""
        _period(start, end)
        who = await authorise(records, request, "admin")
        return await records.run(lambda: store.list(who.key_id, start=start, end=end, placement=placement,
                                                    child=child_ref, limit=limit, offset=offset))

    @router.get("/v1/records/{record_id}", response_model=RecordOut)
    async def get_record(request: Request, record_id: str = RecordId()) -> RecordOut:
        """One record (admin; the read is audited)."""
        who = await authorise(records, request, "admin")
        out = await records.run(store.get, record_id, who.key_id)
        if out is None:
            raise not_found(record_id)
        return out

    @router.delete("/v1/records/{record_id}", status_code=204)
    async def delete_record(request: Request, record_id: str = RecordId()) -> Response:
        """Delete one record (admin; audited, with its outcome fields as they were)."""
        who = await authorise(records, request, "admin")
        if not await records.run(store.delete, record_id, who.key_id):
            raise not_found(record_id)
        return Response(status_code=204)

    @router.post("/v1/erasures", response_model=Erased)
    async def erase(erasure: Erasure, request: Request) -> Erased:
        """Erase everything held for one child reference (admin; audited by count only). The
        reference goes in the body, not the URL, so it never reaches an access log."""
        who = await authorise(records, request, "admin")
        return Erased(erased=await records.run(store.erase_child, erasure.child_ref, who.key_id))

    @router.get("/v1/audit", response_model=list[AuditOut])
    async def audit(request: Request, limit: int = Query(1000, ge=1, le=10000)) -> list[AuditOut]:
        """Who read, changed or deleted records, newest first (admin)."""
        await authorise(records, request, "admin")
        entries = await records.run(audit_entries, records.db, limit)
        return [AuditOut(id=e.id, at=as_utc(e.at), key_id=e.key_id, action=e.action, record_id=e.record_id,
                         count=e.count, detail=e.detail) for e in entries]

    async def build(request: Request, start: date | None, end: date | None, placement: str | None) -> dict[str, Any]:
        _period(start, end)
        who = await authorise(records, request, *READ_REPORT)
        rows = await records.run(lambda: store.rows_for_report(who.key_id, start=start, end=end,
                                                               placement=placement))
        return await run_in_threadpool(lambda: reports.monitoring(  # arithmetic over every row: off the loop
            rows, start=start, end=end, placement=placement, min_records=records.settings.report_min_records))

    @router.get("/v1/reports/monitoring", tags=["reports"],
                responses={200: {"content": {"text/csv": {}}, "description": "The report (JSON or CSV)"}})
    async def monitoring(request: Request,
                         start: date | None = Query(None, alias="from", description="First day (UTC)."),
                         end: date | None = Query(None, alias="to", description="Last day, included (UTC)."),
                         placement: str | None = Query(None, pattern=REF_PATTERN,
                                                       description="One placement reference."),
                         format: Literal["json", "csv"] = "json") -> Any:
        """The Protocol §4 figures by people and occurrences, in placement vs community, per
        placement and per month; police called against the recommendation; the rules that drive
        police involvement (analyst or admin). ``format=csv`` gives one row per figure, for Qlik.
        Any figure built from fewer than CALLGUIDE_REPORT_MIN_RECORDS records (default 5) is
        suppressed (null), so that no filter can single out a child."""
        report = await build(request, start, end, placement)
        if format == "csv":
            return Response(reports.to_csv(report), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="callguide-monitoring.csv"'})
        return report

    @router.get("/v1/reports/monitoring/chart.svg", tags=["reports"],
                responses={200: {"content": {"image/svg+xml": {}}}})
    async def monitoring_chart(request: Request, start: date | None = Query(None, alias="from"),
                               end: date | None = Query(None, alias="to"), placement: str | None = Ref()) -> Response:
        """The report's chart (matplotlib), as SVG (the web page embeds its own: this is a read
        of its own, audited as one)."""
        from .chart import monitoring_svg

        report = await build(request, start, end, placement)
        return Response(await run_in_threadpool(monitoring_svg, report), media_type="image/svg+xml")

    @router.get("/reports/monitoring", include_in_schema=False, response_class=HTMLResponse)
    async def monitoring_page(request: Request, start: date | None = Query(None, alias="from"),
                              end: date | None = Query(None, alias="to"), placement: str | None = Ref()) -> HTMLResponse:
        report = await build(request, start, end, placement)
        # The chart is drawn from this same report and embedded in the page (page.py): one view,
        # one build, one audited read. Opened with Basic auth and shows placement references: not
        # kept by caches, and the page's address (its query names a placement) is not sent on to
        # other sites.
        html = await run_in_threadpool(page.render, report, request.url.query)  # matplotlib: off the loop
        return HTMLResponse(html,
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                     "Content-Security-Policy": page.PAGE_CSP})

    return router


def install_records(app: FastAPI, settings: Settings | None = None) -> Records:
    """Add the records, reports and erasure routes; migrate and purge at start-up (or once the
    database answers)."""
    records = Records(settings)
    app.state.records = records
    app.include_router(records_router(records))
    app.add_exception_handler(RecordsUnavailable, unavailable)
    inner = app.router.lifespan_context
    app.router.lifespan_context = lambda a: records.lifespan(a, inner)
    install_log_hygiene()
    return records
