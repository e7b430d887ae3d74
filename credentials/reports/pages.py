"""Report pages: an organisation's reports in its workspace (/org/{slug}/reports/...), with their CSV, XLSX and PDF
downloads, a municipality's territory, and the public statistics (/statistics) with the open-data dictionary."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import pass_context
from weasyprint import CSS, HTML

from base.csrf import CSRF_PROTECTED
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.i18n import format_number, t
from base.web import STATIC_DIR, language_links, page, template_environment
from credentials.reports import service
from credentials.reports.api import figures_cache
from credentials.reports.charts import bar_chart
from credentials.reports.exports import report_csv, report_xlsx
from credentials.reports.periods import GRAINS
from credentials.reports.tables import Report
from issuers.http import SignedInDep, Workspace, WorkspaceDep
from issuers.municipalities import find_municipality
from issuers.service import steward_municipalities

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
templates = template_environment([Path(__file__).parent / "templates"])
PRINT_CSS = Path(__file__).parent / "templates" / "reports" / "print.css"


@pass_context
def _figure(context: Any, value: object) -> str:
    """A figure as shown: the language's number format, the suppression mark for a hidden one."""
    lang = context["lang"]
    if value is None:
        return t("reports.suppressed_mark", lang)
    if isinstance(value, Decimal):  # hours: always one decimal place, the language's way
        return format_decimal(value, format="#,##0.0", locale=lang)
    if isinstance(value, int) and not isinstance(value, bool):
        return format_number(value, lang)
    return str(value)


templates.globals["figure"] = _figure


def _charts(report: Report) -> dict[str, str]:
    return {table.key: svg for table in report.tables if (svg := bar_chart(table, table.title)) is not None}


def _form(chosen: service.Choice, lang: str, report: str) -> dict:
    years = list(range(chosen.year + 1, service.FIRST_YEAR - 1, -1))
    return {
        "year": chosen.year,
        "years": [(str(y), str(y)) for y in years[:12]],
        "grain": chosen.grain,
        "grains": [(g, t(f"reports.form.grain_{g}", lang)) for g in GRAINS] if report == "hours" else [],
        "dimension": chosen.dimension,
        "dimensions": [(d, t(f"reports.cut.{d}", lang)) for d in service.DIMENSIONS] if report == "hours" else [],
    }


def _downloads(base: str, request: Request) -> list[tuple[str, str]]:
    query = urlencode([(k, v) for k, v in request.query_params.items() if k in ("year", "grain", "dimension", "lang")])
    return [
        (f"{base}/export.csv?sep=,&{query}", "reports.download_csv_comma"),
        (f"{base}/export.csv?sep=;&{query}", "reports.download_csv_semicolon"),
        (f"{base}/export.xlsx?{query}", "reports.download_xlsx"),
        (f"{base}/export.pdf?{query}", "reports.download_pdf"),
    ]


def _build(request: Request, session: Any, ws: Workspace, report: str, chosen: service.Choice) -> Report:
    if report == "territory":
        return service.territory_report(session, ws.principal, ws.org, chosen, ws.lang, figures_cache(request))
    return service.organisation_report(session, ws.principal, ws.org, report, chosen, ws.lang)


@router.get("/org/{slug}/reports")
def reports_index(request: Request, ws: WorkspaceDep, lang: LanguageDep):
    ws.require("records.read")
    items = [
        (f"{ws.href('/reports/' + key)}?lang={lang}", t(f"reports.{key}.title", lang))
        for key in service.ORGANISATION_REPORTS
    ]
    if service.is_municipality(ws.org):
        items.append((f"{ws.href('/reports/territory')}?lang={lang}", t("reports.territory.link", lang)))
    return page(request, templates, "reports/index.html", lang=lang, ws=ws.view("reports"), items=items)


@router.get("/org/{slug}/reports/{report}")
def report_page(
    request: Request,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    report: str,
    year: int | None = None,
    grain: str | None = None,
    dimension: str | None = None,
):
    chosen = service.choice(year, grain, dimension)
    built = _build(request, session, ws, report, chosen)
    return page(
        request,
        templates,
        "reports/report.html",
        lang=lang,
        ws=ws.view("reports"),
        report=built,
        charts=_charts(built),
        form=_form(chosen, lang, report),
        action=ws.href(f"/reports/{report}"),
        downloads=_downloads(ws.href(f"/reports/{report}"), request),
        intro="reports.territory.intro" if report == "territory" else None,
    )


def _pdf(request: Request, report: Report, lang: str) -> bytes:
    html = templates.get_template("reports/print.html").render(
        lang=lang, language_links=language_links(str(request.url), lang), report=report, charts=_charts(report)
    )
    return HTML(string=html, base_url=str(STATIC_DIR)).write_pdf(
        stylesheets=[CSS(filename=str(STATIC_DIR / "site.css")), CSS(filename=str(PRINT_CSS))]
    )


def export(request: Request, report: Report, fmt: str, lang: str, sep: str, name: str) -> Response:
    """The report as a download: csv (sep , or ;), xlsx or pdf."""
    hidden = t("reports.suppressed_mark", lang)
    if fmt == "csv":
        if sep not in (",", ";"):
            raise UserError("reports.separator_invalid", errors=[{"field": "sep"}])
        body: bytes = report_csv(report, sep, hidden).encode("utf-8-sig")  # the BOM tells spreadsheets it is UTF-8
        media = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = report_xlsx(report, hidden)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "pdf":
        body = _pdf(request, report, lang)
        media = "application/pdf"
    else:
        raise UserError("reports.not_found", kind="not_found")
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/org/{slug}/reports/{report}/export.{fmt}")
def report_export(
    request: Request,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    report: str,
    fmt: str,
    year: int | None = None,
    grain: str | None = None,
    dimension: str | None = None,
    sep: str = ",",
):
    chosen = service.choice(year, grain, dimension)
    built = _build(request, session, ws, report, chosen)
    return export(request, built, fmt, lang, sep, f"{ws.slug}-{report}-{chosen.year}")


@router.get("/statistics", response_class=HTMLResponse)
def statistics(request: Request, session: SessionDep, lang: LanguageDep, year: int | None = None):
    chosen = service.choice(year)
    built = service.national_report(session, chosen, lang, figures_cache(request))
    return page(
        request,
        templates,
        "reports/statistics.html",
        lang=lang,
        report=built,
        charts=_charts(built),
        form=_form(chosen, lang, "national"),
        action="/statistics",
        downloads=[
            (f"/statistics/data.csv?year={chosen.year}&lang={lang}", "reports.download_csv_comma"),
            (f"/statistics/data.csv?year={chosen.year}&sep=;&lang={lang}", "reports.download_csv_semicolon"),
            (f"/statistics/data.json?year={chosen.year}&lang={lang}", "reports.open_data"),
            (f"/statistics/export.xlsx?year={chosen.year}&lang={lang}", "reports.download_xlsx"),
            (f"/statistics/export.pdf?year={chosen.year}&lang={lang}", "reports.download_pdf"),
        ],
        intro="reports.national.intro",
    )


@router.get("/statistics/export.{fmt}")
def statistics_export(
    request: Request, session: SessionDep, lang: LanguageDep, fmt: str, year: int | None = None, sep: str = ","
):
    chosen = service.choice(year)
    return export(
        request,
        service.national_report(session, chosen, lang, figures_cache(request)),
        fmt,
        lang,
        sep,
        f"statistics-{chosen.year}",
    )


@router.get("/steward", response_class=HTMLResponse)
def steward_index(request: Request, session: SessionDep, lang: LanguageDep, signed_in: SignedInDep):
    """The territories the signed-in person is steward of (none: told so)."""
    items = [
        (f"/steward/{code}?lang={lang}", place.name(lang) if (place := find_municipality(code)) else code)
        for code in steward_municipalities(session, signed_in.user.id)
    ]
    return page(request, templates, "reports/steward.html", lang=lang, items=items)


@router.get("/steward/{municipality}", response_class=HTMLResponse)
def steward_territory(
    request: Request,
    session: SessionDep,
    lang: LanguageDep,
    signed_in: SignedInDep,
    municipality: str,
    year: int | None = None,
):
    """A steward's view of the municipality's territory: the one its municipal organisation sees."""
    chosen = service.choice(year)
    built = service.steward_report(session, signed_in.user.id, municipality, chosen, lang, figures_cache(request))
    return page(
        request,
        templates,
        "reports/statistics.html",
        lang=lang,
        report=built,
        charts=_charts(built),
        form=_form(chosen, lang, "territory"),
        action=f"/steward/{municipality}",
        downloads=[
            (f"/steward/{municipality}/export.csv?year={chosen.year}&lang={lang}", "reports.download_csv_comma"),
            (
                f"/steward/{municipality}/export.csv?year={chosen.year}&sep=;&lang={lang}",
                "reports.download_csv_semicolon",
            ),
            (f"/steward/{municipality}/export.xlsx?year={chosen.year}&lang={lang}", "reports.download_xlsx"),
            (f"/steward/{municipality}/export.pdf?year={chosen.year}&lang={lang}", "reports.download_pdf"),
        ],
        intro="reports.territory.intro",
    )


@router.get("/steward/{municipality}/export.{fmt}")
def steward_export(
    request: Request,
    session: SessionDep,
    lang: LanguageDep,
    signed_in: SignedInDep,
    municipality: str,
    fmt: str,
    year: int | None = None,
    sep: str = ",",
):
    """The territory view as CSV, XLSX or PDF, as the organisations' reports are downloaded."""
    chosen = service.choice(year)
    built = service.steward_report(session, signed_in.user.id, municipality, chosen, lang, figures_cache(request))
    return export(request, built, fmt, lang, sep, f"{municipality}-{chosen.year}")


@router.get("/statistics/dictionary", response_class=HTMLResponse)
def dictionary(request: Request, lang: LanguageDep):
    fields = [(name, t(f"reports.dictionary.{name}", lang)) for name in service.OPEN_DATA_FIELDS]
    return page(request, templates, "reports/dictionary.html", lang=lang, fields=fields)
