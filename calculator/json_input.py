"""JSON as the service reads what callers send: duplicate keys refused with their path,
nesting that would exhaust the parser refused, never a crash.

Python's ``json`` lets the last of two equal keys win silently (a review for ``x`` became
one for ``reddit``), and raises ``RecursionError`` on arrays nested about a thousand deep
(a 2 kB body). Both become ``JsonRefused``, which callers turn into an error naming the
row, line or field; the message carries key names (which are the schema's), never values.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from calculator.errors import shortened

TOO_DEEP = "arrays or objects are nested too deeply (about a thousand levels)"


class JsonRefused(ValueError):
    """Valid JSON text the service will not read; ``path`` is where (``volume.posts``)."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class _Twice(dict):
    """An object in which ``twice`` was given twice (kept so its path can be found)."""

    twice: str = ""


class JsonReader:
    """Parses JSON texts one after another (the lines of a log, say); one per read, as it
    remembers whether the last text had a duplicate key (``decimal``: numbers with a
    fraction as ``Decimal``)."""

    def __init__(self, *, decimal: bool = False) -> None:
        self._found = False
        self._decoder = json.JSONDecoder(object_pairs_hook=self._pairs,
                                         parse_float=Decimal if decimal else None)

    def _pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) == len(pairs):
            return result
        seen: set[str] = set()
        marked = _Twice(result)
        marked.twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        self._found = True
        return marked

    def loads(self, text: str | bytes) -> Any:
        """The value of one JSON text; raises ``json.JSONDecodeError`` (and
        ``UnicodeDecodeError`` for bytes) as ``json`` does, and ``JsonRefused`` for a
        duplicate key or nesting too deep to parse."""
        if isinstance(text, bytes | bytearray):
            text = bytes(text).decode("utf-8")
        start = len(text) - len(text.lstrip(_SPACE + "\ufeff"))
        value, end = self.raw_decode(text, start)
        if text[end:].strip(_SPACE):
            raise json.JSONDecodeError("Extra data", text, end)
        return value

    def raw_decode(self, text: str, position: int = 0) -> tuple[Any, int]:
        """One JSON value starting at ``position``, and where it ends."""
        self._found = False
        try:
            value, end = self._decoder.raw_decode(text, position)
        except RecursionError:
            raise JsonRefused(TOO_DEEP) from None
        if self._found:
            try:
                path = _twice_path(value, []) or ["?"]
            except RecursionError:  # deep, but not too deep to parse: say so without a path
                path = ["?"]
            raise JsonRefused(f"the key '{shortened(str(path[-1]))}' is given twice in one object",
                              ".".join(shortened(str(p)) for p in path))
        return value, end


_SPACE = " \t\r\n"


def reason(exc: BaseException) -> str:
    """Why a JSON text could not be read, in words that never quote it."""
    if isinstance(exc, JsonRefused):
        return exc.message
    if isinstance(exc, RecursionError):
        return TOO_DEEP
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start} cannot be read)"
    return "a number that cannot be read"


def loads(text: str | bytes, *, decimal: bool = False) -> Any:
    """One JSON text read strictly (see ``JsonReader.loads``)."""
    return JsonReader(decimal=decimal).loads(text)


def _twice_path(value: Any, path: list[str | int]) -> list[str | int] | None:
    if isinstance(value, _Twice):
        return [*path, value.twice]
    children: Any = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found = _twice_path(child, [*path, key])
        if found is not None:
            return found
    return None
