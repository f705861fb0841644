"""The compiled loops of ``sweep`` (numba; machine code cached on disk after the first run).

Kept apart so that importing ``sweep`` (and so every command) does not import numba."""

from __future__ import annotations

import numpy as np
from numba import njit

_NONE = np.iinfo(np.int64).min
# An index the loop knows is not negative is given as unsigned: numba then leaves out the
# wrap-around a negative index takes (the search reads or writes a dozen arrays per point:
# about 7 % of the pro rata search on a 10 M-row log, 0.308 s against 0.287 s, and of the
# busiest period, 0.080 s against 0.074 s).
_UNSIGNED = np.uint64


@njit(cache=True, nogil=True, inline="always")
def _quotient(m, per, inverse):  # pragma: no cover (compiled)
    """``m // per`` for ``0 <= m``: a multiplication by the reciprocal, made exact, where a
    division would cost tens of cycles at every point and reading (``m < 2**52``: the
    estimate is then off by at most two, and corrected)."""
    if m >= 1 << 52:
        return m // per
    q = np.int64(m * inverse)
    while q * per > m:
        q -= 1
    while (q + 1) * per <= m:
        q += 1
    return q


# The loop's scalars, kept in one array between its runs (see ``search``).
_LEAVING, _BLOCK, _RECORDED, _LOOK, _SHIFTED, _ABOVE, _ABOVE_BEGINS, _LOW, _HIGH, \
    _COUNT, _TARIFF = range(11)


@njit(cache=True, nogil=True)
def search(instants, gained, lost, summed, window, eps, lowest, blocks, starts, thresholds,
           per_posts, units, inverses, rates, excess, by_first, capacity,
           takes, takers):  # pragma: no cover (compiled)
    """Each reading's total (V at the first block's start), and the takes of all readings
    in the order found (descending): each one's right end and reading, and how many.
    A window ``[s, s + W)`` holds ``sum(gained[t < s + W]) - sum(lost[t < s])``: for posts
    per instant both are the posts; for distinct post ids, the clusters begun and ended at
    each instant (decision 0144). ``summed``: ``gained`` and ``lost`` are given as their
    prefix sums instead (``n + 1`` entries, entry ``k`` summing the first ``k`` instants),
    as a distinct counter holds them, so that no series as long as the log is made.
    ``capacity``: recorded changes held at first (a power of two); ``takes`` and
    ``takers``: room for the takes at first (grown here when full)."""
    n = len(instants)
    readings = len(rates)
    limit = lowest + blocks * window  # the end of the last block: V is 0 from here on
    state = np.zeros(11, np.int64)
    leaving = n - 1  # the three streams of points, each read from its top down
    while leaving >= 0 and instants[leaving] + eps >= limit:
        leaving -= 1
    state[_LEAVING], state[_BLOCK] = leaving, blocks - 1
    state[_ABOVE], state[_ABOVE_BEGINS] = limit, 1
    state[_LOW], state[_HIGH], state[_TARIFF] = n, n, len(starts) - 1
    above_values = np.zeros(readings, np.int64)
    # The recorded changes of V are a ring: change ``k`` (counted from the first) lives at
    # ``k & (capacity - 1)``, and those a window above the point reached are no longer
    # read, so their places are written over. Only when one window holds more changes
    # than the ring is it doubled (decision 0149): no compaction copies, and no second
    # array beside the first but at that moment.
    steps = np.empty(capacity, np.int64)
    values = np.empty((capacity, readings), np.int64)
    taken = np.zeros(1, np.int64)
    # The loop runs until an array is full; it is grown between runs, so that no array
    # changes inside the loop.
    while _run(state, above_values, steps, values, takes, takers, taken, instants, gained,
               lost, summed, window, eps, lowest, starts, thresholds, per_posts, units,
               inverses, rates, excess, by_first):
        recorded = state[_RECORDED]
        keep = min(state[_LOOK], state[_SHIFTED])
        if recorded - keep >= len(steps):
            old_mask = len(steps) - 1
            mask = 2 * len(steps) - 1
            grown_steps = np.empty(2 * len(steps), np.int64)
            grown_values = np.empty((2 * len(steps), readings), np.int64)
            for k in range(keep, recorded):
                grown_steps[k & mask] = steps[k & old_mask]
                grown_values[k & mask] = values[k & old_mask]
            steps, values = grown_steps, grown_values
        if taken[0] + readings > len(takes):
            grown = np.empty(2 * len(takes), np.int64)
            grown[:taken[0]] = takes[:taken[0]]
            grown_takers = np.empty(2 * len(takes), np.int8)
            grown_takers[:taken[0]] = takers[:taken[0]]
            takes, takers = grown, grown_takers
    return above_values, takes[:taken[0]], takers[:taken[0]]


@njit(cache=True, nogil=True)
def _run(state, above_values, steps, values, takes, takers, taken, instants, gained, lost,
         summed, window, eps, lowest, starts, thresholds, per_posts, units, inverses, rates, excess,
         by_first):  # pragma: no cover (compiled)
    """The sweep from where ``state`` stands: False when every point is visited, True when
    ``steps`` or ``takes`` must grow first."""
    n = len(instants)
    readings = len(rates)
    leaving, block = state[_LEAVING], state[_BLOCK]
    recorded, look, shifted = state[_RECORDED], state[_LOOK], state[_SHIFTED]
    above, above_begins = state[_ABOVE], state[_ABOVE_BEGINS] != 0
    low, high, count, tariff = state[_LOW], state[_HIGH], state[_COUNT], state[_TARIFF]
    capacity, take_capacity = len(steps), len(takes)
    mask = capacity - 1  # the ring's place of a recorded change (see ``search``)
    count_taken = taken[0]
    current = np.empty(readings, np.int64)
    # Only the per-million readings count blocks of posts: the pro rata ones, searched on
    # their own (decision 0133), skip the two quotients at every point.
    in_blocks = False
    for r in range(readings):
        in_blocks |= rates[r] != 0
    # Each reading owes one of six counts of the window times a scaled price (per post for
    # pro rata, per block of ``per`` posts otherwise). The counts are kept in ``amounts`` in
    # the order of the rate codes, all posts before the excess: posts, excess, started
    # blocks of each, whole blocks of each. Which count and price a reading takes is chosen
    # here once, rather than by two branches per reading at every point (about 3 % of a
    # search on one thread, as measured on a 10 M-row millisecond log).
    kinds = np.empty(readings, np.int64)
    scaled = np.empty((readings, len(per_posts)), np.int64)
    for r in range(readings):
        kinds[r] = 2 * rates[r] + (1 if excess[r] else 0)
        for v in range(len(per_posts)):
            scaled[r, v] = units[r, v] * (1 if rates[r] == 0 else per_posts[v])
    amounts = np.zeros(6, np.int64)
    # No price is negative, so a window never owes less for holding more posts (decision
    # 0134). Once a point is priced without changing V, a later point under the same clause
    # version, with the same V one window later, owes no more than it did while its window
    # holds no more than ``held_most`` posts: it can neither change V nor take a window, and
    # its readings are not priced (decision 0168). ``held_most``: the point's own count
    # when a reading is priced per post; the last count of the same whole and started
    # blocks when all are priced per block; the threshold while unpriced.
    in_posts = False
    for r in range(readings):
        in_posts |= rates[r] == 0
    held = False
    held_version, held_look, held_most = -2, -1, -1
    full = False
    while True:
        if recorded - min(look, shifted) >= capacity \
                or count_taken + readings > take_capacity:
            full = True
            break
        s = _NONE
        if leaving >= 0:
            s = max(s, instants[_UNSIGNED(leaving)] + eps)
        if block >= 0:
            s = max(s, lowest + block * window)
        while shifted < recorded and steps[_UNSIGNED(shifted & mask)] - window >= above:
            shifted += 1
        if shifted < recorded and steps[_UNSIGNED(shifted & mask)] - window >= lowest:
            s = max(s, steps[_UNSIGNED(shifted & mask)] - window)
        if s < lowest:
            break
        begins = block >= 0 and s == lowest + block * window
        while leaving >= 0 and instants[_UNSIGNED(leaving)] + eps >= s:
            leaving -= 1
        if begins:
            block -= 1
        # The piece [s, above) is priced by its last start: its posts and first access.
        top = above - eps
        end = top + window
        if summed:
            while low > 0 and instants[_UNSIGNED(low - 1)] >= top:
                low -= 1
            while high > 0 and instants[_UNSIGNED(high - 1)] >= end:
                high -= 1
            count = gained[_UNSIGNED(high)] - lost[_UNSIGNED(low)]
        else:
            while low > 0 and instants[_UNSIGNED(low - 1)] >= top:
                low -= 1
                count += lost[_UNSIGNED(low)]
            while high > 0 and instants[_UNSIGNED(high - 1)] >= end:
                high -= 1
                count -= gained[_UNSIGNED(high)]
        first = instants[_UNSIGNED(low)] if low < n else instants[n - 1]
        while tariff >= 0 and starts[_UNSIGNED(tariff)] > first:
            tariff -= 1
        # V one window later: at the last recorded change at or before s + W, or, if every
        # recorded one is later, at the point just above (unchanged up to there).
        while look < recorded and steps[_UNSIGNED(look & mask)] > end:
            look += 1
        # What the window owes is worked out once for every reading: the clause version
        # that prices it, and its posts in blocks of ``per`` (all of them, or the excess).
        version = tariff if by_first else 0
        if held and not above_begins and version == held_version and look == held_look \
                and count <= held_most:
            above = s
            above_begins = begins
            continue
        priced = version >= 0 and count > thresholds[max(version, 0)]
        excess_posts, whole, whole_excess, started, started_excess, per = 0, 0, 0, 0, 0, 1
        if priced:
            per = per_posts[version]
            excess_posts = count - thresholds[version]
        if priced and in_blocks:
            whole = _quotient(count, per, inverses[version])
            whole_excess = _quotient(excess_posts, per, inverses[version])
            started = whole + (whole * per < count)
            started_excess = whole_excess + (whole_excess * per < excess_posts)
        pushed = False
        # V one window later, for every reading: the recorded change's row, or V above.
        later_values = values[_UNSIGNED(look & mask)] if look < recorded else above_values
        amounts[0], amounts[1] = count, excess_posts
        amounts[2], amounts[3] = started, started_excess
        amounts[4], amounts[5] = whole, whole_excess
        column = max(version, 0)
        for r in range(readings):
            owed = amounts[kinds[r]] * scaled[r, column] if priced else 0
            push = owed + later_values[r]
            best = above_values[r]
            # Taking a window here beats starting later, for the whole piece up to the
            # point above (written always, kept only then: no branch to mispredict).
            takes[_UNSIGNED(count_taken)] = above
            takers[_UNSIGNED(count_taken)] = r
            count_taken += (owed > 0) & (push > best)
            current[r] = max(push, best)
            pushed |= push > best
        held = not pushed
        if held:
            held_version, held_look = version, look
            if version < 0:  # no version in force: nothing is owed, whatever the count
                held_most = -(_NONE + 1)
            elif not priced:
                held_most = thresholds[version]
            elif in_posts:
                held_most = count
            else:  # the last count with every reading's whole and started blocks
                bar = thresholds[version]
                held_most = min(whole * per + per - 1, started * per,
                                bar + whole_excess * per + per - 1, bar + started_excess * per)
        if above_begins or pushed:  # the point above is where V changes: record it
            place = recorded & mask
            steps[_UNSIGNED(place)] = above
            for r in range(readings):
                values[_UNSIGNED(place), r] = above_values[r]
            recorded += 1
        above = s
        above_begins = begins
        for r in range(readings):
            above_values[r] = current[r]
    state[_LEAVING], state[_BLOCK] = leaving, block
    state[_RECORDED], state[_LOOK], state[_SHIFTED] = recorded, look, shifted
    state[_ABOVE], state[_ABOVE_BEGINS] = above, above_begins
    state[_LOW], state[_HIGH], state[_COUNT], state[_TARIFF] = low, high, count, tariff
    taken[0] = count_taken
    return full


@njit(cache=True, nogil=True)
def read_back(rights, readers, readings, lowest, window, eps):  # pragma: no cover (compiled)
    """The windows each reading takes, from the right ends of its take pieces as ``search``
    found them (descending): walked once from the lowest up, each reading's next window is
    placed as late as the first piece reaching past its last window allows. Returns the
    windows' starts (ascending per reading) and each one's reading."""
    chosen = 0
    position = np.full(readings, lowest, np.int64)
    for i in range(len(rights) - 1, -1, -1):  # counted first, so the answer is exact-size
        r = readers[i]
        if rights[i] > position[r]:
            position[r] = rights[i] - eps + window
            chosen += 1
    starts = np.empty(chosen, np.int64)
    owners = np.empty(chosen, np.int8)
    position[:] = lowest
    k = 0
    for i in range(len(rights) - 1, -1, -1):
        r = readers[i]
        if rights[i] > position[r]:
            starts[k], owners[k] = rights[i] - eps, r
            position[r] = starts[k] + window
            k += 1
    return starts, owners


@njit(cache=True, nogil=True)
def busiest(instants, posts, carrying, window):  # pragma: no cover (compiled)
    """The most posts in a window starting at an access; the first access starting one;
    the first such access with ``carrying`` posts (-1: none)."""
    n = len(instants)
    high = 0
    count = 0
    top = -1
    first_any = 0
    first_carrying = -1
    for i in range(n):
        end = instants[i] + window
        while high < n and instants[_UNSIGNED(high)] < end:
            count += posts[_UNSIGNED(high)]
            high += 1
        if count > top:
            top = count
            first_any = i
            first_carrying = i if carrying[i] > 0 else -1
        elif count == top and first_carrying < 0 and carrying[i] > 0:
            first_carrying = i
        count -= posts[i]
    return top, first_any, first_carrying
