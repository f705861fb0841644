"""A log as the caller sent it: read once, hashed as it is read, decompressed if gzip."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from zlib_ng import zlib_ng

from calculator.errors import InputTooLarge, InvalidArgument, InvalidInput, StorageUnavailable
from calculator.ingest import progress

GZIP_MAGIC = b"\x1f\x8b"
PEEK = 1 << 16


MAX_LAYERS = 4  # gzip inside gzip read at most this deep (a gzip quine never ends)


def _too_large(limit: int, what: str) -> InputTooLarge:
    return InputTooLarge(f"the log is larger than the limit of {limit:,} bytes "
                         f"({limit / 2**20:,.0f} MiB){what}; split it, or ask for a higher "
                         "limit", limit=limit)


MAX_RATIO = 1_100  # decompressed bytes per byte received, all layers: one gzip layer
#                    reaches about 1,032 at most, so only compression nested on itself passes
RATIO_FROM = 8 << 20  # decompressed bytes before the ratio is looked at


class DecompressionBudget:
    """The one limit of decompressed bytes for one log (docs/decisions/0050).

    Every layer of decompression while the log is read (the body's gzip, a gzip inside
    that, a WARC's gzip records, an answer body's Content-Encoding inside a WARC) charges
    what it inflates here, so nesting cannot multiply the limit: a few kilobytes of gzip
    inside gzip stop with ``InputTooLarge`` once the layers together pass ``limit``.
    With ``received`` (the bytes read so far), a limited log also stops once its layers
    together inflate more than ``MAX_RATIO`` times what was received (past ``RATIO_FROM``):
    one gzip layer never does, a bomb nested in itself does within megabytes, not after
    the whole limit has been read and parsed. ``limit`` None (the command line, Python)
    counts without stopping."""

    def __init__(self, limit: int | None = None,
                 received: Callable[[], int] | None = None) -> None:
        self.limit = limit
        self.used = 0
        self.decoded = 0  # bytes of a column file's columns decoded, counted on their own
        self._received = received

    def decode(self, count: int, where: str, expected: bool = False) -> None:
        """Count ``count`` bytes of a column file's columns as decoded (``expected``: what
        its metadata says they will take, checked before any is decoded, not counted). A
        column file compresses inside itself: 25 MB of Arrow decoded to 100 million rows,
        and under a limit of 256 MiB was assessed, at 5.2 GB: only gzip was counted. The
        columns may take up to ``limit`` bytes, apart from the file's own bytes (decision
        0050, addendum)."""
        total = self.decoded + count
        if not expected:
            self.decoded = total
        if self.limit is not None and total > self.limit:
            raise _too_large(self.limit, f" once the columns of {where} are decoded")

    def charge(self, count: int) -> None:
        self.used += count
        if self.limit is None:
            return
        if self.used > self.limit:
            raise _too_large(self.limit, " once decompressed (every layer of compression "
                                         "counted together)")
        if self._received is not None and self.used > RATIO_FROM and \
                self.used > MAX_RATIO * self._received():
            raise InputTooLarge(
                f"the log inflates to more than {MAX_RATIO:,} times the "
                f"{self._received():,} bytes received, which only compression nested in "
                "itself does (a compression bomb); the limit of decompressed bytes is "
                f"{self.limit:,} bytes ({self.limit / 2**20:,.0f} MiB), every layer counted "
                "together: send the log compressed once", limit=self.limit)


class _Hashing(io.RawIOBase):
    """Passes bytes through while the sha256 and size of everything read are kept (and,
    with ``limit``, stops once more than ``limit`` bytes have come through)."""

    def __init__(self, raw: BinaryIO, limit: int | None = None) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0
        self.limit = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        readinto = getattr(self.raw, "readinto", None)
        if readinto is not None:
            count = readinto(buffer) or 0
        else:
            data = self.raw.read(len(buffer))
            count = len(data)
            buffer[:count] = data
        if count:
            self.digest.update(memoryview(buffer)[:count])
            self.size += count
            progress.bytes_read(count)
            if self.limit is not None and self.size > self.limit:
                raise _too_large(self.limit, "")
        return count


class LogSource:
    """The input of one assessment.

    ``stream`` gives the content (decompressed when the bytes are gzip), ``raw``
    the bytes as sent (for formats such as WARC that read compression themselves);
    use one of them. ``finish()`` reads what is left so that ``sha256`` is the
    digest of exactly the bytes received.

    ``max_bytes`` bounds the content: the bytes as sent, and the decompressed bytes of
    gzip, which are counted as they are inflated, so that a small gzip body that would
    inflate to gigabytes (a gzip bomb) stops with ``InputTooLarge`` while being read.
    """

    def __init__(self, raw: BinaryIO, name: str, owned: bool = False,
                 max_bytes: int | None = None) -> None:
        self.name = name
        self.max_bytes = max_bytes
        self.budget = DecompressionBudget(max_bytes, received=lambda: self._hashing.size)
        self.path: str | None = None  # a regular local file, which column formats read in place
        self.table = False  # the Arrow stream of a table held in memory (``frames``)
        self._owned = raw if owned else None
        self._hashing = _Hashing(raw, max_bytes)
        self._raw = io.BufferedReader(self._hashing, buffer_size=PEEK)
        self.compressed = self._raw.peek(2)[:2] == GZIP_MAGIC
        self._stream: io.BufferedReader | None = None
        self._layers: list[Gunzip] = []
        self._cut_allowed = False

    @property
    def raw(self) -> io.BufferedReader:
        return self._raw

    @property
    def stream(self) -> io.BufferedReader:
        """The content: every gzip layer undone (gzip of a gzip too, up to ``MAX_LAYERS``),
        each counted against the one budget of decompressed bytes."""
        if self._stream is None:
            stream = self._raw
            for _layer in range(MAX_LAYERS):
                if not self._starts_gzip(stream):
                    break
                layer = Gunzip(stream, self.budget, self._cut_allowed)
                self._layers.append(layer)
                stream = io.BufferedReader(layer, buffer_size=PEEK)
            else:
                if self._starts_gzip(stream):
                    raise InvalidInput(f"{self.name}: gzip inside gzip more than {MAX_LAYERS} "
                                       "times over; send the log compressed once")
            self._stream = stream
        return self._stream

    @staticmethod
    def _starts_gzip(stream: io.BufferedReader) -> bool:
        try:
            return stream.peek(2)[:2] == GZIP_MAGIC
        except (OSError, EOFError) as exc:  # a corrupt outer layer, found while peeking
            raise InvalidInput(f"the gzip data is corrupt ({exc})") from exc

    def allow_cut_end(self) -> None:
        """Let the content end where gzip data breaks off inside a member, for a reader that
        says what is missing (a WARC's): refusing it there threw away the complete records
        decompressed in the same read as the cut (240 of a 4,000-record file cut in its
        last 30 bytes; all of a 50-record one). ``cut`` then says whether it did."""
        self._cut_allowed = True
        for layer in self._layers:
            layer.truncated_ends = True

    @property
    def cut(self) -> bool:
        """Whether the content ended where gzip data broke off (``allow_cut_end``)."""
        return any(layer.cut for layer in self._layers)

    def head(self, size: int = PEEK) -> bytes:
        """The first bytes of the content, without consuming them."""
        try:
            return self.stream.peek(size)[:size]
        except (OSError, EOFError) as exc:
            raise InvalidInput(f"{self.name}: the gzip data is corrupt ({exc})") from exc

    def finish(self) -> None:
        while self._raw.read(1 << 20):
            pass
        self.close()

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> LogSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def sha256(self) -> str:
        return self._hashing.digest.hexdigest()

    @property
    def size(self) -> int:
        return self._hashing.size


class Gunzip(io.RawIOBase):
    """gzip decompression (any number of members) that reports corrupt data as bad input.

    zlib reads each member's header and checks its trailer itself: a WARC written gzip per
    record has a member per record, and Python's gzip module spends more on reading those
    headers than zlib on inflating them (decision 0142: it was twice the inflating of a
    gzip-per-record WARC). Zero bytes between members are padding, as for gzip; any other
    bytes that do not start a member are corrupt data. ``truncated_ends``: a cut inside a
    member ends the stream there (the WARC reader says what is missing) instead of being
    refused."""

    # Compressed bytes read at once. Where a member ends, zlib copies what follows it out
    # as ``unused_data``: with a member per WARC record (a few hundred bytes), a large read
    # is copied again at every record; 32 KiB keeps that small for the big files too.
    _READ = 32 * 1024

    def __init__(self, raw: BinaryIO, budget: DecompressionBudget,
                 truncated_ends: bool = False) -> None:
        self._raw = raw
        self._inflater = zlib_ng.decompressobj(wbits=31)  # 31: a gzip member, header and trailer
        self._pending = b""  # compressed bytes not yet given to zlib
        self._in_member = False
        self._read = 0
        self._budget = budget
        self.truncated_ends = truncated_ends
        self.cut = False  # the data ended inside a member (only with ``truncated_ends``)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while True:
            if self._inflater.eof:  # a member ended: what follows it may start another
                # (zlib leaves it in unused_data, and in unconsumed_tail as well when the
                # output was limited: the pending bytes are that tail, not more bytes).
                self._pending = self._inflater.unused_data
                self._inflater = zlib_ng.decompressobj(wbits=31)
                self._in_member = False
            if not self._pending:
                self._pending = self._raw.read(self._READ)
                if not self._pending:
                    return self._ended(buffer)
            if not self._in_member:
                self._pending = self._pending.lstrip(b"\x00")
                if not self._pending:
                    continue
                self._in_member = True
            size = self._inflate(self._pending, buffer)
            self._pending = self._inflater.unconsumed_tail
            if size:
                return size

    def _inflate(self, data: bytes, buffer: bytearray | memoryview) -> int:
        """Inflate into ``buffer`` (at most its size); the bytes given out."""
        try:
            out = self._inflater.decompress(data, len(buffer))
        except zlib_ng.error as exc:
            raise InvalidInput(f"the gzip data is corrupt or truncated after {self._read} "
                               f"decompressed bytes ({exc})") from exc
        size = len(out)
        self._budget.charge(size)
        buffer[:size] = out
        self._read += size
        return size

    def _ended(self, buffer: bytearray | memoryview) -> int:
        """The end of the compressed bytes: what zlib still holds is given out; then, inside
        a member, the data is cut short."""
        if self._in_member and not self._inflater.eof:
            size = self._inflate(b"", buffer)
            if size or self._inflater.eof:
                return size
            if not self.truncated_ends:
                raise InvalidInput(f"the gzip data is corrupt or truncated after "
                                   f"{self._read} decompressed bytes")
            self.cut = True
        return 0  # everything before the cut was given out already


class CompleteLines(io.RawIOBase):
    """A line log's content up to its last complete line when its gzip data breaks off (an
    interrupted crawl's log): what is left of the line the cut falls in is held back, since
    it can read as another line (a URL cut inside a post's id names another post). A log
    that was not cut is given out whole, a last line without its newline included.
    ``lines``: the newlines given out; ``withheld``: the bytes held back."""

    READ = 256 * 1024  # bytes read at once (and a good buffer size for a reader on top)

    def __init__(self, source: LogSource) -> None:
        self._source = source
        self._stream = source.stream
        self._ready = memoryview(b"")
        self._tail = bytearray()  # the line begun at the end of what was read
        self._ended = False
        self.lines = 0
        self.withheld = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._ready:
            if self._ended:
                return 0
            chunk = self._stream.read(self.READ)
            if not chunk:
                self._ended = True
                if self._source.cut:
                    self.withheld = len(self._tail)
                else:
                    self._ready = memoryview(bytes(self._tail))
                self._tail = bytearray()
                continue
            end = chunk.rfind(b"\n") + 1
            if not end:  # a line longer than a read: kept whole until its end is known
                self._tail += chunk
                continue
            self.lines += chunk.count(b"\n", 0, end)
            self._ready = memoryview(bytes(self._tail) + chunk[:end]) if self._tail \
                else memoryview(chunk)[:end]
            self._tail = bytearray(chunk[end:])
        size = min(len(buffer), len(self._ready))
        buffer[:size] = self._ready[:size]
        self._ready = self._ready[size:]
        return size


@contextmanager
def spooling() -> Iterator[None]:
    """Writes of a log to a temporary file (a column file read from a stream, a table in
    memory, the occurrences of post ids), a full disk said as such: it was answered as
    "cannot write the answer", the output's problem, and with no problem document."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        raise StorageUnavailable(f"the log could not be held in the temporary folder: "
                                 f"{exc.strerror}; free space there, or name another folder "
                                 "in TMPDIR") from None


def open_source(source: str | os.PathLike[str] | bytes | BinaryIO, name: str | None = None,
                max_bytes: int | None = None) -> LogSource:
    """A path, ``-`` for standard input, bytes, a binary file object, or a table held in
    memory (``frames``: read as its Arrow stream) (``max_bytes``: the most content bytes
    read, compressed or decompressed, before ``InputTooLarge``)."""
    if isinstance(source, bytes | bytearray):
        return LogSource(io.BytesIO(bytes(source)), name or "the log", max_bytes=max_bytes)
    if isinstance(source, str | os.PathLike):
        if str(source) == "-":
            if sys.stdin is None:  # started with standard input closed (``<&-``)
                raise InvalidInput("standard input is closed: there is no log to read")
            return LogSource(sys.stdin.buffer, name or "standard input", max_bytes=max_bytes)
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed by the caller's read
        except OSError as exc:
            # A log's content given as a str is looked for as a file of that name.
            hint = "; a str names a file: give a log's content as bytes (text.encode())" \
                if isinstance(source, str) and "\n" in source else ""
            raise InvalidInput(f"cannot read {source}: {exc.strerror}{hint}") from exc
        try:
            log = LogSource(handle, name or os.fspath(source), owned=True, max_bytes=max_bytes)
        except BaseException:  # the first read (its progress report) may stop a job
            handle.close()
            raise
        if stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            log.path = os.fspath(source)
        return log
    if isinstance(source, io.TextIOBase):
        raise InvalidArgument("source: the file is open as text; open it in binary mode "
                              "(open(path, 'rb'))")
    if callable(getattr(source, "read", None)):
        return LogSource(source, name or "the log", max_bytes=max_bytes)
    from calculator.ingest.frames import spooled_table, table_kind  # tables only need it

    kind = table_kind(source)
    if kind is None:
        raise InvalidArgument("source: a log is a path, '-', bytes, a file open in binary "
                              "mode, a table (a pandas or polars DataFrame, a pyarrow Table) "
                              f"or a list of these, not {type(source).__name__}")
    spool = spooled_table(source)
    log = LogSource(spool, name or kind, owned=True, max_bytes=max_bytes)
    log.path = spool.name  # read in place, as a file on disk is
    log.table = True
    return log
