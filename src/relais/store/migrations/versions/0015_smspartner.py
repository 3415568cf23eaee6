"""campaign tag and per-send callback URLs (SMSPartner `tag`, `urlDlr`, `urlResponse`)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("tag", sa.String(20), nullable=True))
        batch.add_column(sa.Column("dlr_url", sa.String(500), nullable=True))
        batch.add_column(sa.Column("reply_url", sa.String(500), nullable=True))
    op.create_index(
        "ix_campaigns_account_tag",
        "campaigns",
        ["account_id", "tag"],
        sqlite_where=sa.text("tag IS NOT NULL"),
        postgresql_where=sa.text("tag IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_campaigns_account_tag", table_name="campaigns")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("reply_url")
        batch.drop_column("dlr_url")
        batch.drop_column("tag")
