"""Giving the memory a large log's read freed back to the system before it is priced.

Reading a log of a billion rows allocates and frees thousands of blocks' arrays of a few
megabytes each. glibc's allocator keeps much of what they leave in its heaps (its threshold
for giving large blocks their own mappings rises as they are freed), so what the process
holds after the read grew with the rows, and the pricing's arrays came on top of it: the
peak of a 100 M-row log was 1.2-1.3 times a 10 M-row log's with the same instants.
``malloc_trim`` hands the freed pages back (a few tens of milliseconds), so the peak
follows what the pricing needs, not how many rows came before (decision 0138)."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

import pyarrow as pa

# Below this many bytes read, or rows (a compressed column file of 10 M rows can be under
# 20 MB, and its read frees as much as a large text log's), trimming is not worth its
# milliseconds: little was freed.
TRIM_AFTER_BYTES = 64 << 20
TRIM_AFTER_ROWS = 2_000_000


@cache
def _trim():
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        function = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    return function


def release_after_read(bytes_read: int, rows: int = 0) -> bool:
    """Give the heap's free pages back after reading ``bytes_read`` bytes (``rows`` rows) of
    log; whether anything was asked of the allocator."""
    if bytes_read < TRIM_AFTER_BYTES and rows < TRIM_AFTER_ROWS:
        return False
    return release()


def release() -> bool:
    """Give the heaps' free pages back now (after a large piece of work has freed its
    arrays): Arrow's memory pool's (mimalloc or jemalloc keep freed pages for reuse: about
    75 MiB after a 5 M-row Parquet read) and the C library's; whether glibc could be
    asked."""
    pa.default_memory_pool().release_unused()
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
