"""Per-instant counts as a compact blob: all of a log that an assessment keeps.

Layout (little-endian): a magic, a count ``n`` (uint64), then zlib of int64 arrays of
``n`` values, each byte-shuffled (all first bytes, then all second bytes, ...):

- ``CNT1``: the instants in UTC nanoseconds, delta-encoded (the first instant, then
  each gap to the next), the posts, the accesses: a volume of posts per instant.
- ``CNT2``: a volume of distinct posts, kept as its occurrences: the instants
  (delta-encoded) and the post numbers (0, 1, 2, ... in order of first sight: never the
  post ids), one per (instant, post number). The per-instant counts follow from them.

Sorted instants have small gaps and counts are small numbers, so the shuffled high
bytes are runs of zeros that compress to almost nothing: a log of a million rows over a
day at one-second resolution is kept in well under a megabyte, with no URL, post id,
actor or row in it.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from calculator.ingest.volume import Volume

PLAIN = b"CNT1"
DISTINCT = b"CNT2"
_HEADER = struct.Struct("<4sQ")


def _shuffle(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(np.asarray(values, dtype="<i8").view(np.uint8)
                                .reshape(-1, 8).T).tobytes()


def _unshuffle(data: bytes, n: int) -> np.ndarray:
    grid = np.frombuffer(data, dtype=np.uint8).reshape(8, n)
    return np.ascontiguousarray(grid.T).view("<i8").reshape(n).astype(np.int64)


def _deltas(instants: np.ndarray) -> np.ndarray:
    instants = np.asarray(instants, dtype=np.int64)
    return np.diff(instants, prepend=np.int64(0)) if len(instants) else instants


def _pack(magic: bytes, arrays: list[np.ndarray]) -> bytes:
    n = len(arrays[0])
    return _HEADER.pack(magic, n) + zlib.compress(b"".join(_shuffle(a) for a in arrays), 6)


def encode_volume(volume: Volume) -> bytes:
    occurrence_ids = getattr(volume, "occurrence_ids", None)
    if occurrence_ids is not None:
        return _pack(DISTINCT, [_deltas(volume.occurrence_instants), occurrence_ids])
    return _pack(PLAIN, [_deltas(volume.instants), volume.posts, volume.accesses])


def decode_volume(blob: bytes) -> Volume:
    """The counts back; ``ValueError`` when the blob is not one ``encode_volume`` wrote."""
    if len(blob) < _HEADER.size:
        raise ValueError("stored counts: too short")
    magic, n = _HEADER.unpack_from(blob)
    if magic not in (PLAIN, DISTINCT):
        raise ValueError("stored counts: not a counts blob")
    width = 3 if magic == PLAIN else 2
    expected = width * 8 * n
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(blob[_HEADER.size:], expected + 1)
    except zlib.error as exc:
        raise ValueError(f"stored counts: corrupt ({exc})") from exc
    if len(body) != expected or inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("stored counts: wrong length")
    arrays = [_unshuffle(body[k * 8 * n:(k + 1) * 8 * n], n) for k in range(width)]
    deltas = arrays[0]
    if magic == DISTINCT:
        if n and (np.any(deltas[1:] < 0) or np.any(arrays[1] < 0)):
            raise ValueError("stored counts: not occurrences in time order")
        return Volume.of_occurrences(np.cumsum(deltas, dtype=np.int64), arrays[1])
    posts, accesses = arrays[1], arrays[2]
    if n and (np.any(deltas[1:] <= 0) or np.any(posts < 0) or np.any(accesses < 0)):
        raise ValueError("stored counts: not ascending instants with counts of 0 or more")
    return Volume(np.cumsum(deltas, dtype=np.int64), posts, accesses)
