"""Access events: what one line or record of a crawler's log says about posts.

Every reader of a real crawler format (WARC, Heritrix crawl.log, HAR, Scrapy, access
logs, scraper JSON) turns its input into these events; counting and windows are done
on them, never on the formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Which instant a format records (they disagree, and counsel must know which one was used).
TIME_KINDS = {
    "request-start": "when the request was sent (HAR startedDateTime, Heritrix fetch start)",
    "request-received": "when the server received the request (Apache %t)",
    "logged": "when the crawler wrote the line, after the fetch (Heritrix field 1, Scrapy)",
    "capture-start": "when capture of the record began (WARC-Date)",
    "completed": "when the transaction completed (Squid)",
    "retrieved": "when the tool retrieved the page (twarc2 retrieved_at)",
    "post-created": "when the post was created, not when it was accessed (scraper outputs)",
    "allocated": "placed by rule inside the caller's collection window (the format records no "
                 "access time; see the report's assumptions)",
    "supplied": "a time given in the log's own timestamp column",
}

# How the posts of an event were counted.
POST_BASES = {
    "url-pattern": "one post page fetched, its id in the URL",
    "body-count": "posts counted in the stored response body",
    "url-param": "a count taken from request parameters (count=, max_results=, ids=)",
    "item-record": "one output record per post",
    "column": "the log's own posts column",
    "none": "no posts: not a post URL, or nothing to count",
}


@dataclass(frozen=True)
class AccessEvent:
    """One access to a platform (or an attempt), with the posts it carried."""

    instant_ns: int  # UTC, nanoseconds since the epoch
    time_kind: str  # a key of TIME_KINDS
    posts: int = 0  # posts carried, counted by `basis`
    basis: str = "none"  # a key of POST_BASES
    platform: str | None = None  # attributed from the host; None when not known
    url: str | None = None
    method: str | None = None
    status: int | None = None  # HTTP status, or a crawler's own code (Heritrix: negative)
    requested: bool = True  # a request went to the platform, whatever its answer
    accessed: bool = True  # it was answered with content (2xx, 304, a WARC revisit)
    post_ids: tuple[str, ...] = ()  # ids of the posts counted in `posts`, when known
    embedded_post_ids: tuple[str, ...] = ()  # quoted and reposted posts inside those posts
    authorized: bool = False  # made under an agreement (e.g. the official API with a licence)
    line: int | None = None  # line or record number in the source, for messages


@dataclass
class ReadReport:
    """What a reader saw besides the events: so nothing is dropped in silence."""

    format: str
    lines: int = 0  # lines or records read
    unparsed: int = 0
    unparsed_examples: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count (e.g. "dns")
    warnings: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    time_kind: str | None = None
    # How many of each a reader did, for a reader of the document to check by hand: WARC
    # request/answer pairs by how they were paired, X API answers by where posts came from.
    tallies: dict[str, dict[str, int]] = field(default_factory=dict)

    def unparseable(self, line: int, why: str, keep: int = 5) -> None:
        self.unparsed += 1
        if len(self.unparsed_examples) < keep:
            self.unparsed_examples.append((line, why))

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count
