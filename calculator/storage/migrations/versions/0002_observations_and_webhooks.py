"""Observations of archived captures, webhook subscriptions and deliveries, served rulesets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
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
        "observations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("archive", sa.String(200), nullable=False),
        sa.Column("commit", sa.String(40), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("document", sa.String(130), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("checked_commit", sa.String(40), nullable=True),
        sa.Column("diff", sa.JSON(), nullable=False),
        sa.Column("impact", sa.JSON(), nullable=False),
        sa.Column("clauses", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("encoded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_observations"),
        sa.UniqueConstraint("document", "commit", name="uq_observations_document_commit"),
    )
    op.create_index("ix_observations_captured_at_id", "observations", ["captured_at", "id"])
    op.create_index("ix_observations_platform_document_state", "observations",
                    ["platform", "document", "state"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
    )
    op.create_index("ix_subscriptions_owner_created_at", "subscriptions",
                    ["owner", "created_at"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("subscription_id", sa.String(32), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"],
                                name="fk_deliveries_subscription_id", ondelete="CASCADE"),
        sa.UniqueConstraint("subscription_id", "event_key",
                            name="uq_deliveries_subscription_event"),
    )
    op.create_index("ix_deliveries_state_next_attempt_at", "deliveries",
                    ["state", "next_attempt_at"])
    op.create_index("ix_deliveries_subscription_id_created_at", "deliveries",
                    ["subscription_id", "created_at"])
    op.create_table(
        "served_rulesets",
        sa.Column("revision", sa.String(64), nullable=False),
        sa.Column("first_served_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous", sa.String(64), nullable=True),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("revision", name="pk_served_rulesets"),
    )


def downgrade() -> None:
    op.drop_table("served_rulesets")
    op.drop_index("ix_deliveries_subscription_id_created_at", table_name="deliveries")
    op.drop_index("ix_deliveries_state_next_attempt_at", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_subscriptions_owner_created_at", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index("ix_observations_platform_document_state", table_name="observations")
    op.drop_index("ix_observations_captured_at_id", table_name="observations")
    op.drop_table("observations")
