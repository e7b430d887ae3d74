"""The audit log's hash chain. Pure: canonical JSON of an entry, its hash, and checking a chain of entries.

Each entry holds the hash of the one before it, so changing, removing or reordering any entry breaks every hash
after it. Entries carry ids only (organisation, subject, actor): never names, e-mails or other personal data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

GENESIS = "0" * 64
ACTIONS = (
    "record.approve",
    "record.return",
    "record.revise",
    "credential.issue",
    "credential.revoke",
    "credential.suspend",
    "credential.unsuspend",
    "credential.wallet_offer",
    "credential.wallet_deliver",
    "credential.claim",
    "key.rotate",
    "key.compromise",
    "mission.create",
    "mission.update",
    "mission.close",
    "mission.reopen",
    "mission.issue",
    "invitation.create",
    "participation.add",
    "participation.update",
    "participation.status",
    "participation.remove",
    "organisation.register",
    "organisation.update",
    "organisation.image",
    "organisation.status",
    "steward.grant",
    "steward.revoke",
    "member.invite",
    "member.join",
    "member.role",
    "member.remove",
    "token.create",
    "token.revoke",
    "account.password_reset",
    "account.password_change",
    "account.create",
    "account.sign_in_link",
    "account.remove",
    "holder.confirm",
    "batch.create",
    "batch.start",
    "batch.cancel",
    "statement.send",
    "level_scheme.create",
    "level_scheme.update",
    "level.award",
    "level.suspend",
    "level.reinstate",
)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str  # ISO 8601 UTC, as text: the hashed form must not depend on how a database stores time
    action: str
    organisation_id: str | None
    subject_id: str | None
    actor_id: str | None
    details: dict = field(default_factory=dict)
    prev_hash: str = GENESIS

    def canonical(self) -> bytes:
        body = {
            "seq": self.seq,
            "at": self.at,
            "action": self.action,
            "organisation_id": self.organisation_id,
            "subject_id": self.subject_id,
            "actor_id": self.actor_id,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None  # the first entry that does not fit the chain (None: the head row disagrees with the entries)
    reason: str  # "hash", "link", "sequence" or "head"


def check_chain(entries, head_seq: int, head_hash: str) -> tuple[int, ChainBreak | None]:
    """Walks `(entry, stored_hash)` pairs in sequence order; returns how many fit and the first break, if any."""
    previous, expected_seq, count = GENESIS, 1, 0
    for entry, stored_hash in entries:
        if entry.seq != expected_seq:
            return count, ChainBreak(expected_seq if entry.seq > expected_seq else entry.seq, "sequence")
        if entry.prev_hash != previous:
            return count, ChainBreak(entry.seq, "link")
        if entry.hash() != stored_hash:
            return count, ChainBreak(entry.seq, "hash")
        previous, expected_seq, count = stored_hash, expected_seq + 1, count + 1
    if head_seq != count or head_hash != previous:
        # Entries removed from the end (or the head rewritten): the head remembers what the chain reached.
        return count, ChainBreak(count + 1 if head_seq > count else None, "head")
    return count, None
