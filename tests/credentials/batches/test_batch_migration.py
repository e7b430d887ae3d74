"""Migration 0006 makes the records' natural key unique: records made twice before it keep their credentials, and
only the oldest keeps the key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import MetaData, Table, create_engine, insert, select
from sqlalchemy.exc import IntegrityError

from base.db import transaction
from credentials.records import service as records_service
from credentials.records.records import RecordInput, VolunteerInput
from issuers.service import IssuerContext
from issuers.store import OrganisationRow
from volcred.cli import Runtime
from volcred.db import downgrade, upgrade


def test_duplicate_records_from_before_keep_one_natural_key(make_org, session_factory, settings, database_url):
    # No TestClient here: its batch runner would query the tables this test drops and makes again.
    org = make_org("legacy")
    with transaction(session_factory) as session:
        records_service.create_record(
            session,
            Runtime.operator,
            IssuerContext(settings.public_base_url, settings.encryption_key),
            session.get(OrganisationRow, org.org_id),
            RecordInput(
                volunteer=VolunteerInput(name="Ilze", email="ilze@example.lv"),
                mission_type="event-support",
                municipality="Rīga",
                start_date="2026-03-01",
                end_date="2026-03-02",
                hours=8,
            ),
        )
    engine = create_engine(database_url)
    try:
        downgrade(database_url, "0006-1")  # just below this migration, wherever it sits in the history
        with engine.begin() as conn:
            # The table as it was then: later migrations add columns the model has today.
            table = Table("records", MetaData(), autoload_with=conn)
            original = conn.execute(select(table)).mappings().one()
            for n in (1, 2):  # what a second identical POST /records used to make
                conn.execute(
                    insert(table).values(
                        {
                            **original,
                            "id": f"dup{n}" + original["id"][4:],
                            "created_at": original["created_at"] + timedelta(seconds=n),
                        }
                    )
                )
    finally:
        upgrade(database_url)
    with engine.begin() as conn:
        keys = dict(conn.execute(select(table.c.id, table.c.natural_key)).all())
    assert keys[original["id"]] == original["natural_key"]
    assert [key for record_id, key in keys.items() if record_id != original["id"]] == [None, None]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(table).values({**original, "id": "x" * 32}))
    engine.dispose()
