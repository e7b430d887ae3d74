"""credentials: indexes for the reports' aggregations (a period of one organisation's records, of a territory's)

Revision ID: 0013_reports
Revises: 0012_workspace_indexes
Create Date: 2026-12-05 17:20:00
"""

from alembic import op

revision = "0013_reports"
down_revision = "0012_workspace_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_records_organisation_period", "records", ["organisation_id", "end_date", "start_date"])
    op.create_index("ix_records_municipality_period", "records", ["municipality", "end_date", "start_date"])
    op.create_index("ix_records_period", "records", ["end_date", "start_date"])


def downgrade() -> None:
    op.drop_index("ix_records_period", "records")
    op.drop_index("ix_records_municipality_period", "records")
    op.drop_index("ix_records_organisation_period", "records")
