"""Whole-array operations on int64 values that one sort (or none, for values already in
order) answers, where numpy's hashing ``unique`` and ``isin`` take seconds for millions."""

from __future__ import annotations

import numpy as np


def sorted_unique(values: np.ndarray, *, runs: bool = False,
                  ascending: bool = False) -> np.ndarray:
    """Each value once, ascending. numpy's own ``unique`` (and ``isin``) hash and, for
    millions of int64 values, take seconds where a sort takes a tenth of one. ``runs``: the
    values are a few ascending runs, which a stable sort (timsort) merges in linear time.
    ``ascending``: they are already in order, and are not copied to be sorted."""
    if not ascending:
        values = np.sort(values, kind="stable" if runs else None)
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def count_unique(values: np.ndarray) -> int:
    """How many different values: one sort of the values (faster than sorting indices)."""
    if len(values) < 2:
        return len(values)
    ordered = np.sort(values)
    return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1


def is_in_sorted(values: np.ndarray, ascending: np.ndarray) -> np.ndarray:
    """``np.isin(values, ascending)`` for an ascending array, by binary search."""
    if len(ascending) == 0:
        return np.zeros(len(values), dtype=bool)
    index = np.minimum(np.searchsorted(ascending, values), len(ascending) - 1)
    return ascending[index] == values


def add_counts_at(counts: np.ndarray, positions: np.ndarray) -> None:
    """One more at each of ``positions`` (ascending, repeats allowed) of ``counts``: by runs,
    so that nothing as long as ``counts`` is made (``np.bincount`` would be)."""
    if len(positions) == 0:
        return
    starts = np.flatnonzero(np.concatenate(([True], positions[1:] != positions[:-1])))
    counts[positions[starts]] += np.diff(np.append(starts, len(positions)))
