"""token scopes: api_tokens.ttl and api_tokens.allowed_ips

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ttl", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("allowed_ips", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("allowed_ips")
        batch_op.drop_column("ttl")
