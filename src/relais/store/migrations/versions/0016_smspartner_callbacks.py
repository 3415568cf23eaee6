"""the webhooks a send's SMSPartner callbacks go to (`urlDlr`, `urlResponse`)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 08:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

CALLBACK_TYPES = "type IN ('SMSPARTNER_DLR', 'SMSPARTNER_RESPONSE')"


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("dlr_webhook_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("reply_webhook_id", sa.BigInteger(), nullable=True))
    # Only campaigns with a `urlDlr` are in it: the receipt path probes this (nearly empty)
    # index, never the campaigns themselves, for a campaign without one.
    op.create_index(
        "ix_campaigns_dlr_webhook",
        "campaigns",
        ["id", "dlr_webhook_id"],
        sqlite_where=sa.text("dlr_webhook_id IS NOT NULL"),
        postgresql_where=sa.text("dlr_webhook_id IS NOT NULL"),
    )
    # Finding a send's callback webhook by its URL (one per account, type, URL and key);
    # only those rows, whose URLs are at most 500 characters, are in it.
    op.create_index(
        "ix_webhooks_callback_url",
        "webhooks",
        ["account_id", "type", "url"],
        sqlite_where=sa.text(CALLBACK_TYPES),
        postgresql_where=sa.text(CALLBACK_TYPES),
    )


def downgrade() -> None:
    op.drop_index("ix_webhooks_callback_url", table_name="webhooks")
    op.drop_index("ix_campaigns_dlr_webhook", table_name="campaigns")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("reply_webhook_id")
        batch.drop_column("dlr_webhook_id")
