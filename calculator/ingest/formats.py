"""Which format a log is in, told from its content; and reading it whatever it is."""

from __future__ import annotations

import codecs
import csv

from calculator.errors import InvalidInput
from calculator.ingest.source import LogSource
from calculator.ingest.tabular import TableRead, read_table

TABULAR_FORMATS = ("csv", "jsonl", "json")


def sniff_text(head: bytes) -> str:
    """The start of a log as text; binary data and other encodings are refused here."""
    if not head.strip():
        raise InvalidInput("the log is empty: nothing to assess")
    if b"\x00" in head:
        at = head.index(b"\x00")
        raise InvalidInput(f"the log is binary data (a NUL byte at byte {at}), not a text log")
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the log is not UTF-8 text (byte {exc.start} cannot be read); "
                           "save it as UTF-8") from None


def detect_tabular(head: bytes) -> str | None:
    """csv, jsonl or json when the content has a timestamp column or key, else None."""
    text = sniff_text(head).lstrip()
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        return "jsonl"
    first_line = text.splitlines()[0] if text else ""
    names = [n.strip().lower() for n in next(csv.reader([first_line]), [])]
    return "csv" if "timestamp" in names else None


def read_log(source: LogSource, fmt: str | None, platform: str, assume_tz: str,
             hint: str | None = None) -> TableRead:
    """Read a log in ``fmt`` (or the format its content shows, else ``hint``, the format a
    content type named) into counted instants."""
    head = source.head()
    chosen = fmt or detect_tabular(head) or hint
    if chosen is None:
        sniff_text(head)
        raise InvalidInput(
            "could not tell the log's format: expected CSV with a header naming a timestamp "
            "column, JSON Lines, or a JSON array of objects (or name one with --format)")
    if chosen not in TABULAR_FORMATS:
        raise InvalidInput(f"unknown format '{chosen}'; the formats are "
                           f"{', '.join(TABULAR_FORMATS)}")
    sniff_text(head)
    return read_table(source, chosen, platform, assume_tz)
