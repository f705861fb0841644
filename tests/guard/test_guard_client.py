"""calculator.guard.Budget against the real service over HTTP (a WSGI server on loopback, on
SQLite and PostgreSQL), with the service's clock injected so that a day passes at once:
a crawler is granted posts while they fit, told when they fit again, and sleeps exactly that
long before it is granted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.serving import make_server

from calculator.api.budgets.routes import CLOCK
from calculator.guard import Budget, BudgetError, BudgetSpent, BudgetUnavailable
from tests.conftest import free_port

START = datetime(2025, 3, 1, tzinfo=UTC)


class Clock:
    """The service's now, moved by the tests (and by the client's sleeps)."""

    def __init__(self) -> None:
        self.now = START
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(make_app, clock) -> Iterator[tuple[str, object]]:
    """The app under a real threaded WSGI server: its URL and the app."""
    app = make_app(**{CLOCK: clock})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", app
    finally:
        httpd.shutdown()
        thread.join()


def test_a_crawler_is_granted_posts_while_they_fit_and_told_when_they_fit_again(service,
                                                                                 clock):
    url, _app = service
    with Budget(url, "fleet") as budget:
        created = budget.create("x", region="US", margin_percent=95)
        assert created["limit"]["posts"] == 950_000
        grant = budget.reserve(900_000)
        assert (grant.posts, grant.used, grant.left) == (900_000, 900_000, 50_000)
        assert grant.at == START
        clock.now = START + timedelta(hours=10)
        with pytest.raises(BudgetSpent) as spent:
            budget.reserve(60_000)
        # The 900,000 posts of 00:00 leave the window 14 hours from now.
        assert spent.value.retry_after == 14 * 3600
        assert spent.value.left_now == 50_000
        assert spent.value.retry_at == START + timedelta(days=1)
        assert budget.reserve(50_000).left == 0


def test_wait_and_reserve_sleeps_as_long_as_the_service_says_then_is_granted(service, clock):
    url, _app = service
    budget = Budget(url, "fleet", sleep=clock.sleep, clock=lambda: 0.0)
    budget.create("x", region="US")
    budget.reserve(1_000_000)
    clock.now = START + timedelta(hours=1)
    grant = budget.wait_and_reserve(10)
    assert clock.slept == [23 * 3600]
    assert grant.at == START + timedelta(days=1) and grant.used == 10


def test_wait_and_reserve_gives_up_when_the_wait_would_pass_max_wait(service, clock):
    url, _app = service
    budget = Budget(url, "fleet", sleep=clock.sleep, clock=lambda: 0.0)
    budget.create("x", region="US")
    budget.reserve(1_000_000)
    with pytest.raises(BudgetSpent) as spent:
        budget.wait_and_reserve(1, max_wait=3600)
    assert spent.value.retry_after == 24 * 3600
    assert clock.slept == []


def test_more_posts_than_the_whole_limit_are_an_error_not_a_wait(service, clock):
    url, _app = service
    budget = Budget(url, "fleet", sleep=clock.sleep)
    budget.create("x", region="US", margin_percent=50)
    with pytest.raises(BudgetError) as refused:
        budget.wait_and_reserve(600_000)
    assert not isinstance(refused.value, BudgetSpent)
    assert refused.value.status == 422
    assert "reserve fewer at a time" in str(refused.value)
    assert clock.slept == []


def test_an_unknown_budget_and_a_wrong_key_are_named_errors(service):
    url, app = service
    with pytest.raises(BudgetError) as missing:
        Budget(url, "nobody").reserve(1)
    assert missing.value.status == 404
    app.extensions["calculator.store"].keys.create("crawlers")
    with pytest.raises(BudgetError) as wrong:
        Budget(url, "fleet", "not-a-key").reserve(1)
    assert wrong.value.status == 401


def test_a_key_reaches_its_own_budget(service):
    url, app = service
    key = app.extensions["calculator.store"].keys.create("crawlers")[1]
    budget = Budget(url, "fleet", key)
    budget.create("x", region="DE")
    assert budget.reserve(5).used == 5
    assert budget.show()["country"] == "DE"


def test_a_service_that_cannot_be_reached_is_unavailable_not_a_traceback():
    budget = Budget(f"http://127.0.0.1:{free_port()}", "fleet", timeout=2)
    with pytest.raises(BudgetUnavailable) as unavailable:
        budget.reserve(1)
    assert unavailable.value.status == 0
    assert "unavailable" in str(unavailable.value)


def test_posts_must_be_a_whole_number_from_one():
    budget = Budget("http://127.0.0.1:9", "fleet")
    for posts in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="whole number"):
            budget.reserve(posts)  # type: ignore[arg-type]
