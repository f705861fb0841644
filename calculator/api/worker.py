"""The gunicorn worker the service runs under: gunicorn's own errors as problem details.

gunicorn answers some requests before the app sees them (a request line over its limit:
414; too many or too large header fields: 431; a malformed request: 400) and answers 500
when it aborts a worker that passed the timeout. It writes those as an HTML page; this
worker writes the same status as RFC 9457 problem details instead, with a fixed sentence
per status (never the request line or a header, which may carry what a user sent).
"""

from __future__ import annotations

import json
import socket
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

from calculator.api.problems import PROBLEM_MIMETYPE, http_slug

# What a client can do about each status gunicorn itself answers.
_DETAILS = {
    400: "The request is not valid HTTP/1.1; it was not read.",
    403: "The request was refused before it was read.",
    414: "The request line (method, path and query) is longer than the server accepts "
         "({line} bytes); send a shorter query, or the options as a multipart form.",
    417: "The Expect header asks for something the server does not do.",
    431: "The request has too many header fields (at most {fields}) or one longer than "
         "the server accepts ({field} bytes); send fewer or shorter headers.",
    501: "The Transfer-Encoding is not one the server reads; send chunked or a "
         "Content-Length.",
}
_TIMEOUT_DETAIL = ("The request took longer than the {timeout} s a request may take, and was "
                   "stopped; nothing was stored. Split a large log by period and send the "
                   "parts.")
_FAILED_DETAIL = "The service failed while answering; the failure was logged."


class _StatusLine:
    """Stands in for the client socket while gunicorn writes its HTML error, so that only
    its status line is kept; the problem document is written to the client instead."""

    def __init__(self) -> None:
        self.written = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.written += data

    def status(self) -> tuple[int, str]:
        first = self.written.split(b"\r\n", 1)[0].decode("latin-1")
        _version, code, reason = [*first.split(" ", 2), "", ""][:3]
        return (int(code), reason) if code.isdigit() else (500, "Internal Server Error")


def problem_bytes(status: int, reason: str, detail: str) -> bytes:
    """A whole HTTP/1.1 response carrying a problem document; the connection is closed."""
    body = json.dumps({"type": f"/problems/{http_slug(status)}", "title": reason,
                       "status": status, "detail": detail}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: {PROBLEM_MIMETYPE}\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class ProblemAnswers:
    """What a gunicorn worker class gains: its own errors answered as problem details."""

    alive: bool
    cfg: Any
    log: Any

    def handle_error(self, req: Any, client: socket.socket, addr: Any,
                     exc: BaseException) -> None:
        # gunicorn chooses the status (and logs the error and the access line); only the
        # page it would write is replaced.
        status_line = _StatusLine()
        super().handle_error(req, status_line, addr, exc)
        status, reason = status_line.status()
        try:
            util.write_nonblock(client, problem_bytes(status, reason, self.detail(status, exc)))
        except OSError:
            self.log.debug("Failed to send the problem document.")

    def detail(self, status: int, exc: BaseException) -> str:
        if status == 500 and isinstance(exc, SystemExit) and not self.alive:
            # SystemExit while no longer alive: the arbiter aborted us at the timeout.
            return _TIMEOUT_DETAIL.format(timeout=self.cfg.timeout)
        template = _DETAILS.get(status, _FAILED_DETAIL if status >= 500 else _DETAILS[400])
        return template.format(line=self.cfg.limit_request_line,
                               fields=self.cfg.limit_request_fields,
                               field=self.cfg.limit_request_field_size)


class ProblemWorker(ProblemAnswers, SyncWorker):
    """gunicorn's sync worker (one request at a time per process), answering its own errors
    as problem details."""


class ThreadedProblemWorker(ProblemAnswers, ThreadWorker):
    """gunicorn's threaded worker (``--threads`` requests at a time per process, and
    connections kept alive), answering its own errors as problem details."""
