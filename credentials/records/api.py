"""HTTP adapter for volunteer-drafted statements: organisers create invitations; the volunteer, holding only the
invitation link's token, reads, drafts and submits their statement (JSON; the pages in drafts_pages.py do the same
in HTML)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import Field
from sqlalchemy.orm import Session

from base.http import LanguageDep, SessionDep
from base.web import PRIVATE_PAGE
from catalogue import load_catalogue
from credentials import service as credentials_service
from credentials.api import StrictInput, caller_organisation, record_view
from credentials.records import drafts, lifecycle
from credentials.records.records import CompetenceClaim
from issuers.http import IssuerContextDep, PrincipalDep
from issuers.service import IssuerContext
from issuers.store import OrganisationRow

router = APIRouter()


class InvitationBody(drafts.InvitationInput):
    organisation: str | None = Field(None, description="The organisation's slug (for a person in several).")


@router.post(
    "/invitations",
    status_code=201,
    tags=["statements"],
    summary="Invite a volunteer to draft a statement (returns the invitation link, shown once)",
)
def create_invitation(body: InvitationBody, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    org = caller_organisation(session, principal, body.organisation)
    row, token = drafts.create_invitation(session, principal, org, body)
    return {
        "id": row.id,
        "url": drafts.invitation_url(ctx.base_url, token),
        "token": token,
        "api_url": f"{ctx.base_url}/invitations/{token}/statement",
        "mission_type": row.mission_type,
        "title": row.title,
        "expires_at": row.expires_at.isoformat(),
    }


def statement_view(session: Session, invitation, lang: str) -> dict:
    """The invitation and its statement as the volunteer sees them; the status is draft, submitted, returned (with
    the organiser's comment), approved, issued or superseded ("new" before the first save); once issued, the
    credential's id."""
    mission = load_catalogue().mission_type(invitation.mission_type)
    org = session.get(OrganisationRow, invitation.organisation_id)
    record = drafts.draft_of(session, invitation)
    view = {
        "invitation": {
            "organisation": org.legal_name,
            "mission_type": mission.code,
            "mission_name": mission.name.in_language(lang),
            "mission_name_language": mission.name.language_shown(lang),  # English where ru/uk are not translated
            "title": invitation.title,
            "municipality": invitation.municipality,
            "start_date": invitation.start_date.isoformat() if invitation.start_date else None,
            "end_date": invitation.end_date.isoformat() if invitation.end_date else None,
            "expires_at": invitation.expires_at.isoformat(),
            "expired": drafts.invitation_expired(invitation),
            "suggested_competences": [link.uri for link in mission.competences],
        },
        "status": record.status if record else "new",
        "statement": None,
        "review_comment": None,
        "credential_id": None,
    }
    if record is not None:
        statement = record_view(record)
        for internal in ("volunteer_id", "review_comment", "source", "revises_id", "catalogue_version"):
            statement.pop(internal, None)
        view["statement"] = statement
        if record.status in drafts.EDITABLE and record.review_comment:
            view["review_comment"] = record.review_comment
        if record.status in (lifecycle.ISSUED, lifecycle.SUPERSEDED):  # the way on, to what the statement became
            credential = credentials_service.latest_credential_of_record(session, record.id)
            view["credential_id"] = credential.id if credential else None
    return view


@router.get(
    "/invitations/{token}/statement",
    tags=["statements"],
    summary="The volunteer's view: the invitation, their statement and its status",
)
def read_statement(token: str, response: Response, lang: LanguageDep, session: SessionDep):
    response.headers.update(PRIVATE_PAGE)
    return statement_view(session, drafts.invitation_by_token(session, token), lang)


class Drafter(StrictInput):
    """Who drafts: a name (and optional e-mail), or `pseudonymous: true` and nothing else (the service then gives a
    random identifier); a name together with the pseudonymous flag is refused, never silently kept."""

    name: str | None = None
    email: str | None = None
    pseudonymous: bool = False


class DraftCompetence(StrictInput):
    uri: str
    note: str | None = Field(None, description="The volunteer's own words about this competence.")


class DraftBody(StrictInput):
    volunteer: Drafter | None = Field(None, description="Needed on the first save only.")
    start_date: str | None = None
    end_date: str | None = None
    hours: float | int | str | None = None
    municipality: str | None = None
    role: str | None = None
    narrative: str | None = None
    competences: list[str | DraftCompetence] = []
    submit: bool = Field(False, description="Hand the statement to the organiser for review.")


def draft_input(body: DraftBody) -> drafts.DraftInput:
    volunteer = body.volunteer
    return drafts.DraftInput(
        start_date=body.start_date,
        end_date=body.end_date,
        hours=None if body.hours is None else str(body.hours),
        municipality=body.municipality,
        role=body.role,
        narrative=body.narrative,
        competences=[
            CompetenceClaim(item, "self") if isinstance(item, str) else CompetenceClaim(item.uri, "self", item.note)
            for item in body.competences
        ],
        volunteer_name=volunteer.name if volunteer else None,
        volunteer_email=volunteer.email if volunteer else None,
        pseudonymous=bool(volunteer and volunteer.pseudonymous),
    )


def saved_view(session: Session, ctx: IssuerContext, saved: drafts.SavedDraft, lang: str) -> dict:
    view = statement_view(session, saved.invitation, lang)
    if saved.access_token:
        # Shown once: the volunteer's personal link to their credentials once issued.
        view["volunteer_link"] = f"{ctx.base_url}/me/{saved.access_token}"
    if saved.pseudonym:
        view["pseudonym"] = saved.pseudonym
    return view


@router.put(
    "/invitations/{token}/statement",
    tags=["statements"],
    summary="Save (and optionally submit) the volunteer's statement",
)
def save_statement(
    token: str, body: DraftBody, response: Response, lang: LanguageDep, session: SessionDep, ctx: IssuerContextDep
):
    response.headers.update(PRIVATE_PAGE)
    saved = drafts.save_draft(session, ctx, token, draft_input(body), submit=body.submit)
    return saved_view(session, ctx, saved, lang)


@router.post(
    "/invitations/{token}/submit", tags=["statements"], summary="Submit the saved statement for the organiser's review"
)
def submit_statement(token: str, response: Response, lang: LanguageDep, session: SessionDep):
    response.headers.update(PRIVATE_PAGE)
    drafts.submit_draft(session, token)
    return statement_view(session, drafts.invitation_by_token(session, token), lang)
