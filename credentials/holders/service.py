"""Use cases of holders: the holder of a signed-in account or of a pseudonymous pocket, and holding a credential."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from base.errors import UserError
from base.i18n import normalise_language
from credentials.holders.store import HeldCredentialRow, HolderRow
from credentials.issued import IssuedCredential, as_issued
from credentials.store import CredentialRow
from issuers.auth import hash_token, new_token

POCKET_PREFIX = "vcp_"
VIA = ("email", "code")


def holder_of_user(session: Session, user_id: str) -> HolderRow | None:
    return session.scalars(select(HolderRow).where(HolderRow.user_id == user_id)).one_or_none()


def holder_for_user(session: Session, user_id: str, language: str = "lv") -> HolderRow:
    """The account's holder, made on first use (a concurrent first use finds the one the other made)."""
    found = holder_of_user(session, user_id)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            holder = HolderRow(user_id=user_id, language=normalise_language(language))
            session.add(holder)
    except IntegrityError:
        existing = holder_of_user(session, user_id)
        if existing is None:
            raise
        return existing
    return holder


def create_pocket(session: Session, language: str = "lv") -> tuple[HolderRow, str]:
    """A pseudonymous pocket and its secret link token, which is shown once and stored only as a hash."""
    token = new_token(POCKET_PREFIX)
    holder = HolderRow(access_token_hash=hash_token(token), language=normalise_language(language))
    session.add(holder)
    session.flush()
    return holder, token


def pocket_by_token(session: Session, token: str) -> HolderRow:
    """The pocket behind a secret link; an unknown link is not found (never says more)."""
    if not token.startswith(POCKET_PREFIX) or len(token) > 100:
        raise UserError("holder.not_found", kind="not_found")
    found = session.scalars(select(HolderRow).where(HolderRow.access_token_hash == hash_token(token))).one_or_none()
    if found is None:
        raise UserError("holder.not_found", kind="not_found")
    return found


def hold(session: Session, holder: HolderRow, credential_id: str, via: str) -> HeldCredentialRow:
    """Put a credential into the holder's place. Holding it again is a no-op; a credential another holder holds
    stays theirs (a conflict), also against a concurrent claim."""
    if via not in VIA:
        raise ValueError(f"unknown way of holding {via!r}")
    existing = session.get(HeldCredentialRow, credential_id)
    if existing is None:
        try:
            with session.begin_nested():
                existing = HeldCredentialRow(credential_id=credential_id, holder_id=holder.id, via=via)
                session.add(existing)
        except IntegrityError:
            existing = session.get(HeldCredentialRow, credential_id, populate_existing=True)
            if existing is None:
                raise
    if existing.holder_id != holder.id:
        raise UserError("holder.held_elsewhere", kind="conflict")
    return existing


def held_credentials(session: Session, holder: HolderRow) -> list[CredentialRow]:
    """The holder's credentials, newest first."""
    statement = (
        select(CredentialRow)
        .join(HeldCredentialRow, HeldCredentialRow.credential_id == CredentialRow.id)
        .where(HeldCredentialRow.holder_id == holder.id)
        .order_by(CredentialRow.issued_at.desc(), CredentialRow.id)
    )
    return list(session.scalars(statement))


def held_credentials_in_force(session: Session, holder_id: str) -> list[IssuedCredential]:
    """What the holder holds and its issuers have neither revoked nor replaced, oldest first (a suspended one stays:
    its status list says so), as the packages above read credentials."""
    statement = (
        select(CredentialRow)
        .join(HeldCredentialRow, HeldCredentialRow.credential_id == CredentialRow.id)
        .where(
            HeldCredentialRow.holder_id == holder_id,
            CredentialRow.status != "revoked",
            CredentialRow.superseded_by.is_(None),
        )
        .order_by(CredentialRow.issued_at, CredentialRow.id)
    )
    return [as_issued(row) for row in session.scalars(statement)]
