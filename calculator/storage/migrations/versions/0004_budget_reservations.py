"""Reservations of live budgets that may give back the posts they did not use.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budget_reservations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("budget_id", sa.String(32), nullable=False),
        sa.Column("second", sa.BigInteger(), nullable=False),
        sa.Column("posts", sa.BigInteger(), nullable=False),
        sa.Column("returned", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["budget_id"], ["budgets.id"], ondelete="CASCADE",
                                name="fk_budget_reservations_budget_id"),
        sa.PrimaryKeyConstraint("id", name="pk_budget_reservations"),
    )
    op.create_index("ix_budget_reservations_budget_id", "budget_reservations", ["budget_id"])


def downgrade() -> None:
    op.drop_index("ix_budget_reservations_budget_id", table_name="budget_reservations")
    op.drop_table("budget_reservations")
