"""Reading, parsing and counting a log's blocks at once, each stage on its own thread; and
work on several threads handed out in order."""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

B = TypeVar("B")
T = TypeVar("T")
R = TypeVar("R")
_SMALL = 4 << 20  # bytes of a first block that may be alone in its log
_UNREAD = object()


def _size(block: Any) -> int:
    """Bytes of a block: a table's or a buffer's (of a tuple, its first item's: a table and
    its first row)."""
    if isinstance(block, tuple):
        block = block[0]
    size = getattr(block, "nbytes", None)
    if isinstance(size, int):
        return size
    return len(block) if hasattr(block, "__len__") else _SMALL  # unknown: taken as large


def pipelined(blocks: Iterator[B], parse: Callable[[B], Any],
              count: Callable[[B, Future], None]) -> None:
    """Each block parsed on one worker and counted, in order, on another, while this thread
    reads the next: at most two blocks wait to be counted (blocks may reuse buffers).
    A log of one block (most files of a partitioned log) is parsed and counted here: with
    nothing to overlap, two workers started and stopped per file were most of its time
    (2,000 one-line CSV files took 7.6 s, 3.3 s of it starting threads)."""
    blocks = iter(blocks)
    first = next(blocks, None)
    if first is None:
        return
    # Only after a small first block is the next one read before any work starts: a large
    # one (a million rows of a column file) is a long log's, and waiting on a second
    # would hold both and delay the overlap.
    second = next(blocks, None) if _size(first) < _SMALL else _UNREAD
    if second is None:
        parsed: Future = Future()
        try:
            parsed.set_result(parse(first))
        except BaseException as exc:  # raised where counting asks for it, as on a worker
            parsed.set_exception(exc)
        count(first, parsed)
        return
    every = itertools.chain((first,) if second is _UNREAD else (first, second), blocks)
    del first, second  # held by name, the first two blocks would live through the read
    with ThreadPoolExecutor(max_workers=1) as parser, \
            ThreadPoolExecutor(max_workers=1) as counter:
        in_flight: list[Future] = []
        for block in every:
            parsed = parser.submit(parse, block)
            in_flight.append(counter.submit(count, block, parsed))
            if len(in_flight) > 1:
                in_flight.pop(0).result()
        for future in in_flight:
            future.result()


def in_order(work: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``work`` of each item on ``workers`` threads, handed out in the items' order, with at
    most ``workers`` results made ahead of the one handed out, so that only a few are held
    at once (a spilled log's buckets, each made into a volume)."""
    if workers < 2:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
