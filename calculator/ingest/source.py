"""A log as the caller sent it: read once, hashed as it is read, decompressed if gzip."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import sys
from collections.abc import Callable
from typing import BinaryIO

from calculator.errors import InputTooLarge, InvalidInput
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
        self._received = received

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
        self._owned = raw if owned else None
        self._hashing = _Hashing(raw, max_bytes)
        self._raw = io.BufferedReader(self._hashing, buffer_size=PEEK)
        self.compressed = self._raw.peek(2)[:2] == GZIP_MAGIC
        self._stream: io.BufferedReader | None = None

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
                stream = io.BufferedReader(_GzipText(stream, self.budget), buffer_size=PEEK)
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


class _GzipText(io.RawIOBase):
    """gzip decompression that reports corrupt data as bad input, not as a crash, and
    charges what it inflates to ``budget``."""

    def __init__(self, raw: BinaryIO, budget: DecompressionBudget) -> None:
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self._budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            data = self._gzip.read1(len(buffer))
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InvalidInput(f"the gzip data is corrupt or truncated ({exc})") from exc
        self._budget.charge(len(data))
        buffer[: len(data)] = data
        return len(data)


def open_source(source: str | os.PathLike[str] | bytes | BinaryIO, name: str | None = None,
                max_bytes: int | None = None) -> LogSource:
    """A path, ``-`` for standard input, bytes, or a binary file object (``max_bytes``:
    the most content bytes read, compressed or decompressed, before ``InputTooLarge``)."""
    if isinstance(source, bytes | bytearray):
        return LogSource(io.BytesIO(bytes(source)), name or "the log", max_bytes=max_bytes)
    if isinstance(source, str | os.PathLike):
        if str(source) == "-":
            return LogSource(sys.stdin.buffer, name or "standard input", max_bytes=max_bytes)
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed by the caller's read
        except OSError as exc:
            raise InvalidInput(f"cannot read {source}: {exc.strerror}") from exc
        try:
            log = LogSource(handle, name or os.fspath(source), owned=True, max_bytes=max_bytes)
        except BaseException:  # the first read (its progress report) may stop a job
            handle.close()
            raise
        if stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            log.path = os.fspath(source)
        return log
    return LogSource(source, name or "the log", max_bytes=max_bytes)
