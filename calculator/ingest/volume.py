"""Posts and accesses per instant: what every window is computed from, and all that is kept.

Rows are folded into one entry per distinct instant as they are read, so memory
grows with the number of distinct instants, not with the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Pending chunk aggregates are merged once they hold this many entries.
_MERGE_AT = 4_000_000


@dataclass(frozen=True)
class Volume:
    """Per distinct instant (UTC nanoseconds, ascending): posts and rows (accesses).

    A volume of distinct posts also keeps its occurrences, one per (instant, post
    number): its windows count post numbers once each, which per-instant sums cannot.
    Post numbers stand for post ids in order of first sight; the ids themselves are not kept.
    """

    instants: np.ndarray
    posts: np.ndarray
    accesses: np.ndarray
    occurrence_instants: np.ndarray | None = None
    occurrence_ids: np.ndarray | None = None

    @property
    def distinct(self) -> bool:
        return self.occurrence_ids is not None

    @property
    def occurrences(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(instants, post numbers) of a distinct-post volume; None otherwise."""
        if self.occurrence_instants is None or self.occurrence_ids is None:
            return None
        return self.occurrence_instants, self.occurrence_ids

    @property
    def total_posts(self) -> int:
        if self.occurrence_ids is not None:
            return len(np.unique(self.occurrence_ids))
        return int(self.posts.sum())

    @property
    def total_accesses(self) -> int:
        return int(self.accesses.sum())

    def select(self, mask: np.ndarray) -> Volume:
        if self.occurrence_instants is None or self.occurrence_ids is None:
            return Volume(self.instants[mask], self.posts[mask], self.accesses[mask])
        kept = np.isin(self.occurrence_instants, self.instants[mask])
        return Volume.of_occurrences(self.occurrence_instants[kept], self.occurrence_ids[kept])

    @staticmethod
    def empty() -> Volume:
        nothing = np.array([], dtype=np.int64)
        return Volume(nothing, nothing, nothing)

    @staticmethod
    def of_occurrences(instants: np.ndarray, ids: np.ndarray) -> Volume:
        """A distinct-post volume; per instant, posts are its distinct ids."""
        order = np.lexsort((ids, instants))
        instants, ids = instants[order], ids[order]
        keep = np.ones(len(ids), dtype=bool)
        keep[1:] = (instants[1:] != instants[:-1]) | (ids[1:] != ids[:-1])
        instants, ids = instants[keep], ids[keep]
        folded = _fold_sorted(instants, np.ones(len(instants), dtype=np.int64), None)
        return Volume(folded[0], folded[1], folded[2], instants, ids)


def _fold_sorted(instants: np.ndarray, posts: np.ndarray,
                 accesses: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum runs of equal instants in an ascending array (``accesses`` None: one per row)."""
    if len(instants) == 0:
        return instants, posts, np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], np.flatnonzero(instants[1:] != instants[:-1]) + 1))
    if accesses is None:
        counts = np.diff(np.append(starts, len(instants)))
    else:
        counts = np.add.reduceat(accesses, starts)
    return instants[starts], np.add.reduceat(posts, starts), counts


def fold(instants: np.ndarray, posts: np.ndarray,
         accesses: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One entry per distinct instant, ascending, whatever the order of the rows."""
    if len(instants) > 1 and np.any(instants[1:] < instants[:-1]):
        order = np.argsort(instants, kind="stable")
        instants, posts = instants[order], posts[order]
        accesses = None if accesses is None else accesses[order]
    return _fold_sorted(instants, posts, accesses)


class VolumeBuilder:
    """Collects rows chunk by chunk; chunks in time order are joined without sorting (an
    instant split across two chunks is summed when they are joined)."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending = 0
        self._ordered = True  # every part so far starts after the previous one ends

    def add(self, instants: np.ndarray, posts: np.ndarray,
            accesses: np.ndarray | None = None) -> None:
        part = fold(instants, posts, accesses)
        if len(part[0]) == 0:
            return
        if self._parts and part[0][0] < self._parts[-1][0][-1]:
            self._ordered = False
        self._parts.append(part)
        self._pending += len(part[0])
        if not self._ordered and self._pending >= _MERGE_AT:
            self._parts = [self._merge()]
            self._pending = len(self._parts[0][0])
            self._ordered = True

    def _merge(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self._ordered:
            return fold(*[np.concatenate([p[k] for p in self._parts]) for k in range(3)])
        # Parts in time order are folded already: only an instant split across two parts
        # (the last of one, the first of the next) is left to sum.
        shared = [k for k in range(1, len(self._parts))
                  if self._parts[k][0][0] == self._parts[k - 1][0][-1]]
        parts = [list(p) for p in self._parts]
        for k in reversed(shared):
            parts[k - 1][1] = parts[k - 1][1].copy()
            parts[k - 1][2] = parts[k - 1][2].copy()
            parts[k - 1][1][-1] += parts[k][1][0]
            parts[k - 1][2][-1] += parts[k][2][0]
            parts[k] = [a[1:] for a in parts[k]]
        instants, posts, accesses = (np.concatenate([p[k] for p in parts]) for k in range(3))
        return instants, posts, accesses

    def build(self) -> Volume:
        if not self._parts:
            return Volume.empty()
        return Volume(*self._merge())
