"""The way in: the public landing page, signing in and out, registering an organisation, a forgotten password,
joining an organisation by invitation, and the way to one's organisation.

Organisers work in /org/{slug}/... (the sections' pages live with their packages, the dashboard at /org/{slug} with
the data it shows in credentials.missions.pages; settings in settings.py).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request
from fastapi.responses import RedirectResponse

from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.i18n import messages
from base.web import PRIVATE_PAGE, error_message, page, see_other
from issuers import service
from issuers.http import (
    IssuerContextDep,
    OptionalSignedInDep,
    SignedInDep,
    clear_session_cookie,
    session_token,
    set_session_cookie,
)
from issuers.municipalities import all_municipalities
from issuers.organisations import LEGAL_FORMS, OrganisationInput
from issuers.pages.common import form_problem, page_router, require_same_passwords, templates
from issuers.store import OrganisationRow

router = page_router()

Text = Annotated[str, Form(max_length=300)]
Password = Annotated[str, Form(max_length=1024)]


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never `//elsewhere` or a full URL)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/dashboard"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/dashboard"


def private(response):
    response.headers.update(PRIVATE_PAGE)
    return response


def signed_in_response(request: Request, url: str, secret: str, notice: str | None = None) -> RedirectResponse:
    response = see_other(url, notice=notice)
    set_session_cookie(request, response, secret)
    return response


@router.get("/")
def landing(request: Request, lang: LanguageDep, signed_in: OptionalSignedInDep):
    """What the service is, for anyone: verify a credential, browse the catalogue, sign in or register."""
    return page(request, templates, "issuers/landing.html", lang=lang, signed_in=signed_in is not None)


@router.get("/login")
def login_page(request: Request, lang: LanguageDep, signed_in: OptionalSignedInDep, next: str | None = None):
    if signed_in is not None:
        return see_other(safe_next(next))
    return page(request, templates, "issuers/login.html", lang=lang, next=safe_next(next), email="", error=None)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    lang: LanguageDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Password = "",
    next: Annotated[str, Form(max_length=2000)] = "",
):
    try:
        token = service.login_throttled(session, request.app.state.throttle, email, password)
    except UserError as error:
        if error.kind not in ("unauthorised", "too_many_requests"):
            raise
        status = 429 if error.kind == "too_many_requests" else 401
        return page(
            request,
            templates,
            "issuers/login.html",
            lang=lang,
            status_code=status,
            next=safe_next(next),
            email=email,
            error=error_message(error, lang),
        )
    return signed_in_response(request, safe_next(next), token)


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> RedirectResponse:
    service.logout(session, session_token(request))
    response = see_other("/login", notice="notice.signed_out")
    clear_session_cookie(response)
    return response


@router.get("/dashboard")
def dashboard(request: Request, signed_in: SignedInDep, lang: LanguageDep):
    """Straight to one's organisation; a choice when there are several; the way to register one when none."""
    if len(signed_in.memberships) == 1:
        return see_other(f"/org/{signed_in.memberships[0].slug}?lang={lang}")
    if not signed_in.memberships and signed_in.principal.is_platform_admin:
        return see_other(f"/admin/organisations?lang={lang}")
    if not signed_in.memberships:  # a volunteer: their credentials (credentials.holders.pages)
        return see_other(f"/my?lang={lang}")
    return page(
        request, templates, "issuers/choose.html", lang=lang, user=signed_in.user, memberships=signed_in.memberships
    )


# --- a forgotten password --------------------------------------------------------------------------------------


@router.get("/password/forgot")
def forgot_page(request: Request, lang: LanguageDep):
    return page(request, templates, "issuers/password_forgot.html", lang=lang, email="", sent=False, error=None)


@router.post("/password/forgot")
def forgot(request: Request, session: SessionDep, lang: LanguageDep, email: Annotated[str, Form(max_length=254)] = ""):
    """The same answer whether or not the address has an account."""
    settings = request.app.state.settings
    try:
        service.request_password_reset(session, request.app.state.throttle, email, lang, settings.public_base_url)
    except UserError as error:
        if error.kind != "too_many_requests":
            raise
        return page(
            request,
            templates,
            "issuers/password_forgot.html",
            lang=lang,
            status_code=429,
            email=email,
            sent=False,
            error=error_message(error, lang),
        )
    return page(request, templates, "issuers/password_forgot.html", lang=lang, email=email, sent=True, error=None)


@router.get("/password/reset/{token}")
def reset_page(request: Request, token: str, session: SessionDep, lang: LanguageDep):
    service.account_token(session, service.PASSWORD_RESET, token)  # an unusable link says so at once
    return private(
        page(request, templates, "issuers/password_reset.html", lang=lang, token=token, error=None, errors={})
    )


@router.post("/password/reset/{token}")
def reset(
    request: Request,
    token: str,
    session: SessionDep,
    lang: LanguageDep,
    password: Password = "",
    password_again: Password = "",
):
    try:
        require_same_passwords(password, password_again)
        user = service.reset_password(session, token, password)
    except UserError as error:
        if error.kind == "not_found":
            raise
        message, errors = form_problem(error, lang)
        return page(
            request,
            templates,
            "issuers/password_reset.html",
            lang=lang,
            status_code=422,
            token=token,
            error=message,
            errors=errors,
        )
    return signed_in_response(request, "/dashboard", service.start_session(session, user), "notice.password_changed")


# --- registering an organisation -------------------------------------------------------------------------------

REGISTER_FIELDS = (
    "name",
    "email",
    "legal_name",
    "registration_number",
    "legal_form",
    "municipality",
    "contact_email",
    "contact_phone",
)


def register_form(request: Request, lang: str, values: dict, status_code: int = 200, error=None, errors=None):
    return page(
        request,
        templates,
        "issuers/register.html",
        lang=lang,
        status_code=status_code,
        values=values,
        error=error,
        errors=errors or {},
        legal_forms=[(code, messages().get(f"org.legal_form.{code}", lang)) for code in LEGAL_FORMS],
        municipalities=[(m.code, m.name(lang)) for m in all_municipalities()],
    )


@router.get("/register")
def register_page(request: Request, lang: LanguageDep):
    values = dict.fromkeys(REGISTER_FIELDS, "")
    values["legal_form"] = LEGAL_FORMS[0]
    return register_form(request, lang, values)


@router.post("/register")
def register(
    request: Request,
    session: SessionDep,
    ctx: IssuerContextDep,
    lang: LanguageDep,
    name: Text = "",
    email: Annotated[str, Form(max_length=254)] = "",
    password: Password = "",
    legal_name: Text = "",
    registration_number: Annotated[str, Form(max_length=40)] = "",
    legal_form: Annotated[str, Form(max_length=40)] = "",
    municipality: Annotated[str, Form(max_length=80)] = "",
    contact_email: Annotated[str, Form(max_length=254)] = "",
    contact_phone: Annotated[str, Form(max_length=40)] = "",
):
    """The person's account and the organisation in one transaction; then signed in, in the workspace, where the
    organisation waits for verification (and everything can be prepared meanwhile)."""
    account = service.AccountInput(email=email, name=name, password=password)
    data = OrganisationInput(
        legal_name=legal_name,
        registration_number=registration_number,
        legal_form=legal_form,
        municipality=municipality,
        contact_email=contact_email.strip() or email.strip() or None,
        contact_phone=contact_phone.strip() or None,
    )
    try:
        user, org = service.register_organisation_with_owner(session, ctx, account, data)
    except UserError as error:
        if error.kind not in ("invalid", "conflict"):
            raise
        values = {
            "name": name,
            "email": email,
            "legal_name": legal_name,
            "registration_number": registration_number,
            "legal_form": legal_form,
            "municipality": municipality,
            "contact_email": contact_email,
            "contact_phone": contact_phone,
        }
        message, errors = form_problem(error, lang)
        return register_form(request, lang, values, 422, message, errors)
    return signed_in_response(
        request, f"/org/{org.slug}?lang={lang}", service.start_session(session, user), "notice.registered"
    )


# --- joining an organisation by invitation (/invitations/{token} is the volunteers' statement API) --------------


@router.get("/invitations/member/{token}")
def invitation_page(
    request: Request, token: str, session: SessionDep, lang: LanguageDep, signed_in: OptionalSignedInDep
):
    invitation = service.open_invitation(session, token)
    return private(
        page(
            request,
            templates,
            "issuers/invitation.html",
            lang=lang,
            token=token,
            invitation=invitation,
            signed_in=signed_in,
            name="",
            error=None,
            errors={},
        )
    )


@router.post("/invitations/member/{token}")
def accept_invitation(
    request: Request,
    token: str,
    session: SessionDep,
    lang: LanguageDep,
    signed_in: OptionalSignedInDep,
    name: Text = "",
    password: Password = "",
):
    """A signed-in person joins at once; someone without an account makes one with the invited address."""
    if signed_in is not None:
        membership = service.accept_invitation(session, token, signed_in.user)
        org = session.get(OrganisationRow, membership.organisation_id)
        return see_other(f"/org/{org.slug}?lang={lang}", notice="notice.joined")
    try:
        user = service.accept_invitation_with_new_account(session, token, name, password)
    except UserError as error:
        if error.kind == "not_found":
            raise
        message, errors = form_problem(error, lang)
        return page(
            request,
            templates,
            "issuers/invitation.html",
            lang=lang,
            status_code=422,
            token=token,
            invitation=service.open_invitation(session, token),
            signed_in=None,
            name=name,
            error=message,
            errors=errors,
        )
    org_slug = service.user_memberships(session, user.id)[0].slug
    return signed_in_response(
        request, f"/org/{org_slug}?lang={lang}", service.start_session(session, user), "notice.joined"
    )
