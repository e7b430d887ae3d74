"""The platform administrator's pages: organisations waiting for verification first, then all of them, each with
its registration number and how it checks; verify, suspend and reinstate (issuers.service.change_status, audited).
Anyone else is answered as if the pages did not exist (404)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Form, Query, Request

from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.paging import pager
from base.web import page, see_other
from issuers import service
from issuers.http import SignedIn, SignedInDep
from issuers.municipalities import all_municipalities, find_municipality
from issuers.organisations import ENTERPRISE_REGISTER_SEARCH, registration_number_problem
from issuers.pages.common import form_problem, page_router, templates

router = page_router()
PER_PAGE = 25
# The administrator's actions: the form's value -> (status it sets, statuses it applies to)
ACTIONS = {
    "verify": ("verified", ("pending",)),
    "suspend": ("suspended", ("verified",)),
    "reinstate": ("verified", ("suspended",)),
}


def platform_admin(signed_in: SignedInDep) -> SignedIn:
    if not signed_in.principal.can("platform.organisations"):
        raise UserError("page.not_found", kind="not_found")
    return signed_in


PlatformAdminDep = Annotated[SignedIn, Depends(platform_admin)]


def organisation_item(org, lang: str) -> dict:
    problem = registration_number_problem(org.registration_number)
    return {
        "slug": org.slug,
        "name": org.legal_name,
        "registration_number": org.registration_number,
        "legal_form": org.legal_form,
        "municipality": org.municipality,
        "contact_email": org.contact_email,
        "status": org.status,
        "created_at": org.created_at,
        "check_ok": problem is None,
        "check_message": problem,
        "register_href": ENTERPRISE_REGISTER_SEARCH.format(number=org.registration_number),
        "actions": [name for name, (_, applies) in ACTIONS.items() if org.status in applies],
    }


@router.get("/admin/organisations")
def organisations(
    request: Request,
    session: SessionDep,
    lang: LanguageDep,
    admin: PlatformAdminDep,
    q: Annotated[str, Query(max_length=200)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
):
    found = service.list_organisations(session, admin.principal, q, page_number, PER_PAGE)
    return page(
        request,
        templates,
        "issuers/admin_organisations.html",
        lang=lang,
        admin=admin,
        q=q,
        waiting=found.waiting,
        total=found.total,
        organisations=[organisation_item(org, lang) for org in found.rows],
        pager=pager(f"/admin/organisations?{urlencode({'q': q, 'lang': lang})}", page_number, found.total, PER_PAGE),
    )


@router.get("/admin/organisations/{slug}/{action}")
def confirm(request: Request, slug: str, action: str, session: SessionDep, lang: LanguageDep, admin: PlatformAdminDep):
    """The confirmation before a change of status: what it means, and the button that does it."""
    if action not in ACTIONS:
        raise UserError("page.not_found", kind="not_found")
    org = service.get_organisation(session, slug)
    return page(
        request,
        templates,
        "issuers/admin_confirm.html",
        lang=lang,
        admin=admin,
        action=action,
        org=organisation_item(org, lang),
    )


@router.post("/admin/organisations/{slug}/{action}")
def change_status(
    slug: str,
    action: str,
    session: SessionDep,
    lang: LanguageDep,
    admin: PlatformAdminDep,
    confirmed: Annotated[str, Form(max_length=10)] = "",
):
    if action not in ACTIONS:
        raise UserError("page.not_found", kind="not_found")
    if confirmed != "yes":
        return see_other(f"/admin/organisations/{slug}/{action}?lang={lang}")
    service.change_status(session, admin.principal, slug, ACTIONS[action][0])
    return see_other(f"/admin/organisations?lang={lang}", notice=f"notice.organisation_{action}")


# --- stewards of municipalities: they see the volunteering in a territory across organisations ----------------------


def _stewards_page(request: Request, session, lang: str, admin: SignedIn, status_code: int = 200, **context):
    return page(
        request,
        templates,
        "issuers/admin_stewards.html",
        lang=lang,
        status_code=status_code,
        admin=admin,
        stewards=[
            {**vars(s), "place": place.name(lang) if (place := find_municipality(s.municipality)) else s.municipality}
            for s in service.list_stewards(session, admin.principal)
        ],
        municipalities=[(m.code, m.name(lang)) for m in all_municipalities()],
        values=context.pop("values", {"email": "", "municipality": ""}),
        **({"error": None, "errors": {}} | context),
    )


@router.get("/admin/stewards")
def stewards(request: Request, session: SessionDep, lang: LanguageDep, admin: PlatformAdminDep):
    return _stewards_page(request, session, lang, admin)


@router.post("/admin/stewards")
def grant_steward(
    request: Request,
    session: SessionDep,
    lang: LanguageDep,
    admin: PlatformAdminDep,
    email: Annotated[str, Form(max_length=254)] = "",
    municipality: Annotated[str, Form(max_length=80)] = "",
):
    try:
        service.grant_steward(session, admin.principal, email, municipality)
    except UserError as error:
        if error.kind not in ("invalid", "conflict"):
            raise
        session.rollback()
        message, errors = form_problem(error, lang)
        values = {"email": email, "municipality": municipality}
        return _stewards_page(request, session, lang, admin, 422, error=message, errors=errors, values=values)
    return see_other(f"/admin/stewards?lang={lang}", notice="notice.steward_granted")


@router.post("/admin/stewards/{user_id}/{municipality}/revoke")
def revoke_steward(user_id: str, municipality: str, session: SessionDep, lang: LanguageDep, admin: PlatformAdminDep):
    service.revoke_steward(session, admin.principal, user_id, municipality)
    return see_other(f"/admin/stewards?lang={lang}", notice="notice.steward_revoked")
