"""issuers: an account may have no password (a volunteer who signs in by e-mailed links)

Revision ID: 0019_acct
Revises: 0018_oid
Create Date: 2026-12-05 20:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_acct"
down_revision = "0018_oid"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column("password_hash", existing_type=sa.String(200), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE users SET password_hash = '!' WHERE password_hash IS NULL")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("password_hash", existing_type=sa.String(200), nullable=False)
