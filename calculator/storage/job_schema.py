"""The table of assessment jobs: big uploads assessed by a worker, not inside the request.

A job row holds what the worker needs (where the upload was spooled, the options as
understood, the size limit), where it stands (state, phase, bytes and rows read) and
its lease: the worker holding it and until when. Nothing a user sent is kept here but the
options and the reference they gave (which the assessment keeps anyway); the upload itself
is deleted once the job ends. See docs/decisions/0093-assessment-jobs.md.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table, Text

from calculator.storage.schema import UTCDateTime, metadata

jobs = Table(
    "jobs", metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(64), nullable=True),  # the API key's name; null: open service
    Column("state", String(16), nullable=False),  # queued, running, done, failed, cancelled
    Column("phase", String(16), nullable=False),  # queued, reading, assessing, storing, ended
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("upload", Text, nullable=True),  # the spooled files, one a line; null once deleted
    Column("upload_bytes", BigInteger, nullable=False),
    Column("log_sha256", String(64), nullable=False),
    Column("format_hint", String(32), nullable=True),  # the format the content type named
    Column("options", JSON, nullable=False),
    Column("reference", String(200), nullable=True),
    Column("max_bytes", BigInteger, nullable=True),  # decompressed content limit
    Column("bytes_read", BigInteger, nullable=False),
    Column("rows_read", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires_at", UTCDateTime(), nullable=True),
    Column("assessment_id", String(32), nullable=True),
    Column("problem", JSON, nullable=True),  # RFC 9457 details of a failed job
    # As on records: sha256 of (kind, owner, Idempotency-Key), so a retry finds its job.
    Column("idempotency_scope", String(64), nullable=True, unique=True),
    Column("request_hash", String(64), nullable=True),
    Index(None, "state", "created_at"),
    Index(None, "owner", "created_at"),
)
