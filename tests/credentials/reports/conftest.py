"""Hand-made records for the reports' tests, written straight into the real tables (the issuing path is exercised
where a test needs a real credential: a revoked one)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from base.db import transaction
from credentials.store import RecordRow, VolunteerRow

_numbers = itertools.count()


@pytest.fixture
def add_record(app):
    """add_record(org_id, start, end, hours, volunteer=None, **fields) -> volunteer id; status approved by default."""

    def add(org_id: str, start: str, end: str, hours: float, volunteer: str | None = None, **fields) -> str:
        with transaction(app.state.session_factory) as session:
            if volunteer is None:
                row = VolunteerRow(organisation_id=org_id, kind="pseudonymous", pseudonym_lookup=f"p{next(_numbers)}")
                session.add(row)
                session.flush()
                volunteer = row.id
            submitted = fields.pop("submitted_at", None)
            session.add(
                RecordRow(
                    organisation_id=org_id,
                    volunteer_id=volunteer,
                    mission_type=fields.pop("mission_type", "event-support"),
                    catalogue_version="1.0.0",
                    title=fields.pop("title", "Festivāls"),
                    municipality=fields.pop("municipality", "cesis"),
                    start_date=date.fromisoformat(start),
                    end_date=date.fromisoformat(end),
                    hours=Decimal(str(hours)),
                    subject_salt="s",
                    status=fields.pop("status", "approved"),
                    source=fields.pop("source", "organiser"),
                    submitted_at=datetime.fromisoformat(submitted).replace(tzinfo=UTC) if submitted else None,
                    **fields,
                )
            )
        return volunteer

    return add
