"""HAR 1.1 and 1.2 (browser scrapers: Playwright, Chrome DevTools, Firebug, HAR capturers).

One event per ``log.entries[]`` item, at its ``startedDateTime`` (the request start, with
its own offset). Bodies in ``response.content.text`` (base64 when ``encoding`` says so)
are searched for posts when the URL is an X API call.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from calculator import json_input
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
    # A HAR is one JSON document, so it is parsed whole; its size is bounded by what a
    # browser session records (and by the service's upload limit).
    try:
        document = json.load(maybe_gunzip(stream, options.budget))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput("this does not read as a HAR file: the JSON is broken "
                           f"({json_input.reason(exc)})") from None
    entries = document.get("log", {}).get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput("this does not read as a HAR file: there is no log.entries list")
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
