"""A credential as issued, as the packages above read it (verification, exports, holders): no table leaves
`credentials` through it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from credentials.store import CredentialRow


@dataclass(frozen=True)
class IssuedCredential:
    """A credential as issued, for readers outside this package: no table leaves it."""

    id: str
    organisation_id: str
    volunteer_id: str | None
    status: str
    issued_at: datetime
    superseded_by: str | None
    text: str  # the signed JSON exactly as issued

    def document(self) -> dict:
        return json.loads(self.text)


def as_issued(row: CredentialRow) -> IssuedCredential:
    return IssuedCredential(
        row.id, row.organisation_id, row.volunteer_id, row.status, row.issued_at, row.superseded_by, row.document
    )
