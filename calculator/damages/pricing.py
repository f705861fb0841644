"""The readings of a damages clause and the exact amount a window owes under each.

For a window holding ``n`` counted posts, a threshold ``T``, a rate ``R`` per ``P``
posts: nothing is owed unless ``n > T``; the priced posts are ``n`` (basis
``all_posts``) or ``n - T`` (``excess_only``); the rate applies per started ``P``
(``ceil``), pro rata, or per full ``P`` (``floor``). Amounts are exact fractions;
a reading's total is rounded once, to cents, half up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np

WINDOWS = ("rolling_worst_case", "rolling_first_access", "calendar_day")
RATES = ("pro_rata", "per_started_million", "per_full_million")
BASES = ("all_posts", "excess_only")
HEADLINE = ("rolling_worst_case", "pro_rata", "all_posts")


@dataclass(frozen=True)
class Reading:
    window: str
    rate: str
    basis: str

    @property
    def key(self) -> str:
        return f"{self.window}/{self.rate}/{self.basis}"


ALL_READINGS = tuple(Reading(w, r, b) for w in WINDOWS for r in RATES for b in BASES)
HEADLINE_READING = Reading(*HEADLINE)


@dataclass(frozen=True)
class Tariff:
    """The numbers of one version of a damages clause, and when that version was in force."""

    version: date
    starts_ns: int
    ends_ns: int | None  # None: still in force
    threshold: int  # a window owes nothing unless it holds strictly more posts
    per_posts: int
    amount: Fraction  # owed per `per_posts` posts
    currency: str
    window_ns: int

    def same_pricing(self, other: Tariff) -> bool:
        return (self.threshold, self.per_posts, self.amount, self.currency, self.window_ns) == (
            other.threshold, other.per_posts, other.amount, other.currency, other.window_ns)


def priced_posts(n: int, tariff: Tariff, basis: str) -> int:
    """The posts a rate applies to in a window of ``n`` posts (0 at or under the threshold)."""
    if n <= tariff.threshold:
        return 0
    return n if basis == "all_posts" else n - tariff.threshold


def window_amount(n: int, tariff: Tariff, rate: str, basis: str) -> Fraction:
    """What one window of ``n`` posts owes under a reading, exactly."""
    m = priced_posts(n, tariff, basis)
    if m == 0:
        return Fraction(0)
    if rate == "pro_rata":
        return m * tariff.amount / tariff.per_posts
    if rate == "per_started_million":
        return -(-m // tariff.per_posts) * tariff.amount
    if rate == "per_full_million":
        return (m // tariff.per_posts) * tariff.amount
    raise ValueError(f"unknown rate {rate!r}")


def to_cents(amount: Fraction) -> Decimal:
    """Round once to cents, half up (away from zero for the half)."""
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount) * 100
    cents = (2 * magnitude.numerator + magnitude.denominator) // (2 * magnitude.denominator)
    # Built from text, so no decimal context can round it again.
    return Decimal(f"{'-' if sign < 0 and cents else ''}{cents // 100}.{cents % 100:02d}")


class ScaledPricer:
    """Window amounts as integers (amount × scale), vectorized, for the worst-case search.

    The search compares sums of amounts; integers keep those comparisons exact.
    ``scale`` is the least common multiple of the denominators of every tariff's price
    per post (``amount / per_posts`` in lowest terms: 200 for $15,000 per 1,000,000), so
    that every amount under every reading is a whole number of 1/scale units, and the
    integers stay small enough for hundreds of millions of posts.
    """

    def __init__(self, tariffs: list[Tariff], rate: str, basis: str) -> None:
        self.tariffs = tariffs
        self.rate = rate
        self.basis = basis
        denominators = [(t.amount / t.per_posts).denominator for t in tariffs]
        self.scale = math.lcm(*denominators)
        self.starts = np.array([t.starts_ns for t in tariffs], dtype=np.int64)
        self.uniform = all(t.same_pricing(tariffs[0]) for t in tariffs)

    def max_unit(self) -> int:
        """The most one post can add to a scaled amount: bounds the integers used."""
        return max(t.amount.numerator * (self.scale // t.amount.denominator)
                   for t in self.tariffs)

    def units(self) -> list[int]:
        """Each tariff's scaled amount per post: a whole number (see ``scale``)."""
        return [(t.amount * self.scale / t.per_posts).numerator for t in self.tariffs]

    def __call__(self, n: np.ndarray, first_instant: np.ndarray | None) -> np.ndarray:
        return self.values(n, first_instant)

    def values(self, n: np.ndarray, first_instant: np.ndarray | None) -> np.ndarray:
        """Scaled amounts of windows holding ``n`` posts, priced by the tariff in force
        at each window's first counted access (``first_instant``)."""
        units = self.units()
        if self.uniform or first_instant is None:
            return self._values_for(n, self.tariffs[0], units[0])
        which = np.searchsorted(self.starts, first_instant, side="right") - 1
        out = np.zeros(len(n), dtype=n.dtype)
        for index, tariff in enumerate(self.tariffs):
            mask = which == index
            if mask.any():
                out[mask] = self._values_for(n[mask], tariff, units[index])
        return out

    def _values_for(self, n: np.ndarray, tariff: Tariff, unit: int) -> np.ndarray:
        above = n > tariff.threshold
        m = np.where(above, n if self.basis == "all_posts" else n - tariff.threshold, 0)
        if self.rate == "pro_rata":
            return m * unit
        per = tariff.per_posts
        blocks = -(-m // per) if self.rate == "per_started_million" else m // per
        return blocks * (unit * per)
