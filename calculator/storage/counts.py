"""Per-instant counts as a compact blob: all of a log that an assessment keeps.

Layout (little-endian): a magic, a count ``n`` (uint64), then zlib of int64 arrays of
``n`` values, each byte-shuffled (all first bytes, then all second bytes, ...):

- ``CNT1``: the instants in UTC nanoseconds, delta-encoded (the first instant, then
  each gap to the next), the posts, the accesses: a volume of posts per instant.
- ``CNT3``: a volume of distinct posts: after the magic and ``n``, a second count ``m``
  (uint64); then the ``n`` instants (delta-encoded) with the distinct posts at each, and
  the ``m`` pairs of its coverage (decision 0122): instants (delta-encoded, in time order)
  and post numbers (numbers in order of first sight: never the post ids).
- ``CNT2`` (read only, written before decision 0122): a volume of distinct posts kept as
  every occurrence, one per (instant, post number); the counts and the coverage follow.

Sorted instants have small gaps and counts are small numbers, so the shuffled high
bytes are runs of zeros that compress to almost nothing: a log of a million rows over a
day at one-second resolution is kept in well under a megabyte, with no URL, post id,
actor or row in it.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from calculator.ingest.sorted_arrays import is_in_sorted
from calculator.ingest.volume import Volume

PLAIN = b"CNT1"
OCCURRENCES = b"CNT2"
DISTINCT = b"CNT3"
_HEADER = struct.Struct("<4sQ")
_SECOND = struct.Struct("<Q")


def _shuffle(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(np.asarray(values, dtype="<i8").view(np.uint8)
                                .reshape(-1, 8).T).tobytes()


def _unshuffle(data: bytes, n: int) -> np.ndarray:
    grid = np.frombuffer(data, dtype=np.uint8).reshape(8, n)
    return np.ascontiguousarray(grid.T).view("<i8").reshape(n).astype(np.int64)


def _deltas(instants: np.ndarray) -> np.ndarray:
    instants = np.asarray(instants, dtype=np.int64)
    return np.diff(instants, prepend=np.int64(0)) if len(instants) else instants


def _pack(magic: bytes, arrays: list[np.ndarray], second: bytes = b"") -> bytes:
    n = len(arrays[0])
    return _HEADER.pack(magic, n) + second + zlib.compress(
        b"".join(_shuffle(a) for a in arrays), 6)


def encode_volume(volume: Volume) -> bytes:
    coverage = volume.occurrences
    if coverage is not None:
        return _pack(DISTINCT, [_deltas(volume.instants), volume.posts,
                                _deltas(coverage[0]), coverage[1]],
                     _SECOND.pack(len(coverage[0])))
    return _pack(PLAIN, [_deltas(volume.instants), volume.posts, volume.accesses])


def decode_volume(blob: bytes) -> Volume:
    """The counts back; ``ValueError`` when the blob is not one ``encode_volume`` wrote."""
    if len(blob) < _HEADER.size:
        raise ValueError("stored counts: too short")
    magic, n = _HEADER.unpack_from(blob)
    if magic not in (PLAIN, DISTINCT, OCCURRENCES):
        raise ValueError("stored counts: not a counts blob")
    offset, lengths = _HEADER.size, [n] * (3 if magic == PLAIN else 2)
    if magic == DISTINCT:
        if len(blob) < offset + _SECOND.size:
            raise ValueError("stored counts: too short")
        (m,) = _SECOND.unpack_from(blob, offset)
        offset, lengths = offset + _SECOND.size, [n, n, m, m]
    expected = 8 * sum(lengths)
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(blob[offset:], expected + 1)
    except zlib.error as exc:
        raise ValueError(f"stored counts: corrupt ({exc})") from exc
    if len(body) != expected or inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("stored counts: wrong length")
    arrays, at = [], 0
    for length in lengths:
        arrays.append(_unshuffle(body[at:at + 8 * length], length))
        at += 8 * length
    deltas = arrays[0]
    if magic == OCCURRENCES:
        if n and (np.any(deltas[1:] < 0) or np.any(arrays[1] < 0)):
            raise ValueError("stored counts: not occurrences in time order")
        return Volume.of_occurrences(np.cumsum(deltas, dtype=np.int64), arrays[1])
    posts = arrays[1]
    if n and (np.any(deltas[1:] <= 0) or np.any(posts < 0)):
        raise ValueError("stored counts: not ascending instants with counts of 0 or more")
    instants = np.cumsum(deltas, dtype=np.int64)
    if magic == PLAIN:
        if n and np.any(arrays[2] < 0):
            raise ValueError("stored counts: not ascending instants with counts of 0 or more")
        return Volume(instants, posts, arrays[2])
    covered = np.cumsum(arrays[2], dtype=np.int64)
    if len(covered) and (np.any(arrays[2][1:] < 0)
                         or not is_in_sorted(covered, instants).all()):
        raise ValueError("stored counts: a coverage not in time order at counted instants")
    return Volume.of_coverage(instants, posts, covered, arrays[3])
