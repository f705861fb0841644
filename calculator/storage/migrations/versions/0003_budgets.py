"""Live budgets and their usage per second.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("margin_percent", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budgets"),
        sa.UniqueConstraint("owner", "name", name="uq_budgets_owner_name"),
    )
    op.create_table(
        "budget_usage",
        sa.Column("budget_id", sa.String(32), nullable=False),
        sa.Column("second", sa.BigInteger(), nullable=False),
        sa.Column("posts", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["budget_id"], ["budgets.id"], ondelete="CASCADE",
                                name="fk_budget_usage_budget_id"),
        sa.PrimaryKeyConstraint("budget_id", "second", name="pk_budget_usage"),
    )


def downgrade() -> None:
    op.drop_table("budget_usage")
    op.drop_table("budgets")
