"""The life cycle of a record, as one table of allowed transitions.

    draft ──submit──▶ submitted ──approve──▶ approved ──issue──▶ issued ──supersede──▶ superseded
      ▲ │                │                     │  ▲                 │
      │ └──approve───────┼────────────────────▶│  └─approve (edited)│
      └──save── returned ◀──return─────────────┘                    └─revise: a new approved record
                                                                      (the old one stays issued until
                                                                       the correction is issued)

Who made the record decides where approval may start: a volunteer's statement only once submitted, an organiser's
or a batch's record from a draft too. Services ask `allows` / `next_status` instead of comparing status strings.
"""

from __future__ import annotations

from typing import Final

DRAFT: Final = "draft"
SUBMITTED: Final = "submitted"
RETURNED: Final = "returned"
APPROVED: Final = "approved"
ISSUED: Final = "issued"
SUPERSEDED: Final = "superseded"

STATUSES: Final = (DRAFT, SUBMITTED, RETURNED, APPROVED, ISSUED, SUPERSEDED)

# (status, action) -> the status after it. Nothing else is allowed.
TRANSITIONS: Final[dict[tuple[str, str], str]] = {
    (DRAFT, "save"): DRAFT,  # a volunteer saves their statement again
    (RETURNED, "save"): DRAFT,  # ... or the one the organiser returned to them
    (DRAFT, "submit"): SUBMITTED,
    (RETURNED, "submit"): SUBMITTED,
    (DRAFT, "approve"): APPROVED,  # an organiser's or a batch's own record (see APPROVE_FROM)
    (SUBMITTED, "approve"): APPROVED,
    (APPROVED, "approve_edited"): APPROVED,  # edits to an approved record are a fresh approval
    (SUBMITTED, "return"): RETURNED,
    (APPROVED, "issue"): ISSUED,
    (ISSUED, "revise"): ISSUED,  # a correction is a new record; the issued one stays until it is issued
    (ISSUED, "supersede"): SUPERSEDED,
}

# Where approval may start, by who made the record (RecordRow.source).
APPROVE_FROM: Final[dict[str, tuple[str, ...]]] = {
    "organiser": (DRAFT, SUBMITTED),
    "batch": (DRAFT, SUBMITTED),
    "volunteer": (SUBMITTED,),
}

# A volunteer may still change their statement in these.
EDITABLE: Final = tuple(status for (status, action) in TRANSITIONS if action == "save")


def allows(status: str, action: str, source: str | None = None) -> bool:
    """Whether a record in `status` (made by `source`) may take `action`."""
    if (status, action) not in TRANSITIONS:
        return False
    if action == "approve":
        return status in APPROVE_FROM.get(source or "organiser", (DRAFT, SUBMITTED))
    return True


def next_status(status: str, action: str, source: str | None = None) -> str:
    """The status after `action`; ValueError when the table does not allow it (services check `allows` first and
    refuse with a message)."""
    if not allows(status, action, source):
        raise ValueError(f"a {status} record cannot {action}")
    return TRANSITIONS[(status, action)]
