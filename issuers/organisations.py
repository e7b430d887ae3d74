"""Organisations as issuers: what a registration must contain, and how it is checked. No HTTP, no SQL."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.lv import pvn

from base.errors import UserError
from base.i18n import messages
from issuers.municipalities import find_municipality

LEGAL_FORMS = (
    "association-or-foundation",
    "religious-organisation",
    "municipal-institution",
    "state-institution",
    "social-enterprise",
    "political-party",
    "other",
)
STATUSES = ("pending", "verified", "suspended")
DID_METHODS = ("web", "key")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def field_error(field: str, key: str, **params) -> dict:
    return {"field": field, "message": messages().text(key, **params)}


def normalise_registration_number(value: str) -> str:
    """The 11 digits of a Latvian Enterprise Register number, whatever the spacing, dashes or `LV` prefix."""
    return re.sub(r"[\s-]", "", value or "").upper().removeprefix("LV")


def registration_number_problem(value: str) -> str | None:
    """The message key that explains why `value` is not a legal entity's registration number, or None."""
    number = normalise_registration_number(value)
    if not re.fullmatch(r"\d{11}", number):
        return "org.reg_no_format"
    if number[0] in "0123":
        # 11 digits starting 0-3 are a natural person's personal code: personal data we must never store here.
        return "org.reg_no_personal_code"
    try:
        pvn.validate(number)
    except StdnumError:
        return "org.reg_no_checksum"
    return None


def slugify(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.casefold())
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    return slug[:64].rstrip("-") or "org"


@dataclass
class OrganisationInput:
    legal_name: str
    registration_number: str
    legal_form: str = "association-or-foundation"
    municipality: str = "riga"
    slug: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    website: str | None = None
    address: str | None = None
    signatory_name: str | None = None
    signatory_position: str | None = None


def validate_organisation(data: OrganisationInput) -> OrganisationInput:
    """Checks every field and reports all problems at once; returns the normalised input."""
    errors = []
    name = (data.legal_name or "").strip()
    if not (2 <= len(name) <= 300):
        errors.append(field_error("legal_name", "org.legal_name_length"))
    problem = registration_number_problem(data.registration_number)
    if problem:
        errors.append(field_error("registration_number", problem))
    if data.legal_form not in LEGAL_FORMS:
        errors.append(field_error("legal_form", "org.legal_form_unknown", allowed=", ".join(LEGAL_FORMS)))
    municipality = find_municipality(data.municipality)
    if municipality is None:
        errors.append(field_error("municipality", "org.municipality_unknown", value=data.municipality))
    slug = data.slug or slugify(name)
    if not SLUG_RE.match(slug):
        errors.append(field_error("slug", "org.slug_format"))
    if data.contact_email and not EMAIL_RE.match(data.contact_email):
        errors.append(field_error("contact_email", "org.email_format"))
    if data.website and not re.match(r"^https?://[^\s]+$", data.website):
        errors.append(field_error("website", "org.website_format"))
    if errors:
        raise UserError("org.invalid", errors=errors)
    return OrganisationInput(
        legal_name=name,
        registration_number=normalise_registration_number(data.registration_number),
        legal_form=data.legal_form,
        municipality=municipality.code,
        slug=slug,
        contact_email=data.contact_email or None,
        contact_phone=data.contact_phone or None,
        website=data.website or None,
        address=data.address or None,
        signatory_name=(data.signatory_name or "").strip() or None,
        signatory_position=(data.signatory_position or "").strip() or None,
    )


# The Enterprise Register's public search (the administrator checks a registration there before verifying).
ENTERPRISE_REGISTER_SEARCH = "https://info.ur.gov.lv/#/data-search?searchTerm={number}"
