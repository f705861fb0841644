"""The compiled loops of a read (``read_kernels``), once loaded, behind plain functions that
say None whenever a loop does not apply: the caller then reads the general way.

They are loaded beside the compiled search (``sweep.load_meanwhile``), which a log long
enough to need it loads while it is read: numba is then imported anyway, and loading these
loops took no time that could be measured beside it (0.309-0.311 s for both, 0.312-0.315 s
for the search alone). Until then, and in every process that never loads it (a distinct
count, a small log, a worker of a cluster), a read takes Arrow's and numpy's way. Both
ways give the same numbers (decision 0170); the tests hold them to it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType

import numpy as np
import pyarrow as pa

from calculator.timeutil import FIRST_YEAR, LAST_YEAR

Columns = tuple[np.ndarray, ...]  # instants, posts, accesses
_LOADED: ModuleType | None = None
_LOCK = threading.Lock()


def load() -> None:
    """Import the loops (and so their cached machine code); idempotent."""
    global _LOADED
    with _LOCK:
        if _LOADED is None:
            from calculator.ingest import read_kernels

            _LOADED = read_kernels


def unload() -> None:
    """Read the general way from now on (the tests compare both ways)."""
    global _LOADED
    with _LOCK:
        _LOADED = None


def loaded() -> bool:
    return _LOADED is not None


def _text_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """The offsets (32-bit, or 64-bit for ``large_string``) and bytes of a text array
    without nulls."""
    if not isinstance(values, pa.Array) or values.null_count or len(values) == 0:
        return None
    if pa.types.is_string(values.type):
        width = np.int32
    elif pa.types.is_large_string(values.type):
        width = np.int64
    else:
        return None
    _, offsets, data = values.buffers()
    if data is None:
        return None
    return (np.frombuffer(offsets, dtype=width)[values.offset:values.offset + len(values) + 1],
            np.frombuffer(data, dtype=np.uint8))


def utc_instants(values: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """The UTC nanoseconds of texts written ``YYYY-MM-DDTHH:MM:SS[.f]Z`` within the years
    read, as Arrow's cast to a UTC timestamp gives them; None if the loops are not loaded
    or some text is null or written otherwise. The chunks of a column are read where they
    lie: joining them first copied every text (a batch of a CSV or Parquet log comes in
    several)."""
    kernels = _LOADED
    if kernels is None or len(values) == 0 or values.null_count:
        return None
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    out = np.empty(len(values), dtype=np.int64)
    at = 0
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        buffers = _text_buffers(chunk)
        if buffers is None or kernels.utc_instants(*buffers, FIRST_YEAR, LAST_YEAR,
                                                   out[at:at + len(chunk)]) >= 0:
            return None
        at += len(chunk)
    return out


def post_numbers(chunks: list[pa.Array]) -> np.ndarray | None:
    """The numbers of text ids all written as numbers (``post_id_numbers``), as Arrow's cast
    gives them; None if the loops are not loaded, or some id is null or written
    otherwise."""
    kernels = _LOADED
    if kernels is None:
        return None
    out = np.empty(sum(len(chunk) for chunk in chunks), dtype=np.int64)
    at = 0
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        buffers = _text_buffers(chunk)
        if buffers is None or kernels.post_numbers(*buffers, out[at:at + len(chunk)]) >= 0:
            return None
        at += len(chunk)
    return out


def fold_sorted(instants: np.ndarray, posts: np.ndarray, accesses: np.ndarray | None,
                room: Callable[[int], Columns]) -> Columns | None:
    """``volume``'s fold of ascending int64 instants in one pass, written into the columns
    ``room`` gives for that many instants; None if the loops are not loaded or an array is
    not one contiguous int64 run (``room`` is then not asked)."""
    kernels = _LOADED
    arrays = (instants, posts) if accesses is None else (instants, posts, accesses)
    if kernels is None or not all(_plain_int64(a) for a in arrays):
        return None
    count = int(kernels.distinct_sorted(instants))
    out = room(count)
    kernels.fold_sorted(instants, posts, posts if accesses is None else accesses,
                        accesses is None, *out)
    return out


def value_span(values: np.ndarray) -> tuple[int, int] | None:
    """The lowest and the highest of int64 values (at least one) in one pass, as Python
    ints; None if the loops are not loaded or the values are not one contiguous int64 run."""
    kernels = _LOADED
    if kernels is None or not _plain_int64(values) or len(values) == 0:
        return None
    low, high = kernels.value_span(values)
    return int(low), int(high)


def mark_seen(values: np.ndarray, low: int, seen: np.ndarray) -> bool:
    """``seen[values - low] = True`` in one pass, without the array of differences; False
    (nothing marked) if the loops are not loaded or the values are not one contiguous int64
    run. Every value must fall in the table: one that does not is a fault of the caller's."""
    kernels = _LOADED
    if kernels is None or not _plain_int64(values) or seen.dtype != np.bool_ \
            or not seen.flags.c_contiguous:
        return False
    outside = kernels.mark_seen(values, low, seen)
    if outside >= 0:
        raise AssertionError(f"value {int(values[outside])} lies outside the table from "
                             f"{low} ({len(seen)} values)")
    return True


def _plain_int64(values: np.ndarray) -> bool:
    return values.dtype == np.int64 and values.flags.c_contiguous
