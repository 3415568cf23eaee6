"""indexes for history and moderation: campaigns by account and send time, the moderation
queue, replies by account and time and by the message they answer

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_campaigns_account_send_at", "campaigns", ["account_id", "send_at"])
    op.create_index(
        "ix_campaigns_moderation",
        "campaigns",
        ["id"],
        sqlite_where=sa.text("status = 'moderation'"),
        postgresql_where=sa.text("status = 'moderation'"),
    )
    op.create_index(
        "ix_inbound_account_received", "inbound_messages", ["account_id", "received_at"]
    )
    op.create_index("ix_inbound_message", "inbound_messages", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_inbound_message", table_name="inbound_messages")
    op.drop_index("ix_inbound_account_received", table_name="inbound_messages")
    op.drop_index("ix_campaigns_moderation", table_name="campaigns")
    op.drop_index("ix_campaigns_account_send_at", table_name="campaigns")
