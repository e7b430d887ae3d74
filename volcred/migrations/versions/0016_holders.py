"""credentials: holders (a volunteer's account or pseudonymous pocket) and the credentials they hold

Revision ID: 0016_holders
Revises: 0015_page_indexes
Create Date: 2026-12-05 19:50:00
"""

import sqlalchemy as sa
from alembic import op

import base.db

revision = "0016_holders"
down_revision = "0015_page_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holders",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=True, unique=True),
        sa.Column("access_token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("created_at", base.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "held_credentials",
        sa.Column("credential_id", sa.String(32), sa.ForeignKey("credentials.id"), primary_key=True),
        sa.Column("holder_id", sa.String(32), sa.ForeignKey("holders.id"), nullable=False),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("claimed_at", base.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_held_credentials_holder", "held_credentials", ["holder_id", "claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_held_credentials_holder", table_name="held_credentials")
    op.drop_table("held_credentials")
    op.drop_table("holders")
