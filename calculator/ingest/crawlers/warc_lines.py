"""The streams the WARC reader gives warcio, reading a line in time linear in its length.

warcio's ``BufferedReader.readline`` adds each 16 KiB block of a line to the line read so
far (``linebuff += ...``), which copies the whole line at every block: a WARC header line
of 50 MB took 69 s, 32 MB 16 s, growing with the square of its length. The same held for
the bytes chained in front of it here. These give warcio exactly the bytes its own
``readline`` gives, in one copy."""

from __future__ import annotations

import io
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader

from calculator.errors import InvalidInput

_READ = 1 << 20  # plain bytes read at once


# The longest header line read (WARC, HTTP or ARC headers): past it a record is refused, so
# that a header's memory stays bounded (its line is held and decoded several times over).
# Browsers cap a URL at a few MB and servers a header at tens of KB.
MAX_HEADER_LINE = 8 << 20


class _LinearLines(DecompressingBufferedReader):
    """warcio's reader, whose ``readline`` keeps a line's parts and joins them once, and
    stops at ``MAX_HEADER_LINE`` while a header is parsed (``in_header``)."""

    in_header = False

    def readline(self, length: int | None = None) -> bytes:
        # warcio's own loop, part for part, including how it counts ``length`` down (by
        # the line so far, not by the part just read): the same bytes for any ``length``.
        if length == 0:
            return b""
        self._fillbuff()
        if self.empty():
            return b""
        parts = [self.buff.readline(length)]
        so_far = len(parts[0])
        while not parts[-1].endswith(b"\n"):
            if length:
                length -= so_far
                if length <= 0:
                    break
            self._fillbuff()
            if self.empty():
                break
            parts.append(self.buff.readline(length))
            so_far += len(parts[-1])
            if self.in_header and so_far > MAX_HEADER_LINE:
                raise InvalidInput(f"a WARC record has a header line longer than "
                                   f"{MAX_HEADER_LINE:,} bytes; a header line is a name and a "
                                   "value of a few kilobytes")
        return parts[0] if len(parts) == 1 else b"".join(parts)


class _InHeader:
    """One of warcio's header parsers, with ``in_header`` set on the reader while it runs."""

    def __init__(self, parser: Any, reader: _LinearLines) -> None:
        self._parser = parser
        self._reader = reader

    def parse(self, *args: Any, **options: Any) -> Any:
        self._reader.in_header = True
        try:
            return self._parser.parse(*args, **options)
        finally:
            self._reader.in_header = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)


class LinearArchiveIterator(ArchiveIterator):
    """warcio's ``ArchiveIterator`` reading through ``_LinearLines``."""

    # warcio writes this to standard error with the bytes after a record whose length is
    # wrong: a log's content (a post's text, a handle, an id) in a server's or a worker's
    # own log. The reader says it in its warnings, without the bytes.
    INC_RECORD = ""

    def __init__(self, fileobj: Any, **options: Any) -> None:
        super().__init__(fileobj, **options)
        # Nothing is read before the first record is asked for: the reader made by
        # warcio's constructor is replaced before any use.
        self.reader = reader = _LinearLines(self.fh, block_size=self.reader.block_size)
        for name in ("warc_parser", "http_parser", "http_req_parser", "arc_parser"):
            setattr(self.loader, name, _InHeader(getattr(self.loader, name), reader))


class Chain(io.RawIOBase):
    """Bytes already read, then the rest of the plain stream."""

    def __init__(self, held: bytes, rest: BinaryIO) -> None:
        self._held = held
        self._at = 0  # what of ``_held`` is read already (never copied off its front)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._at == len(self._held):
            self._held, self._at = self._rest.read(len(buffer)), 0
        size = min(len(buffer), len(self._held) - self._at)
        buffer[:size] = memoryview(self._held)[self._at:self._at + size]
        self._at += size
        return size

    def readline(self, size: int | None = -1) -> bytes:
        """A whole line, however long (as warcio reads the lines between records)."""
        end = self._held.find(b"\n", self._at)
        if end >= 0:
            line = self._held[self._at:end + 1]
            self._at = end + 1
            return line
        parts = [self._held[self._at:]]
        self._held, self._at = b"", 0
        while True:
            more = self._rest.read(_READ)
            if not more:
                return b"".join(parts)
            end = more.find(b"\n")
            if end >= 0:
                parts.append(more[:end + 1])
                self._held = more[end + 1:]
                return b"".join(parts)
            parts.append(more)

    def put_back(self, line: bytes) -> None:
        self._held, self._at = line + self._held[self._at:], 0
