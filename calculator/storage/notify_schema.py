"""The tables of the watch and of webhooks: observations of archived captures, the
subscriptions of API keys, their deliveries, and the ruleset revisions the service served.

Observations are unique by (document, capture commit): the watch inserts and lets the
database refuse a second copy, so two hosts running the watch at once record one
observation per capture. Deliveries are unique by (subscription, event key) for the same
reason: an event fanned out twice is delivered once.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from calculator.storage.schema import UTCDateTime, metadata

observations = Table(
    "observations", metadata,
    Column("id", String(32), primary_key=True),
    Column("archive", String(200), nullable=False),  # e.g. OpenTermsArchive/pga-versions
    Column("commit", String(40), nullable=False),  # the capture: the key
    Column("path", String(500), nullable=False),
    Column("platform", String(64), nullable=False),
    Column("document", String(130), nullable=False),  # the rules' document id
    Column("captured_at", UTCDateTime(), nullable=False),  # the capture commit's date
    Column("kind", String(32), nullable=False),  # terms_change or technical_upgrade
    Column("message", String(500), nullable=False),  # the archive's own words
    Column("checked_commit", String(40), nullable=True),  # the capture compared with
    Column("diff", JSON, nullable=False),
    Column("impact", JSON, nullable=False),
    Column("clauses", JSON, nullable=False),  # clause ids affected, for filters
    Column("state", String(16), nullable=False),  # new, acknowledged, encoded
    Column("created_at", UTCDateTime(), nullable=False),
    Column("acknowledged_at", UTCDateTime(), nullable=True),
    Column("acknowledged_by", String(64), nullable=True),
    Column("encoded_at", UTCDateTime(), nullable=True),
    UniqueConstraint("document", "commit", name="uq_observations_document_commit"),
    Index(None, "captured_at", "id"),
    Index(None, "platform", "document", "state"),
)

subscriptions = Table(
    "subscriptions", metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(64), nullable=True),  # the API key's name; null: open service
    Column("url", Text, nullable=False),
    Column("events", JSON, nullable=False),
    Column("filters", JSON, nullable=False),  # {platforms, documents, clauses}
    # The signing secret must be kept readable to sign; it is shown to the owner once.
    Column("secret", String(100), nullable=False),
    Column("state", String(16), nullable=False),  # active, failing or gone
    Column("created_at", UTCDateTime(), nullable=False),
    Column("failing_since", UTCDateTime(), nullable=True),
    Index(None, "owner", "created_at"),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", String(40), primary_key=True),  # msg_...: the webhook-id header
    Column("subscription_id", String(32),
           ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("event_key", String(200), nullable=False),  # what makes an event the same
    Column("body", Text, nullable=False),  # the exact JSON signed and sent
    Column("state", String(16), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("last_attempt_at", UTCDateTime(), nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", String(300), nullable=True),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),  # a worker holds it until then
    UniqueConstraint("subscription_id", "event_key", name="uq_deliveries_subscription_event"),
    Index(None, "state", "next_attempt_at"),
    Index(None, "subscription_id", "created_at"),
)

served_rulesets = Table(
    "served_rulesets", metadata,
    Column("revision", String(64), primary_key=True),
    Column("first_served_at", UTCDateTime(), nullable=False),
    Column("previous", String(64), nullable=True),  # the revision served before it
    Column("versions", JSON, nullable=False),  # what the rules held, to diff the next one
    Column("announced_at", UTCDateTime(), nullable=True),  # rules.changed fanned out
)
