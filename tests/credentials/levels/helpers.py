"""Shared by the levels tests: a volunteer account holding credentials of two organisations, and a scheme."""

from __future__ import annotations

from datetime import date, timedelta

from base.db import transaction
from catalogue import load_catalogue
from credentials.holders import service as holders
from credentials.levels import service
from issuers import service as issuers
from issuers.auth import Principal
from tests.credentials.helpers import issue, record_body

ADMIN = Principal(kind="user", user_id="admin", is_platform_admin=True)


def mission_in(domain_code: str):
    return next(m for m in load_catalogue().mission_types if m.domain == domain_code)


def two_domains() -> tuple[str, str]:
    codes = []
    for mission in load_catalogue().mission_types:
        if mission.domain not in codes:
            codes.append(mission.domain)
    return codes[0], codes[1]


def volunteer(app, email="anna@example.lv", password="anna-password-1"):
    with transaction(app.state.session_factory) as session:
        user = issuers.create_user(session, email, "Anna Ozola", password)
        holders.holder_for_user(session, user.id, "en")
        return user.id


def issue_held(app, client, org, user_id, hours, end_date, domain_code=None, **changes) -> str:
    """A credential issued through the API and put into the volunteer's holder; its id."""
    mission = mission_in(domain_code) if domain_code else None
    start = (date.fromisoformat(end_date) - timedelta(days=9)).isoformat()  # ten days: room for the hours
    body = record_body(mission, hours=hours, start_date=start, end_date=end_date, **changes)
    _, issued = issue(client, org, body)
    with transaction(app.state.session_factory) as session:
        holder = holders.holder_for_user(session, user_id)
        holders.hold(session, holder, issued["credential_id"], "email")
    return issued["credential_id"]


def scheme_form(period="lifetime", domains=(), silver="50", gold="100") -> service.SchemeForm:
    return service.SchemeForm(
        name={"lv": "Brīvprātīgo atzinība", "en": "Volunteer recognition", "ru": "", "uk": ""},
        period=period,
        domains=list(domains),
        bonus_note={"en": "A free museum pass.", "lv": "Bezmaksas muzeju karte."},
        levels=[
            service.LevelForm({"lv": "Sudrabs", "en": "Silver"}, silver),
            service.LevelForm({"lv": "Zelts", "en": "Gold"}, gold),
        ],
    )


def make_scheme(app, **form) -> tuple[str, dict[str, str]]:
    """The scheme's id and its levels' ids by English name."""
    with transaction(app.state.session_factory) as session:
        scheme = service.create_scheme(session, ADMIN, scheme_form(**form))
        return scheme.id, {level.name["en"]: level.id for level in service.scheme_levels(session, scheme.id)}
