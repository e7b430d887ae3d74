"""Use cases of wallets: offering a credential to a wallet, exchanging the offer's pre-authorized code for an access
token, and delivering the credential as issued.

A credential is offered and delivered only while it is active: a revoked or suspended one would reach the wallet as a
credential every verifier refuses, so the volunteer is told why instead (the offer page), and a credential revoked
after its offer was made is refused with `credential_request_denied`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from base.db import utcnow
from base.errors import UserError
from credentials.store import CredentialRow
from credentials.wallet.offers import (
    ACCESS_TOKEN_LIFETIME,
    ACCESS_TOKEN_PREFIX,
    CODE_LIFETIME,
    CODE_PREFIX,
    OAuthError,
    TokenRequest,
    credential_offer,
    fits_configuration,
    offer_link,
)
from credentials.wallet.store import WalletOfferRow
from issuers.auth import hash_token, new_token
from issuers.store import append_audit


@dataclass(frozen=True)
class Offer:
    """A fresh offer: the offer object, the deep link (the QR's content) and when its code expires. The code in
    them is shown once and stored only as a hash."""

    offer: dict
    link: str
    expires_at: datetime


def offerable(row: CredentialRow) -> bool:
    """Whether a credential may go to a wallet: active, and the kind of document the issuer metadata announces."""
    return row.status == "active" and fits_configuration(json.loads(row.document))


def create_offer(session: Session, credential_id: str, base_url: str, *, now: datetime | None = None) -> Offer:
    """A new single-use offer of one credential, valid for `CODE_LIFETIME`. The caller has checked that the
    credential is the volunteer's own. The credential's earlier offers that were never exchanged, or have expired,
    end here: one live offer per credential."""
    now = now or utcnow()
    row = session.get(CredentialRow, credential_id)
    if row is None:
        raise UserError("credential.not_found", kind="not_found")
    if not offerable(row):
        raise UserError("wallet.not_offerable", kind="conflict")
    session.execute(
        delete(WalletOfferRow).where(
            WalletOfferRow.credential_id == credential_id,
            or_(WalletOfferRow.used_at.is_(None), WalletOfferRow.expires_at <= now),
            WalletOfferRow.delivered_at.is_(None),
        )
    )
    code = new_token(CODE_PREFIX)
    expires_at = now + CODE_LIFETIME
    offer_row = WalletOfferRow(
        credential_id=credential_id, code_hash=hash_token(code), expires_at=expires_at, created_at=now
    )
    session.add(offer_row)
    session.flush()
    append_audit(
        session,
        "credential.wallet_offer",
        organisation_id=row.organisation_id,
        subject_id=credential_id,
        details={"offer": offer_row.id},
    )
    offer = credential_offer(base_url, code)
    return Offer(offer, offer_link(offer), expires_at)


def exchange_code(session: Session, request: TokenRequest, *, now: datetime | None = None) -> dict:
    """The token response (OID4VCI 1.0 §6.2) for a pre-authorized code: once, before it expires. The access token
    opens the one credential of the offer, once, for `ACCESS_TOKEN_LIFETIME`."""
    now = now or utcnow()
    token = new_token(ACCESS_TOKEN_PREFIX)
    exchanged = session.execute(
        update(WalletOfferRow)
        .where(
            WalletOfferRow.code_hash == hash_token(request.pre_authorized_code),
            WalletOfferRow.used_at.is_(None),
            WalletOfferRow.expires_at > now,
        )
        .values(used_at=now, access_token_hash=hash_token(token), token_expires_at=now + ACCESS_TOKEN_LIFETIME)
        .execution_options(synchronize_session=False)
    )
    if exchanged.rowcount != 1:  # type: ignore[attr-defined]
        raise OAuthError("invalid_grant", "The pre-authorized code is unknown, expired or already used.")
    return {"access_token": token, "token_type": "Bearer", "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds())}


def deliver(session: Session, access_token: str, *, now: datetime | None = None) -> str:
    """The signed credential of the access token's offer, exactly as stored (the caller has checked the request).
    The token then ends: a second request, or a concurrent one, is refused."""
    now = now or utcnow()
    token_hash = hash_token(access_token)
    offer = session.scalars(
        select(WalletOfferRow).where(
            WalletOfferRow.access_token_hash == token_hash,
            WalletOfferRow.delivered_at.is_(None),
            WalletOfferRow.token_expires_at > now,
        )
    ).one_or_none()
    if offer is None:
        raise OAuthError("invalid_token", "The access token is unknown, expired or already used.", 401)
    credential = session.get(CredentialRow, offer.credential_id)
    if credential is None or not offerable(credential):
        raise OAuthError("credential_request_denied", "This credential is no longer active and is not delivered.")
    delivered = session.execute(
        update(WalletOfferRow)
        .where(and_(WalletOfferRow.id == offer.id, WalletOfferRow.delivered_at.is_(None)))
        .values(delivered_at=now)
        .execution_options(synchronize_session=False)
    )
    if delivered.rowcount != 1:  # type: ignore[attr-defined]
        raise OAuthError("invalid_token", "The access token is unknown, expired or already used.", 401)
    append_audit(
        session,
        "credential.wallet_deliver",
        organisation_id=credential.organisation_id,
        subject_id=credential.id,
        details={"offer": offer.id},
    )
    return credential.document
