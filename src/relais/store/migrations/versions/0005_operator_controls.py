"""operator controls: account suspension and allowed countries, country caps and usage,
moderation rules and the moderation reason of campaigns, the audit log, operator tokens and
the cache epochs that tell every process when a shared cache is stale

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 03:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("suspension_reason", sa.String(200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("allowed_countries", sa.Text(), nullable=True))
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moderation_reason", sa.String(200), nullable=True))
    op.create_table(
        "country_caps",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("monthly_limit", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_country_caps_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "country", name=op.f("pk_country_caps")),
    )
    op.create_table(
        "country_usage",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_country_usage_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "country", "month", name=op.f("pk_country_usage")),
    )
    op.create_table(
        "moderation_rules",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("account_id", Id, nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_moderation_rules_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_rules")),
    )
    op.create_index(
        op.f("ix_moderation_rules_account_id"), "moderation_rules", ["account_id"], unique=False
    )
    op.create_table(
        "audit_log",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_account_id"), "audit_log", ["account_id"], unique=False)
    op.create_table(
        "operator_tokens",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_operator_tokens_token_hash")),
    )
    epochs = op.create_table(
        "cache_epochs",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_epochs")),
    )
    # relais.store.cache_epochs.NAMES: bumps only update, so they never race on an insert.
    op.bulk_insert(
        epochs, [{"name": "accounts", "version": 0}, {"name": "operator_tables", "version": 0}]
    )


def downgrade() -> None:
    op.drop_table("cache_epochs")
    op.drop_table("operator_tokens")
    op.drop_index(op.f("ix_audit_log_account_id"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_moderation_rules_account_id"), table_name="moderation_rules")
    op.drop_table("moderation_rules")
    op.drop_table("country_usage")
    op.drop_table("country_caps")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("moderation_reason")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("allowed_countries")
        batch_op.drop_column("suspension_reason")
        batch_op.drop_column("suspended_at")
