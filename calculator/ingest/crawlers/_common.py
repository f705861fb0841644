"""What every crawler reader shares: reading times, attributing URLs, building events, giving up."""

from __future__ import annotations

import calendar
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from calculator.errors import FieldProblem, InvalidInput
from calculator.ingest.crawlers import x_bodies, x_posts, x_urls
from calculator.ingest.crawlers.hosts import Attribution, host_of
from calculator.ingest.crawlers.options import ReadOptions
from calculator.ingest.crawlers.x_posts import NO_POSTS, Posts
from calculator.ingest.events import AccessEvent, ReadReport
from calculator.ingest.source import DecompressionBudget, Gunzip
from calculator.ingest.table_read import LONGEST_LINE, line_too_long

NS = 1_000_000_000
MAX_BODY = 64 * 1024 * 1024  # larger answer bodies are not parsed for posts (and say so)
EARLY_CHECK = 1000  # lines after which a file that is mostly unreadable is refused


class Clock:
    """Turns timestamps into UTC nanoseconds; naive ones are read in ``assume_tz`` and counted."""

    def __init__(self, assume_tz: str) -> None:
        self.assume_tz = assume_tz
        self.zone = ZoneInfo(assume_tz)
        self.naive = 0
        self._days: dict[str, int] = {}
        self._seconds: dict[str, int] = {}

    def iso(self, text: str) -> int:
        """Nanoseconds of an ISO 8601 instant; ``Z`` and offsets honoured, naive in assume_tz."""
        # Fast path for the commonest shape, "2018-11-26T14:27:48.334Z": one lookup per second.
        if len(text) >= 20 and text[-1] == "Z" and text[10] in "T " and text[19] in ".Z":
            seconds = self._seconds.get(text[:19])
            if seconds is None:
                seconds = self._utc_seconds(text)
            fraction = text[20:-1]
            if seconds is not None and (not fraction or fraction.isdigit()):
                return seconds * NS + (int(fraction.ljust(9, "0")[:9]) if fraction else 0)
        parsed = datetime.fromisoformat(text.strip())
        return self.datetime_ns(parsed)

    def _utc_seconds(self, text: str) -> int | None:
        try:
            day = self._day(text[:10])
            seconds = day + int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])
        except ValueError:
            return None
        self._remember(text[:19], seconds)
        return seconds

    def _remember(self, key: str, seconds: int) -> None:
        if len(self._seconds) > 100_000:  # bounded: a long crawl has many distinct seconds
            self._seconds.clear()
        self._seconds[key] = seconds

    def datetime_ns(self, moment: datetime) -> int:
        """Nanoseconds of a datetime; a naive one is read in assume_tz."""
        if moment.tzinfo is None:
            self.naive += 1
            moment = moment.replace(tzinfo=self.zone)
        delta = moment - _EPOCH
        return (delta.days * 86400 + delta.seconds) * NS + delta.microseconds * 1000

    def digits17(self, text: str) -> int:
        """Nanoseconds of Heritrix's 17-digit ``yyyyMMddHHmmssSSS`` (UTC by its definition)."""
        seconds = self._seconds.get(text[:14])
        if seconds is None:
            day = self._day(text[:8])
            seconds = day + int(text[8:10]) * 3600 + int(text[10:12]) * 60 + int(text[12:14])
            self._remember(text[:14], seconds)
        return seconds * NS + int(text[14:17]) * 1_000_000

    def _day(self, text: str) -> int:
        day = self._days.get(text)
        if day is None:
            if len(text) == 8:
                year, month, dom = int(text[:4]), int(text[4:6]), int(text[6:8])
            elif len(text) == 10 and text[4] == "-" and text[7] == "-":
                year, month, dom = int(text[:4]), int(text[5:7]), int(text[8:10])
            else:
                raise ValueError(text)
            datetime(year, month, dom)  # refuses 2023-02-30
            day = calendar.timegm((year, month, dom, 0, 0, 0))
            if len(self._days) > 10_000:
                self._days.clear()
            self._days[text] = day
        return day

    def note(self, report: ReadReport) -> None:
        """Say in the report that naive timestamps were read in assume_tz, if any were."""
        if self.naive:
            report.assumptions.append(
                f"{counted(self.naive, 'timestamp')} without a UTC offset read as "
                f"{self.assume_tz} time (assume_tz); if the crawler ran in another zone, read "
                "the log again with that zone."
            )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Recognizer:
    """Attributes URLs to platforms (via the rule files' hosts) and finds the X posts they carry."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self.hosts = options.hosts
        self.unsized_api = 0  # X API answers whose post count nothing told
        self.from_body = 0  # X API answers counted from their stored bodies
        self.empty_bodies = 0  # of those, bodies that held no posts (empty page, users...)
        self.from_url = 0  # X API calls counted from their URL, no body being stored
        self.unreadable_bodies = 0  # stored bodies that are not JSON: counted from the URL

    def attribute(self, url: str | None) -> Attribution:
        return self.hosts.attribute(host_of(url) if url else None)

    def wants_body(self, url: str, attribution: Attribution) -> bool:
        """Whether this URL's answer body is worth reading to count posts (X API calls only)."""
        return attribution.platform == x_posts.PLATFORM and not attribution.media and \
            x_urls.is_api_url(url)

    def posts(self, url: str | None, attribution: Attribution,
              body: bytes | str | None = None, wanted: bool | None = None) -> Posts:
        """The posts an access to ``url`` carried. A stored answer body decides (decision
        0011): an empty page counts 0, whatever page size the URL asked for. The URL's ids
        or page size count only when no body is stored (or the body is not JSON).
        ``wanted``: what ``wants_body`` said of this URL and attribution, when the caller
        asked it already (for an X URL it is whether the URL is an API call)."""
        if not url or attribution.platform != x_posts.PLATFORM or attribution.media:
            return NO_POSTS
        if body:
            found = x_bodies.posts_in_body(body)
            if found is not None:
                self.from_body += 1
                self.empty_bodies += not found.ids
                return found
            self.unreadable_bodies += 1
        api = x_urls.is_api_url(url) if wanted is None else wanted
        found = x_urls.posts_from_url(url)
        if api and found.basis == "none":
            self.unsized_api += 1
        elif api and not body:
            self.from_url += 1
        return found

    def note(self, report: ReadReport) -> None:
        if self.from_body or self.from_url or self.unreadable_bodies or self.unsized_api:
            report.tallies["x_api_posts"] = {
                "from_stored_body": self.from_body, "of_which_no_posts": self.empty_bodies,
                "from_url_no_body_stored": self.from_url,
                "from_url_body_not_json": self.unreadable_bodies,
                "not_counted": self.unsized_api}
        if self.from_body:
            empty = (f", {self.empty_bodies} of them holding no posts (an empty page, users, "
                     "an error)" if self.empty_bodies else "")
            report.assumptions.append(
                f"{counted(self.from_body, 'X API answer')} counted from the stored answer "
                f"body{empty}; the body decides, whatever page size the URL asked for."
            )
        if self.from_url:
            report.assumptions.append(
                f"{counted(self.from_url, 'X API call')} with no stored answer body counted "
                "from the ids or page size in the URL (posts asked for, not proven delivered)."
            )
        if self.unreadable_bodies:
            report.warnings.append(
                f"{counted(self.unreadable_bodies, 'X API answer')} with a stored body that is "
                "not JSON: counted from the ids or page size in the URL instead."
            )
        if self.unsized_api:
            report.warnings.append(
                f"{counted(self.unsized_api, 'X API call')} with no post id or count in the "
                "URL and no stored answer body that could be read: any posts in those answers "
                "could not be counted and count as 0."
            )


def event(instant_ns: int, time_kind: str, url: str | None, attribution: Attribution,
          posts: Posts, options: ReadOptions, *, method: str | None = None,
          status: int | None = None, requested: bool = True, accessed: bool = True,
          line: int | None = None) -> AccessEvent:
    """One access event, with its post count following the embedded-posts option."""
    count = posts.primary + (len(posts.embedded) if options.embedded_posts else 0)
    return AccessEvent(
        instant_ns=instant_ns, time_kind=time_kind, posts=count,
        basis=posts.basis,
        platform=attribution.platform, url=url, method=method, status=status,
        requested=requested, accessed=accessed, post_ids=posts.ids,
        embedded_post_ids=posts.embedded, line=line,
    )


def answered_with_content(status: int | None) -> bool:
    """2xx and 304: the answer carried (or confirmed) the content.

    Redirects are left out: a 301 from twitter.com to x.com carries no post, and counting
    it would count the post twice along the redirect chain.
    """
    return status is not None and (200 <= status < 300 or status == 304)


def iter_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """(line number, text) for every line, decoded as UTF-8 with bad bytes replaced. A
    byte order mark before the first line is not part of it: detection looks past one, and
    a Scrapy log's first line was then read as a continuation of nothing (not counted)."""
    for number, raw in bounded_lines(stream):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        yield number, raw.decode("utf-8", "replace").rstrip("\r\n")


def bounded_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) for every line, refused at the first that runs on past
    ``LONGEST_LINE``, as a table's is: a line of any length was read on to its end (a
    100 MiB line without a newline took 455 MB to be called one unparsed line)."""
    number = 0
    while raw := stream.readline(LONGEST_LINE + 1):
        number += 1
        if len(raw) > LONGEST_LINE:
            raise line_too_long()
        yield number, raw


def maybe_gunzip(stream: BinaryIO, budget: DecompressionBudget,
                 truncated_ends: bool = False) -> BinaryIO:
    """The stream itself, or a decompressing view of it when it starts with the gzip magic
    (what it inflates is charged to ``budget``, the log's one limit). ``truncated_ends``:
    a file cut short inside a gzip member ends there (a reader that says what is missing,
    as the WARC reader does), instead of being refused."""
    buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[arg-type]
    if buffered.peek(2)[:2] == b"\x1f\x8b":  # type: ignore[attr-defined]
        return io.BufferedReader(Gunzip(buffered, budget, truncated_ends),  # type: ignore[return-value]
                                 buffer_size=256 * 1024)
    return buffered


_KNOWN_SCHEMES = ("data", "blob", "about", "chrome", "chrome-extension", "moz-extension",
                  "file", "ftp", "ftps", "ws", "wss", "javascript", "dns", "mailto", "urn",
                  "metadata", "whois")


def shown_scheme(scheme: str) -> str:
    """A URL scheme as a message shows it: a well-known one by name, any other text of the
    log never (a message names what was skipped, not the log's content)."""
    if not scheme:
        return "missing:"
    return f"{scheme}:" if scheme in _KNOWN_SCHEMES else "non-http(s)"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def check_unparsed(report: ReadReport, final: bool) -> None:
    """Refuse a file most of whose lines could not be read (early, or at its end)."""
    if not report.lines or (not final and report.lines != EARLY_CHECK):
        return
    if report.unparsed * 2 > report.lines:
        examples = "; ".join(f"line {n}: {why}" for n, why in report.unparsed_examples[:3])
        scope = "its" if final else "the first"
        raise InvalidInput(
            f"this does not read as {_article(report.format)} {report.format} file: "
            f"{report.unparsed} of {scope} "
            f"{report.lines} lines could not be parsed ({examples})",
            problems=[FieldProblem(why, line=n) for n, why in report.unparsed_examples],
        )


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 line``, ``2 lines``: a count with its noun in the right number."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def line_list(numbers: list[int], shown: int = 5) -> str:
    """``line 7`` or ``lines 3, 9, 12``: the first few line numbers, for messages."""
    head = ", ".join(str(n) for n in numbers[:shown])
    more = ", …" if len(numbers) > shown else ""
    return f"line {head}" if len(numbers) == 1 else f"lines {head}{more}"
