"""credentials: the organisation's volunteers of each year, kept for the dashboard (credentials.year_volunteers),
filled from the records and mission volunteers already there; records by status with their ids

Revision ID: 0022_dash
Revises: 0021_nat
Create Date: 2026-12-05 20:10:00
"""

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0022_dash"
down_revision = "0021_nat"
branch_labels = None
depends_on = None

records = sa.table(
    "records",
    sa.column("organisation_id"),
    sa.column("volunteer_id"),
    sa.column("end_date", sa.Date),
    sa.column("hours", sa.Numeric(10, 2)),
    sa.column("status"),
    sa.column("revises_id"),
)
missions = sa.table("missions", sa.column("id"), sa.column("start_date", sa.Date), sa.column("end_date", sa.Date))
participations = sa.table(
    "mission_participations",
    sa.column("mission_id"),
    sa.column("organisation_id"),
    sa.column("volunteer_id"),
    sa.column("hours", sa.Numeric(10, 2)),
    sa.column("record_id"),
)


def upgrade() -> None:
    # The dashboard's approved records not issued yet, read from the index alone.
    op.drop_index("ix_records_org_status", "records")
    op.create_index("ix_records_org_status", "records", ["organisation_id", "status", "id"])
    year_volunteers = op.create_table(
        "year_volunteers",
        sa.Column("organisation_id", sa.String(32), sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("volunteer_id", sa.String(32), sa.ForeignKey("volunteers.id"), primary_key=True),
        sa.Column("hours", sa.Numeric(12, 2), nullable=False),
    )
    # The rows as credentials.year_volunteers keeps them: a year's counted records (by the year their work ended) and
    # the volunteers of missions with a planned end, in each year the mission runs.
    connection = op.get_bind()
    hours: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    counted = (records.c.status == "issued") | ((records.c.status == "approved") & records.c.revises_id.is_(None))
    for organisation_id, volunteer_id, end_date, record_hours in connection.execute(
        sa.select(records.c.organisation_id, records.c.volunteer_id, records.c.end_date, records.c.hours).where(counted)
    ):
        hours[organisation_id, end_date.year, volunteer_id] += Decimal(record_hours or 0)
    for organisation_id, volunteer_id, mission_hours, record_id, start_date, end_date in connection.execute(
        sa.select(
            participations.c.organisation_id,
            participations.c.volunteer_id,
            participations.c.hours,
            participations.c.record_id,
            missions.c.start_date,
            missions.c.end_date,
        )
        .join(missions, missions.c.id == participations.c.mission_id)
        .where(missions.c.end_date.is_not(None))
    ):
        for year in range(start_date.year, end_date.year + 1):
            hours[organisation_id, year, volunteer_id] += Decimal(mission_hours or 0) if record_id is None else 0
    rows = [
        {"organisation_id": organisation_id, "year": year, "volunteer_id": volunteer_id, "hours": value}
        for (organisation_id, year, volunteer_id), value in sorted(hours.items())
    ]
    for first in range(0, len(rows), 5_000):
        op.bulk_insert(year_volunteers, rows[first : first + 5_000])


def downgrade() -> None:
    op.drop_table("year_volunteers")
    op.drop_index("ix_records_org_status", "records")
    op.create_index("ix_records_org_status", "records", ["organisation_id", "status"])
