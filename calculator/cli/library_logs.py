"""What other packages log while a command runs, as one line each on standard error.

The packages that read object storage log their retries themselves, some with a whole
traceback (gcsfs's "_request out of retries on exception": over 100 lines on a machine
that cannot reach Google). Python prints such records through its last-resort handler, traceback
and all, above the command's own one-line answer. A command that reads logs installs this
handler instead: each record from another package becomes "calculator: NAME: first line".
The service's own records keep their tracebacks (they are ours to debug); servers configure
their logging themselves and do not use this.
"""

from __future__ import annotations

import logging
import sys


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ours = record.name == "calculator" or record.name.startswith("calculator.")
        if ours:
            return super().format(record)
        first = record.getMessage().splitlines()[0] if record.getMessage() else ""
        return f"calculator: {record.name}: {first[:300]}"


def library_logs_in_one_line() -> None:
    """Send warnings and errors that reach the root logger to standard error, one line each
    for other packages (unless the program has configured logging already)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(_OneLine("calculator: %(name)s: %(message)s"))
    root.addHandler(handler)
