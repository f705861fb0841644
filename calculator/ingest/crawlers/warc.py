"""WARC (ISO 28500, 1.0 and 1.1) and legacy ARC, plain or gzip, read with warcio.

One event per ``response`` and ``revisit`` record and per ``resource`` record of an
http(s) URI; ``request`` records only pair with their answers, and a request whose answer
is not in the file counts as requested but not accessed. A request pairs with its answer by
``WARC-Concurrent-To`` (either way round), else, when neither names the other (the header is
optional), by the same target URI and a WARC-Date within ``PAIRING_TOLERANCE_S``.
``warcinfo``, ``metadata``, ``conversion`` and ``continuation`` records, and resources
such as ``metadata://`` or ``dns:``, are never events. Posts in X API answers are counted
from the stored bodies.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, BinaryIO

from warcio.exceptions import ArchiveLoadFailed

from calculator.errors import InputTooLarge, InvalidInput
from calculator.ingest.crawlers._common import (
    MAX_BODY,
    Clock,
    Recognizer,
    answered_with_content,
    counted,
    event,
    maybe_gunzip,
    shown_scheme,
)
from calculator.ingest.crawlers.hosts import UNKNOWN, Attribution
from calculator.ingest.crawlers.options import ReadOptions
from calculator.ingest.crawlers.warc_pairing import PAIRING_TOLERANCE_S, Pairing, Request
from calculator.ingest.crawlers.warc_records import Records
from calculator.ingest.crawlers.x_posts import Posts
from calculator.ingest.events import AccessEvent, ReadReport
from calculator.ingest.source import DecompressionBudget

# Record types of WARC 1.1 (and ARC's), named in messages; any other text is not shown.
_RECORD_TYPES = ("warcinfo", "response", "resource", "request", "metadata", "revisit",
                 "conversion", "continuation", "arc_header")
HEAD = 256 * 1024  # enough to see the first gzip member of a gzip-per-record file end
HOLD = 64  # answers held back a little, for the method of a request written after them
BODY_MEMORY = 20_000  # X API answers remembered for revisits that point back at them (bounded)


def read(stream: BinaryIO, options: ReadOptions, report: ReadReport,
         lean: bool = True) -> Iterator[AccessEvent]:
    """One event per answer record (response, revisit, http(s) resource) of a WARC or ARC
    file. ``lean=False`` reads every record with warcio (the reference the lean splitting
    of regular records is held to)."""
    report.time_kind = "capture-start"
    reader = _Reader(options, report)
    source = _for_warcio(stream, options.budget)
    iterator = Records(source, reader.wants_block, MAX_BODY + HEAD, lean)
    previous = None
    try:
        for record in iterator:
            # warcio has read the previous record to its end by now: was all of it there?
            _check_complete(previous, report)
            previous = record
            report.lines += 1
            yield from reader.record(record, report.lines)
        _check_complete(previous, report)
    except (ArchiveLoadFailed, InvalidInput, EOFError, OSError, zlib.error, ValueError,
            AttributeError) as exc:  # warcio fails so on an HTTP record with no target URI
        if report.lines == 0 and isinstance(exc, InvalidInput):
            raise
        if report.lines == 0:
            raise InvalidInput(f"this does not read as a WARC or ARC file: {_why(exc)}") \
                from exc
        report.unparseable(report.lines + 1, f"unreadable record: {_why(exc)}")
        report.warnings.append(
            f"the file breaks off after record {report.lines} ({_why(exc)}); the "
            "records before it were read, anything after it was not."
        )
    else:
        if iterator.cut_in_header:  # warcio read the tail as nothing, and said nothing
            report.warnings.append(
                f"the file ends inside the header block of the record after record "
                f"{report.lines} (it was cut short): that record could not be read.")
    if iterator.errors:
        report.warnings.append(
            f"{counted(iterator.errors, 'record')} not followed by the blank lines a WARC "
            "record ends with: a Content-Length is probably wrong, so a record may have been "
            "read in the wrong place."
        )
    yield from reader.finish()


def _check_complete(record: Any, report: ReadReport) -> None:
    missing = getattr(getattr(record, "raw_stream", None), "limit", 0)
    if isinstance(missing, int) and missing > 0:
        report.warnings.append(
            f"record {report.lines} is cut short: {missing} bytes of its Content-Length are "
            "missing (the file was truncated); its headers were read."
        )


def _for_warcio(stream: BinaryIO, budget: DecompressionBudget) -> BinaryIO:
    """The stream as warcio reads it, after checking that it is a WARC or an ARC.

    gzip (per record, the usual kind, or the whole file) is undone here rather than by
    warcio, so that what it inflates is charged to the log's one budget of decompressed
    bytes (decision 0050); warcio then reads plain records. warcio reads any text as ARC
    records, so the start is checked here."""
    plain = maybe_gunzip(stream, budget, truncated_ends=True)
    head = plain.peek(HEAD)[:HEAD]  # type: ignore[attr-defined]
    if not head.lstrip().startswith((b"WARC/", b"filedesc://")):
        raise InvalidInput("this does not read as a WARC or ARC file: it does not start with "
                           "'WARC/' (WARC) or 'filedesc://' (ARC)")
    # Blank lines before the first record (a file written after a stray newline) are passed
    # over as between records: warcio read the whole file as one record of no type.
    plain.read(len(head) - len(head.lstrip()))
    return plain


def _why(exc: BaseException) -> str:
    """Why a record could not be read, never its content (warcio's messages quote the line
    it found, which can be a URL with a handle and a post id)."""
    if isinstance(exc, InvalidInput):
        return exc.detail  # ours, which never quote the log
    if isinstance(exc, ArchiveLoadFailed):
        return "no WARC or ARC record header where a record should start"
    if isinstance(exc, zlib.error | EOFError | OSError):
        return "the compressed data is corrupt or cut short"
    return "a record header that cannot be read"


class _Reader:
    def __init__(self, options: ReadOptions, report: ReadReport) -> None:
        self.options = options
        self.report = report
        self.clock = Clock(options.assume_tz)
        self.recognizer = Recognizer(options)
        self.pairing = Pairing()
        self.held: OrderedDict[str, AccessEvent] = OrderedDict()
        self.bodies: OrderedDict[str, Posts] = OrderedDict()
        self.unanswered = 0
        self.revisits_from_memory = 0
        self.oversized = 0
        self.reused_ids = 0
        self._recognized: tuple[str, Attribution, bool] = ("", UNKNOWN, False)

    def wants_block(self, kind: str, uri: str | None) -> bool:
        """Whether the reader will read this record's body (an X API answer's)."""
        if kind not in ("response", "resource") or not uri:
            return False
        uri = uri.strip("<>")
        if uri.split(":", 1)[0].lower() not in ("http", "https"):
            return False
        return self._recognize(uri)[1]

    def _recognize(self, uri: str) -> tuple[Attribution, bool]:
        """The platform of ``uri`` and whether its body counts posts; the records split
        lean ask this before the record is read, so the last answer is kept for it."""
        last_uri, attribution, wants = self._recognized
        if uri != last_uri or not uri:
            attribution = self.recognizer.attribute(uri)
            wants = self.recognizer.wants_body(uri, attribution)
            self._recognized = (uri, attribution, wants)
        return attribution, wants

    def record(self, record: Any, number: int) -> Iterator[AccessEvent]:
        kind = record.rec_type
        headers = record.rec_headers
        if kind == "request":
            yield from self._request(record, number)
            return
        if kind not in ("response", "revisit", "resource"):
            shown = kind if kind in _RECORD_TYPES else "unknown type of"
            self.report.skip(f"{shown} record, not an access")
            return
        uri = (headers.get_header("WARC-Target-URI") or "").strip("<>")
        scheme = uri.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            self.report.skip(f"{kind} record of a {shown_scheme(scheme)} URI, not an access")
            return
        date = headers.get_header("WARC-Date") or ""
        instant = self._instant(date)
        method = self.pairing.answer(headers, uri, instant, number)
        status = None
        if kind != "resource" and record.http_headers is not None:
            code = record.http_headers.get_statuscode()
            status = int(code) if code and code.isdigit() else None
        if kind == "response":
            accessed = answered_with_content(status)
        else:  # a revisit re-fetched content it had seen; a resource is content captured
            accessed = status is None or answered_with_content(status)
        attribution, wants = self._recognize(uri)
        posts = self._posts(record, kind, uri, attribution, wants)
        if instant is None:
            self.report.unparseable(number, "the WARC-Date is not an instant")
            return
        answer = event(instant, "capture-start", uri, attribution, posts, self.options,
                       method=method, status=status, accessed=accessed, line=number)
        if method is not None:
            yield answer
            return
        # Heritrix and pywb write the request after its response: hold the event briefly so
        # the request can give it its method.
        key = headers.get_header("WARC-Record-ID") or f"#{number}"
        if key in self.held:
            # A second record under one id (a file joined to itself, a writer reusing ids)
            # overwrote the first: ten answers under one id counted as one. Each counts.
            self.reused_ids += 1
            yield self.held.pop(key)
        self.held[key] = answer
        while len(self.held) > HOLD:
            yield self.held.popitem(last=False)[1]

    def _posts(self, record: Any, kind: str, uri: str, attribution: Attribution,
               wants: bool) -> Posts:
        if not wants:
            return self.recognizer.posts(uri, attribution, wanted=False)
        headers = record.rec_headers
        if kind == "revisit":
            # No body: the revisit points at an earlier capture with the same payload.
            for key in (headers.get_header("WARC-Payload-Digest"),
                        _key(headers.get_header("WARC-Refers-To-Target-URI"),
                             headers.get_header("WARC-Refers-To-Date"))):
                if key and key in self.bodies:
                    self.revisits_from_memory += 1
                    return self.bodies[key]
            return self.recognizer.posts(uri, attribution)
        try:
            body = _body(record, self.options.budget)
        except InputTooLarge:
            raise
        except Exception:  # a body warcio cannot decode (broken chunking, unknown encoding)
            body = None
        if body is not None and len(body) > MAX_BODY:
            self.oversized += 1
            body = None
        posts = self.recognizer.posts(uri, attribution, body, wanted=True)
        if posts.basis == "body-count":
            for key in (headers.get_header("WARC-Payload-Digest"),
                        _key(uri, headers.get_header("WARC-Date"))):
                if key:
                    self.bodies[key] = posts
            while len(self.bodies) > BODY_MEMORY:
                self.bodies.popitem(last=False)
        return posts

    # -- requests, paired with their answers (warc_pairing) ------------------------------

    def _instant(self, date: str) -> int | None:
        """The WARC-Date in nanoseconds, None when it is not an instant; read once a record
        (the clock counts each timestamp it reads in assume_tz)."""
        try:
            return self.clock.iso(date) if date else None
        except ValueError:
            return None

    def _request(self, record: Any, number: int) -> Iterator[AccessEvent]:
        headers = record.rec_headers
        date = headers.get_header("WARC-Date") or ""
        request = Request(
            record_id=headers.get_header("WARC-Record-ID") or f"#{number}",
            link=headers.get_header("WARC-Concurrent-To"),
            uri=(headers.get_header("WARC-Target-URI") or "").strip("<>"), date=date,
            method=record.http_headers.protocol if record.http_headers is not None else None,
            number=number, instant=self._instant(date))
        answer_id = self.pairing.request(request)
        if answer_id is not None:
            # Its answer came first (Heritrix writes the response, then the request).
            if answer_id in self.held:
                self.held[answer_id] = replace(self.held[answer_id], method=request.method)
            return
        for unanswered in self.pairing.overflow():
            yield from self._unanswered(unanswered)

    def _unanswered(self, request: Request) -> Iterator[AccessEvent]:
        scheme = request.uri.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            return
        instant = request.instant  # read once, when the request was
        if instant is None:
            self.report.unparseable(request.number, "the WARC-Date is not an instant")
            return
        self.unanswered += 1
        attribution = self.recognizer.attribute(request.uri)
        posts = self.recognizer.posts(request.uri, attribution)
        yield event(instant, "capture-start", request.uri, attribution, posts, self.options,
                    method=request.method, accessed=False, line=request.number)

    def finish(self) -> Iterator[AccessEvent]:
        yield from self.held.values()
        self.held.clear()
        for request in self.pairing.remaining():
            yield from self._unanswered(request)
        report = self.report
        if self.pairing.paired:
            paired = self.pairing.paired
            by_link, by_uri = paired["concurrent-to"], paired["uri-and-date"]
            report.tallies["request_pairs"] = {"by_warc_concurrent_to": by_link,
                                               "by_uri_and_date": by_uri}
            report.assumptions.append(
                f"Request records paired with their answers: {by_link} by WARC-Concurrent-To, "
                f"{by_uri} by the same target URI and a WARC-Date within "
                f"{PAIRING_TOLERANCE_S} s (neither record naming the other); a paired request "
                "and its answer count as one request."
            )
        if self.unanswered:
            report.warnings.append(
                f"{counted(self.unanswered, 'request record')} without a response or revisit "
                "record in this file: counted as requested, not accessed. If the answers are "
                "in another WARC of the same crawl, read the files concatenated."
            )
        if self.reused_ids:
            report.warnings.append(
                f"{counted(self.reused_ids, 'answer record')} with the WARC-Record-ID of an "
                "earlier one (each should be unique: a file joined to itself, or a writer that "
                "reuses ids): each counted as its own capture."
            )
        if self.revisits_from_memory:
            report.assumptions.append(
                f"{counted(self.revisits_from_memory, 'revisit record')} given the posts of "
                "the earlier capture it points to (same payload digest, or same URI and date)."
            )
        if self.oversized:
            report.warnings.append(
                f"{counted(self.oversized, 'X API answer')} larger than {MAX_BODY // 2**20} "
                "MiB: counted from the URL, not the body."
            )
        self.clock.note(report)
        self.recognizer.note(report)


def _body(record: Any, budget: DecompressionBudget) -> bytes:
    """Up to ``MAX_BODY + 1`` bytes of an answer's body, decoded; what its Content-Encoding
    (gzip, deflate, br) inflates is charged to the budget as it is read, so a compressed
    body inside a compressed WARC cannot pass the log's limit."""
    encoded = record.http_headers is not None and \
        (record.http_headers.get_header("Content-Encoding") or "identity").lower() != "identity"
    stream = record.content_stream()
    parts: list[bytes] = []
    size = 0
    while size <= MAX_BODY:
        part = stream.read(min(1 << 20, MAX_BODY + 1 - size))
        if not part:
            break
        if encoded:
            budget.charge(len(part))
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _key(uri: str | None, date: str | None) -> str | None:
    return f"{uri.strip('<>')} {date}" if uri and date else None
