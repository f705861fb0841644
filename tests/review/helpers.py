"""Profiles the review tests share: the vendor of the issue, and collections spanning the two
versions of X's damages clause (2024-11-15 and 2026-01-15)."""

from __future__ import annotations

import copy
from typing import Any

# "About 2 million X posts a day, collected October 2024 to January 2025, for model
# training, EU users included."
VENDOR: dict[str, Any] = {
    "platform": "x",
    "region": "rest-of-world",
    "period": {"start": "2024-10-01", "end": "2025-02-01"},
    "channel": "scraping",
    "volume": {"posts_per_day": 2_000_000},
    "purposes": ["ai_training"],
    "data_categories": ["public_posts", "profile_information"],
    "user_regions": ["rest-of-world", "eu-efta-uk"],
    "opted_out_users_excluded": False,
    "retention": "P2Y",
    "reference": "DL-2024-117",
}

# A collection across the damages clause's "knowingly facilitate" version.
ACROSS_2026_01_15: dict[str, Any] = {
    "platform": "x",
    "period": {"start": "2025-12-01", "end": "2026-03-01"},
    "channel": "scraping",
    "volume": {"schedule": [
        {"start": "2025-12-01", "end": "2026-01-10", "posts_per_day": 900_000},
        {"start": "2026-01-10", "end": "2026-02-01", "posts": 50_000_001},
        {"start": "2026-02-10", "end": "2026-03-01", "posts_per_day": 1_500_000},
    ]},
    "purposes": ["ai_training", "research"],
    "data_categories": ["public_posts"],
    "user_regions": ["rest-of-world"],
    "opted_out_users_excluded": True,
}

SPANNING = {"2024-11-15": VENDOR, "2026-01-15": ACROSS_2026_01_15}
CHANNELS = ("scraping", "official_api", "licensed_vendor")


def profile(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``base`` with top-level fields replaced (None removes one)."""
    result = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def only(review, code: str):
    found = review.findings_with(code)
    assert len(found) == 1, [f.title for f in found]
    return found[0]


def cited(finding) -> dict[str, list[str]]:
    """Clause id to the versions a finding cites."""
    result: dict[str, list[str]] = {}
    for citation in finding.citations:
        result.setdefault(citation.clause, []).append(citation.version.isoformat())
    return result
