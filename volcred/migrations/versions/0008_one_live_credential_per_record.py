"""credentials: at most one live (not revoked) credential per record

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 14:00:00
"""

import sqlalchemy as sa
from alembic import op

from base.errors import UserError

# Frozen here: a migration must not change when the model does.
LIVE_OF_RECORD = "record_id IS NOT NULL AND status <> 'revoked'"


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Concurrent issuance could make several credentials of one record on PostgreSQL before records were locked.
    # They are signed and may be in their holders' hands: which to keep is the organisation's call, not ours.
    duplicated = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT record_id, COUNT(*) FROM credentials WHERE {LIVE_OF_RECORD} GROUP BY record_id HAVING COUNT(*) > 1"
                " ORDER BY record_id"
            )
        )
        .all()
    )
    if duplicated:
        raise UserError(
            "migration.duplicate_credentials", kind="conflict", count=len(duplicated), record_id=duplicated[0][0]
        )
    with op.batch_alter_table("credentials") as batch_op:
        batch_op.create_index(
            "ux_credentials_live_record",
            ["record_id"],
            unique=True,
            sqlite_where=sa.text(LIVE_OF_RECORD),
            postgresql_where=sa.text(LIVE_OF_RECORD),
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch_op:
        batch_op.drop_index(
            "ux_credentials_live_record", sqlite_where=sa.text(LIVE_OF_RECORD), postgresql_where=sa.text(LIVE_OF_RECORD)
        )
