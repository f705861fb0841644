"""Scraper outputs in JSON: post records, raw X GraphQL pages, and twarc2 pages.

- ``scraper-jsonl``: one post per line (snscrape, twscrape, twint, twarc v1, a Scrapy feed).
  Only the post's creation time is recorded, so the caller's collection window is needed.
- ``x-graphql``: twscrape ``--raw`` pages, one GraphQL answer per line or one document.
  Each page is one request; posts are counted in it. A collection window is needed too.
- ``twarc2``: one v2 API page per line with ``__twarc.retrieved_at``, the real access time
  (or twarc2's flattened output, one post per line with the same metadata).

Each reader accepts JSON lines, one JSON document, or a top-level list of either.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, BinaryIO

from calculator import json_input
from calculator.errors import InvalidInput
from calculator.ingest.crawlers import x_bodies, x_posts
from calculator.ingest.crawlers._common import (
    NS,
    Clock,
    Recognizer,
    bounded_lines,
    check_unparsed,
    counted,
    event,
    maybe_gunzip,
)
from calculator.ingest.crawlers.allocation import EvenSpread, Rewindable, require_window
from calculator.ingest.crawlers.hosts import UNKNOWN, Attribution
from calculator.ingest.crawlers.options import ReadOptions
from calculator.ingest.crawlers.x_posts import Posts
from calculator.ingest.events import AccessEvent, ReadReport

FORMATS = ("scraper-jsonl", "x-graphql", "twarc2")
POST_CREATED = ("scraper-jsonl", "x-graphql")  # formats that need a collection window
_EMBEDDED_KEYS = ("quotedTweet", "retweetedTweet", "quoted_status", "retweeted_status")
_URL_KEYS = ("url", "link", "tweet_url", "source_url")


def read(stream: BinaryIO, options: ReadOptions, report: ReadReport) -> Iterator[AccessEvent]:
    """Read a scraper's JSON output as ``report.format`` says (one of FORMATS)."""
    if report.format == "twarc2":
        return read_twarc2(stream, options, report)
    if report.format == "x-graphql":
        return read_graphql_pages(stream, options, report)
    return read_post_records(stream, options, report)


# -- post records --------------------------------------------------------------------------


def read_post_records(stream: BinaryIO, options: ReadOptions,
                      report: ReadReport) -> Iterator[AccessEvent]:
    """One event per post record, placed in the collection window in order of creation."""
    window = require_window(options.collection_window, "post records (scraper-jsonl)")
    return _allocated(stream, options, report, window, _post_record_events)


def _allocated(stream: BinaryIO, options: ReadOptions, report: ReadReport,
               window: tuple[int, int], events: Callable[..., Iterator[AccessEvent]]
               ) -> Iterator[AccessEvent]:
    """Events placed in the collection window. A generator of its own, so that the callers
    above refuse a missing window at once, before the first event is asked for."""
    report.time_kind = "allocated"
    with Rewindable(maybe_gunzip(stream, options.budget)) as source:
        yield from events(source, options, report, window)


def _post_record_events(source: Rewindable, options: ReadOptions, report: ReadReport,
                        window: tuple[int, int]) -> Iterator[AccessEvent]:
    clock = Clock(options.assume_tz)
    # Pass 1: the creation time of every record, to order them (8 bytes a record).
    created = array("q")
    undated = 0
    late = 0
    for _number, value in iter_json_values(source.again(), None):
        record = post_record(value)
        if record is None:
            continue
        moment = _created_ns(record, clock)
        if moment is None:
            undated += 1
        elif moment >= window[1]:
            late += 1
        created.append(moment if moment is not None else 0)
    spread = EvenSpread(window, len(created) if undated else created)
    # Pass 2: the events.
    recognizer = Recognizer(options)
    x_known = x_posts.PLATFORM in options.hosts.platforms()
    index = 0
    for number, value in iter_json_values(source.again(), report):
        report.lines += 1
        record = post_record(value)
        if record is None:
            report.unparseable(number, "not a post record (no id)")
            check_unparsed(report, final=False)
            continue
        check_unparsed(report, final=False)
        url = _first_str(record, _URL_KEYS)
        attribution = recognizer.attribute(url) if url else UNKNOWN
        if attribution.platform is None and x_known and _x_shaped(record):
            attribution = Attribution(x_posts.PLATFORM)
        posts = Posts((str(record["_id"]),), tuple(_embedded(record)), basis="item-record")
        yield event(spread.instant(index), "allocated", url, attribution, posts, options,
                    line=number)
        index += 1
    check_unparsed(report, final=True)
    order = "in file order (some records have no creation time)" if undated else \
        "in order of creation"
    spread.explain(report, "post record", order)
    if late:
        report.warnings.append(
            f"{counted(late, 'record')} created after the collection window ended, which "
            "cannot have been collected in it. Check the window."
        )
    # Creation times only order the records here, so a naive one is not an assumption
    # about when anything was accessed; the clock's note is left out on purpose.


def post_record(value: Any) -> dict[str, Any] | None:
    """The record with its post id under ``_id``, when ``value`` is one post; else None."""
    if not isinstance(value, dict):
        return None
    for key in ("id_str", "id.str", "id"):
        post_id = value.get(key)
        if isinstance(post_id, int | str) and str(post_id).strip():
            return {**value, "_id": str(post_id).strip()}
    return None


def _x_shaped(record: dict[str, Any]) -> bool:
    # snscrape and twscrape name their type; twarc v1 writes v1.1 tweets (id_str and user);
    # twint writes conversation_id, username and tweet.
    kind = str(record.get("_type", ""))
    return kind.startswith("snscrape.modules.twitter") or (
        "id_str" in record and isinstance(record.get("user"), dict)) or (
        {"conversation_id", "username", "tweet"} <= record.keys())


def _embedded(record: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key in _EMBEDDED_KEYS:
        inner = post_record(record.get(key))
        if inner is not None and inner["_id"] != record["_id"] and inner["_id"] not in found:
            found.append(inner["_id"])
            found.extend(e for e in _embedded(inner) if e not in found and e != record["_id"])
    return found


def _created_ns(record: dict[str, Any], clock: Clock) -> int | None:
    value = record.get("date", record.get("created_at"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        # twint 2.1.20 writes epoch milliseconds; others epoch seconds.
        return int(value * 1_000_000) if value > 10**11 else int(value * NS)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        for attempt in (_iso, _twitter_date, _abbreviated_zone):
            moment = attempt(text)
            if moment is not None:
                return clock.datetime_ns(moment)
    snowflake = x_posts.created_ms(record["_id"]) if _x_shaped(record) else None
    return snowflake * 1_000_000 if snowflake is not None else None


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _twitter_date(text: str) -> datetime | None:
    try:  # v1.1: "Wed Oct 10 20:19:24 +0000 2018"
        return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return None


def _abbreviated_zone(text: str) -> datetime | None:
    # twint forks: "2020-05-01 12:00:00 CEST"; the abbreviation is ambiguous, so the naive
    # time is read in assume_tz (used for ordering only).
    head, _, tail = text.rpartition(" ")
    if head and tail.isalpha():
        return _iso(head)
    return None


# -- raw GraphQL pages ---------------------------------------------------------------------


def read_graphql_pages(stream: BinaryIO, options: ReadOptions,
                       report: ReadReport) -> Iterator[AccessEvent]:
    """One event per stored GraphQL answer, placed in the collection window in file order."""
    window = require_window(options.collection_window, "raw GraphQL pages (x-graphql)")
    return _allocated(stream, options, report, window, _graphql_page_events)


def _graphql_page_events(source: Rewindable, options: ReadOptions, report: ReadReport,
                         window: tuple[int, int]) -> Iterator[AccessEvent]:
    pages = sum(1 for _ in iter_json_values(source.again(), None))
    spread = EvenSpread(window, pages)
    platform = Attribution(x_posts.PLATFORM) if x_posts.PLATFORM in options.hosts.platforms() \
        else UNKNOWN
    late = 0
    index = 0
    for number, value in iter_json_values(source.again(), report):
        report.lines += 1
        posts = x_bodies.posts_in_document(value)
        if posts is None:
            report.unparseable(number, "not an X GraphQL answer (no data with a timeline or "
                                       "post)")
            check_unparsed(report, final=False)
            index += 1
            continue
        check_unparsed(report, final=False)
        newest = max((x_posts.created_ms(i) or 0 for i in posts.ids), default=0)
        instant = spread.instant(index)
        if newest * 1_000_000 >= window[1]:
            late += 1
        yield event(instant, "allocated", None, platform, posts, options, line=number)
        index += 1
    check_unparsed(report, final=True)
    spread.explain(report, "GraphQL page", "in the order they are in the file (the order a "
                                             "scraper writes them as it retrieves them)")
    if late:
        report.warnings.append(
            f"{counted(late, 'page')} holding posts created after the collection window "
            "ended, which cannot have been retrieved in it. Check the window."
        )


# -- twarc2 --------------------------------------------------------------------------------


def read_twarc2(stream: BinaryIO, options: ReadOptions,
                report: ReadReport) -> Iterator[AccessEvent]:
    """One event per twarc2 page (or flattened post), at its ``__twarc.retrieved_at``."""
    report.time_kind = "retrieved"
    clock = Clock(options.assume_tz)
    recognizer = Recognizer(options)
    for number, value in iter_json_values(maybe_gunzip(stream, options.budget), report):
        report.lines += 1
        meta = value.get("__twarc") if isinstance(value, dict) else None
        retrieved = meta.get("retrieved_at") if isinstance(meta, dict) else None
        if not isinstance(retrieved, str):
            report.unparseable(number, "no __twarc.retrieved_at (not twarc2 output)")
            check_unparsed(report, final=False)
            continue
        try:
            instant = clock.iso(retrieved)
        except ValueError:
            report.unparseable(number, "__twarc.retrieved_at is not an instant")
            check_unparsed(report, final=False)
            continue
        check_unparsed(report, final=False)
        url = meta.get("url") if isinstance(meta.get("url"), str) else None
        attribution = recognizer.attribute(url) if url else UNKNOWN
        if "data" in value:
            posts = x_bodies.posts_in_document(value) or Posts(basis="body-count")
        else:  # twarc2 flatten: one post per line, the page's metadata copied onto it
            found = x_bodies.posts_in_document({"data": [value]})
            posts = Posts(found.ids, found.embedded, "item-record") if found else Posts()
        yield event(instant, "retrieved", url, attribution, posts, options, line=number)
    check_unparsed(report, final=True)
    clock.note(report)


# -- JSON values ---------------------------------------------------------------------------


def iter_json_values(stream: BinaryIO, report: ReadReport | None) -> Iterator[tuple[int, Any]]:
    """(line number, value) for JSON lines, for one JSON document, or for a top-level list.

    A first line that is not JSON on its own (a pretty-printed document) switches to
    reading the whole input as a sequence of JSON documents. Unreadable lines are counted
    in ``report`` (when given).
    """
    first: tuple[int, str] | None = None
    lines = _text_lines(stream)
    for number, text in lines:
        if text.strip():
            first = (number, text)
            break
    if first is None:
        return
    try:
        value = json.loads(first[1])
    except (ValueError, RecursionError):
        # Lines keep their "\n", so joining them restores the text and its line numbers.
        yield from _documents(first[0], first[1] + "".join(t for _, t in lines), report)
        return
    yield from _flatten(first[0], value)
    for number, text in lines:
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as exc:
            if report is not None:
                report.lines += 1
                report.unparseable(number, f"not JSON ({json_input.reason(exc)})")
                check_unparsed(report, final=False)
            continue
        yield from _flatten(number, value)


def _text_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    for number, raw in bounded_lines(stream):
        yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8", "replace")


def _flatten(number: int, value: Any) -> Iterator[tuple[int, Any]]:
    if isinstance(value, list):
        for item in value:
            yield number, item
    else:
        yield number, value


def _documents(first_line: int, text: str, report: ReadReport | None) -> Iterator[tuple[int, Any]]:
    """The JSON documents of ``text`` one after another, each with the line it starts on."""
    decoder = json.JSONDecoder()
    position = counted_to = 0
    line = first_line
    length = len(text)
    while True:
        while position < length and text[position].isspace():
            position += 1
        if position >= length:
            return
        line += text.count("\n", counted_to, position)  # counted once, as the text is read
        counted_to = position
        if text[position] == "[":
            items = _array_items(decoder, text, position, line)
            if items is not None:  # each element with its own line (all read "line 1")
                elements, position = items
                yield from elements
                continue
        try:
            value, position = decoder.raw_decode(text, position)
        except (ValueError, RecursionError) as exc:
            if report is None:
                return
            if report.lines == 0:
                raise InvalidInput(f"this does not read as JSON: {json_input.reason(exc)}") \
                    from None
            report.lines += 1
            report.unparseable(line, f"the JSON breaks off here ({json_input.reason(exc)})")
            return
        yield from _flatten(line, value)


def _array_items(decoder: json.JSONDecoder, text: str, position: int, line: int
                 ) -> tuple[list[tuple[int, Any]], int] | None:
    """The elements of the array at ``position``, each with the line it starts on, and where
    the array ends; None when it is not a well-formed array (read whole, as before, so
    that its error is told as before)."""
    items: list[tuple[int, Any]] = []
    at, counted, length = position + 1, position, len(text)
    while True:
        while at < length and text[at].isspace():
            at += 1
        if not items and at < length and text[at] == "]":
            return items, at + 1
        line += text.count("\n", counted, at)
        counted = at
        try:
            value, at = decoder.raw_decode(text, at)
        except (ValueError, RecursionError):
            return None
        items.append((line, value))
        while at < length and text[at].isspace():
            at += 1
        if at < length and text[at] == ",":
            at += 1
        elif at < length and text[at] == "]":
            return items, at + 1
        else:
            return None


def _first_str(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, str) and value:
            return value
    return None

