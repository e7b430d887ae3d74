"""Use cases of recognition levels: the platform administrator's schemes, a volunteer's progress and their request
for a level (the platform signs the level credential), and what a counted credential's status change does to the
levels it supports.

Decisions (see domain.py for the counting rules):
- a level credential names its evidence once and for all: when a credential it counted is revoked, suspended or
  superseded, only that evidence is counted again (through corrections), and if it falls under the level's
  threshold the level credential is suspended (a bit in the platform's suspension list) and the volunteer told by
  e-mail which credential it was; other credentials held since do not prop it up (they can earn a new award);
- when the evidence again reaches the threshold (the counted credential reinstated), the level is reinstated;
- a pseudonymous pocket has no address: its levels are suspended all the same, without an e-mail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from base.db import utcnow
from base.errors import UserError
from base.i18n import messages, normalise_language
from base.mail.outbox import queue_email
from catalogue import load_catalogue
from credentials.common import credential_url, verify_page_url
from credentials.document import SubjectIdentity, new_salt
from credentials.holders.service import held_credentials, holder_for_user, holder_of_user
from credentials.holders.store import HolderRow
from credentials.levels import domain
from credentials.levels.document import CountedCredential, build_level_credential
from credentials.levels.store import (
    LevelAwardRow,
    LevelEvidenceRow,
    LevelSchemeRow,
    PlatformStatusListRow,
    SchemeLevelRow,
)
from credentials.proofs.dataintegrity import format_created
from credentials.proofs.statuslist import (
    MIN_LIST_SIZE,
    StatusEntry,
    empty_bits,
    new_order_key,
    set_bit,
    shuffled_index,
    status_list_credential,
)
from credentials.store import CredentialRow, RecordRow
from issuers.auth import Principal
from issuers.platform import platform_did, platform_profile
from issuers.platform_keys import platform_signing_identity
from issuers.service import IssuerContext
from issuers.store import UserRow, append_audit

LANGUAGES = ("lv", "en", "ru", "uk")
REQUIRED_LANGUAGES = ("lv", "en")
MAX_LEVELS = 5
SUSPENSION = "suspension"
LEVEL_CREDENTIALS_PATH = "/levels/credentials/"


def level_credential_url(base_url: str, award_id: str) -> str:
    return f"{base_url}{LEVEL_CREDENTIALS_PATH}{award_id}"


def platform_status_list_url(base_url: str, purpose: str, number: int) -> str:
    return f"{base_url}/levels/status/{purpose}/{number}"


def in_language(names: dict, lang: str) -> str:
    """A name in the language asked, else English, else Latvian."""
    return names.get(lang) or names.get("en") or names.get("lv") or ""


# --- schemes (the platform administrator) ----------------------------------------------------------------------------


@dataclass
class LevelForm:
    name: dict[str, str] = field(default_factory=dict)
    threshold: str = ""


@dataclass
class SchemeForm:
    name: dict[str, str] = field(default_factory=dict)
    period: str = "lifetime"
    domains: list[str] = field(default_factory=list)
    bonus_note: dict[str, str] = field(default_factory=dict)
    levels: list[LevelForm] = field(default_factory=list)


@dataclass
class ValidScheme:
    name: dict[str, str]
    period: str
    domains: list[str]
    bonus_note: dict[str, str]
    levels: list[tuple[dict[str, str], Decimal]]


def _names(values: dict[str, str]) -> dict[str, str]:
    return {lang: (values.get(lang) or "").strip() for lang in LANGUAGES if (values.get(lang) or "").strip()}


def validate_scheme(form: SchemeForm) -> ValidScheme:
    """The form checked: every problem named by its field (`name_lv`, `level_1_threshold`, ...)."""
    errors: list[dict] = []
    name = _names(form.name)
    for lang in REQUIRED_LANGUAGES:
        if lang not in name:
            errors.append({"field": f"name_{lang}", "message": messages().text("levels.error.name_required")})
    for lang, value in name.items():
        if len(value) > 200:
            errors.append({"field": f"name_{lang}", "message": messages().text("levels.error.too_long")})
    if form.period not in domain.PERIODS:
        errors.append({"field": "period", "message": messages().text("levels.error.period")})
    known_domains = {entry.code for entry in load_catalogue().domains}
    domains = sorted(set(form.domains))
    if any(code not in known_domains for code in domains):
        errors.append({"field": "domains", "message": messages().text("levels.error.domain")})
    note = _names(form.bonus_note)
    for lang, value in note.items():
        if len(value) > 2000:
            errors.append({"field": f"bonus_{lang}", "message": messages().text("levels.error.too_long")})
    levels: list[tuple[dict[str, str], Decimal]] = []
    thresholds: set[Decimal] = set()
    for position, level in enumerate(form.levels, start=1):
        level_name, raw = _names(level.name), level.threshold.strip().replace(",", ".")
        if not level_name and not raw:
            continue  # an empty row of the form
        for lang in REQUIRED_LANGUAGES:
            if lang not in level_name:
                errors.append(
                    {"field": f"level_{position}_name_{lang}", "message": messages().text("levels.error.name_required")}
                )
        try:
            threshold = Decimal(raw)
            if not threshold.is_finite() or threshold <= 0 or threshold > 100_000 or threshold != round(threshold, 2):
                raise InvalidOperation
        except InvalidOperation:
            errors.append(
                {"field": f"level_{position}_threshold", "message": messages().text("levels.error.threshold")}
            )
            continue
        if threshold in thresholds:
            errors.append(
                {"field": f"level_{position}_threshold", "message": messages().text("levels.error.threshold_twice")}
            )
        thresholds.add(threshold)
        levels.append((level_name, threshold))
    if not levels and not any(error["field"].startswith("level_") for error in errors):
        errors.append({"field": "level_1_threshold", "message": messages().text("levels.error.no_levels")})
    if len(form.levels) > MAX_LEVELS:
        errors.append({"field": "levels", "message": messages().text("levels.error.too_many")})
    if errors:
        raise UserError("levels.error.invalid", errors=errors)
    return ValidScheme(name, form.period, domains, note, levels)


def create_scheme(session: Session, principal: Principal, form: SchemeForm) -> LevelSchemeRow:
    principal.require("platform.levels")
    valid = validate_scheme(form)
    scheme = LevelSchemeRow(name=valid.name, period=valid.period, domains=valid.domains, bonus_note=valid.bonus_note)
    session.add(scheme)
    session.flush()
    for level_name, threshold in valid.levels:
        session.add(SchemeLevelRow(scheme_id=scheme.id, name=level_name, threshold=threshold))
    session.flush()
    append_audit(session, "level_scheme.create", subject_id=scheme.id, principal=principal, details={})
    return scheme


def update_scheme(session: Session, principal: Principal, scheme_id: str, form: SchemeForm) -> LevelSchemeRow:
    """The levels are matched by their place, lowest threshold first; a level already awarded keeps its threshold
    (the credentials issued name it) and cannot be removed."""
    principal.require("platform.levels")
    scheme = get_scheme(session, scheme_id)
    valid = validate_scheme(form)
    current = scheme_levels(session, scheme.id)
    awarded = set(session.scalars(select(LevelAwardRow.level_id).where(LevelAwardRow.scheme_id == scheme.id)))
    errors = []
    for position, level in enumerate(current, start=1):
        if level.id not in awarded:
            continue
        if position > len(valid.levels) or valid.levels[position - 1][1] != level.threshold:
            errors.append({"field": f"level_{position}_threshold", "message": messages().text("levels.error.awarded")})
    if awarded and valid.period != scheme.period:
        errors.append({"field": "period", "message": messages().text("levels.error.awarded_period")})
    if errors:
        raise UserError("levels.error.invalid", errors=errors)
    scheme.name, scheme.period, scheme.domains, scheme.bonus_note = (
        valid.name,
        valid.period,
        valid.domains,
        valid.bonus_note,
    )
    scheme.updated_at = utcnow()
    for position, (level_name, threshold) in enumerate(valid.levels):
        if position < len(current):
            current[position].name, current[position].threshold = level_name, threshold
        else:
            session.add(SchemeLevelRow(scheme_id=scheme.id, name=level_name, threshold=threshold))
    for level in current[len(valid.levels) :]:
        session.delete(level)
    session.flush()
    append_audit(session, "level_scheme.update", subject_id=scheme.id, principal=principal, details={})
    return scheme


def list_schemes(session: Session) -> list[LevelSchemeRow]:
    return list(session.scalars(select(LevelSchemeRow).order_by(LevelSchemeRow.created_at, LevelSchemeRow.id)))


def get_scheme(session: Session, scheme_id: str) -> LevelSchemeRow:
    scheme = session.get(LevelSchemeRow, scheme_id)
    if scheme is None:
        raise UserError("levels.scheme_not_found", kind="not_found")
    return scheme


def scheme_levels(session: Session, scheme_id: str) -> list[SchemeLevelRow]:
    return list(
        session.scalars(
            select(SchemeLevelRow)
            .where(SchemeLevelRow.scheme_id == scheme_id)
            .order_by(SchemeLevelRow.threshold, SchemeLevelRow.id)
        )
    )


def scheme_form_of(session: Session, scheme: LevelSchemeRow) -> SchemeForm:
    return SchemeForm(
        name=dict(scheme.name),
        period=scheme.period,
        domains=list(scheme.domains),
        bonus_note=dict(scheme.bonus_note),
        levels=[
            LevelForm(dict(level.name), str(level.threshold.normalize())) for level in scheme_levels(session, scheme.id)
        ],
    )


def domain_scheme(session: Session, scheme: LevelSchemeRow) -> domain.Scheme:
    return domain.Scheme(
        scheme.period,
        frozenset(scheme.domains),
        tuple(domain.Level(level.id, level.threshold, level.name) for level in scheme_levels(session, scheme.id)),
    )


# --- the facts of credentials ----------------------------------------------------------------------------------------


@dataclass
class KnownCredentials:
    """Facts of credentials and of their corrections, as the counting rules take them."""

    facts: dict[str, domain.CredentialFacts]
    corrections: dict[str, domain.CredentialFacts]


def _valid_until(document: str) -> datetime | None:
    value = json.loads(document).get("validUntil")
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _facts_of(session: Session, rows: list[CredentialRow]) -> dict[str, domain.CredentialFacts]:
    record_ids = [row.record_id for row in rows if row.record_id]
    records = (
        {record.id: record for record in session.scalars(select(RecordRow).where(RecordRow.id.in_(record_ids)))}
        if record_ids
        else {}
    )
    catalogue = load_catalogue()
    facts = {}
    for row in rows:
        record = records.get(row.record_id) if row.record_id else None
        mission_domain = None
        if record is not None:
            try:
                mission_domain = catalogue.mission_type(record.mission_type).domain
            except UserError:
                mission_domain = None
        facts[row.id] = domain.CredentialFacts(
            id=row.id,
            status=row.status,
            hours=record.hours if record is not None else None,
            end_date=record.end_date if record is not None else None,
            domain=mission_domain,
            valid_until=_valid_until(row.document),
            superseded_by=row.superseded_by,
            title=record.title if record is not None else "",
        )
    return facts


def _known(session: Session, rows: list[CredentialRow]) -> KnownCredentials:
    facts = _facts_of(session, rows)
    corrections: dict[str, domain.CredentialFacts] = {}
    wanted = {f.superseded_by for f in facts.values() if f.superseded_by}
    while wanted:
        found = _facts_of(session, list(session.scalars(select(CredentialRow).where(CredentialRow.id.in_(wanted)))))
        corrections.update(found)
        wanted = {f.superseded_by for f in found.values() if f.superseded_by} - set(corrections) - set(facts)
    return KnownCredentials(facts, corrections)


# --- a volunteer's progress and request -------------------------------------------------------------------------------


@dataclass
class SchemeProgress:
    scheme: LevelSchemeRow
    levels: list[SchemeLevelRow]
    tally: domain.Tally
    reached: set[str]  # level ids
    next_level: SchemeLevelRow | None
    awards: dict[str, LevelAwardRow]  # level id -> this period's award

    @property
    def bar_maximum(self) -> Decimal:
        target = self.next_level or (self.levels[-1] if self.levels else None)
        return target.threshold if target is not None else Decimal(1)

    @property
    def bar_value(self) -> Decimal:
        return min(self.tally.total, self.bar_maximum)


def progress(session: Session, user_id: str, today: date, now: datetime | None = None) -> list[SchemeProgress]:
    """Every scheme with the signed-in volunteer's hours counted so far (none held yet: nothing counted)."""
    holder = holder_of_user(session, user_id)
    rows = held_credentials(session, holder) if holder is not None else []
    known = _known(session, rows)
    held = [known.facts[row.id] for row in rows]
    result = []
    for scheme in list_schemes(session):
        rules = domain_scheme(session, scheme)
        counted = domain.tally(rules, held, known.corrections, today, now or datetime.now(UTC))
        levels = scheme_levels(session, scheme.id)
        reached = {level.id for level in domain.reached(rules, counted.total)}
        upcoming = domain.next_level(rules, counted.total)
        awards = {}
        if holder is not None:
            awards = {
                award.level_id: award
                for award in session.scalars(
                    select(LevelAwardRow).where(
                        LevelAwardRow.holder_id == holder.id,
                        LevelAwardRow.scheme_id == scheme.id,
                        LevelAwardRow.period_key == counted.window.key,
                    )
                )
            }
        next_row = next((level for level in levels if upcoming and level.id == upcoming.id), None)
        result.append(SchemeProgress(scheme, levels, counted, reached, next_row, awards))
    return result


def period_text(scheme: LevelSchemeRow, span: domain.Window, lang: str) -> str:
    text = messages()
    if scheme.period == "lifetime":
        return text.get("levels.period_text.lifetime", lang)
    if scheme.period == "calendar_year":
        return text.get("levels.period_text.calendar_year", lang, year=span.key)
    return text.get(
        "levels.period_text.rolling_12_months",
        lang,
        start=span.start.isoformat() if span.start else "",
        end=span.end.isoformat(),
    )


def request_level(
    session: Session,
    ctx: IssuerContext,
    user: UserRow,
    scheme_id: str,
    level_id: str,
    lang: str,
    today: date,
    principal: Principal | None = None,
) -> LevelAwardRow:
    """Issues the level credential to the signed-in volunteer when their credentials reach its threshold now: signed
    by the platform, its suspension entry in the platform's list, its evidence the credentials counted."""
    lang = normalise_language(lang)
    scheme = get_scheme(session, scheme_id)
    level = session.get(SchemeLevelRow, level_id)
    if level is None or level.scheme_id != scheme.id:
        raise UserError("levels.level_not_found", kind="not_found")
    holder = holder_for_user(session, user.id, lang)
    rows = held_credentials(session, holder)
    known = _known(session, rows)
    now = datetime.now(UTC)
    counted = domain.tally(
        domain_scheme(session, scheme), [known.facts[r.id] for r in rows], known.corrections, today, now
    )
    if counted.total < level.threshold:
        raise UserError("levels.not_reached", kind="conflict")
    existing = session.scalar(
        select(LevelAwardRow).where(
            LevelAwardRow.holder_id == holder.id,
            LevelAwardRow.level_id == level.id,
            LevelAwardRow.period_key == counted.window.key,
        )
    )
    if existing is not None:
        raise UserError("levels.already_awarded", kind="conflict")
    award_id = _new_award_id()
    url = level_credential_url(ctx.base_url, award_id)
    status_list, index = _allocate_suspension_index(session)
    entry = StatusEntry(SUSPENSION, index, platform_status_list_url(ctx.base_url, SUSPENSION, status_list.number))
    identity = platform_signing_identity(session, ctx)
    created = format_created(now)
    counted_credentials = counted.counted
    document = build_level_credential(
        credential_url=url,
        issuer_profile=platform_profile(ctx.base_url),
        level_name=in_language(level.name, lang),
        scheme_name=in_language(scheme.name, lang),
        threshold=level.threshold,
        period_text=period_text(scheme, counted.window, lang),
        hours=counted.total,
        counted=[
            CountedCredential(credential_url(ctx.base_url, facts.id), facts.title, facts.hours or Decimal(0))
            for facts in counted_credentials
        ],
        subject_identity=SubjectIdentity(salt=new_salt(), name=user.name, email=user.email),
        status_entries=[entry.as_json()],
        valid_from=created,
        language=lang,
    )
    from credentials.service import sign_document  # the organisations' signing path (it imports this module)

    signed = sign_document(document, identity, created)
    award = LevelAwardRow(
        id=award_id,
        holder_id=holder.id,
        scheme_id=scheme.id,
        level_id=level.id,
        period_key=counted.window.key,
        hours=counted.total,
        evidence=[{"credential_id": f.id, "hours": str(f.hours)} for f in counted_credentials],
        document=json.dumps(signed, ensure_ascii=False, separators=(",", ":")),
        language=lang,
        status="active",
        suspension_list_id=status_list.id,
        suspension_index=index,
    )
    try:
        with session.begin_nested():
            session.add(award)
            session.flush()
    except IntegrityError:
        raise UserError("levels.already_awarded", kind="conflict") from None
    for facts in counted_credentials:
        session.add(LevelEvidenceRow(award_id=award.id, credential_id=facts.id))
    session.flush()
    append_audit(
        session,
        "level.award",
        subject_id=award.id,
        principal=principal,
        details={"scheme": scheme.id, "level": level.id, "key": identity.key_row_id},
    )
    return award


def _new_award_id() -> str:
    from credentials.service import new_credential_id

    return new_credential_id()


def awards_of_user(session: Session, user_id: str) -> list[LevelAwardRow]:
    holder = holder_of_user(session, user_id)
    if holder is None:
        return []
    return list(
        session.scalars(
            select(LevelAwardRow).where(LevelAwardRow.holder_id == holder.id).order_by(LevelAwardRow.issued_at.desc())
        )
    )


def award_of_user(session: Session, user_id: str, award_id: str) -> LevelAwardRow:
    """One of the signed-in volunteer's own awards; another's does not exist here."""
    award = session.get(LevelAwardRow, award_id)
    holder = holder_of_user(session, user_id)
    if award is None or holder is None or award.holder_id != holder.id:
        raise UserError("levels.award_not_found", kind="not_found")
    return award


def cause_titles(session: Session, awards: list[LevelAwardRow]) -> dict[str, str]:
    """For each suspended award, the title of the credential whose status change suspended it."""
    titles = {}
    for award in awards:
        if award.status == "suspended" and award.status_credential_id:
            row = session.get(CredentialRow, award.status_credential_id)
            record = session.get(RecordRow, row.record_id) if row is not None and row.record_id else None
            titles[award.id] = record.title if record is not None else award.status_credential_id
    return titles


def level_award(session: Session, award_id: str) -> LevelAwardRow | None:
    """Anyone holding the id may read the level credential (the random id is the capability, as for any credential)."""
    if len(award_id) > 64:
        return None
    return session.get(LevelAwardRow, award_id)


# --- the platform's status list ----------------------------------------------------------------------------------------


def _allocate_suspension_index(session: Session) -> tuple[PlatformStatusListRow, int]:
    for _ in range(5):
        current = session.scalar(
            select(PlatformStatusListRow)
            .where(PlatformStatusListRow.purpose == SUSPENSION)
            .order_by(PlatformStatusListRow.number.desc())
            .limit(1)
            .with_for_update()
        )
        if current is not None and current.allocated_count < current.size:
            index = shuffled_index(current.order_key, current.allocated_count, current.size)
            current.allocated_count += 1
            session.flush()
            return current, index
        number = (current.number + 1) if current is not None else 1
        try:
            with session.begin_nested():
                session.add(
                    PlatformStatusListRow(
                        purpose=SUSPENSION,
                        number=number,
                        size=MIN_LIST_SIZE,
                        bits=bytes(empty_bits()),
                        order_key=new_order_key(),
                        allocated_count=0,
                        version=1,
                        signed_version=0,
                    )
                )
        except IntegrityError:
            continue  # another transaction made it first: read again
    raise UserError("status.allocation_failed", kind="conflict")


def _set_bit(session: Session, list_id: str, index: int, value: bool) -> None:
    row = session.scalar(
        select(PlatformStatusListRow)
        .where(PlatformStatusListRow.id == list_id)
        .options(undefer(PlatformStatusListRow.bits))
        .with_for_update()
    )
    bits = bytearray(row.bits)
    set_bit(bits, index, value)
    row.bits, row.version, row.updated_at = bytes(bits), row.version + 1, utcnow()
    session.flush()


def signed_platform_status_list(session: Session, ctx: IssuerContext, purpose: str, number: int) -> dict | None:
    """The platform's status list, signed again first when a bit changed since it was last signed."""
    row = session.scalar(
        select(PlatformStatusListRow).where(
            PlatformStatusListRow.purpose == purpose, PlatformStatusListRow.number == number
        )
    )
    if row is None:
        return None
    if row.signed_credential is None or row.signed_version < row.version:
        from credentials.service import sign_document

        identity = platform_signing_identity(session, ctx)
        now = format_created(datetime.now(UTC))
        url = platform_status_list_url(ctx.base_url, purpose, number)
        document = status_list_credential(url, platform_did(ctx.base_url), purpose, row.bits, now)
        row.signed_credential = json.dumps(sign_document(document, identity, now), separators=(",", ":"))
        row.signed_version = row.version
        session.flush()
    return json.loads(row.signed_credential)


def current_platform_status_list(session: Session, purpose: str, number: int) -> dict | None:
    """The list as last signed, if that is current (the verifier's read, which never writes); None otherwise."""
    row = session.execute(
        select(PlatformStatusListRow.signed_credential).where(
            PlatformStatusListRow.purpose == purpose,
            PlatformStatusListRow.number == number,
            PlatformStatusListRow.signed_version >= PlatformStatusListRow.version,
        )
    ).scalar()
    return json.loads(row) if row else None


# --- a counted credential's status changed ----------------------------------------------------------------------------


def credentials_changed(session: Session, principal: Principal | None, credential_ids: list[str]) -> None:
    """Recounts the evidence of every level award that leans on these credentials, in the caller's transaction:
    under the threshold, the level is suspended and the volunteer told why; back at it, reinstated."""
    if not credential_ids:
        return
    award_ids = set(
        session.scalars(select(LevelEvidenceRow.award_id).where(LevelEvidenceRow.credential_id.in_(credential_ids)))
    )
    if not award_ids:
        return
    now = datetime.now(UTC)
    for award in session.scalars(
        select(LevelAwardRow)
        .where(LevelAwardRow.id.in_(sorted(award_ids)))
        .order_by(LevelAwardRow.id)
        .with_for_update()
    ):
        evidence_ids = [item["credential_id"] for item in award.evidence]
        known = _known(session, list(session.scalars(select(CredentialRow).where(CredentialRow.id.in_(evidence_ids)))))
        leaned_on = set(
            session.scalars(select(LevelEvidenceRow.credential_id).where(LevelEvidenceRow.award_id == award.id))
        )
        for correction_id in sorted(set(known.corrections) - leaned_on):  # a correction supports it from now on
            session.add(LevelEvidenceRow(award_id=award.id, credential_id=correction_id))
        total = domain.evidence_total(evidence_ids, known.facts, known.corrections, now)
        level = session.get(SchemeLevelRow, award.level_id)
        if award.status == "active" and total < level.threshold:
            cause = next(iter(sorted(set(credential_ids) & (set(evidence_ids) | set(known.corrections)))), None)
            _change_award(session, principal, award, "suspended", cause)
            _tell_volunteer(session, award, level, cause, known)
        elif award.status == "suspended" and total >= level.threshold:
            _change_award(session, principal, award, "active", None)
    session.flush()


def _change_award(
    session: Session, principal: Principal | None, award: LevelAwardRow, status: str, cause: str | None
) -> None:
    _set_bit(session, award.suspension_list_id, award.suspension_index, status == "suspended")
    award.status, award.status_credential_id, award.status_changed_at = status, cause, utcnow()
    append_audit(
        session,
        "level.suspend" if status == "suspended" else "level.reinstate",
        subject_id=award.id,
        principal=principal,
        details={"credential": cause},
    )


def _tell_volunteer(
    session: Session, award: LevelAwardRow, level: SchemeLevelRow, cause: str | None, known: KnownCredentials
) -> None:
    holder = session.get(HolderRow, award.holder_id)
    user = session.get(UserRow, holder.user_id) if holder is not None and holder.user_id else None
    if user is None:
        return  # a pseudonymous pocket: no address to write to
    scheme = session.get(LevelSchemeRow, award.scheme_id)
    document = json.loads(award.document)
    base_url = document["id"].rsplit(LEVEL_CREDENTIALS_PATH, 1)[0]  # the address the level was issued under
    cause_facts = known.facts.get(cause or "") or known.corrections.get(cause or "")
    lang = holder.language
    queue_email(
        session,
        to=user.email,
        template="credentials.levels/level_suspended",
        language=lang,
        context={
            "level": in_language(level.name, lang),
            "scheme": in_language(scheme.name, lang),
            "credential": cause_facts.title if cause_facts is not None else "",
            "credential_url": verify_page_url(base_url, cause) if cause else "",
            "link": f"{base_url}/my/levels",
        },
        kind="level_suspended",
        dedupe_key=f"level-suspended:{award.id}:{award.status_changed_at.isoformat()}",
    )
