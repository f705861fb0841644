"""The tables: stored records (assessments now, usage-profile reviews later) and API keys.

One ``records`` table serves every kind of stored answer; ``kind`` tells them apart
and every query names it, so each kind reads as a table of its own. What a record
keeps is what answering and replaying it needs: the document as answered, a small
summary for lists, and the kind's replay basis (JSON) and payload (binary). The
migrations in ``migrations/versions`` create exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    TypeDecorator,
)

NAMING = {"ix": "ix_%(table_name)s_%(column_0_N_name)s",
          "uq": "uq_%(table_name)s_%(column_0_name)s",
          "pk": "pk_%(table_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s"}

metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant in, an aware UTC instant out, on every database (SQLite keeps
    naive text, PostgreSQL ``timestamptz``)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("instants stored must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


records = Table(
    "records", metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("owner", String(64), nullable=True),  # API key name; null: made without keys
    Column("reference", String(200), nullable=True),  # the caller's, e.g. a ticket id
    Column("platform", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("document", JSON, nullable=False),  # the answer as first given
    Column("summary", JSON, nullable=False),  # what a list shows
    Column("basis", JSON, nullable=True),  # what replay needs, besides the payload
    Column("payload", LargeBinary, nullable=True),  # e.g. compressed per-instant counts
    Column("ruleset_revision", String(64), nullable=True),
    Column("engine_version", String(32), nullable=True),
    Column("input_sha256", String(64), nullable=True),
    # sha256 of (kind, owner, Idempotency-Key): unique, so a retry can never store twice.
    Column("idempotency_scope", String(64), nullable=True, unique=True),
    Column("request_hash", String(64), nullable=True),  # what "the same request" means
    Index(None, "kind", "owner", "created_at", "id"),
    Index(None, "kind", "owner", "reference"),
    Index(None, "kind", "owner", "platform", "created_at"),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),  # sha256 hex of the key
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)
# One active key per name; a revoked key's name can be given to its replacement.
Index("uq_api_keys_active_name", api_keys.c.name, unique=True,
      sqlite_where=api_keys.c.revoked_at.is_(None),
      postgresql_where=api_keys.c.revoked_at.is_(None))

# The watch's, the webhooks', the budgets' and the jobs' tables live in their own modules;
# importing them here puts them in this metadata, which the migrations are checked against.
from calculator.storage import budget_schema, job_schema, notify_schema  # noqa: E402, F401
