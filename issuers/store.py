"""SQLAlchemy tables of the issuers package: organisations, their keys, accounts, memberships and tokens; and the
audit log (its tables, appending an entry, verifying the chain)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from base.db import Base, UTCDateTime, new_id, utcnow
from issuers.audit import ACTIONS, GENESIS, AuditEntry, ChainBreak, check_chain
from issuers.auth import Principal


class OrganisationRow(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    legal_form: Mapped[str] = mapped_column(String(40))
    registration_number: Mapped[str] = mapped_column(String(20), unique=True)
    municipality: Mapped[str] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(300))
    # Up to 512 KiB each: loaded where used (certificates, the image's own URL), not with every request's organisation.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_media_type: Mapped[str | None] = mapped_column(String(40))
    signatory_name: Mapped[str | None] = mapped_column(String(200))
    signatory_position: Mapped[str | None] = mapped_column(String(200))
    signature_image: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    signature_media_type: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # "web" issues under did:web (resolved from our registry), "key" under the active key's did:key.
    issuer_did_method: Mapped[str] = mapped_column(String(10), default="web")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Raised whenever something a verifier reads about this organisation changes (its registry entry, its keys, its
    # status lists' bits): verifiers keep what they read per version (issuers.verification_version).
    verification_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    keys: Mapped[list[SigningKeyRow]] = relationship(back_populates="organisation", order_by="SigningKeyRow.created_at")


class SigningKeyRow(Base):
    __tablename__ = "signing_keys"
    __table_args__ = (UniqueConstraint("organisation_id", "fragment"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The verification method's fragment in the did:web document: "key-1", "key-2", ...
    fragment: Mapped[str] = mapped_column(String(40))
    algorithm: Mapped[str] = mapped_column(String(20), default="Ed25519")
    public_multikey: Mapped[str] = mapped_column(String(120), unique=True)
    # AES-GCM nonce || ciphertext of the raw private key; the key id is the associated data.
    encrypted_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # From this moment on, signatures by this key are not to be trusted.
    compromised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    compromise_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[OrganisationRow] = relationship(back_populates="keys")


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # None: no password (a volunteer who signs in by e-mailed links); a password sign-in then always fails.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MembershipRow(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # issuers.auth.ROLES: "owner", "coordinator" or "viewer"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StewardRow(Base):
    """A user a platform administrator made steward of a municipality: they see the volunteering in its territory
    across organisations (the view a municipality's own organisation has)."""

    __tablename__ = "stewards"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(40), primary_key=True)
    granted_by: Mapped[str | None] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiTokenRow(Base):
    """A bearer token: an organisation's API token, or a user's session after login. Stored only as a hash."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_token_hash", "token_hash", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64))
    # The first characters, so people can tell tokens apart without the secret.
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # "organisation" or "session"
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class AccountTokenRow(Base):
    """A one-time link sent by e-mail: a password reset, or an invitation to join an organisation with a role.
    Stored only as a hash; used once, and only until it expires."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_token_hash", "token_hash", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(30))  # "password_reset", "member_invitation" or "sign_in"
    token_hash: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- the audit log ----------------------------------------------------------------------------------------------------
# The audit log's tables and the two things done with them: append an entry, verify the chain.
#
# Entries belong to the caller's transaction: `append_audit` queues them on the session and they are written just
# before it commits (inside the same transaction), or dropped if it, or the savepoint they were made in, rolls back.
# A single head row holds the last sequence number and hash; writing first bumps it with an UPDATE, which takes the
# row lock on PostgreSQL and the write lock on SQLite, so concurrent writers queue instead of forking the chain.
# Writing last means the head lock is always the last lock a transaction takes and is held only for the commit: no
# lock-order deadlock with status lists or keys, and little waiting.

HEAD_ID = 1
PENDING = "audit_pending"  # session.info key: entries queued for the commit


class AuditEntryRow(Base):
    """Append-only: nothing in the service updates or deletes these rows."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[str | None] = mapped_column(String(32), index=True)
    subject_id: Mapped[str | None] = mapped_column(String(64), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def entry(self) -> AuditEntry:
        return AuditEntry(
            seq=self.seq,
            at=self.at,
            action=self.action,
            organisation_id=self.organisation_id,
            subject_id=self.subject_id,
            actor_id=self.actor_id,
            details=self.details or {},
            prev_hash=self.prev_hash,
        )


class AuditHeadRow(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


def actor_of(principal: Principal | None) -> str | None:
    if principal is None:
        return None
    return principal.user_id or principal.token_id


def append_audit(
    session: Session,
    action: str,
    *,
    organisation_id: str | None = None,
    subject_id: str | None = None,
    principal: Principal | None = None,
    details: dict | None = None,
) -> None:
    """Queues one entry for the session's commit. `details` holds ids and codes only, never personal data."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    pending = session.info.setdefault(PENDING, [])
    made_in = session.get_nested_transaction() or session.get_transaction()
    pending.append(
        (
            made_in,
            {
                "action": action,
                "organisation_id": organisation_id,
                "subject_id": subject_id,
                "actor_id": actor_of(principal),
                "details": dict(details or {}),
            },
        )
    )


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.get(PENDING):
        return  # a savepoint's release: its entries wait for the outer commit
    _write_entries(session, [fields for _, fields in session.info.pop(PENDING)])


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction) -> None:
    """Drops the entries made in the rolled-back transaction or savepoint (or in savepoints inside it)."""
    pending = session.info.get(PENDING)
    if not pending:
        return

    def inside(transaction) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    session.info[PENDING] = [item for item in pending if not inside(item[0])]


def _write_entries(session: Session, entries: list[dict]) -> None:
    """A transaction's entries, chained in order, under one lock of the head (a batch of 100 issuances writes 200
    entries: one UPDATE of the head for all of them, not one each). Three statements in all: bump the head, insert
    the entries, set the head's hash."""
    head_seq, previous = _locked_head(session, len(entries))
    seq = head_seq - len(entries)
    rows = []
    for fields in entries:
        seq += 1
        entry = AuditEntry(seq=seq, at=utcnow().isoformat(timespec="microseconds"), prev_hash=previous, **fields)
        previous = entry.hash()
        rows.append({**fields, "seq": entry.seq, "at": entry.at, "prev_hash": entry.prev_hash, "hash": previous})
    session.execute(_INSERT_ENTRIES, rows)
    session.execute(_SET_HEAD_HASH, {"hash": previous})


# Built once (every write transaction runs them). Core statements, on the tables rather than the mapped classes:
# the entries are written and the head is moved, never read back as objects in the transaction, so neither the
# ORM's unit of work (a third of the cost of writing the entries) nor its bulk-UPDATE handling (over half of each
# head UPDATE's cost, its cache key rebuilt on every run) is needed.
_INSERT_ENTRIES = insert(AuditEntryRow.__table__)
_HEAD = AuditHeadRow.__table__
_BUMP_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(seq=_HEAD.c.seq + bindparam("count", type_=Integer))
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(hash=bindparam("hash"))


def _locked_head(session: Session, count: int) -> tuple[int, str]:
    """The head's sequence, already advanced by `count` (the row now locked), and its hash, still the last entry's:
    one UPDATE ... RETURNING (PostgreSQL, and SQLite since 3.35)."""
    for _ in range(3):
        bumped = session.execute(_BUMP_HEAD, {"count": count}).one_or_none()
        if bumped is not None:
            return bumped.seq, bumped.hash
        try:
            with session.begin_nested():
                session.add(AuditHeadRow(id=HEAD_ID, seq=0, hash=GENESIS))
                session.flush()
        except IntegrityError:
            pass  # another writer created it first: bump theirs
    raise RuntimeError("the audit log head row could not be locked")


@dataclass(frozen=True)
class AuditVerification:
    entries: int  # entries that fit the chain
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify_audit_log(session: Session) -> AuditVerification:
    head = session.get(AuditHeadRow, HEAD_ID, populate_existing=True)  # written by UPDATE, not the ORM
    rows = session.execute(select(AuditEntryRow).order_by(AuditEntryRow.seq).execution_options(yield_per=1000))
    entries = ((row.entry(), row.hash) for row in rows.scalars())
    count, broken = check_chain(entries, head.seq if head else 0, head.hash if head else GENESIS)
    return AuditVerification(count, broken)


def audit_entries(session: Session, organisation_id: str | None = None, subject_id: str | None = None) -> list:
    query = select(AuditEntryRow).order_by(AuditEntryRow.seq)
    if organisation_id:
        query = query.where(AuditEntryRow.organisation_id == organisation_id)
    if subject_id:
        query = query.where(AuditEntryRow.subject_id == subject_id)
    return list(session.scalars(query))
