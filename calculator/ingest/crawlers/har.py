"""HAR 1.1 and 1.2 (browser scrapers: Playwright, Chrome DevTools, Firebug, HAR capturers).

One event per ``log.entries[]`` item, at its ``startedDateTime`` (the request start, with
its own offset). Bodies in ``response.content.text`` (base64 when ``encoding`` says so)
are searched for posts when the URL is an X API call.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

from calculator.errors import InvalidInput
from calculator.ingest.crawlers._common import (
    Clock,
    Recognizer,
    answered_with_content,
    check_unparsed,
    event,
    maybe_gunzip,
    shown_scheme,
)
from calculator.ingest.crawlers.options import ReadOptions
from calculator.ingest.events import AccessEvent, ReadReport


def read(stream: BinaryIO, options: ReadOptions, report: ReadReport) -> Iterator[AccessEvent]:
    """One event per HAR entry that went to the network (not data:, blob: or a cache hit)."""
    report.time_kind = "request-start"
    entries = _entries(maybe_gunzip(stream, options.budget))
    clock = Clock(options.assume_tz)
    recognizer = Recognizer(options)
    for number, entry in enumerate(entries, 1):
        report.lines += 1
        try:
            request = entry["request"]
            response = entry.get("response") or {}
            url = str(request["url"])
            started = clock.iso(str(entry["startedDateTime"]))
            status = int(response.get("status", 0) or 0)
            if not 0 <= status <= 999:
                raise ValueError("no HTTP status")
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            # AttributeError: a response that is a list or text; OverflowError: a status of
            # 1e400 (both were tracebacks).
            report.unparseable(number, f"entry {number} lacks a usable request.url, "
                                       "startedDateTime or response.status "
                                       f"({type(exc).__name__})")
            continue
        scheme = url.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            report.skip(f"{shown_scheme(scheme)} URL, not a network request")
            continue
        if entry.get("_fromCache") or entry.get("_fromServiceWorker"):
            report.skip("served from the browser's cache, not sent to the site")
            continue
        attribution = recognizer.attribute(url)
        body = None
        if recognizer.wants_body(url, attribution):
            body = _body(response.get("content") or {})
        posts = recognizer.posts(url, attribution, body)
        # Status 0 is an entry the browser started and never got an answer to (aborted,
        # blocked): it was requested, nothing was accessed.
        yield event(started, "request-start", url, attribution, posts, options,
                    method=str(request.get("method") or "") or None,
                    status=status or None, accessed=answered_with_content(status), line=number)
    check_unparsed(report, final=True)
    clock.note(report)
    recognizer.note(report)


def _entries(stream: BinaryIO) -> Iterator[Any]:
    """The HAR's ``log.entries``, one entry at a time as the file is read: a HAR is one JSON
    document, and parsed whole, 269 MB of it took 2.2 GB of memory (0.37 GB now). Refused
    when the JSON breaks off or is broken, or holds no entry: no ``log.entries`` list, or an
    empty one, is a log with nothing to assess, as a table without rows is."""
    entries = 0
    try:
        # Numbers as Decimal: a status of 1e400 is too big for a float, and the parser took
        # it for the end of the JSON.
        for entry in ijson.items(stream, "log.entries.item"):
            entries += 1
            yield entry
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        why = "ends too soon" if isinstance(exc, ijson.IncompleteJSONError) else "is broken"
        raise InvalidInput(f"this does not read as a HAR file: the JSON {why}") from None
    if not entries:
        raise InvalidInput("this HAR file holds no entries (its log.entries list is missing or "
                           "empty): there is nothing to assess")


def _body(content: Any) -> bytes | None:
    if not isinstance(content, dict):  # a content that is a list or text has no body
        return None
    text = content.get("text")
    if not isinstance(text, str):
        return None
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            return None
    return text.encode("utf-8", "replace")
