"""credentials: indexes of the workspace's lists (statements waiting, credentials newest first, batches) and what a
volunteer wrote where the organiser changed it at review

Revision ID: 0012_workspace_indexes
Revises: 0011_missions
Create Date: 2026-12-05 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_workspace_indexes"
down_revision = "0011_missions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("volunteer_wrote", sa.JSON()))
    op.create_index("ix_records_org_status_submitted", "records", ["organisation_id", "status", "submitted_at"])
    op.create_index("ix_records_org_period", "records", ["organisation_id", "start_date", "end_date"])
    # ix_credentials_org_issued: made by 0011_missions (the dashboard's year uses it too)
    op.create_index("ix_credentials_org_status_issued", "credentials", ["organisation_id", "status", "issued_at", "id"])
    op.create_index("ix_volunteers_org_name", "volunteers", ["organisation_id", "name"])
    op.create_index("ix_batches_org_created", "batches", ["organisation_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_batches_org_created", "batches")
    op.drop_index("ix_volunteers_org_name", "volunteers")
    op.drop_index("ix_credentials_org_status_issued", "credentials")
    op.drop_index("ix_records_org_period", "records")
    op.drop_index("ix_records_org_status_submitted", "records")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("volunteer_wrote")
