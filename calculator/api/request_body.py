"""A request body read whole, or refused as cut short or unreadable.

Gunicorn hands the app the socket's body as it comes (``wsgi.input_terminated``), so
Werkzeug does not wrap it in its length check: a client that closed its connection after
half of what its ``Content-Length`` said had its half-log assessed and stored as the whole
(a 2,000-row upload stopped at 38,888 of 77,700 bytes was priced on 1,002 rows), and a
chunked body whose chunk sizes were not hexadecimal ended in gunicorn's own parse error,
answered as a 500. Every read of the body goes through ``WholeBody`` here, whatever the
server, so both are a 400 that says what happened and never the body's own bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from werkzeug.exceptions import BadRequest


class BodyCutShort(BadRequest):
    """The body ended before the length its ``Content-Length`` said."""


class BodyUnreadable(BadRequest):
    """The server could not read the body (a malformed chunked encoding, a reset)."""


class _CheckedInput:
    """``wsgi.input`` counted as it is read: its end before ``length`` bytes is an error."""

    def __init__(self, raw: BinaryIO, length: int | None, chunked: bool) -> None:
        self._raw = raw
        self._length = length
        self._chunked = chunked
        self._read = 0

    def _checked(self, reading: Callable[[], bytes], asked: int | None, whole: bool) -> bytes:
        """``reading``'s bytes; ``asked``: the size asked for (an empty answer to a size of
        0 is no end); ``whole``: it read to the end, however much it gave."""
        try:
            data = reading()
        except Exception as exc:  # the server's parse error or a reset: its text may quote
            #                       the body, so only its kind is named
            advice = ("a chunked body's chunk sizes must be hexadecimal and each chunk end "
                      "with CRLF" if self._chunked else "the connection failed while it was "
                      "sent")
            raise BodyUnreadable(f"the request body could not be read ({type(exc).__name__}):"
                                 f" {advice}; send the body again") from None
        self._read += len(data)
        ended = whole or (not data and asked != 0)
        if ended and self._length is not None and self._read < self._length:
            raise BodyCutShort(
                f"the request body ended after {self._read:,} of the {self._length:,} bytes "
                "its Content-Length says: the upload was cut short (a dropped connection, "
                "or a client that stopped sending); nothing was assessed or stored, send it "
                "again")
        return data

    def read(self, size: int | None = -1) -> bytes:
        whole = size is None or size < 0
        return self._checked(lambda: self._raw.read() if whole else self._raw.read(size),
                             size, whole)

    def readline(self, size: int | None = -1) -> bytes:
        return self._checked(lambda: self._raw.readline(-1 if size is None else size), size,
                             False)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


class WholeBody:
    """WSGI middleware: the app reads ``wsgi.input`` through ``_CheckedInput``."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        try:
            length: int | None = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            length = None
        if "wsgi.input" in environ:
            chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
            environ["wsgi.input"] = _CheckedInput(environ["wsgi.input"], length, chunked)
        return self.app(environ, start_response)
