"""credentials: an invitation to draft a statement may belong to a mission (and remember the address it was sent to)

Revision ID: 0014_invitation_mission
Revises: 0013_reports
Create Date: 2026-12-05 18:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_invitation_mission"
down_revision = "0013_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("mission_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("sent_to", sa.String(320), nullable=True))
        batch.create_foreign_key("fk_invitations_mission_id", "missions", ["mission_id"], ["id"])
        batch.create_index("ix_invitations_mission_created", ["mission_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("invitations") as batch:
        batch.drop_index("ix_invitations_mission_created")
        batch.drop_constraint("fk_invitations_mission_id", type_="foreignkey")
        batch.drop_column("sent_to")
        batch.drop_column("mission_id")
