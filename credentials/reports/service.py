"""Use cases of the reports, shared by the JSON API, the pages and their downloads: an organisation's reports, a
municipality's view of its territory, and the national statistics with their open data.

An organisation's own reports show its figures as they are (its members know its volunteers). What leaves the
organisation (the territory view, the national page and open data) is suppressed: credentials.reports.disclosure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from cachetools import TTLCache
from sqlalchemy.orm import Session

from base.errors import UserError
from base.i18n import format_date, t
from catalogue import load_catalogue
from credentials.reports import store, summary
from credentials.reports.periods import GRAINS, Period, rounded, year_periods
from credentials.reports.store import Scope, domains_of_mission_types
from credentials.reports.tables import EMPTY, Aggregate, Report, Table, Value, one_way, period_grid
from issuers.auth import Principal
from issuers.municipalities import all_municipalities, find_municipality
from issuers.organisations import LEGAL_FORMS
from issuers.service import steward_municipalities
from issuers.store import OrganisationRow

ORGANISATION_REPORTS = ("activity", "hours", "popular", "statements", "missions", "annual")
DIMENSIONS = ("mission_type", "domain", "municipality")
NATIONAL_CUTS = ("month", "municipality", "domain", "mission_type", "organisation_type")
TERRITORY_CUTS = ("month", "domain", "mission_type", "organisation_type")
MUNICIPAL_FORM = "municipal-institution"
FIRST_YEAR = 2000
POPULAR_LIMIT = 10
STATISTICS_CACHE_SECONDS = 600


@dataclass(frozen=True)
class Choice:
    """What the reader picked: the year, the grain of the periods and the cut (validated)."""

    year: int
    grain: str = "month"
    dimension: str = "mission_type"


def choice(year: int | None, grain: str | None = None, dimension: str | None = None) -> Choice:
    today = date.today()
    chosen = Choice(year or today.year, grain or "month", dimension or "mission_type")
    errors = []
    if not FIRST_YEAR <= chosen.year <= today.year + 1:
        errors.append({"field": "year"})
    if chosen.grain not in GRAINS:
        errors.append({"field": "grain"})
    if chosen.dimension not in DIMENSIONS:
        errors.append({"field": "dimension"})
    if errors:
        raise UserError("reports.choice_invalid", errors=errors, first=FIRST_YEAR, last=today.year + 1)
    return chosen


# --- labels ----------------------------------------------------------------------------------------------------------


def value_labels(dimension: str, values: Sequence[str], lang: str) -> list[tuple[str, str]]:
    """(value, label) for the values of a cut in display order: the catalogue's order for domains, names for the rest."""
    catalogue = load_catalogue()
    if dimension == "domain":
        known = [(d.code, d.name.in_language(lang)) for d in catalogue.content.domains]
        extra = [(v, t("reports.other", lang)) for v in values if v not in {c for c, _ in known}]
        return [*known, *extra]
    if dimension == "municipality":
        return [(m.code, m.name(lang)) for m in all_municipalities()]
    if dimension == "organisation_type":
        return [(form, t(f"reports.legal_form.{form}", lang)) for form in LEGAL_FORMS]
    if dimension == "mission_type":
        names = {m.code: m.name.in_language(lang) for m in catalogue.content.mission_types}
        return sorted(((v, names.get(v, v)) for v in values), key=lambda item: item[1])
    return [(v, v) for v in sorted(values)]


def period_label(period: Period, lang: str) -> str:
    if len(period.key) == 7:  # a month, "2026-01"
        return format_date(period.first, lang, "LLLL y")
    return period.key


# --- the tables ------------------------------------------------------------------------------------------------------


def _hours_method(lang: str) -> str:
    return t("reports.method.pro_rata", lang)


def _counts(lang: str, *, credentials: bool = True) -> str:
    return t("reports.counts.records_credentials" if credentials else "reports.counts.records", lang)


def _cut_columns(lang: str) -> list[tuple[str, str]]:
    return [
        ("label", ""),
        ("volunteers", t("reports.column.volunteers", lang)),
        ("hours", t("reports.column.hours", lang)),
        ("credentials", t("reports.column.credentials", lang)),
    ]


Figures = dict[str, list[Aggregate]]


class FiguresCache:
    """Published figures (a territory's, the nation's) kept for a while: they are statistics of whole months, read
    by many and changed by few, and a national year is a scan of every record. An organisation's own reports are
    never cached (its members see their last change at once). One per application (app.state.report_cache)."""

    def __init__(self, seconds: float = STATISTICS_CACHE_SECONDS, size: int = 256):
        self._cache: TTLCache[object, Figures] = TTLCache(size, seconds)
        self._lock = threading.Lock()

    def get(self, key: object, compute: Callable[[], Figures]) -> Figures:
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            found = compute()
            with self._lock:
                self._cache[key] = found
        return found


def cut_figures(
    session: Session, scope: Scope, year: int, by: Sequence[str], cache: FiguresCache | None = None
) -> Figures:
    """A year's figures by month, by each cut of `by` and in total (credentials.reports.store.cuts)."""

    def compute() -> Figures:
        if scope.organisation_id is None:  # published figures: from the maintained summary
            return summary.cuts(session, scope, year, by)
        return store.cuts(session, scope, year_periods(year, "month"), by, domains_of_mission_types())

    return cache.get((scope, year, tuple(by)), compute) if cache is not None else compute()


def cut_table(figures: Figures, year: int, cut: str, lang: str, *, protect: bool, top: int | None = None) -> Table:
    """Volunteers, hours and credentials of the year by month or by a cut, with the year's total."""
    (total,) = figures["total"] or [EMPTY]
    if cut == "month":
        cells = {a.period: a for a in figures["month"]}
        labelled = [(p.key, period_label(p, lang)) for p in year_periods(year, "month")]
    else:
        cells = {a.value: a for a in figures[cut]}
        labelled = value_labels(cut, list(cells), lang)
        if top is not None:
            labelled = sorted(labelled, key=lambda item: (-cells.get(item[0], EMPTY).volunteers, item[1]))[:top]
            labelled = [item for item in labelled if item[0] in cells]
    columns = _cut_columns(lang)
    columns[0] = ("label", t(f"reports.cut.{cut}", lang))
    return one_way(
        f"by-{cut}",
        t(f"reports.table.by_{cut}", lang, year=str(year)),
        _counts(lang),
        columns,
        labelled,
        cells,
        total,
        total_label=t("reports.total", lang),
        method=_hours_method(lang),
        protect=protect,
        keep_empty=cut in ("month", "domain", "organisation_type") and top is None,
    )


def _figures_table(key: str, title: str, counts: str, figures: list[tuple[str, str, int]], lang: str) -> Table:
    columns = [("label", t("reports.column.figure", lang)), ("value", t("reports.column.value", lang))]
    return Table(
        key, title, counts, columns, [[label, value] for _, label, value in figures], row_keys=[k for k, *_ in figures]
    )


# --- an organisation's reports ---------------------------------------------------------------------------------------


def _organisation_scope(principal: Principal, org: OrganisationRow) -> Scope:
    if not principal.acts_for(org.id):
        raise UserError("org.not_found", kind="not_found", slug=org.slug)
    principal.require("records.read", org.id)
    return Scope(organisation_id=org.id)


def organisation_report(
    session: Session, principal: Principal, org: OrganisationRow, report: str, chosen: Choice, lang: str
) -> Report:
    scope = _organisation_scope(principal, org)
    if report not in ORGANISATION_REPORTS:
        raise UserError("reports.not_found", kind="not_found")
    build: dict[str, Callable[[], Report]] = {
        "activity": lambda: _activity(session, scope, chosen, lang),
        "hours": lambda: _hours(session, scope, chosen, lang),
        "popular": lambda: _popular(session, scope, chosen, lang),
        "statements": lambda: _statements(session, org, chosen, lang),
        "missions": lambda: _missions(session, org, chosen, lang),
        "annual": lambda: _annual(session, scope, chosen, lang),
    }
    built = build[report]()
    built.subtitle = f"{org.legal_name} · {built.subtitle}"
    return built


def _report(key: str, lang: str, year: int, tables: list[Table], figures: list | None = None) -> Report:
    return Report(key, t(f"reports.{key}.title", lang), str(year), tables, figures or [])


def _activity(session: Session, scope: Scope, chosen: Choice, lang: str) -> Report:
    year = year_periods(chosen.year, "year")[0]
    found = store.activity(session, scope, year)
    figures = [
        ("new", t("reports.activity.new", lang), found.new),
        ("active", t("reports.activity.active", lang), found.active),
        ("finished", t("reports.activity.finished", lang), found.finished),
    ]
    tables = [
        _figures_table(
            "volunteers",
            t("reports.activity.table", lang, year=str(chosen.year)),
            t("reports.counts.activity", lang),
            figures,
            lang,
        ),
        cut_table(cut_figures(session, scope, chosen.year, ()), chosen.year, "month", lang, protect=False),
    ]
    return _report("activity", lang, chosen.year, tables, figures)


def _hours(session: Session, scope: Scope, chosen: Choice, lang: str) -> Report:
    domains = domains_of_mission_types()
    over = year_periods(chosen.year, chosen.grain)
    cells = {(a.period, a.value): a for a in store.aggregate(session, scope, over, chosen.dimension, domains)}
    totals = {a.period: a for a in store.aggregate(session, scope, over, None, domains)}
    values = sorted({value for _, value in cells})
    labelled = [item for item in value_labels(chosen.dimension, values, lang) if item[0] in values]
    table = period_grid(
        f"hours-by-{chosen.dimension}",
        t("reports.hours.table", lang, cut=t(f"reports.cut.{chosen.dimension}", lang), year=str(chosen.year)),
        _counts(lang, credentials=False),
        t(f"reports.cut.{chosen.dimension}", lang),
        labelled,
        over,
        cells,
        totals,
        total_label=t("reports.total", lang),
        method=_hours_method(lang),
    )
    if chosen.grain == "month":
        table.columns = [table.columns[0], *((p.key, period_label(p, lang)) for p in over), table.columns[-1]]
    return _report("hours", lang, chosen.year, [table])


def _popular(session: Session, scope: Scope, chosen: Choice, lang: str) -> Report:
    cuts = ("mission", "mission_type", "domain")
    figures = cut_figures(session, scope, chosen.year, cuts)
    tables = [cut_table(figures, chosen.year, cut, lang, protect=False, top=POPULAR_LIMIT) for cut in cuts]
    return _report("popular", lang, chosen.year, tables)


def _statements(session: Session, org: OrganisationRow, chosen: Choice, lang: str) -> Report:
    found = store.statements(session, org.id, year_periods(chosen.year, "year")[0])
    figures = [
        (key, t(f"reports.statements.{key}", lang), getattr(found, key))
        for key in ("submitted", "approved", "returned", "waiting")
    ]
    table = _figures_table(
        "statements",
        t("reports.statements.table", lang, year=str(chosen.year)),
        t("reports.counts.statements", lang),
        figures,
        lang,
    )
    return _report("statements", lang, chosen.year, [table], figures)


def _missions(session: Session, org: OrganisationRow, chosen: Choice, lang: str) -> Report:
    """Planned against actual, mission by mission: the volunteers planned and those taking part, and the hours
    recorded on the mission (a mission plans no hours)."""
    found = store.missions_planned_actual(session, org.id, year_periods(chosen.year, "year")[0])
    columns = [
        ("label", t("reports.cut.mission", lang)),
        ("planned", t("reports.missions.planned", lang)),
        ("taking_part", t("reports.missions.taking_part", lang)),
        ("finished", t("reports.missions.finished", lang)),
        ("hours", t("reports.missions.hours", lang)),
    ]
    rows: list[list[Value]] = [
        [m.title, "" if m.planned is None else m.planned, m.taking_part, m.finished, rounded(m.hours)] for m in found
    ]
    table = Table(
        "missions",
        t("reports.missions.table", lang, year=str(chosen.year)),
        t("reports.counts.missions", lang),
        columns,
        rows,
        row_keys=[m.key for m in found],
    )
    return _report("missions", lang, chosen.year, [table])


def annual_figures(session: Session, scope: Scope, year: int, lang: str) -> list[tuple[str, str, int | object]]:
    """The figures the law asks an organiser to give in its annual report."""
    period = year_periods(year, "year")[0]
    (total,) = store.aggregate(session, scope, [period], None, domains_of_mission_types()) or [EMPTY]
    return [
        ("places", t("reports.annual.places", lang), store.volunteer_places(session, scope, period)),
        ("volunteers", t("reports.annual.volunteers", lang), total.volunteers),
        ("hours", t("reports.annual.hours", lang), rounded(total.hours)),
    ]


def _annual(session: Session, scope: Scope, chosen: Choice, lang: str) -> Report:
    figures = annual_figures(session, scope, chosen.year, lang)
    table = _figures_table(
        "annual",
        t("reports.annual.table", lang, year=str(chosen.year)),
        t("reports.counts.annual", lang),
        figures,
        lang,
    )  # type: ignore[arg-type]
    table.method = _hours_method(lang)
    return _report("annual", lang, chosen.year, [table], figures)


# --- a municipality's territory, the nation ---------------------------------------------------------------------------


def is_municipality(org: OrganisationRow) -> bool:
    return org.legal_form == MUNICIPAL_FORM


def territory_report(
    session: Session,
    principal: Principal,
    org: OrganisationRow,
    chosen: Choice,
    lang: str,
    cache: FiguresCache | None = None,
) -> Report:
    """Volunteering in the municipality's territory (records whose municipality is the organisation's), across all
    organisations, suppressed like the national figures. Only for an organisation of type municipality."""
    _organisation_scope(principal, org)
    if not is_municipality(org):
        raise UserError("reports.not_found", kind="not_found")
    return municipality_report(session, org.municipality, chosen, lang, cache)


def steward_report(
    session: Session, user_id: str, municipality: str, chosen: Choice, lang: str, cache: FiguresCache | None = None
) -> Report:
    """The territory view for a steward of the municipality (issuers.service.grant_steward); anyone else is told
    there is no such report."""
    if municipality not in steward_municipalities(session, user_id):
        raise UserError("reports.not_found", kind="not_found")
    return municipality_report(session, municipality, chosen, lang, cache)


def municipality_report(
    session: Session, municipality: str, chosen: Choice, lang: str, cache: FiguresCache | None = None
) -> Report:
    """Volunteering in a municipality's territory across all organisations, suppressed like the national figures
    (callers check who may see it)."""
    scope = Scope(municipality=municipality)
    figures = cut_figures(session, scope, chosen.year, TERRITORY_CUTS[1:], cache)
    tables = [cut_table(figures, chosen.year, cut, lang, protect=True) for cut in TERRITORY_CUTS]
    place = find_municipality(municipality)
    name = place.name(lang) if place else municipality
    return Report("territory", t("reports.territory.title", lang, name=name), str(chosen.year), tables)


def national_report(session: Session, chosen: Choice, lang: str, cache: FiguresCache | None = None) -> Report:
    """The public statistics of a year: every cut suppressed; pseudonymous and named volunteers counted alike."""
    figures = cut_figures(session, Scope(), chosen.year, NATIONAL_CUTS[1:], cache)
    tables = [cut_table(figures, chosen.year, cut, lang, protect=True) for cut in NATIONAL_CUTS]
    return Report("national", t("reports.national.title", lang), str(chosen.year), tables)


OPEN_DATA_FIELDS = ("year", "cut", "value", "label", "volunteers", "hours", "credentials", "suppressed")


def open_data(
    session: Session, chosen: Choice, lang: str, cache: FiguresCache | None = None
) -> list[dict[str, object]]:
    """The national report in long form, a row per cell (totals included): no personal data, suppressed figures
    empty and flagged."""
    rows: list[dict[str, object]] = []
    for table in national_report(session, chosen, lang, cache).tables:
        cut = table.key.removeprefix("by-")
        for value, row in zip([*table.row_keys, "total"], [*table.rows, table.total]):
            assert row is not None
            figures = dict(zip([k for k, _ in table.columns], row))
            rows.append(
                {
                    "year": chosen.year,
                    "cut": cut,
                    "value": value,
                    "label": row[0],
                    "volunteers": figures["volunteers"],
                    "hours": figures["hours"],
                    "credentials": figures["credentials"],
                    "suppressed": figures["volunteers"] is None,
                }
            )
    return rows


__all__ = ["Aggregate", "Choice", "Report", "Table"]
