"""Fixtures of the budget tests: the app's clock, injected, and a client of that app."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calculator.api.budgets.routes import CLOCK

START = datetime(2025, 3, 1, tzinfo=UTC)  # X's damages clause is in force


@pytest.fixture
def clock():
    return {"now": START}


@pytest.fixture
def budget_client(make_app, clock):
    return make_app(**{CLOCK: lambda: clock["now"]}).test_client()
