"""The volunteer's account: credentials waiting at the address they proved, confirming them into their holder, what
they hold (with totals of verified hours and the competences gathered), and removing the account.

A credential waits for an account when an organisation issued it to a named volunteer whose e-mail is the account's
(compared without case) and nobody holds it yet. Only the signed-in person's own address is ever looked up, so no
organisation's records reach anyone else.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from base.errors import UserError
from catalogue import catalogue_version, load_catalogue
from catalogue.model import Bilingual
from credentials.certificates.render import certificate_cache
from credentials.common import RIGA, verify_page_url
from credentials.holders.service import hold, holder_of_user
from credentials.holders.store import HeldCredentialRow, HolderRow
from credentials.store import CredentialRow, RecordRow, VolunteerRow
from issuers import service as issuers
from issuers.store import OrganisationRow, UserRow, append_audit

LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


# --- credentials waiting at the proven address ------------------------------------------------------------------------


def waiting_credentials(session: Session, email: str) -> list[CredentialRow]:
    """Credentials issued by any organisation to a named volunteer with this e-mail, held by nobody yet, newest
    first. Revoked ones (including those a correction superseded) are not offered."""
    address = (email or "").strip().lower()
    if not address:
        return []
    statement = (
        select(CredentialRow)
        .join(VolunteerRow, VolunteerRow.id == CredentialRow.volunteer_id)
        .outerjoin(HeldCredentialRow, HeldCredentialRow.credential_id == CredentialRow.id)
        .where(
            VolunteerRow.kind == "named",
            func.lower(VolunteerRow.email) == address,
            HeldCredentialRow.credential_id.is_(None),
            CredentialRow.status != "revoked",
            CredentialRow.superseded_by.is_(None),
        )
        .order_by(CredentialRow.issued_at.desc(), CredentialRow.id)
    )
    return list(session.scalars(statement))


def confirm_credentials(session: Session, holder: HolderRow, email: str, credential_ids: list[str]) -> int:
    """Puts the chosen waiting credentials (all of them when `credential_ids` is empty) into the holder; an id that
    is not waiting for this address is not found. How many were confirmed."""
    waiting = {row.id: row for row in waiting_credentials(session, email)}
    chosen = list(dict.fromkeys(credential_ids)) or list(waiting)
    if not chosen or any(credential_id not in waiting for credential_id in chosen):
        raise UserError("credential.not_found", kind="not_found")
    for credential_id in chosen:
        hold(session, holder, credential_id, via="email")
        append_audit(
            session, "holder.confirm", organisation_id=waiting[credential_id].organisation_id, subject_id=credential_id
        )
    return len(chosen)


def held_credential(session: Session, holder: HolderRow, credential_id: str) -> CredentialRow:
    """One of the holder's credentials; any other is not found (whoever else holds it)."""
    held = session.get(HeldCredentialRow, credential_id)
    row = session.get(CredentialRow, credential_id) if held is not None and held.holder_id == holder.id else None
    if row is None:
        raise UserError("credential.not_found", kind="not_found")
    return row


# --- what the holder holds ------------------------------------------------------------------------------------------


def credential_status(row: CredentialRow) -> str:
    """active, suspended, revoked or superseded (revoked because a correction replaced it)."""
    return "superseded" if row.superseded_by else row.status


@dataclass
class CredentialItem:
    """One credential as the volunteer's place shows it."""

    id: str
    title: str
    organisation: str
    mission: Bilingual
    domain: Bilingual
    start: date
    end: date
    hours: Decimal
    status: str
    issued: date
    verify_url: str
    linkedin_url: str


@dataclass
class Total:
    label: str | Bilingual
    hours: Decimal


@dataclass
class CompetenceGroup:
    """One of the eight EU key competences and the competences gathered that serve it."""

    name: Bilingual
    competences: list[Bilingual] = field(default_factory=list)


@dataclass
class Place:
    items: list[CredentialItem]
    total: Decimal
    by_year: list[Total]
    by_organisation: list[Total]
    by_domain: list[Total]
    competences: list[CompetenceGroup]


def linkedin_url(title: str, organisation: str, issued: date, verify_url: str, credential_id: str) -> str:
    """LinkedIn's "Add to profile" link for a certification, filled in (the person confirms it on LinkedIn)."""
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": title,
        "organizationName": organisation,
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "certUrl": verify_url,
        "certId": credential_id,
    }
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(query)}"


def _totals(hours: dict, key=None) -> list[Total]:
    return [Total(label, value.normalize()) for label, value in sorted(hours.items(), key=key)]


def place(session: Session, rows: list[CredentialRow], base_url: str) -> Place:
    """The credentials `rows` (a holder's) for the page, with the verified hours (active credentials only) per
    year (of the work's end), organisation and domain, and the competences gathered by key competence."""
    items: list[CredentialItem] = []
    total = Decimal(0)
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    by_org: dict[str, Decimal] = defaultdict(Decimal)
    by_domain: dict[str, Decimal] = defaultdict(Decimal)
    domains: dict[str, Bilingual] = {}
    gathered: dict[str, set[str]] = defaultdict(set)  # key competence -> competence URIs
    labels: dict[str, Bilingual] = {}
    organisations: dict[str, str] = {}
    for row in rows:
        record = session.get(RecordRow, row.record_id) if row.record_id else None
        if record is None:  # signed through the VC-API: no record of volunteer work to show
            continue
        if row.organisation_id not in organisations:
            organisations[row.organisation_id] = session.get(OrganisationRow, row.organisation_id).legal_name
        organisation = organisations[row.organisation_id]
        catalogue = catalogue_version(record.catalogue_version)
        mission = catalogue.mission_type(record.mission_type)
        domain = catalogue.domain(mission.domain)
        issued = row.issued_at.astimezone(RIGA).date()
        status = credential_status(row)
        verify_url = verify_page_url(base_url, row.id)
        items.append(
            CredentialItem(
                id=row.id,
                title=record.title,
                organisation=organisation,
                mission=mission.name,
                domain=domain.name,
                start=record.start_date,
                end=record.end_date,
                hours=record.hours.normalize(),
                status=status,
                issued=issued,
                verify_url=verify_url,
                linkedin_url=linkedin_url(record.title, organisation, issued, verify_url, row.id),
            )
        )
        if status != "active":
            continue
        total += record.hours
        by_year[record.end_date.year] += record.hours
        by_org[organisation] += record.hours
        by_domain[mission.domain] += record.hours
        domains[mission.domain] = domain.name
        for item in record.competences:
            competence = catalogue.competence(item["uri"])
            labels[competence.uri] = competence.label
            for code in competence.key_competences:
                gathered[code].add(competence.uri)
    groups = []
    for key in load_catalogue().key_competences:  # the recommendation's order
        if gathered.get(key.code):
            groups.append(
                CompetenceGroup(key.name, sorted((labels[uri] for uri in gathered[key.code]), key=lambda b: b.lv))
            )
    return Place(
        items=items,
        total=total.normalize(),
        by_year=[Total(str(year), hours.normalize()) for year, hours in sorted(by_year.items(), reverse=True)],
        by_organisation=_totals(by_org),
        by_domain=[Total(domains[code], hours.normalize()) for code, hours in sorted(by_domain.items())],
        competences=groups,
    )


# --- removing the account -------------------------------------------------------------------------------------------


def remove_account(session: Session, user: UserRow) -> None:
    """Erases the person's account: the user row (e-mail, name, password), their sessions, links and e-mail, their
    holder and what it held, and the certificates rendered for those credentials. The credentials stay valid and
    verifiable, and the organisations keep their own records of the volunteer."""
    if issuers.user_memberships(session, user.id):
        raise UserError("account.remove_memberships", kind="conflict")
    holder = holder_of_user(session, user.id)
    held: list[str] = []
    if holder is not None:
        held = list(
            session.scalars(select(HeldCredentialRow.credential_id).where(HeldCredentialRow.holder_id == holder.id))
        )
        session.execute(delete(HeldCredentialRow).where(HeldCredentialRow.holder_id == holder.id))
        session.delete(holder)
        session.flush()
    issuers.remove_user(session, user)
    cache = certificate_cache()
    if cache is not None:
        for credential_id in held:
            cache.evict(credential_id)
