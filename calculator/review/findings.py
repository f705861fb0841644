"""Findings: what a review says, each with the words of the rules it rests on.

A finding has a stable ``code``, a ``severity``, a ``date`` it is about, a one-sentence
``title``, a ``detail`` and at least one ``citation``: the clause (id and version), the
quoted words, the source and the interval the version was in force. Structured values
(amounts, months, versions) are in ``facts``. Severity rules: docs/decisions/0033.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from calculator.rules.in_force import Interval
from calculator.rules.model import Source

SEVERITIES = ("high", "warning", "info")

# Every code a review can give, and what it means. Stable: workflow systems key on them.
CODES: dict[str, str] = {
    "terms.in-force-at-start": "A document's version, and its clauses, in force on the first "
                               "day of collection.",
    "terms.not-recorded-at-start": "The rules hold no version of a document on the first day of "
                                   "collection; its first recorded version is cited.",
    "terms.changed-during-collection": "A document version took effect during the collection; "
                                       "what changed, clause by clause.",
    "scraping.prohibited": "The platform's terms prohibit the scraping the profile describes.",
    "damages.projected": "The damages clause priced on the profile's volume under every "
                         "reading: range and headline.",
    "damages.not-in-force": "The platform's damages clause was not in force during the "
                            "collection.",
    "licence.cost": "What the same volume costs through the platform's API at the recorded "
                    "prices, month by month, and against the projected damages.",
    "ai.model-training-ban": "The platform's terms ban training models with the content, in force "
                             "during the collection.",
    "ai.model-training-ban-after-collection": "The platform's terms ban training models with the "
                                              "content from a date after the collection.",
    "ai.third-party-training-opt-out": "The privacy policy lets recipients train AI models on "
                                       "shared data unless users opt out.",
    "ai.platform-training-opt-out": "Users may opt out of their data training the platform's "
                                    "own models (X: its generative models).",
    "eu.legal-basis": "For data from the EU, EFTA States and the UK: the primary legal basis the "
                      "platform states for its processing that bears on a profile purpose, "
                      "with the data it processes.",
    "eu.data-not-collected": "Data the platform says it does not collect from users in a "
                             "region of the profile's users.",
    "sharing.business-partners": "The platform's setting that governs sharing data with "
                                 "business partners, for a resale or advertising purpose.",
    "retention.platform-period": "How long the platform says it keeps a data category in the "
                                 "profile.",
    "retention.identity-verification": "How long the platform, and its processor, keep "
                                       "identity-verification data.",
    "forum.governing-law": "Governing law and the courts disputes go to.",
    "forum.claims-time-limit": "The time limit to bring claims.",
}


@dataclass(frozen=True)
class Citation:
    """A clause version (or, for a document version without clause changes, the document
    version), its words, source and interval in force."""

    clause: str | None
    title: str
    document: str
    region: str
    version: date
    in_force: Interval
    source: Source
    quote: str | None = None
    context: tuple[str, ...] = ()
    document_version: date | None = None
    evidence: str = "verified"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    date: date
    title: str
    detail: str
    citations: tuple[Citation, ...]
    facts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if not self.citations:
            raise ValueError(f"finding {self.code} has no citation")


@dataclass(frozen=True)
class Gap:
    """Something the review needed and the rules do not hold (or hold as unknown)."""

    topic: str
    note: str
    document: str | None = None


def ordered(findings: list[Finding]) -> list[Finding]:
    """By severity (high first), then date, then code; otherwise in the order made."""
    return [f for _, f in sorted(enumerate(findings), key=lambda pair: (
        SEVERITIES.index(pair[1].severity), pair[1].date, pair[1].code, pair[0]))]
