"""The posts a fetch will count, known before it is made: what a live budget reserves for a
crawler's request.

It is the log readers' own recognition (``Recognizer``: the rule files' hosts, then
``x_posts`` for the URL's post ids or page size), so a crawl that reserves what this says
reserves exactly what its log is later assessed to have requested. Nothing is fetched and
no answer body is known yet: an API call whose URL names no id and no page size counts 0
here, as it does in a log that stored no body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from calculator.ingest.crawlers import x_posts
from calculator.ingest.crawlers._common import Recognizer, answered_with_content
from calculator.ingest.crawlers.hosts import HostMap
from calculator.ingest.crawlers.options import ReadOptions

# The counts a crawl can budget for (decision 0011): every request sent, or only those
# answered with content. Distinct posts are not known before a fetch.
READINGS = ("requested", "accessed")


def answer_counts(reading: str, status: int) -> bool:
    """Whether the readers count the posts of a request answered with ``status`` under
    ``reading``: every answer is a request; only 2xx and 304 are accesses."""
    if reading not in READINGS:
        raise ValueError(f"a crawl budgets for one of {', '.join(READINGS)}, not {reading!r}")
    return reading == "requested" or answered_with_content(status)


class RequestedPosts:
    """Counts the posts of one platform that fetching a URL requests."""

    def __init__(self, platform: str, hosts: HostMap) -> None:
        self.platform = platform
        self._recognizer = Recognizer(ReadOptions(hosts=hosts))

    @classmethod
    def for_platform(cls, platform: str, hosts: Sequence[str],
                     media_hosts: Sequence[str] = ()) -> RequestedPosts:
        """From a platform's host lists, as its rule file (and ``/v1/platforms/{id}``) gives
        them."""
        return cls(platform, HostMap.from_mapping(dict.fromkeys(hosts, platform),
                                                  dict.fromkeys(media_hosts, platform)))

    @classmethod
    def from_platform_document(cls, document: Mapping[str, object]) -> RequestedPosts:
        """From the service's answer about a platform (``GET /v1/platforms/{id}``)."""
        platform, hosts = document.get("id"), document.get("hosts")
        media = document.get("media_hosts") or []
        if not isinstance(platform, str) or not isinstance(hosts, list) \
                or not isinstance(media, list):
            raise ValueError("a platform document has an id and lists of hosts and "
                             "media_hosts")
        return cls.for_platform(platform, [str(h) for h in hosts], [str(h) for h in media])

    @property
    def recognizes_posts(self) -> bool:
        """Whether the readers recognize this platform's posts in URLs at all (X's only)."""
        return self.platform == x_posts.PLATFORM

    def count(self, url: str) -> int:
        """Posts of this platform that fetching ``url`` requests: 1 for a post's page, the
        ids or page size an API URL names, 0 for any other page, a media file or another
        platform's host."""
        return self._counted(url, None)

    def reads_answer(self, url: str) -> bool:
        """Whether the answer's body decides what a fetch of ``url`` counts: an API or
        GraphQL call of this platform (decision 0011)."""
        attribution = self._recognizer.attribute(url)
        return attribution.platform == self.platform and \
            self._recognizer.wants_body(url, attribution)

    def count_answer(self, url: str, body: bytes) -> int:
        """Posts the readers count for a fetch of ``url`` whose answer body was kept: the
        posts in the body (an empty page is 0), else what the URL names."""
        return self._counted(url, body)

    def _counted(self, url: str, body: bytes | None) -> int:
        attribution = self._recognizer.attribute(url)
        if attribution.platform != self.platform:
            return 0
        if body is not None and not self._recognizer.wants_body(url, attribution):
            body = None  # a page's body is never read for posts: its URL names them
        return self._recognizer.posts(url, attribution, body).primary
