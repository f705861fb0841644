"""The tables of live budgets: a budget per (owner, name), and its usage per second.

Usage is kept as posts per whole second (the log resolution), one row per second that
received posts, so a reservation adds to one row and the trailing window is one range scan.
Nothing a crawler fetched (URLs, post ids) is stored: only counts.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, UniqueConstraint

from calculator.storage.schema import UTCDateTime, metadata

budgets = Table(
    "budgets", metadata,
    Column("id", String(32), primary_key=True),
    # The API key's name; "" on an open service (no key yet), so (owner, name) stays unique.
    Column("owner", String(64), nullable=False),
    Column("name", String(64), nullable=False),
    Column("platform", String(64), nullable=False),
    Column("region", String(64), nullable=False),  # the regional part the rules apply
    Column("country", String(2), nullable=True),  # the ISO code given, if one was
    Column("margin_percent", Integer, nullable=False),  # 100: the whole threshold
    Column("created_at", UTCDateTime(), nullable=False),
    # The running total (decision 0106): window_total is the sum of the posts of every
    # second from total_from on, kept by every write, so that a reservation reads one row
    # instead of a window of seconds; last_second is the latest second with posts.
    Column("total_from", BigInteger, nullable=False, server_default="0"),
    Column("window_total", BigInteger, nullable=False, server_default="0"),
    Column("last_second", BigInteger, nullable=True),
    UniqueConstraint("owner", "name", name="uq_budgets_owner_name"),
)

budget_usage = Table(
    "budget_usage", metadata,
    Column("budget_id", String(32), ForeignKey("budgets.id", ondelete="CASCADE"),
           primary_key=True),
    Column("second", BigInteger, primary_key=True),  # Unix seconds, UTC
    Column("posts", BigInteger, nullable=False),
)

# Reservations that may give back what they did not use (a client's block of posts), kept
# for one window: after it, their posts no longer decide any grant.
budget_reservations = Table(
    "budget_reservations", metadata,
    Column("id", String(32), primary_key=True),
    Column("budget_id", String(32), ForeignKey("budgets.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("second", BigInteger, nullable=False),  # where its posts are recorded
    Column("posts", BigInteger, nullable=False),  # granted
    Column("returned", BigInteger, nullable=False),  # given back so far
)
