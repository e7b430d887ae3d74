"""credentials: indexes of the workspace's lists (statements waiting, credentials newest first, batches) and what a
volunteer wrote where the organiser changed it at review

Revision ID: 0012_workspace_indexes
Revises: 0011
Create Date: 2026-12-05 17:00:00

On this branch it follows 0009 (0010 and 0011 are other branches' reserved numbers): re-chain to "0011" at merge.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_workspace_indexes"
down_revision = "0011_missions"  # re-chained (hbrowser merges hauth, hmissions, hwork)
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("volunteer_wrote", sa.JSON()))
    op.create_index("ix_records_org_status_submitted", "records", ["organisation_id", "status", "submitted_at"])
    # ix_credentials_org_issued: made by 0011_missions (the dashboard's year uses it too); re-chained in hbrowser
    op.create_index("ix_credentials_org_status_issued", "credentials", ["organisation_id", "status", "issued_at"])
    op.create_index("ix_volunteers_org_name", "volunteers", ["organisation_id", "name"])
    op.create_index("ix_batches_org_created", "batches", ["organisation_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_batches_org_created", "batches")
    op.drop_index("ix_volunteers_org_name", "volunteers")
    op.drop_index("ix_credentials_org_status_issued", "credentials")
    op.drop_index("ix_records_org_status_submitted", "records")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("volunteer_wrote")
