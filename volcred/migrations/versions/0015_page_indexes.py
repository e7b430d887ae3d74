"""credentials: covering indexes of the workspace's pages under a big organisation (the dashboard's counts, the
credentials' search by volunteer and their list newest first)

Revision ID: 0015_page_indexes
Revises: 0013_reports (0014_invitation_mission at merge)
Create Date: 2026-12-05 18:20:00
"""

from alembic import op

revision = "0015_page_indexes"
down_revision = "0014_invitation_mission"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_participations_org_status", "mission_participations")
    op.create_index(
        "ix_participations_org_status_record", "mission_participations", ["organisation_id", "status", "record_id"]
    )
    op.drop_index("ix_volunteers_org_name", "volunteers")
    op.create_index(
        "ix_volunteers_org_search", "volunteers", ["organisation_id", "name", "email", "pseudonym_lookup", "id"]
    )
    op.create_index(
        "ix_credentials_volunteer_issued",
        "credentials",
        ["volunteer_id", "organisation_id", "issued_at", "id", "status"],
    )
    op.drop_index("ix_credentials_org_issued", "credentials")
    op.create_index("ix_credentials_org_issued", "credentials", ["organisation_id", "issued_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_credentials_org_issued", "credentials")
    op.create_index("ix_credentials_org_issued", "credentials", ["organisation_id", "issued_at"])
    op.drop_index("ix_credentials_volunteer_issued", "credentials")
    op.drop_index("ix_volunteers_org_search", "volunteers")
    op.create_index("ix_volunteers_org_name", "volunteers", ["organisation_id", "name"])
    op.drop_index("ix_participations_org_status_record", "mission_participations")
    op.create_index("ix_participations_org_status", "mission_participations", ["organisation_id", "status"])
