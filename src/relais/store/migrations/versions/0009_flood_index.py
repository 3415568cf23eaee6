"""index for anti-flood: an account's recent messages to one destination

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 08:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_messages_account_destination_due",
        "messages",
        ["account_id", "destination", "due_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_messages_account_destination_due", table_name="messages")
