"""credentials: covering indexes of the workspace's pages under a big organisation (the dashboard's counts)

Revision ID: 0015_page_indexes
Revises: 0013_reports (0014_invitation_mission at merge)
Create Date: 2026-12-05 18:20:00
"""

from alembic import op

revision = "0015_page_indexes"
down_revision = "0013_reports"  # "0014_invitation_mission" once that branch is in
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_participations_org_status", "mission_participations")
    op.create_index(
        "ix_participations_org_status_record", "mission_participations", ["organisation_id", "status", "record_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_participations_org_status_record", "mission_participations")
    op.create_index("ix_participations_org_status", "mission_participations", ["organisation_id", "status"])
