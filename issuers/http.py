"""FastAPI dependencies of the issuers: the caller (by bearer token, or by the workspace's session cookie) and the
issuer context.

The JSON API authenticates by bearer token only; the HTML workspace by the `vc_session` cookie only (its forms are
CSRF-protected, base.csrf). So a cookie never authorises an API call and a token never a page.
The request's transaction and the other shared dependencies are in `base.http`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from base.errors import UserError
from base.http import LanguageDep, SessionDep, bearer_token
from base.i18n import messages
from issuers.auth import Principal
from issuers.service import IssuerContext, Membership, authenticate, authenticate_with_organisation, user_memberships
from issuers.store import OrganisationRow, UserRow

SESSION_COOKIE = "vc_session"
SESSION_HOURS = 12


async def get_issuer_context(request: Request) -> IssuerContext:  # async: nothing here waits
    settings = request.app.state.settings
    return IssuerContext(base_url=settings.public_base_url, kek=settings.encryption_key)


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    token = bearer_token(request)
    return authenticated(session, token)[0] if token else None


async def require_principal(  # async: a check of what is already known needs no worker thread
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise UserError("auth.required", kind="unauthorised")
    return principal


async def require_bearer_token(request: Request) -> str:  # async: reads a header
    """The bearer token a request must carry, for an endpoint that authenticates it itself (`authenticated`) in the
    worker thread that does the rest of its work: a request without one is refused before its body is read, as
    `PrincipalDep` refuses it."""
    token = bearer_token(request)
    if token is None:
        raise UserError("auth.required", kind="unauthorised")
    return token


def authenticated(session: Session, token: str) -> tuple[Principal, OrganisationRow | None]:
    """The principal behind a bearer token, and the organisation when it is an organisation's token; an unknown,
    expired or revoked token is refused."""
    principal, organisation = authenticate_with_organisation(session, token)
    if principal is None:
        raise UserError("auth.required", kind="unauthorised")
    return principal, organisation


PrincipalDep = Annotated[Principal, Depends(require_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
IssuerContextDep = Annotated[IssuerContext, Depends(get_issuer_context)]


# --- the workspace: a person signed in with the session cookie ----------------------------------------------------


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (no cross-site form posts it), Secure behind https."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.public_base_url.startswith("https://"),
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


@dataclass(frozen=True)
class SignedIn:
    """A person signed in to the workspace."""

    principal: Principal
    user: UserRow
    memberships: list[Membership]


def optional_signed_in(request: Request, session: SessionDep) -> SignedIn | None:
    principal = authenticate(session, session_token(request))
    if principal is None or principal.kind != "user" or principal.user_id is None:
        return None
    user = session.get(UserRow, principal.user_id)
    if user is None:
        return None
    return SignedIn(principal, user, user_memberships(session, user.id))


def require_signed_in(signed_in: Annotated[SignedIn | None, Depends(optional_signed_in)]) -> SignedIn:
    """A page for signed-in people: anyone else is sent to /login (volcred.problems turns this error into the
    redirect, with the page to come back to)."""
    if signed_in is None:
        raise UserError("auth.sign_in_required", kind="unauthorised")
    return signed_in


SignedInDep = Annotated[SignedIn, Depends(require_signed_in)]
OptionalSignedInDep = Annotated[SignedIn | None, Depends(optional_signed_in)]

# The workspace's sections, in the navigation's order: (key, path under /org/{slug}).
WORKSPACE_SECTIONS = (
    ("dashboard", ""),
    ("missions", "/missions"),
    ("statements", "/statements"),
    ("credentials", "/credentials"),
    ("batches", "/batches"),
    ("reports", "/reports"),
    ("settings", "/settings"),
)


@dataclass(frozen=True)
class Workspace:
    """One organisation's workspace as seen by one of its members."""

    principal: Principal
    user: UserRow
    org: OrganisationRow
    role: str
    memberships: list[Membership]
    lang: str

    @property
    def slug(self) -> str:
        return self.org.slug

    def href(self, path: str = "") -> str:
        return f"/org/{self.org.slug}{path}"

    def can(self, action: str) -> bool:
        return self.principal.can(action, self.org.id)

    def require(self, action: str) -> None:
        self.principal.require(action, self.org.id)

    def view(self, active: str) -> dict:
        """What workspace.html shows: who, where, and the navigation with `active` marked."""
        t = messages()
        return {
            "user_name": self.user.name,
            "org_name": self.org.legal_name,
            "org_status": self.org.status,
            "slug": self.org.slug,
            "role": self.role,
            "role_label": t.get(f"workspace.role.{self.role}", self.lang),
            "is_platform_admin": self.principal.is_platform_admin,
            "nav": [
                {
                    "key": key,
                    "href": f"{self.href(path)}?lang={self.lang}",
                    "label": t.get(f"workspace.nav.{key}", self.lang),
                    "current": key == active,
                }
                for key, path in WORKSPACE_SECTIONS
            ],
            "organisations": [
                {
                    "slug": m.slug,
                    "name": m.name,
                    "href": f"/org/{m.slug}?lang={self.lang}",
                    "current": m.slug == self.org.slug,
                }
                for m in self.memberships
            ],
        }


def workspace(slug: str, signed_in: SignedInDep, session: SessionDep, lang: LanguageDep) -> Workspace:
    """The signed-in member's workspace of organisation `slug`; anyone else's request is answered as if the
    organisation did not exist (404), so membership cannot be probed."""
    membership = next((m for m in signed_in.memberships if m.slug == slug), None)
    org = session.get(OrganisationRow, membership.organisation_id) if membership else None
    if membership is None or org is None:
        raise UserError("org.not_found", kind="not_found", slug=slug)
    return Workspace(signed_in.principal, signed_in.user, org, membership.role, signed_in.memberships, lang)


WorkspaceDep = Annotated[Workspace, Depends(workspace)]
BearerTokenDep = Annotated[str, Depends(require_bearer_token)]
