"""sub-accounts and account profiles: accounts.parent_id, accounts.unlimited and the
profile columns SMSFactor's POST /account and GET /account carry

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (name, length) of the text columns, all NOT NULL DEFAULT ''.
PROFILE = (
    ("firstname", 100),
    ("lastname", 100),
    ("company", 100),
    ("type", 20),
    ("city", 100),
    ("phone", 20),
    ("address1", 200),
    ("address2", 200),
    ("zip", 20),
    ("sender", 16),
    ("description", 500),
    ("lang", 2),
)


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("unlimited", sa.Boolean(), nullable=False, server_default="0")
        )
        for name, length in PROFILE:
            batch_op.add_column(
                sa.Column(name, sa.String(length), nullable=False, server_default="")
            )
        batch_op.create_foreign_key(
            op.f("fk_accounts_parent_id_accounts"), "accounts", ["parent_id"], ["id"]
        )
        batch_op.create_index(op.f("ix_accounts_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_accounts_parent_id"))
        batch_op.drop_constraint(op.f("fk_accounts_parent_id_accounts"), type_="foreignkey")
        for name, _ in reversed(PROFILE):
            batch_op.drop_column(name)
        batch_op.drop_column("unlimited")
        batch_op.drop_column("parent_id")
