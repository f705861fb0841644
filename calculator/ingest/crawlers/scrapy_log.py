"""Scrapy job logs (``LOG_FILE``): ``%(asctime)s [%(name)s] %(levelname)s: %(message)s``.

Line times are the crawler's local time without a zone (read in ``assume_tz``). Events
come from ``Crawled (NNN) <GET url>`` lines (the final answer of each request), from
``Redirecting (NNN) … from <GET url>`` (a redirect hop, answered but never "Crawled") and
from ``Retrying … : NNN …`` (an answer the retry middleware swallowed). The stats dump at
the end of each run is read with ``ast.literal_eval`` to cross-check that run's totals
and clock: a log file a crawler appended to several times holds several runs, each started
by ``Scrapy X started`` and closed by its own stats.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

from calculator.errors import InvalidInput
from calculator.ingest.crawlers._common import (
    NS,
    Clock,
    Recognizer,
    answered_with_content,
    check_unparsed,
    counted,
    event,
    iter_lines,
    maybe_gunzip,
)
from calculator.ingest.crawlers.options import ReadOptions
from calculator.ingest.events import AccessEvent, ReadReport

_RECORD = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:[.,]\d+)?(?P<offset>[+-]\d{2}:?\d{2})? "
    r"\[(?P<logger>[^\]]+)\] (?P<level>[A-Z]+): (?P<message>.*)$"
)
_CRAWLED = re.compile(
    r"^Crawled \((?P<status>\d{3})\) <(?P<method>[A-Z]+) (?P<url>\S+)>(?P<flags>.*)$")
_REDIRECT = re.compile(
    r"^Redirecting \((?P<why>[^)]*)\) to <[A-Z]+ \S+> from <(?P<method>[A-Z]+) (?P<url>\S+)>")
_RETRY = re.compile(
    r"^(?P<kind>Gave up retrying|Retrying) <(?P<method>[A-Z]+) (?P<url>\S+)> "
    r"\(failed \d+ times\): (?P<reason>.*)$")
_RESPONSE_FLAGS = re.compile(r"\(referer: .*\)(?P<flags>(?: \[[^\]]*\])?)\s*$")
_ERROR = re.compile(r"^Error downloading <(?P<method>[A-Z]+) (?P<url>\S+)>")
_SCRAPED = re.compile(r"^Scraped from <(?P<status>\d{3}) (?P<url>\S+)>")
_LOGSTATS = re.compile(r"^Crawled (?P<pages>\d+) pages \(at .*\), scraped (?P<items>\d+) items")
_DATETIME = re.compile(r"datetime\.datetime\(([^()]*)\)")
_STARTED = re.compile(r"^Scrapy \S+ started\b")
DOWNLOAD_ERROR = "download error with no answer (nothing shows the request reached the site)"
_EVENT_PREFIXES = ("Crawled (", "Redirecting (", "Retrying <", "Gave up retrying <",
                   "Error downloading <", "Scraped from <")


def read(stream: BinaryIO, options: ReadOptions, report: ReadReport) -> Iterator[AccessEvent]:
    """One event per answer a site sent the crawler; cache hits and errors are counted aside."""
    report.time_kind = "logged"
    clock = Clock(options.assume_tz)
    recognizer = Recognizer(options)
    state = _State()
    for number, text in iter_lines(maybe_gunzip(stream, options.budget)):
        record = _RECORD.match(text)
        if record is None:
            if state.in_stats:
                state.stats_text.append(text)
            continue  # a continuation: traceback, item repr, pretty-printed dict
        state.close_stats()
        report.lines += 1
        try:
            stamp = record["time"] + (record["offset"] or "")
            instant = clock.datetime_ns(datetime.fromisoformat(stamp))
        except ValueError:
            report.unparseable(number, "the time is not a date and time")
            check_unparsed(report, final=False)
            continue
        check_unparsed(report, final=False)
        message = record["message"]
        if message.startswith("Dumping Scrapy stats:"):
            state.open_stats(instant, message[len("Dumping Scrapy stats:"):])
            continue
        if not message.startswith(_EVENT_PREFIXES):
            if _STARTED.match(message):
                state.start_run()
            _other(message, state, report)
            continue
        found = _answer(message, state, report)
        if found is False:
            report.unparseable(number, "a request line of an unknown shape")
            continue
        if found is True:
            continue  # read, and it is not an answer from a site
        method, url, status = found
        attribution = recognizer.attribute(url)
        posts = recognizer.posts(url, attribution)
        state.run.events += 1
        yield event(instant, "logged", url, attribution, posts, options, method=method,
                    status=status, accessed=answered_with_content(status), line=number)
    state.close_stats()
    state.start_run()
    if report.lines == 0:
        raise InvalidInput("this does not read as a Scrapy log: no line starts with "
                           "'YYYY-MM-DD HH:MM:SS [logger] LEVEL:'")
    check_unparsed(report, final=True)
    state.note(report, clock)
    clock.note(report)
    recognizer.note(report)


def _answer(message: str, state: _State,
            report: ReadReport) -> tuple[str, str, int | None] | bool:
    """(method, url, status) of a line that records an answer from a site.

    True when the line was understood and records no answer (a cache hit, a download
    error, an item); False when it was not understood.
    """
    match = _CRAWLED.match(message)
    if match:
        # Scrapy writes the response's flags after "(referer: ...)": a referer whose URL
        # holds 'cached' is not a cache hit (such a request was left out).
        tail = _RESPONSE_FLAGS.search(match["flags"])
        flags = tail["flags"] if tail else match["flags"]
        if "'cached'" in flags:
            # HTTPCACHE served it: no request left the machine.
            state.run.cached += 1
            report.skip("served from Scrapy's HTTP cache, not sent to the site")
            return True
        return match["method"], match["url"], int(match["status"])
    match = _REDIRECT.match(message)
    if match:
        why = match["why"]
        return match["method"], match["url"], int(why) if why.isdigit() else None
    match = _RETRY.match(message)
    if match:
        reason = match["reason"]
        if reason[:3].isdigit() and (len(reason) == 3 or reason[3] == " "):
            if match["kind"].startswith("Gave"):
                return True  # the last answer is logged again as "Crawled (NNN)"
            return match["method"], match["url"], int(reason[:3])
        if match["kind"] == "Retrying":
            report.skip(DOWNLOAD_ERROR)
        return True
    if _ERROR.match(message):
        # The last failed attempt (after "Gave up retrying", or alone when retries are off).
        report.skip(DOWNLOAD_ERROR)
        return True
    if _SCRAPED.match(message):
        state.items += 1
        return True
    return False


def _other(message: str, state: _State, report: ReadReport) -> None:
    if message.startswith("Filtered duplicate request"):
        report.skip("not sent: filtered by Scrapy as a duplicate")
    elif message.startswith("Filtered offsite request"):
        report.skip("not sent: filtered by Scrapy as offsite")
    else:
        match = _LOGSTATS.match(message)
        if match:
            state.logstats_pages = int(match["pages"])


@dataclass
class _Run:
    """One run of the crawler in the log: its answers, and the stats it dumped at its end."""

    events: int = 0
    cached: int = 0
    stats: dict[str, Any] | None = None
    stats_logged_ns: int | None = None
    stats_error: str | None = None


class _State:
    def __init__(self) -> None:
        self.runs: list[_Run] = []
        self.run = _Run()
        self.items = 0
        self.logstats_pages: int | None = None
        self.in_stats = False
        self.stats_text: list[str] = []

    @property
    def events(self) -> int:
        return sum(r.events for r in self.runs) + self.run.events

    def start_run(self) -> None:
        """A new run begins (or the log ends): the current one is kept if it read anything."""
        run = self.run
        if run.events or run.cached or run.stats is not None or run.stats_error:
            self.runs.append(run)
        self.run = _Run()

    def open_stats(self, logged_ns: int, rest: str) -> None:
        self.in_stats = True
        self.run.stats_logged_ns = logged_ns
        self.stats_text = [rest]

    def close_stats(self) -> None:
        if not self.in_stats:
            return
        self.in_stats = False
        run = self.run
        text = "\n".join(self.stats_text).strip()
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end < start:
            run.stats_error = "no {…} block after 'Dumping Scrapy stats:'"
        else:
            # datetime.datetime(2018, 10, 23, 10, 29, 41, 174719[, tzinfo=…]) is not a
            # literal: keep its numbers as a tuple, then read the dict with literal_eval
            # (never eval).
            literal = _DATETIME.sub(lambda m: "(" + ",".join(
                p for p in m.group(1).split(",") if "=" not in p) + ",)", text[start:end + 1])
            try:
                stats = ast.literal_eval(literal)
            except (ValueError, SyntaxError) as exc:
                run.stats_error = ("the stats dump is not a Python literal "
                                   f"({type(exc).__name__})")
            else:
                if isinstance(stats, dict):
                    run.stats = stats
        self.start_run()  # the stats close their run: what follows belongs to the next

    def note(self, report: ReadReport, clock: Clock) -> None:
        runs = self.runs
        for number, run in enumerate(runs, 1):
            which = f"run {number} of {len(runs)} in this log: " if len(runs) > 1 else ""
            _check_run(run, which, report, clock)
        if len(runs) > 1:
            checked = sum(1 for r in runs if r.stats is not None)
            report.assumptions.append(
                f"This log holds {len(runs)} runs of the crawler; each run with stats "
                f"({checked} of {len(runs)}) was checked against its own stats.")
        if self.events == 0 and self.logstats_pages:
            report.warnings.append(
                f"this log has no per-request lines (LOG_LEVEL INFO or higher), only periodic "
                f"totals ({self.logstats_pages} pages in all): no URL, platform or post can be "
                "read from it. Run the crawler with LOG_LEVEL=DEBUG, or give its WARC or HAR."
            )
        if self.items:
            report.assumptions.append(
                f"{counted(self.items, 'Scraped from item')} not counted as posts: an item is "
                "whatever the spider yields; posts come from the URLs fetched."
            )


def _check_run(run: _Run, which: str, report: ReadReport, clock: Clock) -> None:
    """One run's answers against its own stats, and its line clock against their UTC."""
    if run.stats_error:
        report.warnings.append(f"{which}the Scrapy stats could not be read: {run.stats_error}.")
    stats = run.stats or {}
    answers = stats.get("downloader/response_count")
    # Cache hits pass through the downloader middlewares' process_response, so the stats
    # may count them as responses too.
    if isinstance(answers, int) and answers not in (run.events, run.events + run.cached):
        report.warnings.append(
            f"{which}the log has {run.events} answers from sites, but its stats say "
            f"downloader/response_count = {answers}: lines are missing (LOG_LEVEL above "
            "DEBUG, or a cut log); the events under-count the requests."
        )
    finish = stats.get("finish_time")
    if isinstance(finish, tuple) and run.stats_logged_ns is not None:
        # Scrapy writes finish_time in UTC (naive before 2.x, tz-aware after).
        finish_ns = int(datetime(*finish, tzinfo=UTC).timestamp()) * NS
        skew_s = (run.stats_logged_ns - finish_ns) / NS
        quarter_hours = round(skew_s / 900)
        if quarter_hours:
            hours = quarter_hours / 4
            report.warnings.append(
                f"{which}clock skew: the line that dumped the stats is {skew_s:+.0f} s from "
                f"the stats' own UTC finish_time, read in {clock.assume_tz}; the crawler's "
                f"clock was probably UTC{hours:+g} h. Read the log again with assume_tz "
                "set to that zone, or every event is shifted by that much."
            )
