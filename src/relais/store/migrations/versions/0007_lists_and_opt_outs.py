"""lists and opt-outs: contact_lists, contacts, campaign_lists, the npai list, contact
details and the answered campaign on blacklist rows, messages.contact_id

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INFOS = ("info1", "info2", "info3", "info4")


def _infos() -> list[sa.Column]:
    return [sa.Column(name, sa.String(255), nullable=True) for name in INFOS]


def upgrade() -> None:
    with op.batch_alter_table("blacklist", schema=None) as batch_op:
        for column in _infos():
            batch_op.add_column(column)
        batch_op.add_column(sa.Column("campaign_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(op.f("ix_blacklist_campaign_id"), ["campaign_id"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "npai",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("destination", sa.String(20), nullable=False),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        *_infos(),
        sa.Column("campaign_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_npai_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_npai")),
        sa.UniqueConstraint("account_id", "destination", name="uq_npai_account_destination"),
    )
    op.create_index(op.f("ix_npai_campaign_id"), "npai", ["campaign_id"], unique=False)
    op.create_table(
        "contact_lists",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_contact_lists_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_lists")),
    )
    op.create_index("ix_contact_lists_account", "contact_lists", ["account_id", "id"])
    op.create_table(
        "contacts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("list_id", Id, nullable=False),
        sa.Column("destination", sa.String(20), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        *_infos(),
        sa.Column("npai", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["contact_lists.id"], name=op.f("fk_contacts_list_id_contact_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index("ix_contacts_list", "contacts", ["list_id", "id"])
    op.create_index("ix_contacts_list_destination", "contacts", ["list_id", "destination"])
    op.create_table(
        "campaign_lists",
        sa.Column("campaign_id", Id, nullable=False),
        sa.Column("list_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_lists_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "list_id", name=op.f("pk_campaign_lists")),
    )


def downgrade() -> None:
    op.drop_table("campaign_lists")
    op.drop_index("ix_contacts_list_destination", table_name="contacts")
    op.drop_index("ix_contacts_list", table_name="contacts")
    op.drop_table("contacts")
    op.drop_index("ix_contact_lists_account", table_name="contact_lists")
    op.drop_table("contact_lists")
    op.drop_index(op.f("ix_npai_campaign_id"), table_name="npai")
    op.drop_table("npai")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("contact_id")
    with op.batch_alter_table("blacklist", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_blacklist_campaign_id"))
        batch_op.drop_column("campaign_id")
        for name in reversed(INFOS):
            batch_op.drop_column(name)
