"""data retention: per-account retention settings (SMSFactor GET/PUT /retention) and the
mark the retention purge leaves on campaigns whose texts it erased

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNPURGED = sa.text("purged_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_at", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_campaigns_unpurged",
        "campaigns",
        ["account_id", "send_at"],
        unique=False,
        sqlite_where=UNPURGED,
        postgresql_where=UNPURGED,
    )
    op.create_table(
        "retention_settings",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("message", sa.String(8), nullable=False, server_default="-1"),
        sa.Column("list", sa.String(8), nullable=False, server_default="-1"),
        sa.Column("survey", sa.String(8), nullable=False, server_default="-1"),
        sa.Column("campaign", sa.String(8), nullable=False, server_default="-1"),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_retention_settings_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_retention_settings")),
    )


def downgrade() -> None:
    op.drop_table("retention_settings")
    op.drop_index("ix_campaigns_unpurged", table_name="campaigns")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
