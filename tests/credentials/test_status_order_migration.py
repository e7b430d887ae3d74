"""Migration 0023 gives status lists a secret order of places instead of a bitmap of taken ones: lists that gave
places at random are closed (their credentials keep their entries), unused lists stay open, and going back down
rebuilds each bitmap from the credentials holding its places."""

from __future__ import annotations

from sqlalchemy import MetaData, Table, create_engine, insert, inspect, select

from base.db import transaction
from credentials import service as credentials
from credentials.proofs.statuslist import MIN_LIST_SIZE, get_bit
from credentials.records import service as records_service
from credentials.records.records import RecordInput, VolunteerInput
from issuers.service import IssuerContext
from issuers.store import OrganisationRow
from volcred.cli import Runtime
from volcred.db import downgrade, upgrade


def _record(n: int) -> RecordInput:
    return RecordInput(
        volunteer=VolunteerInput(pseudonym=f"VOL-ORDER-{n:04d}"),
        mission_type="event-support",
        municipality="Rīga",
        start_date="2026-03-01",
        end_date="2026-03-02",
        hours=8,
    )


def _issue(session_factory, settings, org_id: str, n: int):
    ctx = IssuerContext(settings.public_base_url, settings.encryption_key)
    with transaction(session_factory) as session:
        org = session.get(OrganisationRow, org_id)
        record = records_service.create_record(session, Runtime.operator, ctx, org, _record(n)).record
        return credentials.issue_record(session, Runtime.operator, ctx, record.id).document["credentialStatus"]


def test_lists_that_gave_places_at_random_close_and_come_back_down_as_bitmaps(
    make_org, session_factory, settings, database_url
):
    # No TestClient here: its batch runner would read the tables this test changes.
    org = make_org("status-order")
    entries = [_issue(session_factory, settings, org.org_id, n) for n in range(3)]
    engine = create_engine(database_url)
    try:
        downgrade(database_url, "0022_dash")
        with engine.begin() as conn:
            lists = Table("status_lists", MetaData(), autoload_with=conn)
            given = {row.purpose: row for row in conn.execute(select(lists))}
            for entry in (item for three in entries for item in three):
                assert get_bit(given[entry["statusPurpose"]].allocated, int(entry["statusListIndex"]))
            assert {purpose: sum(bin(byte).count("1") for byte in row.allocated) for purpose, row in given.items()} == {
                "revocation": 3,
                "suspension": 3,
            }
            # An unused list (made, nothing given yet) and a platform list that gave one place.
            unused = {**given["revocation"]._asdict(), "id": "u" * 32, "number": 2, "allocated_count": 0}
            conn.execute(insert(lists).values({**unused, "allocated": bytes(MIN_LIST_SIZE // 8)}))
            platform = Table("platform_status_lists", MetaData(), autoload_with=conn)
            conn.execute(
                insert(platform).values(
                    id="p" * 32,
                    purpose="suspension",
                    number=1,
                    size=MIN_LIST_SIZE,
                    bits=bytes(MIN_LIST_SIZE // 8),
                    allocated=b"\x01" + bytes(MIN_LIST_SIZE // 8 - 1),
                    allocated_count=1,
                    version=1,
                    signed_version=0,
                    updated_at=given["revocation"].updated_at,
                )
            )
    finally:
        upgrade(database_url)
    with engine.begin() as conn:
        assert "allocated" not in {column["name"] for column in inspect(conn).get_columns("status_lists")}
        lists = Table("status_lists", MetaData(), autoload_with=conn)
        after = {(row.purpose, row.number): row for row in conn.execute(select(lists))}
        platform = Table("platform_status_lists", MetaData(), autoload_with=conn)
        closed_platform = conn.execute(select(platform)).one()
    assert after["revocation", 1].is_full and after["suspension", 1].is_full
    assert after["revocation", 1].allocated_count == 3  # what was given stays counted
    assert not after["revocation", 2].is_full
    assert len({row.order_key for row in after.values()}) == 3 and all(
        len(row.order_key) == 16 for row in after.values()
    )
    assert closed_platform.allocated_count == closed_platform.size and len(closed_platform.order_key) == 16

    # The next credential: revocation in the unused list, suspension in a new one; the old entries stand.
    nxt = {entry["statusPurpose"]: entry for entry in _issue(session_factory, settings, org.org_id, 3)}
    assert nxt["revocation"]["statusListCredential"].endswith("/revocation/2")
    assert nxt["suspension"]["statusListCredential"].endswith("/suspension/2")
    engine.dispose()
