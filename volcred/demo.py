"""Demo data, so that a new user sees a working service at once. Idempotent; it grows with the service.

The organisations are fictional; their registration numbers are well-formed but belong to nobody we know of.
"""

from __future__ import annotations

from sqlalchemy import select

from credentials import common as credentials_common
from credentials import service as credentials
from credentials.records import service as records_service
from credentials.records.drafts import InvitationInput, create_invitation
from credentials.records.records import RecordInput, VolunteerInput
from credentials.store import RecordRow
from issuers import service
from issuers.organisations import OrganisationInput
from issuers.store import OrganisationRow, UserRow

DEMO_PASSWORD = "demo-parole-2026"

ORGANISATIONS = [
    OrganisationInput(
        legal_name="Biedrība „Zaļā Gauja”",
        registration_number="40001441955",
        slug="zala-gauja",
        legal_form="association-or-foundation",
        municipality="Cēsu novads",
        website="https://zala-gauja.example.lv",
        contact_email="info@zala-gauja.example.lv",
        signatory_name="Ilze Kalniņa",
        signatory_position="Valdes priekšsēdētāja",
    ),
    OrganisationInput(
        legal_name="Rīgas Jauniešu brīvprātīgo centrs",
        registration_number="90002077052",
        slug="rigas-jauniesi",
        legal_form="municipal-institution",
        municipality="Rīga",
        website="https://jauniesi.example.lv",
        contact_email="centrs@jauniesi.example.lv",
        signatory_name="Jānis Bērziņš",
        signatory_position="Direktors",
    ),
]

# (organisation, volunteer, mission type, title, municipality, start, end, hours, role, revoke?)
RECORDS = [
    (
        "zala-gauja",
        VolunteerInput(name="Anna Ozola", email="anna.ozola@example.lv"),
        "clean-up",
        "Gaujas krastu sakopšanas talka",
        "Cēsu novads",
        "2026-04-25",
        "2026-04-26",
        "14",
        "Talkas grupas vadītāja",
        False,
    ),
    (
        "zala-gauja",
        VolunteerInput(pseudonym="VOL-GAUJA-7F3K29QD"),
        "nature-conservation",
        "Dabas takas atjaunošana",
        "Cēsu novads",
        "2026-05-02",
        "2026-08-29",
        "56",
        "Takas uzturētājs",
        False,
    ),
    (
        "rigas-jauniesi",
        VolunteerInput(name="Mārtiņš Kalniņš", email="martins@example.lv"),
        "festival-support",
        "Rīgas svētku brīvprātīgais",
        "Rīga",
        "2026-08-14",
        "2026-08-17",
        "32",
        "Informācijas punkts",
        False,
    ),
    (
        "rigas-jauniesi",
        VolunteerInput(name="Elīna Liepa"),
        "homework-tutoring",
        "Mājasdarbu atbalsts Imantas jauniešu centrā",
        "Rīga",
        "2026-01-12",
        "2026-05-29",
        "120",
        "Matemātikas konsultante",
        False,
    ),
    (
        "rigas-jauniesi",
        VolunteerInput(name="Jānis Paraugs"),
        "youth-centre-work",
        "Atsaukta apliecinājuma piemērs",
        "Rīga",
        "2026-03-01",
        "2026-03-02",
        "8",
        None,
        True,
    ),
]

LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">
<circle cx="60" cy="60" r="56" fill="{bg}"/><path d="M30 78 L60 30 L90 78 Z" fill="#ffffff" opacity="0.9"/>
<circle cx="60" cy="84" r="10" fill="#ffffff"/></svg>"""
LOGO_COLOURS = ["#2f7d4f", "#7a2f4f"]


def load_demo(runtime) -> dict:
    """Loads demo organisations and accounts; returns what a new user needs to try the service."""
    summary: dict = {}
    with runtime.transaction() as session:
        if session.scalar(select(UserRow.id).where(UserRow.email == "admin@demo.example.lv")) is None:
            service.create_user(
                session, "admin@demo.example.lv", "Platformas administrators", DEMO_PASSWORD, platform_admin=True
            )
        base = runtime.issuer_context.base_url
        first = ORGANISATIONS[0].slug
        summary["workspace"] = f"{base}/login"
        summary["workspace_login"] = (
            f"koordinators@{first}.example.lv / {DEMO_PASSWORD} (owner of {ORGANISATIONS[0].legal_name}: {base}/org/{first})"
        )
        summary["platform_admin"] = f"admin@demo.example.lv / {DEMO_PASSWORD} ({base}/admin/organisations)"
        for index, data in enumerate(ORGANISATIONS):
            org = session.scalar(select(OrganisationRow).where(OrganisationRow.slug == data.slug))
            if org is not None:
                summary[data.slug] = service.organisation_did(org, runtime.issuer_context.base_url)
                continue
            email = f"koordinators@{data.slug}.example.lv"
            user = service.create_user(session, email, "Demo koordinators", DEMO_PASSWORD)
            org = service.register_organisation(session, runtime.issuer_context, data, admin=user)
            service.verify_now(session, org)
            service.set_organisation_image(
                session, runtime.operator, org.slug, "logo", LOGO_SVG.format(bg=LOGO_COLOURS[index % 2]).encode()
            )
            _, token = service.issue_organisation_token(session, org, "demo")
            summary[data.slug] = (
                f"{service.organisation_did(org, runtime.issuer_context.base_url)} "
                f"(login {email} / {DEMO_PASSWORD}; API token {token})"
            )
        if session.scalar(select(RecordRow.id).limit(1)) is None:
            summary["credentials"], summary["volunteer_pages"] = _issue_demo_credentials(session, runtime)
            summary["invitation"] = _demo_invitation(session, runtime)
    return summary


def _issue_demo_credentials(session, runtime) -> tuple[list[str], list[str]]:
    """Signed demo credentials (one revoked), so the verification page has something to show at once; and the
    volunteers' personal pages (the links are shown only now: only their hashes are stored)."""
    links, pages = [], []
    for slug, volunteer, mission, title, municipality, start, end, hours, role, revoke in RECORDS:
        org = service.get_organisation(session, slug)
        created = records_service.create_record(
            session,
            runtime.operator,
            runtime.issuer_context,
            org,
            RecordInput(
                volunteer=volunteer,
                mission_type=mission,
                title=title,
                municipality=municipality,
                start_date=start,
                end_date=end,
                hours=hours,
                role=role,
            ),
        )
        issued = credentials.issue_record(session, runtime.operator, runtime.issuer_context, created.record.id)
        if revoke:
            credentials.change_credential_status(
                session, runtime.operator, issued.credential.id, "revoke", "Demonstrācija: atsaukts apliecinājums"
            )
        links.append(credentials_common.verify_page_url(runtime.issuer_context.base_url, issued.credential.id))
        if created.volunteer.access_token:
            pages.append(f"{runtime.issuer_context.base_url}/me/{created.volunteer.access_token}")
    return links, pages


def _demo_invitation(session, runtime) -> str:
    """An invitation link, so a new user can draft a statement as a volunteer and then review it as the organiser."""
    org = service.get_organisation(session, "rigas-jauniesi")
    _, token = create_invitation(
        session,
        runtime.operator,
        org,
        InvitationInput(mission_type="festival-support", title="Rīgas svētku brīvprātīgais", municipality="Rīga"),
    )
    return f"{runtime.issuer_context.base_url}/invite/{token}"
