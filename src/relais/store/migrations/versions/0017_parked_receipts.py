"""parked receipts: receipts whose submit was never stored (its process died first), kept
until the part appears or the validity period ends instead of being dropped

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 12:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "parked_receipts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("connector", sa.String(50), nullable=False),
        sa.Column("carrier_ids", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("done_at", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("parked_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parked_receipts")),
    )


def downgrade() -> None:
    op.drop_table("parked_receipts")
