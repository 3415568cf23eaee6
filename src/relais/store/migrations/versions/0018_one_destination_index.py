"""one index on messages by destination instead of two: (destination, account_id, due_at)
serves the anti-flood counts, the campaigns sent to a number and the last message to a number

Each index a message carries is a random page written by every send; two on the destination
cost two of them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 08:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_messages_destination_account_due", "messages", ["destination", "account_id", "due_at"]
    )
    op.drop_index("ix_messages_destination", table_name="messages")
    op.drop_index("ix_messages_account_destination_due", table_name="messages")


def downgrade() -> None:
    op.create_index("ix_messages_destination", "messages", ["destination", "id"])
    op.create_index(
        "ix_messages_account_destination_due", "messages", ["account_id", "destination", "due_at"]
    )
    op.drop_index("ix_messages_destination_account_due", table_name="messages")
