"""credentials: the volunteer's own hours log (sessions, and the statement each was sent in)

Revision ID: 0017_log
Revises: 0016_holders
Create Date: 2026-12-05 20:10:00
"""

import sqlalchemy as sa
from alembic import op

import base.db

revision = "0017_log"
down_revision = "0016_holders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("holder_id", sa.String(32), sa.ForeignKey("holders.id"), nullable=False),
        sa.Column("organisation_id", sa.String(32), sa.ForeignKey("organisations.id"), nullable=True),
        sa.Column("organisation_name", sa.String(300), nullable=True),
        sa.Column("worked_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(10, 2), nullable=False),
        sa.Column("activity", sa.String(1000), nullable=False),
        sa.Column("competences", sa.JSON(), nullable=False),
        sa.Column("created_at", base.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("statement_record_id", sa.String(32), sa.ForeignKey("records.id"), nullable=True),
    )
    op.create_index("ix_log_sessions_holder_day", "log_sessions", ["holder_id", "worked_on", "created_at"])
    op.create_index("ix_log_sessions_statement_record_id", "log_sessions", ["statement_record_id"])


def downgrade() -> None:
    op.drop_index("ix_log_sessions_statement_record_id", table_name="log_sessions")
    op.drop_index("ix_log_sessions_holder_day", table_name="log_sessions")
    op.drop_table("log_sessions")
