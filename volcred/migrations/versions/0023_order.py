"""status lists: places given in each list's secret order (order_key, allocated_count) instead of a bitmap of taken
places (allocated)

Every issuance rewrote its organisation's two bitmaps of taken places, 32 KiB (on PostgreSQL, compressed first: more
than a millisecond per issuance). A list's n-th credential now gets `shuffled_index(order_key, n, size)`, a keyed
permutation, and an issuance only counts on. A list that has given places at random cannot continue in an order
(its next place in the order may be taken), so such lists are closed, and the next issuance opens a new one; their
credentials, bits and URLs stay as they are.

Revision ID: 0023_order
Revises: 0022_dash
Create Date: 2026-12-06 06:00:00
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0023_order"
down_revision = "0022_dash"
branch_labels = None
depends_on = None

status_lists = sa.table(
    "status_lists",
    sa.column("id", sa.String),
    sa.column("size", sa.Integer),
    sa.column("allocated", sa.LargeBinary),
    sa.column("allocated_count", sa.Integer),
    sa.column("is_full", sa.Boolean),
    sa.column("order_key", sa.LargeBinary),
)
platform_lists = sa.table(
    "platform_status_lists",
    sa.column("id", sa.String),
    sa.column("size", sa.Integer),
    sa.column("allocated", sa.LargeBinary),
    sa.column("allocated_count", sa.Integer),
    sa.column("order_key", sa.LargeBinary),
)
credentials = sa.table(
    "credentials",
    sa.column("revocation_list_id", sa.String),
    sa.column("revocation_index", sa.Integer),
    sa.column("suspension_list_id", sa.String),
    sa.column("suspension_index", sa.Integer),
)
awards = sa.table("level_awards", sa.column("suspension_list_id", sa.String), sa.column("suspension_index", sa.Integer))


def upgrade() -> None:
    connection = op.get_bind()
    for table in ("status_lists", "platform_status_lists"):
        op.add_column(table, sa.Column("order_key", sa.LargeBinary(16), nullable=True))
    for list_id, given, full in connection.execute(
        sa.select(status_lists.c.id, status_lists.c.allocated_count, status_lists.c.is_full)
    ).all():
        connection.execute(
            status_lists.update()
            .where(status_lists.c.id == list_id)
            .values(order_key=secrets.token_bytes(16), is_full=full or given > 0)
        )
    # The platform's lists have no is_full: the current one is the last, and a full one makes way for the next.
    for list_id, size, given in connection.execute(
        sa.select(platform_lists.c.id, platform_lists.c.size, platform_lists.c.allocated_count)
    ).all():
        connection.execute(
            platform_lists.update()
            .where(platform_lists.c.id == list_id)
            .values(order_key=secrets.token_bytes(16), allocated_count=size if given > 0 else 0)
        )
    for table in ("status_lists", "platform_status_lists"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("allocated")
            batch.alter_column("order_key", existing_type=sa.LargeBinary(16), nullable=False)


def downgrade() -> None:
    connection = op.get_bind()
    for table in ("status_lists", "platform_status_lists"):
        op.add_column(table, sa.Column("allocated", sa.LargeBinary(), nullable=True))
    # The taken places again, from the credentials that hold them.
    taken: dict[str, set[int]] = {}
    for list_column, index_column, source in (
        (credentials.c.revocation_list_id, credentials.c.revocation_index, credentials),
        (credentials.c.suspension_list_id, credentials.c.suspension_index, credentials),
        (awards.c.suspension_list_id, awards.c.suspension_index, awards),
    ):
        for list_id, index in connection.execute(sa.select(list_column, index_column).select_from(source)):
            taken.setdefault(list_id, set()).add(index)
    for table in (status_lists, platform_lists):
        for list_id, size in connection.execute(sa.select(table.c.id, table.c.size)).all():
            bits = bytearray(size // 8)
            for index in taken.get(list_id, ()):
                bits[index // 8] |= 0x80 >> (index % 8)
            connection.execute(table.update().where(table.c.id == list_id).values(allocated=bytes(bits)))
    for name in ("status_lists", "platform_status_lists"):
        with op.batch_alter_table(name) as batch:
            batch.drop_column("order_key")
            batch.alter_column("allocated", existing_type=sa.LargeBinary(), nullable=False)
