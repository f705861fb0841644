"""Heritrix ``crawl.log`` (1.x with 11 fields, 3.x with 12 and an optional JSON extra field).

Layout (``UriProcessingFormatter``): log time, status, size, URI, discovery path, via, mime,
thread, fetch start ``yyyyMMddHHmmssSSS+durationMs``, digest, source tag (absent in 1.x),
annotations, then extra-info JSON, which may contain spaces.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import BinaryIO

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

# Heritrix's own codes (docs/glossary.rst, "Status codes"). 1 is a successful DNS lookup.
# Which of them sent a request to the site is decision 0060: see SENT and MAYBE_SENT.
HERITRIX_CODES = {
    1: "DNS lookup, not an HTTP request",
    0: "fetch never tried",
    -1: "DNS lookup failed",
    -2: "HTTP connect failed",
    -3: "HTTP connect broken",
    -4: "HTTP timeout",
    -5: "unexpected runtime exception",
    -6: "prerequisite domain lookup failed",
    -7: "URI not fetchable (unsupported scheme)",
    -8: "retry limit reached",
    -50: "temporary status, interrupted",
    -60: "deemed unfetchable",
    -61: "prerequisite robots.txt fetch failed",
    -62: "some other prerequisite failed",
    -63: "prerequisite could not be scheduled",
    -404: "empty HTTP response",
    -3000: "severe Java error",
    -4000: "crawler-trap (chaff) detection",
    -4001: "too many link hops",
    -4002: "too many embed or transitive hops",
    -5000: "out of scope on re-examination",
    -5001: "blocked by a user setting",
    -5002: "blocked by a custom processor",
    -5003: "blocked by a quota",
    -5004: "blocked by a runtime limit",
    -6000: "deleted from the frontier by the operator",
    -7000: "processing thread was killed",
    -9998: "robots.txt precluded the fetch",
}

# The request went out and the server closed the connection without answering: requested,
# not accessed.
SENT = frozenset({-404})
# The log does not say whether the request was written before the failure (a connection
# that broke, a timeout that may be the connect's or the answer's, a retry limit, an
# exception): not counted, and reported under their own reason.
MAYBE_SENT = frozenset({-3, -4, -5, -8})

SKEW_LIMIT_S = 120  # log time trails fetch end by processing time; beyond this, clocks differ


def read(stream: BinaryIO, options: ReadOptions, report: ReadReport) -> Iterator[AccessEvent]:
    """One event per line that sent an HTTP request (an HTTP status, or -404: sent and not
    answered); DNS and Heritrix's other codes are skipped, by reason."""
    report.time_kind = "request-start"
    clock = Clock(options.assume_tz)
    recognizer = Recognizer(options)
    skew = _Skew()
    log_time_only = 0
    for number, text in iter_lines(maybe_gunzip(stream, options.budget)):
        if not text.strip():
            continue
        report.lines += 1
        parts = text.split(None, 11)
        if len(parts) < 11:
            report.unparseable(number, f"{len(parts)} fields, a crawl.log line has 11 or more")
            check_unparsed(report, final=False)
            continue
        try:
            logged = clock.iso(parts[0])
            status = int(parts[1])
        except ValueError:
            report.unparseable(number, "no log time and status at the start")
            check_unparsed(report, final=False)
            continue
        check_unparsed(report, final=False)
        fetch = _fetch_start(parts[8], clock)
        if fetch is not None:  # compared on every line, DNS ones too: the clocks are the file's
            skew.add(logged - fetch[0] - fetch[1])
        uri = parts[3]
        if uri.startswith("dns:"):
            report.skip("dns lookup, not a request to the site")
            continue
        if status < 100 and status not in SENT:
            name = HERITRIX_CODES.get(status, "crawler code")
            if status in MAYBE_SENT:
                report.skip(f"not counted, may or may not have reached the site: Heritrix "
                            f"{status} ({name})")
            else:
                report.skip(f"not sent: Heritrix {status} ({name})")
            continue
        if fetch is None:
            instant, kind = logged, "logged"
            log_time_only += 1
        else:
            instant, kind = fetch[0], "request-start"
        attribution = recognizer.attribute(uri)
        posts = recognizer.posts(uri, attribution)
        yield event(instant, kind, uri, attribution, posts, options, status=status,
                    accessed=answered_with_content(status), line=number)
    check_unparsed(report, final=True)
    skew.note(report)
    if log_time_only:
        report.assumptions.append(
            f"{counted(log_time_only, 'line')} without a fetch time (field 9 is '-'): the log "
            "time (field 1, written after the fetch) was used instead."
        )
    clock.note(report)
    recognizer.note(report)


def _fetch_start(field: str, clock: Clock) -> tuple[int, int] | None:
    """(fetch start, duration) in ns from ``20110623171208574+225``; None when absent."""
    if field == "-":
        return None
    digits, _, duration = field.partition("+")
    if len(digits) != 17 or not digits.isdigit():
        return None
    try:
        return clock.digits17(digits), int(duration or 0) * 1_000_000
    except ValueError:
        return None


class _Skew:
    """How far field 1 (log time) is from field 9 (fetch end), over lines that have both."""

    def __init__(self) -> None:
        self.compared = 0
        self.skewed: Counter[int] = Counter()

    def add(self, difference_ns: int) -> None:
        self.compared += 1
        seconds = round(difference_ns / NS)
        if abs(seconds) > SKEW_LIMIT_S:
            self.skewed[seconds] += 1

    def note(self, report: ReadReport) -> None:
        if not self.skewed:
            return
        count = sum(self.skewed.values())
        low, high = min(self.skewed), max(self.skewed)
        size = f"{low:+d} s" if low == high else f"{low:+d} s to {high:+d} s"
        where = f"all {count}" if count == self.compared else f"{count} of {self.compared}"
        report.warnings.append(
            f"clock skew: the log time (field 1) is {size} from the end of the fetch "
            f"(field 9 start + duration) on {where} lines that have both; events use the "
            "fetch start (field 9). One of the two clocks was not UTC: check which before "
            "relying on the 24-hour windows."
        )
