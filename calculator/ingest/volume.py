"""Posts and accesses per instant: what every window is computed from, and all that is kept.

Rows are folded into one entry per distinct instant as they are read, so memory
grows with the number of distinct instants, not with the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from calculator.errors import InvalidArgument
from calculator.ingest import compiled_reads
from calculator.ingest.appended_columns import AppendedColumns
from calculator.ingest.sorted_arrays import is_in_sorted

# Pending chunk aggregates are merged once they hold this many entries.
_MERGE_AT = 4_000_000


# A distinct-post volume keeps, of each post's occurrences in one quarter hour (UTC), only
# the first and the last (decision 0122). Every window the assessment counts distinct posts
# in is either 24 hours long or starts and ends at a quarter hour (midnights of calendar
# days and of clauses coming into force, in any zone of today's world), and such a window
# holds a post exactly when it holds one of those two: the state follows posts and the
# quarter hours they are seen in, not rows.
COVERAGE_SLOT = 900 * 1_000_000_000


@dataclass(frozen=True)
class Volume:
    """Per distinct instant (UTC nanoseconds, ascending): posts and rows (accesses).

    A volume of distinct posts counts, per instant, the different post numbers seen then,
    and keeps its *coverage*: of each post's occurrences, the first and the last in every
    quarter hour (``COVERAGE_SLOT``) in which it was seen, as (instant, post number) pairs
    in time order. Its windows count post numbers once each, which per-instant sums cannot;
    the coverage gives the same count as every occurrence for a window of 24 hours, or of
    any length from one quarter hour to the next (``coverage_slot``: None when every
    occurrence is kept). Post numbers stand for post ids in order of first sight; the ids
    themselves are not kept.
    """

    instants: np.ndarray
    posts: np.ndarray
    accesses: np.ndarray
    occurrence_instants: np.ndarray | None = None
    occurrence_ids: np.ndarray | None = None
    coverage_slot: int | None = None

    @property
    def distinct(self) -> bool:
        return self.occurrence_ids is not None

    @property
    def occurrences(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(instants, post numbers) of a distinct-post volume's coverage; None otherwise."""
        if self.occurrence_instants is None or self.occurrence_ids is None:
            return None
        return self.occurrence_instants, self.occurrence_ids

    @cached_property
    def total_posts(self) -> int:
        """Posts in all (distinct posts: each once), worked out once."""
        if self.occurrence_ids is not None:
            # Post numbers: marked in a table of their span (a byte a post), where sorting
            # a copy of the coverage's held eight bytes per kept sighting at the peak.
            from calculator.ingest.unique_count import UniqueCount

            different = UniqueCount()
            different.add(self.occurrence_ids)
            return different.count()
        return int(self.posts.sum())

    @cached_property
    def total_accesses(self) -> int:
        """Rows in all, worked out once (a read's counts and the assessment each ask)."""
        return int(self.accesses.sum())

    def select(self, mask: np.ndarray) -> Volume:
        if self.occurrence_instants is None or self.occurrence_ids is None:
            return Volume(self.instants[mask], self.posts[mask], self.accesses[mask])
        check_cuts(self.instants, np.flatnonzero(mask[1:] != mask[:-1]), self.coverage_slot)
        kept = is_in_sorted(self.occurrence_instants, self.instants[mask])
        return Volume(self.instants[mask], self.posts[mask], self.accesses[mask],
                      self.occurrence_instants[kept], self.occurrence_ids[kept],
                      self.coverage_slot)

    @staticmethod
    def empty() -> Volume:
        nothing = np.array([], dtype=np.int64)
        return Volume(nothing, nothing, nothing)

    @staticmethod
    def of_occurrences(instants: np.ndarray, ids: np.ndarray) -> Volume:
        """A distinct-post volume of (instant, post number) occurrences in any order, with
        repeats: per instant, posts are its distinct numbers; the coverage is kept."""
        instants, ids, by_id = by_post(instants, ids)
        folded = _fold_sorted(instants, np.ones(len(instants), dtype=np.int64), None)
        kept, numbers = coverage_of(instants, ids, by_id, COVERAGE_SLOT)
        return Volume(folded[0], folded[1], folded[2], instants[kept], numbers,
                      COVERAGE_SLOT)

    @staticmethod
    def of_coverage(instants: np.ndarray, posts: np.ndarray, coverage_instants: np.ndarray,
                    coverage_ids: np.ndarray, slot: int | None = COVERAGE_SLOT) -> Volume:
        """A distinct-post volume from its parts: distinct posts per instant (ascending
        instants) and a coverage (in time order), as ``of_occurrences`` makes them. Parts of
        disjoint posts merge by summing the counts and joining the coverages."""
        return Volume(instants, posts, posts, coverage_instants, coverage_ids, slot)

    @staticmethod
    def of_disjoint(parts: list[Volume]) -> Volume:
        """One distinct-post volume of several that share no post (buckets of a shuffle by
        post): their different posts per instant add up, and their coverages join (each
        part's post numbers moved past the previous parts')."""
        nothing = np.zeros(0, dtype=np.int64)
        if not parts:
            return Volume.of_occurrences(nothing, nothing)
        instants, posts, _ = fold(np.concatenate([v.instants for v in parts]),
                                  np.concatenate([v.posts for v in parts]))
        # Each part's coverage as positions on the instants (32-bit while they fit).
        narrow = np.int32 if len(instants) < 2**31 else np.int64
        per_instant = np.zeros(len(instants), dtype=np.int64)
        placed, past = [], 0
        for part in parts:
            if part.occurrence_instants is None or part.occurrence_ids is None \
                    or not len(part.occurrence_ids):
                continue
            on_grid = np.searchsorted(instants, part.occurrence_instants).astype(narrow)
            per_instant += np.bincount(on_grid, minlength=len(instants))
            low = part.occurrence_ids.min()
            numbers = part.occurrence_ids - low
            numbers += past
            placed.append((on_grid, numbers))
            past += int(part.occurrence_ids.max() - low) + 1
        ids = joined_in_time_order(placed, per_instant)
        return Volume.of_coverage(instants, posts, np.repeat(instants, per_instant), ids,
                                  parts[0].coverage_slot)


def joined_in_time_order(parts: list[tuple[np.ndarray, np.ndarray]],
                          per_instant: np.ndarray) -> np.ndarray:
    """The post numbers of disjoint coverages (each in time order, its instants given as
    positions on one grid of instants, ``per_instant`` entries in all at each) joined in
    time order, a part's before the next's at one instant (as a stable sort of them joined
    would put them): each entry is written straight to its place, and each part let go
    once written (the list is emptied), so the join holds the coverage about once, not the
    four times that joining, sorting and reordering it took."""
    ids = np.empty(int(per_instant.sum()), dtype=np.int64)
    # The next free place at each instant (32-bit when the counts are: they fit).
    filled = np.zeros(len(per_instant), dtype=per_instant.dtype)
    np.cumsum(per_instant[:-1], out=filled[1:])
    parts.reverse()
    while parts:
        on_grid, numbers = parts.pop()
        if len(on_grid) == 0:
            continue
        # The rank of each entry among the part's at its instant (runs: ascending grid).
        starts = np.flatnonzero(np.concatenate(([True], on_grid[1:] != on_grid[:-1])))
        lengths = np.diff(np.append(starts, len(on_grid)))
        rank = np.arange(len(on_grid)) - np.repeat(starts, lengths)
        ids[filled[on_grid] + rank] = numbers
        filled[on_grid[starts]] += lengths
    return ids


def coverage_of(instants: np.ndarray, ids: np.ndarray, by_id: np.ndarray,
                slot: int) -> tuple[np.ndarray, np.ndarray]:
    """Which occurrences (unique, in time order; ``by_id`` lists them by post then time)
    are the first or the last of their post in their ``slot`` (ascending positions), and
    each one's post renumbered 0, 1, 2... in order of first sight: the numbers a reader
    gives (whole-number ids are their own number while reading) are not kept, stored or
    sent on."""
    if len(by_id) == 0:
        return by_id, by_id
    ids_by_id = ids[by_id]
    new_post = np.empty(len(by_id), dtype=bool)
    new_post[0] = True
    np.not_equal(ids_by_id[1:], ids_by_id[:-1], out=new_post[1:])
    del ids_by_id
    slots = (instants // slot)[by_id]
    edge = new_post.copy()
    edge[1:] |= slots[1:] != slots[:-1]
    del slots
    keep = edge.copy()  # a group's first ...
    keep[:-1] |= edge[1:]  # ... and its last
    keep[-1] = True
    group = np.cumsum(new_post) - 1
    # A post's rank in order of first sight: how many first sightings come before its own,
    # counted along the time order (linear, where sorting the first sightings took a
    # quarter of building a 10 M-row log's distinct volume).
    firsts = by_id[new_post]
    first_sight = np.zeros(len(by_id), dtype=bool)
    first_sight[firsts] = True
    rank = (np.cumsum(first_sight) - 1)[firsts]
    del firsts, first_sight
    # Back in time order by scattering (linear) rather than sorting the kept positions.
    kept = np.zeros(len(by_id), dtype=bool)
    kept[by_id[keep]] = True
    numbers = np.empty(len(by_id), dtype=np.int64)
    numbers[by_id] = rank[group]
    return np.flatnonzero(kept), numbers[kept]


def check_cuts(instants: np.ndarray, before: np.ndarray, slot: int | None) -> None:
    """A coverage answers for a selection (or a window) cut between ``instants[i]`` and
    ``instants[i + 1]`` (``i`` in ``before``) only where no quarter hour holds instants on
    both sides: a post's first and last there would stand for occurrences on the other."""
    if slot is None or len(before) == 0:
        return
    if np.any(instants[before] // slot == instants[before + 1] // slot):
        raise InvalidArgument("distinct posts are kept per quarter hour (UTC): a period "
                              "that starts or ends inside one cannot be counted exactly")


def by_post(instants: np.ndarray, ids: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Occurrences in time order with each (instant, post) once, and the order that lists
    them by post, then time. One stable sort by post does it: on occurrences in time order
    it keeps each post's in time order, and a repeated (instant, post) lands next to itself
    (three to five sorts of every occurrence did this before)."""
    if len(instants) > 1 and np.any(instants[1:] < instants[:-1]):
        order = np.argsort(instants, kind="stable")
        instants, ids = instants[order], ids[order]
    by_id = np.argsort(ids, kind="stable")
    if len(by_id) > 1:
        # Neighbours in that order compared one array at a time (four gathered copies of
        # every occurrence were most of a distinct count's peak).
        listed = ids[by_id]
        repeated = listed[1:] == listed[:-1]
        np.take(instants, by_id, out=listed)
        repeated &= listed[1:] == listed[:-1]
        del listed
        if repeated.any():
            keep = np.ones(len(ids), dtype=bool)
            keep[by_id[1:][repeated]] = False
            kept_by_id = by_id[np.concatenate(([True], ~repeated))]
            # Positions among the kept occurrences (time order) of the kept, by post.
            position = np.cumsum(keep) - 1
            return instants[keep], ids[keep], position[kept_by_id]
    return instants, ids, by_id


Columns = tuple[np.ndarray, np.ndarray, np.ndarray]


def _fold_sorted(instants: np.ndarray, posts: np.ndarray, accesses: np.ndarray | None,
                 room: Callable[[int], Columns] | None = None) -> Columns:
    """Sum runs of equal instants in an ascending array (``accesses`` None: one per row).
    ``room``: given how many instants the fold has, the three arrays to write it into
    (columns appended to in place), which are returned; by default new arrays, or the
    arrays given when every instant is there once."""
    if len(instants) == 0:
        return instants, posts, np.zeros(0, dtype=np.int64)
    # Written into int64 arrays in place, which take no other type (no copy if int64).
    instants, posts = instants.astype(np.int64, copy=False), posts.astype(np.int64, copy=False)
    accesses = None if accesses is None else accesses.astype(np.int64, copy=False)
    if room is not None:  # columns appended to: in one compiled pass when it is loaded
        folded = compiled_reads.fold_sorted(instants, posts, accesses, room)
        if folded is not None:
            return folded
    same = instants[1:] == instants[:-1]
    repeats = np.flatnonzero(same) + 1  # the rows whose instant is the row before's
    count = len(instants) - len(repeats)
    if len(repeats) == 0:
        # Every instant once (most millisecond and microsecond logs): nothing to sum, where
        # finding a million one-row runs and summing each took several passes.
        if room is None:
            return instants, posts, np.ones(len(instants), dtype=np.int64) \
                if accesses is None else accesses
        out = room(count)
        out[0][:], out[1][:] = instants, posts
        out[2][:] = 1 if accesses is None else accesses
        return out
    # Written straight where the fold goes: a folded copy first, then copied into the
    # columns, made three arrays per block the kernel had to zero, and a second pass.
    out = room(count) if room is not None else tuple(np.empty(count, dtype=np.int64)
                                                     for _ in range(3))
    if len(repeats) * 8 < len(instants):
        # A few repeats among many instants (a fine log): the rows that begin a run are
        # kept, and each repeat is added to its run's first row, where its place among the
        # kept rows is its own place less the repeats up to it.
        keep = np.ones(len(instants), dtype=bool)
        keep[repeats] = False
        heads = repeats - np.arange(1, len(repeats) + 1)
        np.compress(keep, instants, out=out[0])
        np.compress(keep, posts, out=out[1])
        np.add.at(out[1], heads, posts[repeats])
        if accesses is None:
            out[2][:] = 1
            np.add.at(out[2], heads, 1)
        else:
            np.compress(keep, accesses, out=out[2])
            np.add.at(out[2], heads, accesses[repeats])
        return out
    starts = np.concatenate(([0], np.flatnonzero(~same) + 1))
    np.take(instants, starts, out=out[0])
    np.add.reduceat(posts, starts, out=out[1])
    if accesses is None:
        np.subtract(np.append(starts[1:], len(instants)), starts, out=out[2])
    else:
        np.add.reduceat(accesses, starts, out=out[2])
    return out


def _in_time_order(instants: np.ndarray, posts: np.ndarray, accesses: np.ndarray | None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The rows sorted by instant (stably), or as they are when they already are."""
    if len(instants) > 1 and np.any(instants[1:] < instants[:-1]):
        order = np.argsort(instants, kind="stable")
        return instants[order], posts[order], None if accesses is None else accesses[order]
    return instants, posts, accesses


def fold(instants: np.ndarray, posts: np.ndarray,
         accesses: np.ndarray | None = None) -> Columns:
    """One entry per distinct instant, ascending, whatever the order of the rows."""
    return _fold_sorted(*_in_time_order(instants, posts, accesses))


class VolumeBuilder:
    """Collects rows chunk by chunk. Chunks in time order are folded and written once into
    columns that grow in place (an instant split across two chunks is summed where they
    meet), so the volume is ready when the last chunk is. A chunk out of order waits with
    the others like it, and they are joined with the columns and folded again as they pile
    up (``_MERGE_AT``)."""

    def __init__(self) -> None:
        self._joined = AppendedColumns(3)  # instants, posts, accesses; ascending, folded
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # out of order
        self._pending = 0

    def add(self, instants: np.ndarray, posts: np.ndarray,
            accesses: np.ndarray | None = None) -> None:
        if len(instants) == 0:
            return
        instants, posts, accesses = _in_time_order(instants, posts, accesses)
        joined = self._joined
        if not self._parts and (joined.length == 0 or instants[0] >= joined.last(0)):
            if joined.length and instants[0] == joined.last(0):
                # The last instant goes on into this chunk: its rows are added to it.
                run = int(np.searchsorted(instants, instants[0], side="right"))
                joined.add_to_last(1, int(posts[:run].sum()))
                joined.add_to_last(2, run if accesses is None else int(accesses[:run].sum()))
                instants, posts = instants[run:], posts[run:]
                accesses = None if accesses is None else accesses[run:]
            if len(instants):
                _fold_sorted(instants, posts, accesses, joined.extend)
            return
        part = _fold_sorted(instants, posts, accesses)
        self._parts.append(part)
        self._pending += len(part[0])
        if self._pending >= _MERGE_AT:
            merged = self._merge()
            self._joined = AppendedColumns(3)
            self._joined.append(merged)
            self._parts, self._pending = [], 0

    def _merge(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        columns = [self._joined.arrays(), *self._parts]
        return fold(*[np.concatenate([c[k] for c in columns]) for k in range(3)])

    def build(self) -> Volume:
        if self._parts:
            return Volume(*self._merge())
        if self._joined.length == 0:
            return Volume.empty()
        return Volume(*self._joined.arrays())
