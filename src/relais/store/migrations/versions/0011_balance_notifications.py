"""balance notifications: each account's low-balance alert settings (SMSFactor
GET/PUT /notification/balance) and whether an alert is out

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "balance_notifications",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("alert_trigger", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("alert_email", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("alert_gsm", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("email", sa.String(254), server_default="", nullable=False),
        sa.Column("phone_number", sa.String(20), server_default="", nullable=False),
        sa.Column("alerted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_balance_notifications_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_balance_notifications")),
    )


def downgrade() -> None:
    op.drop_table("balance_notifications")
