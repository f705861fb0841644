"""Which platform a URL's host belongs to, from the hosts the rule files list.

The rule files (``data/<platform>/platform.yaml``: ``hosts`` and ``media_hosts``) are the
one source of truth; nothing here names a host.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calculator.rules.model import Ruleset


@dataclass(frozen=True)
class Attribution:
    """The platform a host belongs to, and whether it only serves media or static files."""

    platform: str | None
    media: bool = False


UNKNOWN = Attribution(None)


@dataclass
class HostMap:
    """Host to platform, matching a listed host exactly or any subdomain of it."""

    hosts: dict[str, str] = field(default_factory=dict)  # host -> platform id
    media_hosts: dict[str, str] = field(default_factory=dict)  # media host -> platform id
    _cache: dict[str, Attribution] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_ruleset(cls, ruleset: Ruleset) -> HostMap:
        """The hosts and media hosts of every platform in a loaded ruleset."""
        hosts: dict[str, str] = {}
        media: dict[str, str] = {}
        for platform in ruleset.platforms.values():
            for host in platform.hosts:
                hosts[host.lower()] = platform.id
            for host in platform.media_hosts:
                media[host.lower()] = platform.id
        return cls(hosts, media)

    @classmethod
    def from_mapping(cls, hosts: Mapping[str, str],
                     media_hosts: Mapping[str, str] | None = None) -> HostMap:
        """A map from plain ``{host: platform}`` dictionaries (tests, callers without rules)."""
        return cls({h.lower(): p for h, p in hosts.items()},
                   {h.lower(): p for h, p in (media_hosts or {}).items()})

    def platforms(self) -> set[str]:
        return set(self.hosts.values()) | set(self.media_hosts.values())

    def hosts_of(self, platform: str) -> Iterable[str]:
        return [h for h, p in self.hosts.items() if p == platform]

    def attribute(self, host: str | None) -> Attribution:
        """The platform of ``host`` (already lower-cased, without port), most specific first."""
        if not host:
            return UNKNOWN
        cached = self._cache.get(host)
        if cached is not None:
            return cached
        result = UNKNOWN
        candidate = host
        # Walk from the full host to its parents, so "foo.pbs.twimg.com" finds the media host
        # "pbs.twimg.com" and "m.twitter.com" finds "twitter.com"; the first listed name wins,
        # which makes the most specific listing decide.
        while candidate:
            if candidate in self.media_hosts:
                result = Attribution(self.media_hosts[candidate], media=True)
                break
            if candidate in self.hosts:
                result = Attribution(self.hosts[candidate])
                break
            dot = candidate.find(".")
            if dot < 0:
                break
            candidate = candidate[dot + 1:]
        if len(self._cache) > 50_000:  # a crawl of the whole web must not grow this forever
            self._cache.clear()
        self._cache[host] = result
        return result


def host_of(url: str) -> str | None:
    """The lower-cased host of an absolute URL (no port, no user info), or None.

    Hand-written rather than ``urllib.parse.urlsplit`` because it runs once per line on
    multi-million-line logs and only the host is needed.
    """
    start = url.find("://")
    if start < 0:
        return None
    start += 3
    end = url.find("/", start)
    netloc = url[start:] if end < 0 else url[start:end]
    if "?" in netloc or "#" in netloc:
        netloc = netloc.split("?", 1)[0].split("#", 1)[0]
    if "@" in netloc:
        netloc = netloc.rsplit("@", 1)[1]
    if netloc.startswith("["):  # IPv6 literal
        close = netloc.find("]")
        return netloc[1:close].lower() if close > 0 else None
    colon = netloc.find(":")
    if colon >= 0:
        netloc = netloc[:colon]
    return netloc.lower().rstrip(".") or None
