"""process reports: what each delivering process last said about itself, for /metrics in
the others

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 02:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_reports",
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("reported_at", sa.BigInteger(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_process_reports")),
    )


def downgrade() -> None:
    op.drop_table("process_reports")
