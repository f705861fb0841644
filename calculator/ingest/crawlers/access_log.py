"""Apache and nginx access logs: Common, Combined, and vhost_combined (``host:port`` first).

Real logs mix common and combined lines, carry raw ``"`` inside the request line, and end
with lines cut short; all of these are read. The time is ``%t``, when the request was
received, with its own offset. Plain formats have no host: the vhost prefix, an absolute
URI (forward proxy) or ``ReadOptions.default_host`` supplies it, and otherwise the events
are attributed to no platform.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO

from calculator.ingest.crawlers._common import (
    NS,
    Recognizer,
    answered_with_content,
    check_unparsed,
    counted,
    event,
    iter_lines,
    line_list,
    maybe_gunzip,
)
from calculator.ingest.crawlers.hosts import Attribution
from calculator.ingest.crawlers.options import ReadOptions
from calculator.ingest.crawlers.x_posts import NO_POSTS
from calculator.ingest.events import AccessEvent, ReadReport

# The request line is matched lazily up to the first `" <status> <bytes>` so that raw quotes
# inside it (`?q=<script>alert("x")</script>`) do not end it early.
_CORE = (r'(?P<client>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] '
         r'"(?P<request>.*?)" (?P<status>\d{3}) (?P<bytes>\d+|-)(?P<rest>\s.*)?$')
_PLAIN = re.compile("^" + _CORE)
_VHOST = re.compile(r"^(?P<vhost>\S+) " + _CORE)
_COMBINED_TAIL = re.compile(r'^\s+"(?:[^"\\]|\\.)*"\s+"(?:[^"\\]|\\.)*"')
MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


_PROTOCOL = re.compile(r" HTTP/\d(?:\.\d)?$")


class ApacheTime:
    """``10/Oct/2000:13:55:36 -0700`` to UTC nanoseconds, reading each day once."""

    def __init__(self) -> None:
        self._days: dict[str, int] = {}

    def ns(self, text: str) -> int:
        if len(text) != 26 or text[20] != " " or text[21] not in "+-":
            raise ValueError(text)
        day = self._days.get(text[:11])
        if day is None:
            # ``date`` refuses a day the month lacks: ``timegm`` read 31/Feb as 3 March.
            day = calendar.timegm(date(int(text[7:11]), MONTHS[text[3:6]],
                                       int(text[0:2])).timetuple())
            if len(self._days) > 10_000:
                self._days.clear()
            self._days[text[:11]] = day
        hour, minute, second = int(text[12:14]), int(text[15:17]), int(text[18:20])
        zone = text[21:26]
        if hour > 23 or minute > 59 or second > 59 or int(zone[3:5]) > 59:
            raise ValueError(text)  # 1 March at 99:99:99 was read as 5 March at 04:40:39
        seconds = hour * 3600 + minute * 60 + second
        offset = (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60) * (-1 if zone[0] == "-" else 1)
        return (day + seconds - offset) * NS


def read(stream: BinaryIO, options: ReadOptions, report: ReadReport) -> Iterator[AccessEvent]:
    """One event per request line; lines without a request (``"-" 408``) are skipped and counted."""
    report.time_kind = "request-received"
    recognizer = Recognizer(options)
    clock = ApacheTime()
    tunnels: dict[str, int] = {}
    cut_short: list[int] = []
    for number, text in iter_lines(maybe_gunzip(stream, options.budget)):
        if not text.strip():
            continue
        report.lines += 1
        match = _PLAIN.match(text) or _VHOST.match(text)
        if match is None:
            report.unparseable(number, "not a common, combined or vhost_combined line")
            check_unparsed(report, final=False)
            continue
        try:
            instant = clock.ns(match["time"])
        except (ValueError, KeyError):
            report.unparseable(number, "the time is not [dd/Mon/yyyy:HH:MM:SS +hhmm]")
            check_unparsed(report, final=False)
            continue
        check_unparsed(report, final=False)
        rest = match["rest"] or ""
        if rest.strip() and not _COMBINED_TAIL.match(rest) and rest.count('"') % 2:
            cut_short.append(number)  # the referer or user agent lost its closing quote
        method, url, host = _request(match["request"], match.groupdict().get("vhost"), options)
        if method is None:
            report.skip("no request line (a connection that sent no request)")
            continue
        status = int(match["status"])
        if method == "CONNECT":
            attribution = recognizer.hosts.attribute(host)
            if attribution.platform:
                tunnels[attribution.platform] = tunnels.get(attribution.platform, 0) + 1
            yield event(instant, "request-received", url, attribution, NO_POSTS, options,
                        method=method, status=status, accessed=answered_with_content(status),
                        line=number)
            continue
        attribution = recognizer.attribute(url) if host else Attribution(None)
        posts = recognizer.posts(url, attribution)
        yield event(instant, "request-received", url, attribution, posts, options,
                    method=method, status=status, accessed=answered_with_content(status),
                    line=number)
    check_unparsed(report, final=True)
    note_tunnels(report, tunnels)
    if cut_short:
        report.warnings.append(
            f"{counted(len(cut_short), 'line')} ending early (an unclosed quote in the referer "
            f"or user agent: {line_list(cut_short)}); the time, request and status were "
            "complete and were read."
        )
    recognizer.note(report)


def _request(request: str, vhost: str | None,
             options: ReadOptions) -> tuple[str | None, str | None, str | None]:
    """(method, URL, host) from a request line, the vhost prefix and the default host."""
    method, _, target = request.partition(" ")
    if not method or method == "-" or not target:
        return None, None, None
    if _PROTOCOL.search(target):  # HTTP/3 too (nginx with QUIC), whose posts went uncounted
        target = target.rsplit(" ", 1)[0]
    lower = target.lower()
    if lower.startswith(("http://", "https://")):  # a forward proxy logs the absolute URI
        scheme_end = target.find("://") + 3
        host = target[scheme_end:].split("/", 1)[0].split(":", 1)[0].lower()
        return method, target, host
    if method == "CONNECT":
        return method, target, target.rsplit(":", 1)[0].strip("[]").lower()
    site = vhost or options.default_host
    if not site:
        return method, target, None
    host, _, port = site.partition(":")
    scheme = "https" if port == "443" else "http"
    authority = host if port in ("", "80", "443") else site
    return method, f"{scheme}://{authority}{target}", host.lower()


def note_tunnels(report: ReadReport, tunnels: dict[str, int]) -> None:
    """Warn that CONNECT tunnels to a platform hide the posts that went through them."""
    for platform, count in sorted(tunnels.items()):
        report.warnings.append(
            f"{counted(count, 'CONNECT tunnel')} to {platform} hosts: a proxy sees no URL "
            "inside a tunnel, so 0 posts are counted there, and one tunnel can carry many "
            "requests. Only a proxy that decrypts TLS (or the crawler's own logs) can show "
            "the posts."
        )
