"""HTTP adapter of records: organisers record volunteer work, list, approve, return, revise and issue records; and
of volunteer-drafted statements: organisers create invitations; the volunteer, holding only the invitation link's
token, reads, drafts and submits their statement (JSON; the pages in pages.py do the same in HTML)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from pydantic import AliasChoices, Field
from sqlalchemy.orm import Session

from base.http import LanguageDep, SessionDep
from base.web import PRIVATE_PAGE
from catalogue import load_catalogue
from credentials import common as credentials_common
from credentials import service as credentials_service
from credentials.holders.claims import claim_code
from credentials.http import StrictInput, caller_organisation
from credentials.records import drafts, lifecycle
from credentials.records import service as records_service
from credentials.records.records import CompetenceClaim, RecordChanges, RecordInput, VolunteerInput, format_hours
from issuers.http import IssuerContextDep, PrincipalDep
from issuers.service import IssuerContext
from issuers.store import OrganisationRow

router = APIRouter()


# --- records ----------------------------------------------------------------------------------------------------------


class VolunteerBody(StrictInput):
    """Who the record is about: a `name` (and optional `email`), or a `pseudonym` alone. Both at once are refused:
    a pseudonymous volunteer leaves no personal data."""

    name: str | None = None
    email: str | None = None
    pseudonym: str | None = Field(
        None, description="The random identifier the volunteer keeps (8–64 letters, digits, - or _)."
    )

    def as_input(self) -> VolunteerInput:
        return VolunteerInput(name=self.name, email=self.email, pseudonym=self.pseudonym)


class CompetenceItem(StrictInput):
    uri: str
    attested_by: str = Field("organiser", description="`organiser`, or `self` for a self-described competence.")
    note: str | None = Field(None, description="The volunteer's own words about this competence.")


class RecordBody(StrictInput):
    volunteer: VolunteerBody
    mission_type: str
    title: str | None = None
    municipality: str
    start_date: str
    end_date: str
    hours: float | int | str
    role: str | None = None
    competences: list[str | CompetenceItem] | None = Field(
        None, description="ESCO URIs (or objects with `attested_by`); default: the mission type's core competences."
    )
    narrative: str | None = None
    evidence: list[str] = []
    language: str = "lv"
    organisation: str | None = Field(
        None, description="The organisation's slug; needed only for a person who belongs to several organisations."
    )


def competence_claims(items: list[str | CompetenceItem] | None) -> list | None:
    """Bare URIs stay strings (their provenance is decided by the caller); objects become claims."""
    if items is None:
        return None
    return [item if isinstance(item, str) else CompetenceClaim(item.uri, item.attested_by, item.note) for item in items]


def record_view(row) -> dict:
    return {
        "id": row.id,
        "status": row.status,
        "mission_type": row.mission_type,
        "title": row.title,
        "municipality": row.municipality,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat(),
        "hours": format_hours(row.hours),
        "role": row.role,
        "competences": row.competences,
        "narrative": row.narrative,
        "evidence": row.evidence,
        "language": row.language,
        "catalogue_version": row.catalogue_version,
        "volunteer_id": row.volunteer_id,
        "source": row.source,
        "review_comment": row.review_comment,
        "revises_id": row.revises_id,
    }


@router.post("/records", status_code=201, tags=["records"], summary="Record volunteer work (approved at once)")
def create_record(
    body: RecordBody, request: Request, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep
):
    org = caller_organisation(session, principal, body.organisation)
    volunteer = body.volunteer.as_input()
    competences = competence_claims(body.competences)
    created = records_service.create_record(
        session,
        principal,
        ctx,
        org,
        RecordInput(
            volunteer=volunteer,
            mission_type=body.mission_type,
            title=body.title,
            municipality=body.municipality,
            start_date=body.start_date,
            end_date=body.end_date,
            hours=body.hours,
            role=body.role,
            competences=competences,
            narrative=body.narrative,
            evidence=body.evidence,
            language=body.language,
        ),
    )
    view = record_view(created.record)
    if created.volunteer.access_token:
        # Shown once: the volunteer's personal link to their credentials (no account needed).
        view["volunteer_link"] = f"{ctx.base_url}/me/{created.volunteer.access_token}"
    return view


@router.get("/records/{record_id}", tags=["records"])
def read_record(record_id: str, session: SessionDep, principal: PrincipalDep):
    return record_view(records_service.get_record(session, principal, record_id))


class RecordEdit(StrictInput):
    """An organiser's edits (review or correction): only the fields given change. In `competences` a bare URI keeps
    the provenance the record has for it (or is the organiser's own); an object states `attested_by` explicitly."""

    title: str | None = None
    municipality: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    hours: float | int | str | None = None
    role: str | None = None
    narrative: str | None = None
    competences: list[str | CompetenceItem] | None = None
    evidence: list[str] | None = None

    def changes(self) -> RecordChanges:
        competences = competence_claims(self.competences)
        return RecordChanges(
            title=self.title,
            municipality=self.municipality,
            start_date=self.start_date,
            end_date=self.end_date,
            hours=self.hours,
            role=self.role,
            narrative=self.narrative,
            competences=competences,
            evidence=self.evidence,
        )


class ReturnBody(StrictInput):
    review_comment: str = Field(
        validation_alias=AliasChoices("review_comment", "comment"),
        description="What the volunteer should change (they see it with their draft); `comment` is accepted too.",
    )


@router.get("/records", tags=["records"], summary="The organisation's records, e.g. statements waiting for review")
def list_records(
    session: SessionDep,
    principal: PrincipalDep,
    status: str | None = Query(None, description="draft, submitted, returned, approved, issued or superseded"),
    organisation: str | None = Query(None),
):
    org = caller_organisation(session, principal, organisation)
    return {"records": [record_view(row) for row in records_service.list_records(session, principal, org, status)]}


@router.post(
    "/records/{record_id}/approve",
    tags=["records"],
    summary="Approve a record (optionally with edits first); only approved records are issued",
)
def approve_record(
    record_id: str, session: SessionDep, principal: PrincipalDep, ctx: IssuerContextDep, body: RecordEdit | None = None
):
    changes = body.changes() if body else None
    return record_view(records_service.approve_record(session, principal, record_id, changes, base_url=ctx.base_url))


@router.post(
    "/records/{record_id}/return", tags=["records"], summary="Return a volunteer's submitted statement with a comment"
)
def return_record(
    record_id: str, body: ReturnBody, session: SessionDep, principal: PrincipalDep, ctx: IssuerContextDep
):
    comment = body.review_comment
    return record_view(records_service.return_record(session, principal, record_id, comment, base_url=ctx.base_url))


@router.post(
    "/records/{record_id}/revise",
    status_code=201,
    tags=["records"],
    summary="A corrected copy of an issued record; issuing it supersedes the old credential",
)
def revise_record(record_id: str, session: SessionDep, principal: PrincipalDep, body: RecordEdit | None = None):
    return record_view(records_service.revise_record(session, principal, record_id, body.changes() if body else None))


def issued_view(issued: credentials_service.Issued, ctx: IssuerContext) -> dict:
    """What issuing answers; `claim_code` is shown to the organiser here, once, to hand to the volunteer (it is also
    printed on the volunteer's own copy of the certificate)."""
    credential_id = issued.credential.id
    base_url = ctx.base_url
    return {
        "credential_id": credential_id,
        "credential": issued.document,
        "claim_code": claim_code(ctx.kek, credential_id),
        "claim_url": f"{base_url}/claim",
        "pdf_url": f"{base_url}/credentials/{credential_id}.pdf",
        "verify_url": credentials_common.verify_page_url(base_url, credential_id),
    }


@router.post(
    "/records/{record_id}/issue",
    status_code=201,
    tags=["records"],
    summary="Issue the signed credential of an approved record",
)
def issue_record(record_id: str, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    return issued_view(credentials_service.issue_record(session, principal, ctx, record_id), ctx)


# --- statements drafted by volunteers ---------------------------------------------------------------------------------


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
