"""WARC records split from the plain bytes where they are regular, warcio for the rest.

warcio parses every header line in Python, which is most of the time of reading a WARC.
Nearly every record a crawler writes is regular: a ``WARC/1.0`` or ``WARC/1.1`` line,
``Name: value`` lines ending in CRLF, a blank line, a block of exactly its Content-Length,
then CRLF CRLF. Such a record is split here with a few byte searches, and what the reader
takes from it (the WARC headers, the HTTP status line, the body) is what warcio gives for
the same bytes: the header values are cut as warcio cuts them, the status line is read by
warcio's rules, and a body is parsed and decoded by warcio's own classes. At the first
record that is not regular (anything else between records, a header line of another
shape, a missing or odd Content-Length, a record cut short in its headers, an answer body
too large to hold), the rest of the file is read by warcio from the end of the last
regular record, exactly as warcio would have gone on from there (decision 0126): what a
wrong Content-Length misplaces, a truncated record, ARC files, all stay warcio's.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from warcio.bufferedreaders import BufferedReader, ChunkedDataReader
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

from calculator.ingest.crawlers.warc_lines import Chain, LinearArchiveIterator

_VERSIONS = (b"WARC/1.0\r\n", b"WARC/1.1\r\n")
_READ = 1 << 20  # plain bytes read at once
_MAX_HEADER = 64 * 1024  # a longer header is left to warcio
_HTTP_RECORDS = ArcWarcRecordLoader.HTTP_RECORDS
_HTTP_SCHEMES = ArcWarcRecordLoader.HTTP_SCHEMES
# "\r\nName: value", the shape of every header line a crawler writes: a name of visible
# characters, a colon, one space, a value of visible characters and single spaces that
# neither starts nor ends with a space. warcio cuts such a line into exactly this name and
# value; a line of any other shape (continuations, other whitespace, no colon, bare CR or
# LF) makes the record irregular, for warcio to read.
_SIMPLE_LINE = re.compile(r"\r\n([!-9;-~]+): ((?:[!-~]+ )*[!-~]+)?(?=\r\n|\Z)")
_HTTP_PARSER = StatusAndHeadersParser(ArcWarcRecordLoader.HTTP_TYPES, verify=False)


class Irregular(Exception):
    """This record is for warcio to read."""


class _Limit:
    """What warcio's raw stream says of a record cut short: the bytes still missing."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        self.limit = limit


class _Headers:
    """WARC headers as warcio's ``StatusAndHeaders.get_header`` gives them."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get_header(self, name: str, default: str | None = None) -> str | None:
        return self.values.get(name.lower(), default)


class _StatusLine:
    """The HTTP status or request line of a record, as warcio splits it."""

    __slots__ = ("protocol", "statusline")

    def __init__(self, line: bytes) -> None:
        try:  # warcio's decode_header
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = line.decode("iso-8859-1")
        text = text.rstrip()
        parts = text.split(" ", 1)
        self.protocol = parts[0]
        self.statusline = parts[1].strip() if len(parts) > 1 else ""

    def get_statuscode(self) -> str:
        return self.statusline.split(" ", 1)[0]


class LeanRecord:
    """The parts of warcio's record the WARC reader uses, for a regular record."""

    __slots__ = ("_block", "_http", "raw_stream", "rec_headers", "rec_type")

    def __init__(self, rec_type: str, headers: _Headers, http: Any, block: bytes | None,
                 missing: int) -> None:
        self.rec_type = rec_type
        self.rec_headers = headers
        self._http = http
        self._block = block
        self.raw_stream = _Limit(missing)

    @property
    def http_headers(self) -> Any:
        return self._http

    def content_stream(self) -> BinaryIO:
        """The body as warcio's ``content_stream`` decodes it (chunked, gzip, deflate, br)."""
        if self._block is None:
            raise Irregular("the body was not kept")
        raw = io.BytesIO(self._block)
        http = self._http
        if not isinstance(http, StatusAndHeaders):
            return raw
        raw.seek(http.total_len)
        encoding = http.get_header("content-encoding")
        if encoding:
            encoding = encoding.lower()
            if encoding not in BufferedReader.get_supported_decompressors():
                encoding = None
        if http.get_header("transfer-encoding") == "chunked":
            return ChunkedDataReader(raw, decomp_type=encoding)  # type: ignore[return-value]
        if encoding:
            return BufferedReader(raw, decomp_type=encoding)  # type: ignore[return-value]
        return raw


class Records:
    """The records of a plain WARC: regular ones split here, then warcio's (``err_count``
    as warcio's iterator has it)."""

    def __init__(self, plain: BinaryIO, wants_block: Any, max_block: int,
                 lean: bool = True) -> None:
        self.plain = plain
        self.use_lean = lean
        self.wants_block = wants_block  # (rec_type, uri) -> whether the body is needed
        self.max_block = max_block
        self.buffer = b""
        self.at = 0  # where the next record (or the blank lines before it) starts
        self.eof = False
        self.err_count = 0
        self.lean = 0  # records split here
        self.cut_in_header = False  # the file ended inside a record's header block
        self._warcio: LinearArchiveIterator | None = None

    # -- the plain bytes --------------------------------------------------------------

    def _fill(self, upto: int) -> None:
        """Read until the buffer holds ``upto`` bytes from ``at`` (or the file ends)."""
        while len(self.buffer) - self.at < upto and not self.eof:
            more = self.plain.read(max(_READ, upto - (len(self.buffer) - self.at)))
            if not more:
                self.eof = True
                break
            # one copy of what is left, not a slice and then a concatenation
            self.buffer = b"".join((memoryview(self.buffer)[self.at:], more))
            self.at = 0

    def _skip(self, count: int) -> int:
        """Move ``at`` on by ``count`` bytes, reading past what the buffer holds; the bytes
        that were there."""
        held = len(self.buffer) - self.at
        if count <= held:
            self.at += count
            return count
        self.buffer, self.at = b"", 0
        skipped, left = held, count - held
        while left:
            part = self.plain.read(min(left, _READ))
            if not part:
                self.eof = True
                break
            skipped += len(part)
            left -= len(part)
        return skipped

    # -- records ----------------------------------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        gap = 0  # before the first record nothing; after a record, CRLF CRLF
        while self.use_lean:
            self._fill(_MAX_HEADER)
            if gap:
                if self.eof and not self.buffer[self.at:].strip():
                    return  # only blank lines left, as warcio ends
                if self.buffer[self.at:self.at + 4] != b"\r\n\r\n":
                    break
            try:
                record = self._record(gap)
            except Irregular:
                # warcio reads such a tail as nothing at all (or refuses it): the record was
                # lost without a word. The reader says so when warcio does not.
                self.cut_in_header = bool(gap) and self._ends_in_header(gap)
                break
            gap = 4
            self.lean += 1
            yield record
            if record.raw_stream.limit:
                return  # cut short: the file ends inside it
        yield from self._by_warcio(first=not gap)

    def _ends_in_header(self, gap: int) -> bool:
        """Whether the file ends inside the header block of a record that begins here."""
        head = self.at + gap
        return self.eof and self.buffer[head:head + 5] == b"WARC/" \
            and self.buffer.find(b"\r\n\r\n", head) < 0

    def _record(self, gap: int) -> LeanRecord:
        """The record after ``gap`` bytes from ``at``; ``at`` moves past it only when it is
        regular."""
        self_at = self.at
        buffer, head = self.buffer, self.at + gap
        if buffer[head:head + 10] not in _VERSIONS:
            raise Irregular("not a WARC/1.0 or 1.1 record here")
        end = buffer.find(b"\r\n\r\n", head, head + _MAX_HEADER)
        if end < 0:
            raise Irregular("no end of the headers")
        raw = buffer[head + 8:end]  # from the CRLF ending the version line
        if not raw.isascii():
            raise Irregular("headers that are not ASCII")
        text = raw.decode("ascii")
        pairs = _SIMPLE_LINE.findall(text)
        if len(pairs) != text.count("\n"):
            raise Irregular("headers of another shape")
        # The first of a repeated name counts, as warcio's get_header finds it.
        values = {name.lower(): value for name, value in reversed(pairs)}
        rec_type = values.get("warc-type")
        length_text = values.get("content-length")
        if rec_type is None or length_text is None or not length_text.isdigit():
            raise Irregular("no WARC-Type or an odd Content-Length")
        uri = values.get("warc-target-uri")
        if uri is not None and uri.startswith("<") and uri.endswith(">"):
            values["warc-target-uri"] = uri = uri[1:-1]
        if uri is not None and " " in uri:  # warcio's repair of such URIs
            values["warc-target-uri"] = uri = uri.replace(" ", "%20")
        length = int(length_text)
        is_http = rec_type in _HTTP_RECORDS and length != 0
        if is_http and uri is None:
            raise Irregular("an HTTP record without a target URI")
        is_http = is_http and uri.startswith(_HTTP_SCHEMES)  # type: ignore[union-attr]
        start = end + 4 - self_at  # where the block starts, from ``at``
        wanted = self.wants_block(rec_type, uri)
        if wanted and length > self.max_block:
            raise Irregular("a body too large to hold")
        self._fill(start + (length if wanted else min(length, _MAX_HEADER)))
        buffer, block_start = self.buffer, self.at + start  # _fill may move the buffer
        available = max(0, min(length, len(buffer) - block_start))
        http: Any = None
        block = buffer[block_start:block_start + available] if wanted else None
        if is_http:
            if available == 0:
                raise Irregular("the record breaks off before its HTTP headers")
            if block is not None:
                http = self._http(rec_type, block)
            else:
                newline = buffer.find(b"\n", block_start, block_start + available)
                if newline < 0:
                    raise Irregular("no whole HTTP status line")
                http = _StatusLine(buffer[block_start:newline + 1])
        skipped = self._skip(start + length)
        return LeanRecord(rec_type, _Headers(values), http, block, start + length - skipped)

    @staticmethod
    def _http(rec_type: str, block: bytes) -> Any:
        stream = io.BytesIO(block)
        if rec_type == "request":
            raise Irregular("request bodies are not read")
        try:
            return _HTTP_PARSER.parse(stream)
        except EOFError:
            if rec_type == "revisit":
                return None
            raise Irregular("no HTTP headers") from None

    def _by_warcio(self, first: bool) -> Iterator[Any]:
        """The rest of the file through warcio, as warcio would have read on from ``at``:
        the blank lines after a record (a first line that is not blank is an error), then
        the next record; at the start of the file, warcio from the start."""
        rest = Chain(self.buffer[self.at:], self.plain)
        self.buffer, self.at = b"", 0
        if not first:
            line = rest.readline()
            if not line:
                return
            if line.rstrip():
                self.err_count += 1
            while True:
                line = rest.readline()
                if not line:
                    return
                if line.rstrip():
                    break
            rest.put_back(line)
        iterator = LinearArchiveIterator(rest, arc2warc=True)
        if not first:
            # warcio found the file plain at its start and reads it so to the end (it
            # would not look for gzip again where a record starts)
            iterator.reader.set_decomp(None)
        self._warcio = iterator
        yield from iterator

    @property
    def errors(self) -> int:
        return self.err_count + (self._warcio.err_count if self._warcio is not None else 0)
