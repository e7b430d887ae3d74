"""Claim codes: a short code per credential, printed on the volunteer's own certificate and shown once to the
organiser, with which anyone holding it (a pseudonymous volunteer above all) gathers the credential into their place.

The code is derived, never stored: 16 Crockford base32 symbols in groups of four, `XXXX-XXXX-XXXX-XXXX`:
- 8 symbols: the first 40 bits of the credential's id (its first 10 hex digits), so the code alone finds it;
- 7 symbols: the first 35 bits of an HMAC-SHA256, under a key of its own derived from the service's key-encryption
  key, over the credential's id: what only the service can make;
- 1 check symbol (Luhn mod 32 over the 15 before it), so a typo (one wrong symbol, two neighbours swapped) is told
  apart from a wrong code without asking the database.
Reading forgives what people do with codes: lower case, spaces and dashes, O for 0, I and L for 1. The MAC is
compared in constant time; unknown codes are counted per client (`issuers.throttle`, scope `claim`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from base.errors import UserError
from credentials.holders.service import hold
from credentials.holders.store import HeldCredentialRow, HolderRow
from credentials.store import CredentialRow
from issuers.auth import Principal
from issuers.store import append_audit
from issuers.throttle import Throttle

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_READ_AS = {"O": "0", "I": "1", "L": "1"}
PREFIX_SYMBOLS, MAC_SYMBOLS = 8, 7
PREFIX_HEX = PREFIX_SYMBOLS * 5 // 4  # 40 bits = 10 hex digits of the credential id
LENGTH = PREFIX_SYMBOLS + MAC_SYMBOLS + 1
THROTTLE_SCOPE = "claim"


def claim_key(kek: bytes) -> bytes:
    """The claim codes' own key, derived from the key-encryption key (as the CSRF tokens' is)."""
    return hmac.new(kek, b"volcred claim codes", hashlib.sha256).digest()


def _symbols(value: int, count: int) -> str:
    return "".join(ALPHABET[(value >> (5 * (count - 1 - i))) & 31] for i in range(count))


def _check_symbol(symbols: str) -> str:
    """Luhn mod 32: catches every single wrong symbol and every swap of two neighbours."""
    total, factor = 0, 2
    for symbol in reversed(symbols):
        addend = factor * _VALUE[symbol]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def _mac_symbols(kek: bytes, credential_id: str) -> str:
    digest = hmac.new(claim_key(kek), f"claim\x00{credential_id}".encode(), hashlib.sha256).digest()
    return _symbols(int.from_bytes(digest[:5], "big") >> (40 - 5 * MAC_SYMBOLS), MAC_SYMBOLS)


def claim_code(kek: bytes, credential_id: str) -> str:
    """The credential's claim code, grouped for reading: `XXXX-XXXX-XXXX-XXXX`."""
    prefix = _symbols(int(credential_id[:PREFIX_HEX], 16), PREFIX_SYMBOLS)
    body = prefix + _mac_symbols(kek, credential_id)
    code = body + _check_symbol(body)
    return "-".join(code[i : i + 4] for i in range(0, LENGTH, 4))


def normalise_code(text: str) -> str:
    """The code's 16 symbols as typed, forgiving case, spaces, dashes and look-alike letters. A code of the wrong
    length or with a symbol codes never have is refused; so is a typo the check symbol catches."""
    symbols = "".join(_READ_AS.get(c, c) for c in text.upper() if c not in " -\t\u00a0\u2010\u2011\u2012\u2013")
    if not symbols:
        raise UserError("claim.code_missing", errors=[{"field": "code"}])
    if len(symbols) != LENGTH or any(c not in _VALUE for c in symbols):
        raise UserError("claim.code_malformed", errors=[{"field": "code"}], length=LENGTH)
    if _check_symbol(symbols[:-1]) != symbols[-1]:
        raise UserError("claim.code_typo", errors=[{"field": "code"}])
    return symbols


def _unknown() -> UserError:
    return UserError("claim.code_unknown", errors=[{"field": "code"}])


def credential_by_code(session: Session, kek: bytes, text: str) -> CredentialRow:
    """The credential a claim code names. A well-formed code no credential has is `claim.code_unknown`."""
    symbols = normalise_code(text)
    prefix = format(sum(_VALUE[c] << (5 * (PREFIX_SYMBOLS - 1 - i)) for i, c in enumerate(symbols[:8])), "010x")
    mac = symbols[PREFIX_SYMBOLS:-1]
    # Ids are lowercase hex: those starting with `prefix` sort between these two (the primary key's index).
    candidates = session.scalars(
        select(CredentialRow)
        .where(CredentialRow.id >= prefix, CredentialRow.id <= prefix + "g")
        .order_by(CredentialRow.id)
    )
    found = None
    for row in candidates:
        if hmac.compare_digest(_mac_symbols(kek, row.id), mac) and found is None:
            found = row
    if found is None:
        raise _unknown()
    return found


def find_claimable(session: Session, kek: bytes, throttle: Throttle, client: str, text: str) -> CredentialRow:
    """`credential_by_code`, throttled per client: each unknown code counts, and a client that used up its attempts
    is refused (429) before its code is looked at. Typos (caught by the check symbol) do not count."""
    throttle.check(THROTTLE_SCOPE, client, "claim.too_many_attempts")
    try:
        return credential_by_code(session, kek, text)
    except UserError as error:
        if error.key == "claim.code_unknown":
            throttle.hit(THROTTLE_SCOPE, client, "claim.too_many_attempts")
        raise


def holder_elsewhere(session: Session, credential: CredentialRow, holder: HolderRow | None = None) -> bool:
    """Whether another holder (than `holder`, or than nobody) already holds the credential."""
    held = session.get(HeldCredentialRow, credential.id)
    return held is not None and (holder is None or held.holder_id != holder.id)


def refuse_if_held_elsewhere(session: Session, credential: CredentialRow, holder: HolderRow | None = None) -> None:
    if holder_elsewhere(session, credential, holder):
        raise UserError("holder.held_elsewhere", kind="conflict", errors=[{"field": "code"}])


@dataclass(frozen=True)
class Claimed:
    credential: CredentialRow
    holder: HolderRow
    new: bool  # False when the holder already held it (claiming twice is a no-op)


def claim(
    session: Session, holder: HolderRow, credential: CredentialRow, into: str, principal: Principal | None = None
) -> Claimed:
    """Puts the credential into the holder's place by its code, audited (ids only: no personal data); a credential
    another holder holds stays theirs (`holder.held_elsewhere`, a conflict)."""
    refuse_if_held_elsewhere(session, credential, holder)
    new = session.get(HeldCredentialRow, credential.id) is None
    hold(session, holder, credential.id, via="code")
    if new:
        append_audit(
            session,
            "credential.claim",
            organisation_id=credential.organisation_id,
            subject_id=credential.id,
            principal=principal,
            details={"holder_id": holder.id, "into": into},
        )
    return Claimed(credential, holder, new)
