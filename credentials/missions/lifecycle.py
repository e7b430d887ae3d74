"""The life cycle of a volunteer on a mission, as one table of allowed transitions (the statuses the ministry's
information system lists for volunteers):

    new ──approve──▶ approved ──start──▶ active ──finish──▶ finished
                        │                   ▲                  │
                        └──────finish───────┼──────────────────┤
                                            └─────reopen───────┘  (not once their credential is issued)

Anyone not yet finished may be removed from the mission. Services ask `allows` / `next_status`.
"""

from __future__ import annotations

from typing import Final

NEW: Final = "new"
APPROVED: Final = "approved"
ACTIVE: Final = "active"
FINISHED: Final = "finished"

STATUSES: Final = (NEW, APPROVED, ACTIVE, FINISHED)

# (status, action) -> the status after it. Nothing else is allowed.
TRANSITIONS: Final[dict[tuple[str, str], str]] = {
    (NEW, "approve"): APPROVED,
    (APPROVED, "start"): ACTIVE,
    (APPROVED, "finish"): FINISHED,  # a one-day event: approved people who came are finished at once
    (ACTIVE, "finish"): FINISHED,
    (FINISHED, "reopen"): ACTIVE,  # to correct hours before issuing
}
ACTIONS: Final = tuple(dict.fromkeys(action for (_, action) in TRANSITIONS))

# Who may still be taken off the mission.
REMOVABLE: Final = (NEW, APPROVED, ACTIVE)


def allows(status: str, action: str) -> bool:
    return (status, action) in TRANSITIONS


def next_status(status: str, action: str) -> str:
    """The status after `action`; ValueError when the table does not allow it (services check `allows` first)."""
    if not allows(status, action):
        raise ValueError(f"a {status} participant cannot {action}")
    return TRANSITIONS[(status, action)]


def from_statuses(action: str) -> tuple[str, ...]:
    """The statuses `action` may start from (for changing everyone at once)."""
    return tuple(status for (status, name) in TRANSITIONS if name == action)
