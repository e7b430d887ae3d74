"""credentials: recognition levels (schemes and levels, awards and their evidence, the platform's status lists)

Revision ID: 0020_levels
Revises: 0019_acct
Create Date: 2026-12-05 20:00:00
"""

import sqlalchemy as sa
from alembic import op

import base.db

revision = "0020_levels"
down_revision = "0019_acct"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "level_schemes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("bonus_note", sa.JSON(), nullable=False),
        sa.Column("created_at", base.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", base.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "scheme_levels",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("scheme_id", sa.String(32), sa.ForeignKey("level_schemes.id"), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("threshold", sa.Numeric(10, 2), nullable=False),
    )
    op.create_index("ix_scheme_levels_scheme", "scheme_levels", ["scheme_id", "threshold"])
    op.create_table(
        "platform_status_lists",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.Column("allocated", sa.LargeBinary(), nullable=False),
        sa.Column("allocated_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("signed_version", sa.Integer(), nullable=False),
        sa.Column("signed_credential", sa.Text(), nullable=True),
        sa.Column("updated_at", base.db.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("purpose", "number"),
    )
    op.create_table(
        "level_awards",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("holder_id", sa.String(32), sa.ForeignKey("holders.id"), nullable=False),
        sa.Column("scheme_id", sa.String(32), sa.ForeignKey("level_schemes.id"), nullable=False),
        sa.Column("level_id", sa.String(32), sa.ForeignKey("scheme_levels.id"), nullable=False),
        sa.Column("period_key", sa.String(20), nullable=False),
        sa.Column("hours", sa.Numeric(10, 2), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_credential_id", sa.String(32), nullable=True),
        sa.Column("status_changed_at", base.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("suspension_list_id", sa.String(32), sa.ForeignKey("platform_status_lists.id"), nullable=False),
        sa.Column("suspension_index", sa.Integer(), nullable=False),
        sa.Column("issued_at", base.db.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("holder_id", "level_id", "period_key"),
    )
    op.create_index("ix_level_awards_holder_id", "level_awards", ["holder_id"])
    op.create_table(
        "level_evidence",
        sa.Column("award_id", sa.String(32), sa.ForeignKey("level_awards.id"), primary_key=True),
        sa.Column("credential_id", sa.String(32), sa.ForeignKey("credentials.id"), primary_key=True),
    )
    op.create_index("ix_level_evidence_credential", "level_evidence", ["credential_id"])


def downgrade() -> None:
    op.drop_index("ix_level_evidence_credential", table_name="level_evidence")
    op.drop_table("level_evidence")
    op.drop_index("ix_level_awards_holder_id", table_name="level_awards")
    op.drop_table("level_awards")
    op.drop_table("platform_status_lists")
    op.drop_index("ix_scheme_levels_scheme", table_name="scheme_levels")
    op.drop_table("scheme_levels")
    op.drop_table("level_schemes")
