"""credentials.reports: the maintained summary of published figures (report_slices, report_cell_people, report_cells,
filled from the records now);
issuers: stewards of municipalities

Revision ID: 0021_nat
Revises: 0020_levels
Create Date: 2026-12-05 20:10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

import base.db

revision = "0021_nat"
down_revision = "0020_levels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_slices",
        sa.Column("record_id", sa.String(32), sa.ForeignKey("records.id"), primary_key=True),
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("organisation_id", sa.String(32), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("municipality", sa.String(40), nullable=False),
        sa.Column("mission_type", sa.String(80), nullable=False),
        sa.Column("domain", sa.String(80), nullable=False),
        sa.Column("organisation_type", sa.String(40), nullable=False),
        sa.Column("person", sa.String(34), nullable=False),
        sa.Column("share", sa.Numeric(20, 8), nullable=False),
        sa.Column("credentials", sa.Integer(), nullable=False),
    )
    op.create_index("ix_report_slices_organisation_id", "report_slices", ["organisation_id"])
    op.create_table(
        "report_cell_people",
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("territory", sa.String(40), primary_key=True),
        sa.Column("cut", sa.String(20), primary_key=True),
        sa.Column("value", sa.String(80), primary_key=True),
        sa.Column("person", sa.String(34), primary_key=True),
        sa.Column("slices", sa.Integer(), nullable=False),
    )
    op.create_table(
        "report_cells",
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("territory", sa.String(40), primary_key=True),
        sa.Column("cut", sa.String(20), primary_key=True),
        sa.Column("value", sa.String(80), primary_key=True),
        sa.Column("volunteers", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(24, 8), nullable=False),
        sa.Column("credentials", sa.Integer(), nullable=False),
    )
    op.create_table(
        "stewards",
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("municipality", sa.String(40), primary_key=True),
        sa.Column("granted_by", sa.String(32), nullable=True),
        sa.Column("granted_at", base.db.UTCDateTime(timezone=True), nullable=False),
    )
    # The summary of the records already there (the same as `volcred reports rebuild`).
    from credentials.reports.summary import rebuild

    rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_table("stewards")
    op.drop_table("report_cells")
    op.drop_table("report_cell_people")
    op.drop_index("ix_report_slices_organisation_id", table_name="report_slices")
    op.drop_table("report_slices")
