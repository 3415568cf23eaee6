"""short links: the long URLs of a campaign's tracked links, their clicks, and the
instance key that makes the short codes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:30:00.000000
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("links", sa.Text(), nullable=True))
    op.create_table(
        "link_clicks",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("message_id", Id, nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("clicked_at", sa.BigInteger(), nullable=False),
        sa.Column("user_agent", sa.String(500), nullable=False),
        sa.Column("brand", sa.String(50), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("os", sa.String(50), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_link_clicks_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_clicks")),
    )
    op.create_index("ix_link_clicks_message", "link_clicks", ["message_id", "position"])
    op.create_index("ix_link_clicks_campaign", "link_clicks", ["campaign_id"])
    keys = op.create_table(
        "instance_keys",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_keys")),
    )
    op.bulk_insert(keys, [{"name": "short_links", "secret": secrets.token_bytes(32)}])


def downgrade() -> None:
    op.drop_table("instance_keys")
    op.drop_index("ix_link_clicks_campaign", table_name="link_clicks")
    op.drop_index("ix_link_clicks_message", table_name="link_clicks")
    op.drop_table("link_clicks")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("links")
