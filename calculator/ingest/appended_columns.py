"""Columns of int64 appended to in place, for a volume built as its log is read.

Joining a log's folded blocks at the end of the read copied every instant, post and access
count once more into freshly allocated memory: for a 10 M-row millisecond log, 240 MB of
pages the kernel had to zero and the copy itself, a few tenths of a second after the read
when nothing else could run. Here each block is written once, into anonymous memory maps
that grow by remapping (``mremap``: the pages already written move with the map, untouched
pages cost nothing), so the volume is ready when the last block is.

A column past a million values is given room for tens of millions at once: the kernel
places so large a map on a huge-page boundary and fills it with huge pages as it is
written (a 2 MB page zeroed per fault instead of 512 small ones: about a third of the
kernel's time for a 10 M-instant volume), and no later growth moves it. Room not written
to is address space only: it holds no memory.

Each column starts a little further into its map than the one before (``_SKEW``). Maps of
one size lie a power of two apart, so without it the k-th value of every column sat at the
same offset from a 256 MB boundary: the loops that read a volume's columns side by side
compete for the same few cache sets. On a 10 M-instant volume the busiest-period pass took
0.112 s on such columns and 0.081 s on skewed ones, the pro rata worst-case search 0.344 s
and 0.322 s, the per-million one 0.177 s and 0.151 s (decision 0169).
"""

from __future__ import annotations

import mmap

import numpy as np

_ITEM = np.dtype(np.int64).itemsize
_FIRST_CAPACITY = 1 << 16  # values a column holds before it first grows
# A column growing past this many values (8 MB) is given room for ``_RESERVED`` at once.
_RESERVE_PAST = 1 << 20
_RESERVED = 1 << 25  # 256 MB of address space per column, a whole number of huge pages
# Bytes by which each column starts further into its map than the one before: two pages
# and seven cache lines, so that no two columns' k-th values share an offset modulo any
# power of two from a cache line up (of the skews tried, 64 bytes to 8,640, the fastest).
_SKEW = 2 * 4096 + 7 * 64
_HUGE_PAGE = 2 << 20


class AppendedColumns:
    """Several int64 columns of one length, appended to together. ``arrays`` hands them out
    as arrays that share the maps' memory; appending after that first copies them into new
    maps (a map whose memory is handed out cannot move)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.length = 0
        self._capacity = 0
        self._maps: list[mmap.mmap] = []
        self._starts = [column * _SKEW for column in range(width)]  # bytes into each map
        self._handed_out = False

    def append(self, columns: tuple[np.ndarray, ...]) -> None:
        """Add the same number of values to every column."""
        count = len(columns[0])
        if count == 0:
            return
        self._make_room(self.length + count)
        for memory, start, values in zip(self._maps, self._starts, columns, strict=True):
            np.frombuffer(memory, dtype=np.int64, count=count,
                          offset=start + self.length * _ITEM)[:] = values
        self.length += count

    def extend(self, count: int) -> tuple[np.ndarray, ...]:
        """Room for ``count`` more values in every column, as arrays to write them into (let
        go before the columns grow again: a map whose memory is held cannot move)."""
        self._make_room(self.length + count)
        room = tuple(np.frombuffer(memory, dtype=np.int64, count=count,
                                   offset=start + self.length * _ITEM)
                     for memory, start in zip(self._maps, self._starts, strict=True))
        self.length += count
        return room

    def last(self, column: int) -> int:
        """The last value of a column (there is one)."""
        return int(np.frombuffer(self._maps[column], dtype=np.int64, count=1,
                                 offset=self._starts[column] + (self.length - 1) * _ITEM)[0])

    def add_to_last(self, column: int, amount: int) -> None:
        """Add ``amount`` to the last value of a column (an instant split across blocks)."""
        view = np.frombuffer(self._maps[column], dtype=np.int64, count=1,
                             offset=self._starts[column] + (self.length - 1) * _ITEM)
        view[0] += amount

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The columns as arrays on the maps' memory, the maps first cut to their length."""
        if self.length == 0:
            return tuple(np.zeros(0, dtype=np.int64) for _ in range(self.width))
        if not self._handed_out:
            self._resize(self.length)
            self._handed_out = True
        return tuple(np.frombuffer(memory, dtype=np.int64, count=self.length, offset=start)
                     for memory, start in zip(self._maps, self._starts, strict=True))

    def _make_room(self, needed: int) -> None:
        if needed <= self._capacity:
            return
        capacity = max(needed, 2 * self._capacity, _FIRST_CAPACITY)
        if _RESERVE_PAST < capacity < _RESERVED:
            try:
                self._grow(_RESERVED)
                return
            except OSError:  # address space limited (ulimit -v): grow as needed only
                pass
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        if not self._maps:
            self._maps = [_new_map(capacity, start) for start in self._starts]
            self._capacity = capacity
        elif self._handed_out:
            self._copy_to(capacity)
        else:
            self._resize(capacity)

    def _resize(self, capacity: int) -> None:
        try:
            for memory, start in zip(self._maps, self._starts, strict=True):
                memory.resize(_map_size(start, capacity))
            self._capacity = capacity
        except (OSError, SystemError, ValueError, BufferError):
            # A platform without mremap for anonymous maps: grow by copying.
            self._copy_to(capacity)

    def _copy_to(self, capacity: int) -> None:
        maps = [_new_map(capacity, start) for start in self._starts]
        for old, new, start in zip(self._maps, maps, self._starts, strict=True):
            np.frombuffer(new, dtype=np.int64, count=self.length, offset=start)[:] = \
                np.frombuffer(old, dtype=np.int64, count=self.length, offset=start)
        self._maps, self._capacity, self._handed_out = maps, capacity, False


def _new_map(capacity: int, start: int) -> mmap.mmap:
    return anonymous_memory(_map_size(start, capacity))


def _map_size(start: int, capacity: int) -> int:
    """Bytes of a map holding ``capacity`` values from ``start``; past a huge page, a whole
    number of them: the kernel places only such a map on a huge-page boundary, and a column
    skewed one or two pages into a map of 256 MB and a few pages was placed off it."""
    size = start + capacity * _ITEM
    return size if size <= _HUGE_PAGE else -(-size // _HUGE_PAGE) * _HUGE_PAGE


def anonymous_memory(size: int) -> mmap.mmap:
    """``size`` bytes of private anonymous memory that ask for huge pages: a page costs
    nothing until first written, and is then zeroed by the kernel once."""
    # Private: a shared anonymous map cannot grow (its pages past the first size fault).
    memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        memory.madvise(mmap.MADV_HUGEPAGE)
    return memory
