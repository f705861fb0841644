"""A JSON array of records at Arrow's speed, with the element and field errors of the
strict reader.

The array's text is cut into blocks of whole elements, at the commas between them. Where
those commas are is found on the bytes, without decoding: a quote not escaped by an odd
run of backslashes opens or closes a string, and outside strings the brackets give the
depth; a comma at depth one ends an element. A block is then turned into JSON Lines of
the same length, in place: each such comma becomes a newline, and a line break outside
strings (pretty-printed arrays) a space, which JSON reads alike. From there a block goes
the way of a JSON Lines block (``jsonl_arrow``): parsed by ``pyarrow.json`` when it is
plain, else, and whenever the counting refuses a row, read by the strict reader, which
numbers the elements on from the block's first. The strict reader also reads the last
element, the closing bracket and whatever follows it, and the rest of the array whenever
a block does not read as whole elements: so a fast read and a strict read never differ.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from calculator.errors import InvalidInput
from calculator.ingest.columns import ColumnNames
from calculator.ingest.crawlers import _Replay
from calculator.ingest.jsonl_arrow import FastParse, _counted_columns
from calculator.ingest.pipeline import pipelined
from calculator.ingest.table_read import TableRead
from calculator.ingest.tabular_json import MAX_JSON_ELEMENT, NotAFragment, _json_array_tables
from calculator.ingest.tabular_rows import _Collector

_FIRST_READ = 1 << 20
_BLOCK = 16 << 20  # bytes of array text cut at once (its scan holds a few bytes per byte)
_RECENT = 8  # blocks kept to put back: more than are ever in flight at once
_LINE_BUFFERS = 4  # more than the blocks parsed or waiting to be at once (two)
_IS_OPEN, _IS_CLOSE, _IS_COMMA, _IS_BREAK, _IS_QUOTE, _IS_BACKSLASH = range(1, 7)
_KINDS = np.zeros(256, dtype=np.uint8)  # what each byte is to the scan (0: nothing)
_KINDS[[ord("["), ord("{")]] = _IS_OPEN
_KINDS[[ord("]"), ord("}")]] = _IS_CLOSE
_KINDS[ord(",")] = _IS_COMMA
_KINDS[[ord("\n"), ord("\r")]] = _IS_BREAK
_KINDS[ord('"')] = _IS_QUOTE
_KINDS[ord("\\")] = _IS_BACKSLASH


@dataclass
class _Block:
    """Whole elements of the array, each with the comma after it, as the text holds them
    (``text``) and as JSON Lines (``lines``, with where each line ends); where they start
    in the log."""

    text: memoryview
    lines: memoryview
    ends: np.ndarray | None  # where its lines end, when known from the scan
    first_element: int  # elements before this block
    first_line: int  # the log's line the block starts on

    @property
    def nbytes(self) -> int:
        return self.text.nbytes


@dataclass
class _Scan:
    commas: np.ndarray  # positions of the commas between elements
    breaks: np.ndarray  # positions of line breaks outside strings
    close: int | None  # position of the array's closing bracket, when the text holds it
    # Whether ``breaks`` holds every line break of the text (the line scan's), so a block's
    # JSON Lines end exactly at its commas: the general scan leaves those inside strings.
    exact_breaks: bool = False


def _scan(text: bytes) -> _Scan:
    """Where the elements of text that starts at an element (outside any string, inside
    the array) end. Bytes of UTF-8 past ASCII are never quotes, brackets or commas, so the
    bytes are read as they are; only the few bytes that matter are looked at after one
    pass of a lookup table."""
    kinds = _KINDS[np.frombuffer(text, dtype=np.uint8)]
    special = np.flatnonzero(kinds)
    kind = kinds[special]
    del kinds
    is_quote = kind == _IS_QUOTE
    slashes = special[kind == _IS_BACKSLASH]
    if len(slashes) and is_quote.any():
        # The run of backslashes just before each quote: an odd run escapes it. Runs are
        # found among the backslashes' positions (few, next to the text's length).
        at = np.flatnonzero(is_quote)
        quotes = special[at]
        starts = np.concatenate(([True], np.diff(slashes) != 1))
        run_start = np.maximum.accumulate(np.where(starts, np.arange(len(slashes)), 0))
        last = np.searchsorted(slashes, quotes - 1)  # the backslash at quote - 1, if any
        found = last < len(slashes)
        found[found] = slashes[last[found]] == quotes[found] - 1
        run = np.zeros(len(quotes), dtype=np.int64)
        run[found] = last[found] - run_start[last[found]] + 1
        is_quote[at[run % 2 == 1]] = False
    # Outside strings: an even number of (unescaped) quotes up to the byte (a uint8 sum
    # wraps, which keeps its parity).
    outside = (np.cumsum(is_quote, dtype=np.uint8) & 1) == 0
    structural = outside & ~is_quote & (kind != _IS_BACKSLASH)
    positions, kind = special[structural], kind[structural]
    bracket = (kind == _IS_OPEN) | (kind == _IS_CLOSE)
    depth = 1 + np.cumsum(np.where(kind[bracket] == _IS_OPEN, 1, -1))
    ended = np.flatnonzero(depth == 0)
    close = int(positions[bracket][ended[0]]) if len(ended) else None
    if close is not None:
        before = positions < close
        positions, kind, bracket = positions[before], kind[before], bracket[before]
    # The depth at a comma or line break: the depth after the brackets before it.
    after = np.cumsum(bracket) - 1
    level = np.where(after >= 0, depth[np.maximum(after, 0)], 1) if len(depth) else \
        np.ones(len(positions), dtype=np.int64)
    commas = positions[(kind == _IS_COMMA) & (level == 1)]
    breaks = positions[kind == _IS_BREAK]
    return _Scan(commas, breaks, close)


def _line_scan(text: bytes) -> _Scan | None:
    """The scan of text laid out an element a line (``{...},`` and a line break, what most
    writers of big arrays emit), found from its line breaks alone, over ten times
    faster than ``_scan``; None when the text does not start so. A line break is never
    inside a JSON string (it is written ``\\n`` there), so the lines that start with ``{``
    and end with ``},`` are claimed as whole elements, up to the first line that does not.
    A claim is not trusted: Arrow must read each such line as one record, else the block
    goes to the strict reader, so text that only looks laid out so (not valid JSON, or an
    element spread over lines) costs time, never a different answer."""
    data = np.frombuffer(text, dtype=np.uint8)
    breaks = np.flatnonzero(data == 0x0A)
    led = len(breaks) > 0 and breaks[0] == 0  # the break after the last block's comma
    lines = breaks[1:] if led else breaks
    if len(lines) == 0 or lines[0] < 2 + led:
        return None
    starts = np.concatenate(([int(led)], lines[:-1] + 1))
    whole = (data[lines - 1] == 0x2C) & (data[lines - 2] == 0x7D) & (data[starts] == 0x7B)
    claimed = lines[:len(whole) if whole.all() else int(np.argmin(whole))]
    if len(claimed) == 0:
        return None
    return _Scan(claimed - 1, np.concatenate((breaks[:1], claimed)) if led else claimed, None,
                 exact_breaks=True)


def _as_lines(text: bytes, scan: _Scan, end: int, buffer: bytearray) -> memoryview:
    """The elements of ``text[:end]`` as JSON Lines of the same length, written over
    ``buffer`` (at least ``end`` bytes): a fresh buffer a block cost more in page faults
    than the rest of the rewrite."""
    lines = np.frombuffer(buffer, dtype=np.uint8, count=end)
    lines[:] = np.frombuffer(text, dtype=np.uint8, count=end)
    lines[scan.breaks[scan.breaks < end]] = 0x20
    lines[scan.commas[scan.commas < end]] = 0x0A
    return memoryview(buffer)[:end]


class _Elements:
    """The array's text in blocks of whole elements; ``rest()`` is the text not yet cut,
    for the strict reader to take over."""

    def __init__(self, stream: io.BufferedIOBase) -> None:
        self.stream = stream
        self.pending = b""
        self.element = 0
        self.line = 1
        self.size = _FIRST_READ
        self.done = False  # the closing bracket was found, or the strict reader takes over
        self.recent: deque[_Block] = deque(maxlen=_RECENT)
        # The JSON Lines of a block are written over one of these in turn: a block's lines
        # are read only by its parse, and at most two blocks are parsed or waiting.
        self.buffers = [bytearray() for _ in range(_LINE_BUFFERS)]
        self.turn = 0

    def opened(self) -> bool:
        """Past a byte-order mark and whitespace, the array's opening bracket."""
        head = self.stream.read(_FIRST_READ)
        text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
        start = len(text) - len(text.lstrip(b" \t\r\n"))
        if text[start: start + 1] != b"[":
            self.pending = head
            return False
        self.line += text.count(b"\n", 0, start)
        self.pending = text[start + 1:]
        return True

    def blocks(self) -> Iterator[_Block]:
        while not self.done:
            data = self.stream.read(self.size)
            self.size = min(self.size * 2, _BLOCK)
            text = self.pending + data
            scan = _line_scan(text) or _scan(text)
            if scan.close is not None or not data:
                self.done = True
            if not len(scan.commas):
                self.pending = text
                if len(text) > MAX_JSON_ELEMENT:
                    self.done = True  # one element as long as that: the strict reader says
                continue
            end = int(scan.commas[-1]) + 1
            buffer = self.buffers[self.turn]
            if len(buffer) < end:  # replaced, not grown: earlier blocks still view it
                buffer = self.buffers[self.turn] = bytearray(end + (end >> 3))
            self.turn = (self.turn + 1) % len(self.buffers)
            block = _Block(memoryview(text)[:end], _as_lines(text, scan, end, buffer),
                           scan.commas if scan.exact_breaks else None, self.element,
                           self.line)
            self.pending = text[end:]
            self.element += len(scan.commas)
            self.line += int(np.count_nonzero(scan.breaks < end)) if scan.exact_breaks \
                else text.count(b"\n", 0, end)
            self.recent.append(block)
            yield block

    def rewind(self, block: _Block) -> None:
        """Put back the text from ``block`` on (it and the blocks cut after it)."""
        recent = list(self.recent)
        after = recent[recent.index(block):]
        self.pending = b"".join(b.text for b in after) + self.pending
        self.element, self.line = block.first_element, block.first_line

    def rest(self) -> io.BufferedReader:
        """What is not cut into blocks, as the strict reader reads it from the element
        after the blocks (numbered on from ``element``, on the log's line ``line``)."""
        head = b"[" + self.pending
        self.pending = b""
        return io.BufferedReader(_Replay(head, self.stream))


def read_json_array(stream: io.BufferedReader, result: TableRead, collector: _Collector,
                    names: ColumnNames) -> None:
    """Read an array of records block by block, as ``jsonl_arrow.read_jsonl`` reads lines."""
    elements = _Elements(stream)
    if not elements.opened():
        # Not an array from its first bracket: the strict reader says what it is.
        for table, first_row in _json_array_tables(io.BufferedReader(
                _Replay(elements.pending, stream)), result, names):
            collector.add(table, first_row)
        return
    taken_over: list[_Block] = []

    def strict(block: _Block) -> None:
        """The block's elements read by the strict reader; when they do not read as whole
        elements, it takes over from the block's start (after the blocks in flight)."""
        text = io.BytesIO(b"[" + block.text)
        try:
            tables = list(_json_array_tables(text, result, names, block.first_element,
                                             fragment=True, first_line=block.first_line))
        except (NotAFragment, InvalidInput):
            taken_over.append(block)
            elements.done = True  # cut no more blocks
            return
        for table, first_row in tables:
            collector.add(table, first_row)

    def count(block: _Block, parsed: Future) -> None:
        if taken_over:
            return
        table, _lines = parsed.result()
        if table is not None:
            table = _counted_columns(table, block.first_element + 1, result, names)
        if table is None:
            strict(block)
            return
        try:
            collector.add(table, block.first_element + 1)
        except InvalidInput:
            strict(block)  # the strict reader names the element and the field
            if not taken_over:
                raise

    fast = FastParse(names)
    pipelined(elements.blocks(), lambda block: fast.parse(block.lines, block.ends), count)
    if taken_over:
        elements.rewind(taken_over[0])
    for table, first_row in _json_array_tables(elements.rest(), result, names,
                                               elements.element, first_line=elements.line):
        collector.add(table, first_row)
