"""What a crawler-log reader needs to know besides the bytes: zones, hosts, a collection window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from calculator.errors import InvalidArgument
from calculator.ingest.crawlers.hosts import HostMap
from calculator.ingest.source import DecompressionBudget
from calculator.timeutil import zone

if TYPE_CHECKING:
    from calculator.rules.model import Ruleset


def check_collection_window(window: tuple[datetime, datetime] | None) -> None:
    """Refuse a collection window without offsets, or one that does not end after it
    starts, whatever the log's format."""
    if window is None:
        return
    start, end = window
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidArgument("the collection window needs instants with an offset "
                              "(for example 2024-11-15T00:00:00Z)")
    if not start < end:
        raise InvalidArgument("the collection window must end after it starts")


@dataclass(frozen=True)
class ReadOptions:
    """How to read a crawler's log.

    ``assume_tz`` is the IANA zone for timestamps written without an offset (Scrapy lines,
    some HARs); ``hosts`` attributes URLs to platforms (build it with
    ``HostMap.from_ruleset``); ``collection_window`` is the caller's statement of when a
    scraper ran, needed by formats that record only when posts were created;
    ``embedded_posts`` makes quoted and reposted posts count in ``AccessEvent.posts``
    (they are always listed in ``embedded_post_ids``); ``default_host`` is the site a log
    of bare paths belongs to (a reverse proxy in front of one site); ``budget`` is
    charged every byte a reader decompresses (the log's one limit of decompressed bytes).
    """

    assume_tz: str = "UTC"
    hosts: HostMap = field(default_factory=HostMap)
    collection_window: tuple[datetime, datetime] | None = None
    embedded_posts: bool = False
    default_host: str | None = None
    budget: DecompressionBudget = field(default_factory=DecompressionBudget, compare=False)

    def __post_init__(self) -> None:
        zone(self.assume_tz)  # fail on an unknown zone before reading a byte
        check_collection_window(self.collection_window)

    @classmethod
    def for_ruleset(cls, ruleset: Ruleset, **kwargs: object) -> ReadOptions:
        """Options whose host attribution comes from a loaded ruleset's platform files."""
        return cls(hosts=HostMap.from_ruleset(ruleset), **kwargs)  # type: ignore[arg-type]
