"""What one window owes under each reading, exactly, and how totals are rounded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculator.damages.pricing import ScaledPricer, Tariff, to_cents, window_amount

X = Tariff(version=date(2024, 11, 15), starts_ns=0, ends_ns=None, threshold=1_000_000,
           per_posts=1_000_000, amount=Fraction(15000), currency="USD",
           window_ns=86_400 * 10**9)


@pytest.mark.parametrize("rate, basis", [(r, b) for r in ("pro_rata", "per_started_million",
                                                          "per_full_million")
                                         for b in ("all_posts", "excess_only")])
def test_exactly_one_million_posts_in_a_window_owes_nothing_under_any_reading(rate, basis):
    assert window_amount(1_000_000, X, rate, basis) == 0


@pytest.mark.parametrize("rate, basis, expected", [
    ("pro_rata", "all_posts", Fraction(15_000_015, 1000)),
    ("pro_rata", "excess_only", Fraction(15, 1000)),
    ("per_started_million", "all_posts", Fraction(30_000)),
    ("per_started_million", "excess_only", Fraction(15_000)),
    ("per_full_million", "all_posts", Fraction(15_000)),
    ("per_full_million", "excess_only", Fraction(0)),
])
def test_one_post_over_the_threshold_under_each_reading(rate, basis, expected):
    assert window_amount(1_000_001, X, rate, basis) == expected


def test_two_and_a_half_million_posts_under_each_rate_of_all_posts():
    assert window_amount(2_500_000, X, "pro_rata", "all_posts") == 37_500
    assert window_amount(2_500_000, X, "per_started_million", "all_posts") == 45_000
    assert window_amount(2_500_000, X, "per_full_million", "all_posts") == 30_000


@pytest.mark.parametrize("exact, cents", [
    (Fraction(15_000_015, 1000), "15000.02"),  # 15,000.015: the half goes up
    (Fraction(15_000_014, 1000), "15000.01"),
    (Fraction(1, 200), "0.01"),
    (Fraction(1, 201), "0.00"),
    (Fraction(0), "0.00"),
    (Fraction(10**30 + 1, 2), "500000000000000000000000000000.50"),
])
def test_totals_are_rounded_once_to_cents_half_up(exact, cents):
    assert to_cents(exact) == Decimal(cents)


@given(posts=st.integers(0, 10**13))
def test_scaled_integer_amounts_equal_the_exact_fractions(posts):
    n = np.array([posts], dtype=np.int64)
    for rate in ("pro_rata", "per_started_million", "per_full_million"):
        for basis in ("all_posts", "excess_only"):
            pricer = ScaledPricer([X], rate, basis)
            assert Fraction(int(pricer.values(n, None)[0]), pricer.scale) == \
                window_amount(posts, X, rate, basis)
