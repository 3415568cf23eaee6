"""delivery: parts, inbound, blacklist, connectors, routes, leases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:10:04.253622
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connector_leases",
        sa.Column("connector", sa.String(length=50), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Text(), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("connector", name=op.f("pk_connector_leases")),
    )
    op.create_table(
        "connectors",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_connectors")),
    )
    op.create_table(
        "inbound_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("connector", sa.String(length=50), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("is_stop", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_account", ["account_id", "id"], unique=False)

    op.create_table(
        "routes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("connector", sa.String(length=50), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("sender", sa.String(length=16), nullable=True),
        sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routes")),
    )
    op.create_table(
        "blacklist",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("destination", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_blacklist_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blacklist")),
        sa.UniqueConstraint("account_id", "destination", name="uq_blacklist_account_destination"),
    )
    op.create_table(
        "message_parts",
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("connector", sa.String(length=50), nullable=False),
        sa.Column("carrier_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("done_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_parts_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("message_id", "part", name=op.f("pk_message_parts")),
    )
    with op.batch_alter_table("message_parts", schema=None) as batch_op:
        batch_op.create_index("ix_message_parts_carrier", ["carrier_id", "connector"], unique=False)

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_carrier"))
        batch_op.drop_index(batch_op.f("ix_messages_queue"))
        batch_op.create_index(
            "ix_messages_queue",
            ["connector", "due_at", "id"],
            unique=False,
            sqlite_where=sa.text("status IN ('queued', 'sending')"),
            postgresql_where=sa.text("status IN ('queued', 'sending')"),
        )
        batch_op.create_index("ix_messages_destination", ["destination", "id"], unique=False)
        batch_op.drop_column("carrier_id")


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carrier_id", sa.VARCHAR(length=64), nullable=True))
        batch_op.drop_index("ix_messages_destination")
        batch_op.drop_index("ix_messages_queue")
        batch_op.create_index(batch_op.f("ix_messages_queue"), ["status", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_messages_carrier"), ["connector", "carrier_id"], unique=False
        )

    with op.batch_alter_table("message_parts", schema=None) as batch_op:
        batch_op.drop_index("ix_message_parts_carrier")

    op.drop_table("message_parts")
    op.drop_table("blacklist")
    op.drop_table("routes")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_account")

    op.drop_table("inbound_messages")
    op.drop_table("connectors")
    op.drop_table("connector_leases")
