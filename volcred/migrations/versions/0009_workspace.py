"""issuers: roles owner/coordinator/viewer (admin becomes owner); one-time account tokens (password resets,
member invitations)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 17:00:00
"""

import sqlalchemy as sa
from alembic import op

from base.db import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE memberships SET role = 'owner' WHERE role = 'admin'")
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), index=True),
        sa.Column("organisation_id", sa.String(32), sa.ForeignKey("organisations.id"), index=True),
        sa.Column("role", sa.String(20)),
        sa.Column("created_by", sa.String(32)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime()),
    )
    op.create_index("ix_account_tokens_token_hash", "account_tokens", ["token_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_account_tokens_token_hash", "account_tokens")
    op.drop_table("account_tokens")
    op.execute("UPDATE memberships SET role = 'admin' WHERE role = 'owner'")
