"""Storage of answers (assessments, later usage-profile reviews) and API keys.

The core of the service's memory; it knows nothing of HTTP. ``Store(url)`` opens a
database (SQLite or PostgreSQL, see ``engine``), ``migrate(url)`` brings it to the
newest schema (Alembic migrations shipped in ``migrations/``), ``Store.save/get/list/
delete/find_by_idempotency_key`` keep records of any ``kind``, ``Store.keys`` holds the
API keys. ``calculator.storage.assessments`` turns assessments into records and back.
"""

from __future__ import annotations

import importlib
from typing import Any

from calculator.storage.engine import database_url, describe_url, make_engine
from calculator.storage.repository import (
    IdempotencyConflict,
    Page,
    Record,
    Saved,
    Store,
    fingerprint,
)

__all__ = ["IdempotencyConflict", "Page", "Record", "Saved", "Store", "database_url",
           "describe_url", "fingerprint", "head_revision", "make_engine", "migrate"]


def __getattr__(name: str) -> Any:
    # Alembic is imported only by the process that migrates, not by every worker.
    if name in ("migrate", "head_revision"):
        return getattr(importlib.import_module("calculator.storage.upgrade"), name)
    raise AttributeError(name)
