"""JSON API of the reports: an organisation's reports and its territory (bearer token of a member), and the public
open data of the national statistics (JSON and CSV)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from base.http import LanguageDep, SessionDep
from credentials.reports import service
from credentials.reports.tables import Report
from issuers.http import PrincipalDep
from issuers.service import get_organisation

router = APIRouter(tags=["reports"])


def figures_cache(request: Request) -> service.FiguresCache | None:
    """The application's cache of published figures (volcred.app makes it)."""
    return getattr(request.app.state, "report_cache", None)


def _json_value(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


def report_view(report: Report) -> dict:
    """A report as JSON: the same tables and figures as the page (suppressed figures are null)."""
    return {
        "report": report.key,
        "title": report.title,
        "subtitle": report.subtitle,
        "figures": {key: _json_value(value) for key, _, value in report.figures},
        "tables": [
            {
                "key": table.key,
                "title": table.title,
                "counts": table.counts,
                "method": table.method,
                "suppressed": table.suppressed,
                "columns": [{"key": key, "label": label} for key, label in table.columns],
                "rows": [
                    {key: _json_value(v) for key, v in row.items()} | {"key": row_key}
                    for row, row_key in zip(table.records(), [*table.row_keys, "total"])
                ],
            }
            for table in report.tables
        ],
    }


@router.get(
    "/organisations/{slug}/reports/territory",
    summary="Volunteering in a municipality's territory across organisations (suppressed)",
)
def territory(
    request: Request,
    slug: str,
    session: SessionDep,
    principal: PrincipalDep,
    lang: LanguageDep,
    year: int | None = None,
):
    org = get_organisation(session, slug)
    chosen = service.choice(year)
    return report_view(service.territory_report(session, principal, org, chosen, lang, figures_cache(request)))


@router.get("/organisations/{slug}/reports/{report}", summary="One of an organisation's reports")
def organisation_report(
    slug: str,
    report: str,
    session: SessionDep,
    principal: PrincipalDep,
    lang: LanguageDep,
    year: int | None = None,
    grain: str | None = None,
    dimension: str | None = None,
):
    org = get_organisation(session, slug)
    chosen = service.choice(year, grain, dimension)
    return report_view(service.organisation_report(session, principal, org, report, chosen, lang))


@router.get("/statistics/data.json", summary="Open data: the national statistics of a year, a row per cell")
def open_data_json(request: Request, session: SessionDep, lang: LanguageDep, year: int | None = None):
    chosen = service.choice(year)
    rows = service.open_data(session, chosen, lang, figures_cache(request))
    return {
        "year": chosen.year,
        "fields": list(service.OPEN_DATA_FIELDS),
        "dictionary": "/statistics/dictionary",
        "rows": [{k: _json_value(v) for k, v in row.items()} for row in rows],
    }


@router.get("/statistics/data.csv", summary="Open data as CSV (`sep` , or ;), a row per cell", response_class=Response)
def open_data_csv(
    request: Request,
    session: SessionDep,
    lang: LanguageDep,
    year: int | None = None,
    sep: str = Query(",", pattern="^[,;]$"),
):
    chosen = service.choice(year)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=service.OPEN_DATA_FIELDS, delimiter=sep, lineterminator="\r\n")
    writer.writeheader()
    for row in service.open_data(session, chosen, lang, figures_cache(request)):
        writer.writerow({k: "" if v is None else str(v).lower() if isinstance(v, bool) else v for k, v in row.items()})
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="volunteering-{chosen.year}.csv"'},
    )
