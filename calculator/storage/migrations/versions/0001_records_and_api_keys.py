"""Stored records (assessments, later reviews) and API keys.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("platform", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("ruleset_revision", sa.String(64), nullable=True),
        sa.Column("engine_version", sa.String(32), nullable=True),
        sa.Column("input_sha256", sa.String(64), nullable=True),
        sa.Column("idempotency_scope", sa.String(64), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
        sa.UniqueConstraint("idempotency_scope", name="uq_records_idempotency_scope"),
    )
    op.create_index("ix_records_kind_owner_created_at_id", "records",
                    ["kind", "owner", "created_at", "id"])
    op.create_index("ix_records_kind_owner_reference", "records", ["kind", "owner", "reference"])
    op.create_index("ix_records_kind_owner_platform_created_at", "records",
                    ["kind", "owner", "platform", "created_at"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("uq_api_keys_active_name", "api_keys", ["name"], unique=True,
                    sqlite_where=sa.text("revoked_at IS NULL"),
                    postgresql_where=sa.text("revoked_at IS NULL"))


def downgrade() -> None:
    op.drop_index("uq_api_keys_active_name", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index("ix_records_kind_owner_platform_created_at", table_name="records")
    op.drop_index("ix_records_kind_owner_reference", table_name="records")
    op.drop_index("ix_records_kind_owner_created_at_id", table_name="records")
    op.drop_table("records")
