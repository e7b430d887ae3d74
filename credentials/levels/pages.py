"""Recognition levels' pages: the platform administrator's schemes (`/admin/levels`, platform administrators only;
anyone else is answered as if the pages did not exist) and the signed-in volunteer's progress (`/my/levels`), where a
level reached is requested and its credential downloaded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from base.csrf import CSRF_PROTECTED
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.web import error_message, field_errors, page, see_other, template_environment
from catalogue import load_catalogue
from credentials.common import today_in_latvia
from credentials.levels import domain, service
from credentials.levels.certificate import level_certificate
from issuers.http import IssuerContextDep, SignedIn, SignedInDep

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
templates = template_environment(
    [
        Path(__file__).parent / "templates",
        Path(__file__).parent.parent / "holders" / "templates",
        Path(__file__).resolve().parent.parent.parent / "issuers" / "templates",
    ]
)
FORM_LEVELS = service.MAX_LEVELS


def levels_admin(signed_in: SignedInDep) -> SignedIn:
    if not signed_in.principal.can("platform.levels"):
        raise UserError("page.not_found", kind="not_found")
    return signed_in


LevelsAdminDep = Annotated[SignedIn, Depends(levels_admin)]


# --- the administrator's schemes ---------------------------------------------------------------------------------


def _domain_options(lang: str) -> list[tuple[str, str]]:
    return [(entry.code, entry.name.in_language(lang)) for entry in load_catalogue().domains]


def _scheme_form_page(
    request: Request,
    lang: str,
    admin: SignedIn,
    form: service.SchemeForm,
    action: str,
    *,
    error: UserError | None = None,
    editing: bool = False,
):
    levels = list(form.levels) + [service.LevelForm() for _ in range(FORM_LEVELS - len(form.levels))]
    errors = field_errors(error, lang) if error else {}
    return page(
        request,
        templates,
        "levels/admin_scheme.html",
        lang=lang,
        status_code=422 if error else 200,
        admin=admin,
        form=form,
        levels=levels[:FORM_LEVELS],
        action=action,
        editing=editing,
        periods=[(code, f"levels.period.{code}") for code in domain.PERIODS],
        domains=_domain_options(lang),
        languages=service.LANGUAGES,
        errors=errors,
        message=(None if errors else error_message(error, lang)) if error else None,
    )


async def _read_scheme_form(request: Request) -> service.SchemeForm:
    data = await request.form()

    def value(name: str) -> str:
        found = data.get(name, "")
        return found if isinstance(found, str) else ""

    return service.SchemeForm(
        name={lang: value(f"name_{lang}") for lang in service.LANGUAGES},
        period=value("period"),
        domains=[item for item in data.getlist("domains") if isinstance(item, str)],
        bonus_note={lang: value(f"bonus_{lang}") for lang in service.LANGUAGES},
        levels=[
            service.LevelForm(
                {lang: value(f"level_{i}_name_{lang}") for lang in service.LANGUAGES}, value(f"level_{i}_threshold")
            )
            for i in range(1, FORM_LEVELS + 1)
        ],
    )


@router.get("/admin/levels")
def schemes(request: Request, session: SessionDep, lang: LanguageDep, admin: LevelsAdminDep):
    items = [
        {"scheme": scheme, "levels": service.scheme_levels(session, scheme.id)}
        for scheme in service.list_schemes(session)
    ]
    return page(
        request,
        templates,
        "levels/admin_schemes.html",
        lang=lang,
        admin=admin,
        items=items,
        in_language=service.in_language,
    )


@router.get("/admin/levels/new")
def new_scheme(request: Request, lang: LanguageDep, admin: LevelsAdminDep):
    return _scheme_form_page(request, lang, admin, service.SchemeForm(), "/admin/levels")


@router.post("/admin/levels")
async def create_scheme(request: Request, session: SessionDep, lang: LanguageDep, admin: LevelsAdminDep):
    form = await _read_scheme_form(request)
    try:
        service.create_scheme(session, admin.principal, form)
    except UserError as error:
        if error.kind != "invalid":
            raise
        session.rollback()
        return _scheme_form_page(request, lang, admin, form, "/admin/levels", error=error)
    return see_other(f"/admin/levels?lang={lang}", notice="notice.level_scheme_saved")


@router.get("/admin/levels/{scheme_id}")
def edit_scheme(request: Request, scheme_id: str, session: SessionDep, lang: LanguageDep, admin: LevelsAdminDep):
    scheme = service.get_scheme(session, scheme_id)
    return _scheme_form_page(
        request, lang, admin, service.scheme_form_of(session, scheme), f"/admin/levels/{scheme.id}", editing=True
    )


@router.post("/admin/levels/{scheme_id}")
async def update_scheme(
    request: Request, scheme_id: str, session: SessionDep, lang: LanguageDep, admin: LevelsAdminDep
):
    form = await _read_scheme_form(request)
    try:
        service.update_scheme(session, admin.principal, scheme_id, form)
    except UserError as error:
        if error.kind != "invalid":
            raise
        session.rollback()
        return _scheme_form_page(request, lang, admin, form, f"/admin/levels/{scheme_id}", error=error, editing=True)
    return see_other(f"/admin/levels?lang={lang}", notice="notice.level_scheme_saved")


# --- the volunteer's progress ------------------------------------------------------------------------------------------


def _my_page(request: Request, session, lang: str, signed_in: SignedIn, error: UserError | None = None):
    found = service.progress(session, signed_in.user.id, today_in_latvia())
    catalogue = load_catalogue()
    domain_names = {entry.code: entry.name.in_language(lang) for entry in catalogue.domains}
    return page(
        request,
        templates,
        "levels/my_levels.html",
        lang=lang,
        status_code=409 if error else 200,
        signed_in=signed_in,
        is_platform_admin=signed_in.principal.is_platform_admin,
        progress=found,
        causes=service.cause_titles(session, [award for item in found for award in item.awards.values()]),
        domain_names=domain_names,
        in_language=service.in_language,
        period_text=service.period_text,
        message=error_message(error, lang) if error else None,
    )


@router.get("/my/levels")
def my_levels(request: Request, session: SessionDep, lang: LanguageDep, signed_in: SignedInDep):
    return _my_page(request, session, lang, signed_in)


@router.post("/my/levels/request")
def request_level(
    request: Request,
    session: SessionDep,
    ctx: IssuerContextDep,
    lang: LanguageDep,
    signed_in: SignedInDep,
    scheme_id: Annotated[str, Form(max_length=64)],
    level_id: Annotated[str, Form(max_length=64)],
):
    """For the signed-in volunteer only: the form names a scheme and a level, never whose."""
    try:
        service.request_level(
            session, ctx, signed_in.user, scheme_id, level_id, lang, today_in_latvia(), signed_in.principal
        )
    except UserError as error:
        if error.kind not in ("conflict", "not_found"):
            raise
        session.rollback()
        return _my_page(request, session, lang, signed_in, error)
    return see_other(f"/my/levels?lang={lang}", notice="notice.level_issued")


@router.get("/my/levels/{award_id}.pdf")
def level_pdf(award_id: str, session: SessionDep, ctx: IssuerContextDep, lang: LanguageDep, signed_in: SignedInDep):
    """The level's certificate, for the volunteer it was awarded to only (anyone else: not found)."""
    award = service.award_of_user(session, signed_in.user.id, award_id)
    pdf = level_certificate(session, ctx, award, lang)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="level-{award.id}.pdf"', "Cache-Control": "no-store"},
    )
