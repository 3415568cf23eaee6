"""skycore: campaign subscriptions (subscribe / unsubscribe actions) and each account's
Skycore settings (Enforce Campaign Check, postback URL)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "campaign_subscriptions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("campaign_ref", sa.String(100), nullable=False),
        sa.Column("mobile", sa.String(20), nullable=False),
        sa.Column("subscriber_ref", sa.String(100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ended_by", sa.String(10), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_campaign_subscriptions_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_subscriptions")),
        sa.UniqueConstraint(
            "account_id", "campaign_ref", "mobile", name="uq_campaign_subscriptions_number"
        ),
    )
    op.create_index(
        "ix_campaign_subscriptions_mobile", "campaign_subscriptions", ["account_id", "mobile"]
    )
    op.create_table(
        "skycore_settings",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("enforce_campaign_check", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("postback_url", sa.String(2000), server_default="", nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_skycore_settings_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_skycore_settings")),
    )


def downgrade() -> None:
    op.drop_table("skycore_settings")
    op.drop_index("ix_campaign_subscriptions_mobile", table_name="campaign_subscriptions")
    op.drop_table("campaign_subscriptions")
