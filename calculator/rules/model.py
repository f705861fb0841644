"""The rules as the service holds them once loaded: platforms, documents, versions, clauses.

Everything here is immutable; a ruleset is built once at start and shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from calculator.timeutil import start_of_day


@dataclass(frozen=True)
class Source:
    """Where a version's words were read: the page, and the archived copy."""

    url: str | None = None
    archive: str | None = None
    path: str | None = None
    commit: str | None = None  # full 40-hex id
    captured: date | None = None
    held_by: str | None = None  # who holds the text when no archive does
    also_at: tuple[str, ...] = ()  # other files of the archive that record the same page


@dataclass(frozen=True)
class Region:
    id: str
    title: str
    countries: frozenset[str] = frozenset()  # ISO 3166-1 alpha-2 codes it binds
    other_countries: bool = False  # binds every country no other region lists
    source_url: str | None = None  # what says which countries it covers
    source_quote: str | None = None


@dataclass(frozen=True)
class Part:
    """A regional part of a document (X's Terms have one for the EU/EFTA/UK)."""

    region: str
    title: str
    party: str | None = None
    heading: str | None = None  # the words opening this part in the archived text


@dataclass(frozen=True)
class DocumentVersion:
    """One dated version of a document, for the regions it covers."""

    document_id: str
    date: date
    dating: str  # "printed": the page prints this date; "observed": first seen in force
    regions: tuple[str, ...]
    source: Source
    zone: str = "UTC"
    published: date | None = None
    observed: date | None = None
    last_absent: date | None = None
    printed_date: date | None = None
    summary: str | None = None  # for every part, unless summaries names the part
    note: str | None = None
    # The keys of the clauses this version was read for: for them, a missing clause is a
    # fact ("not in force"); for any other, the rules do not know ("not recorded").
    read_for: frozenset[str] = frozenset()
    read_for_stated: bool = False  # listed in the file, not derived
    summaries: tuple[tuple[str, str], ...] = ()  # (part, summary) where parts differ

    @property
    def starts(self) -> datetime:
        return start_of_day(self.date, self.zone)

    def summary_for(self, region: str | None) -> str | None:
        """The summary of the part for ``region``; never another part's words."""
        if not self.summaries:
            return self.summary
        return dict(self.summaries).get(region) if region is not None else None


@dataclass(frozen=True)
class ClauseVersion:
    """A clause's words and parameters from one date, or the record that it was absent."""

    clause_id: str
    date: date
    regions: tuple[str, ...]
    status: str  # "present" or "absent"
    source: Source
    zone: str = "UTC"
    quote: str | None = None
    context: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    evidence: str = "verified"
    note: str | None = None

    @property
    def present(self) -> bool:
        return self.status == "present"

    @property
    def starts(self) -> datetime:
        return start_of_day(self.date, self.zone)

    @property
    def words(self) -> str:
        """The quote and its context passages, as one text to compare versions by."""
        return " … ".join(p for p in (self.quote, *self.context) if p)

    def same_terms(self, other: ClauseVersion) -> bool:
        """Whether two versions hold the same words and parameters."""
        return (self.status, self.quote, self.context, self.parameters) == (
            other.status, other.quote, other.context, other.parameters)


@dataclass(frozen=True)
class Clause:
    id: str  # {platform}.{document}.{clause}
    document_id: str
    key: str
    title: str
    kind: str
    versions: tuple[ClauseVersion, ...]
    section: str | None = None

    def timeline(self, region: str) -> list[ClauseVersion]:
        """The versions that apply to one region, oldest first."""
        return [v for v in self.versions if region in v.regions]


@dataclass(frozen=True)
class Document:
    id: str  # {platform}.{document}
    platform: str
    key: str
    title: str
    file: str
    zone: str
    regions: tuple[str, ...]
    parts: tuple[Part, ...]
    versions: tuple[DocumentVersion, ...]
    clauses: tuple[Clause, ...]
    url: str | None = None
    unknowns: tuple[tuple[str, str], ...] = ()
    note: str | None = None
    checked_through: date | None = None  # last archive capture checked against the rules

    def timeline(self, region: str) -> list[DocumentVersion]:
        return [v for v in self.versions if region in v.regions]


@dataclass(frozen=True)
class Platform:
    id: str
    name: str
    documents: tuple[str, ...]
    hosts: tuple[str, ...] = ()
    media_hosts: tuple[str, ...] = ()
    # Other names a log's platform column may give it (a former name), besides its id and
    # hosts: rows naming it so are its rows.
    aliases: tuple[str, ...] = ()
    note: str | None = None

    def names(self) -> tuple[str, ...]:
        """Every name that a log's platform column may give this platform, lowercase."""
        return tuple(dict.fromkeys(n.lower() for n in (self.id, *self.aliases, *self.hosts)))


@dataclass(frozen=True)
class Ruleset:
    """All rule files of one directory, validated, with the digest that names them."""

    revision: str
    directory: str
    regions: dict[str, Region]
    default_region: str
    platforms: dict[str, Platform]
    documents: dict[str, Document]
    clauses: dict[str, Clause]
