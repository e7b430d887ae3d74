"""credentials: wallet offers (OID4VCI pre-authorized codes and access tokens, stored hashed)

Revision ID: 0018_oid
Revises: 0017_log
Create Date: 2026-12-05 20:00:00
"""

import sqlalchemy as sa
from alembic import op

import base.db

revision = "0018_oid"
down_revision = "0017_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_offers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("credential_id", sa.String(32), sa.ForeignKey("credentials.id"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", base.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", base.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("access_token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("token_expires_at", base.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", base.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", base.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wallet_offers_credential_id", "wallet_offers", ["credential_id"])


def downgrade() -> None:
    op.drop_index("ix_wallet_offers_credential_id", table_name="wallet_offers")
    op.drop_table("wallet_offers")
