"""calculator.guard.Budget against the real service over HTTP (a WSGI server on loopback, on
SQLite and PostgreSQL), with the service's clock injected so that a day passes at once:
a crawler is granted posts while they fit, told when they fit again, and sleeps exactly that
long before it is granted."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest

from calculator.guard import Budget, BudgetError, BudgetSpent, BudgetUnavailable
from tests.guard.conftest import START
from tests.running_servers import free_port, serving


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
        # The 900,000 posts of 00:00 (anywhere in that second) leave every period that
        # could hold them 14 hours and a second from now.
        assert spent.value.retry_after == 14 * 3600 + 1
        assert spent.value.left_now == 50_000
        assert spent.value.retry_at == START + timedelta(days=1, seconds=1)
        assert budget.reserve(50_000).left == 0


def test_wait_and_reserve_sleeps_as_long_as_the_service_says_then_is_granted(service, clock):
    url, _app = service
    budget = Budget(url, "fleet", sleep=clock.sleep, clock=lambda: 0.0)
    budget.create("x", region="US")
    budget.reserve(1_000_000)
    clock.now = START + timedelta(hours=1)
    grant = budget.wait_and_reserve(10)
    assert clock.slept == [23 * 3600 + 1]  # and the second the first posts may lie in
    assert grant.at == START + timedelta(days=1, seconds=1) and grant.used == 10


def test_wait_and_reserve_gives_up_when_the_wait_would_pass_max_wait(service, clock):
    url, _app = service
    budget = Budget(url, "fleet", sleep=clock.sleep, clock=lambda: 0.0)
    budget.create("x", region="US")
    budget.reserve(1_000_000)
    with pytest.raises(BudgetSpent) as spent:
        budget.wait_and_reserve(1, max_wait=3600)
    assert spent.value.retry_after == 24 * 3600 + 1
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


def test_posts_fetched_without_asking_are_recorded_and_say_how_far_over(service, clock):
    url, _app = service
    budget = Budget(url, "fleet")
    budget.create("x", region="US")
    budget.reserve(990_000)
    usage = budget.record_usage(20_000)
    assert usage.over_limit and (usage.over_by, usage.over_threshold_by) == (10_000, 10_000)
    earlier = budget.record_usage(5, at=START - timedelta(hours=1))
    assert earlier.document["recorded"]["at"] == "2025-02-28T23:00:00Z"
    with pytest.raises(ValueError, match="timezone"):
        budget.record_usage(1, at=START.replace(tzinfo=None))


def test_the_log_comes_back_as_csv(service, clock):
    url, _app = service
    budget = Budget(url, "fleet")
    budget.create("x", region="US")
    budget.reserve(7)
    assert budget.log_csv() == b"timestamp,platform,posts\n2025-03-01T00:00:00Z,x,7\n"


def test_a_batching_client_asks_once_per_block_and_gives_back_what_it_did_not_use(
        service, clock):
    url, app = service
    calls = []
    app.before_request(lambda: calls.append(1) and None)
    with Budget(url, "fleet", batch=100, clock=clock.seconds) as budget:
        budget.create("x", region="US")
        calls.clear()
        for _ in range(250):
            budget.reserve(1)
        assert len(calls) == 3  # three blocks of 100; the first two were used up
    assert len(calls) == 4  # closing gave back the 50 the third block did not use
    log = Budget(url, "fleet").log_csv().decode().splitlines()
    assert log[1:] == ["2025-03-01T00:00:00Z,x,250"]


def test_a_block_older_than_hold_goes_back_before_a_new_one_is_taken(service, clock):
    url, _app = service
    with Budget(url, "fleet", batch=100, hold=5.0, clock=clock.seconds) as budget:
        budget.create("x", region="US")
        budget.reserve(30)
        clock.now += timedelta(seconds=6)
        budget.reserve(1)  # the first block is too old: 70 go back, a new block is taken
        assert budget.show()["used"] == 130
        assert budget.give_back() == 99
        assert budget.show()["used"] == 31
    log = Budget(url, "fleet").log_csv().decode().splitlines()
    assert log[1:] == ["2025-03-01T00:00:00Z,x,30", "2025-03-01T00:00:06Z,x,1"]


def test_a_batching_client_takes_what_is_left_when_a_whole_block_does_not_fit(service, clock):
    url, _app = service
    with Budget(url, "fleet", batch=1_000, clock=clock.seconds) as budget:
        budget.create("x", region="US")
        Budget(url, "fleet").reserve(999_990)
        for _ in range(10):
            budget.reserve(1)
        with pytest.raises(BudgetSpent):
            budget.reserve(1)
    assert Budget(url, "fleet").show()["used"] == 1_000_000


def test_a_returnable_grant_whose_fetch_failed_is_given_back_and_leaves_the_log(service,
                                                                                clock):
    url, _app = service
    with Budget(url, "fleet") as budget:
        budget.create("x", region="US")
        kept = budget.reserve(3, returnable=True)
        failed = budget.reserve(2, returnable=True)
        assert kept.reservation and failed.reservation and kept.reservation != failed.reservation
        budget.release(failed)
        assert budget.show()["used"] == 3
        with pytest.raises(ValueError, match="plain reservation"):
            budget.release(budget.reserve(1))  # no reservation kept to give back to
        assert dict(budget.calls) == {"reserve": 3, "return": 1}
    log = Budget(url, "fleet").log_csv().decode().splitlines()
    assert log[1:] == ["2025-03-01T00:00:00Z,x,4"]


def test_a_batching_client_takes_failed_posts_back_into_its_block_or_gives_them_to_the_service(
        service, clock):
    url, _app = service
    with Budget(url, "fleet", batch=10, hold=5.0, clock=clock.seconds) as budget:
        budget.create("x", region="US")
        grants = [budget.reserve(1) for _ in range(10)]  # the first block, all handed out
        assert {g.reservation for g in grants} == {grants[0].reservation}
        budget.release(grants[0])  # back into the block still being handed out
        again = budget.reserve(1)
        assert again.reservation == grants[0].reservation
        assert budget.calls["reserve"] == 1 and budget.calls["return"] == 0
        budget.reserve(1)  # the block is used up: a second one
        budget.release(grants[1])  # its block is gone: straight to the service
        assert budget.calls == {"reserve": 2, "return": 1}
        assert budget.show()["used"] == 10 + 10 - 1
    # Closing gave back the second block's 9 unused posts: 10 fetched in all.
    assert Budget(url, "fleet").show()["used"] == 10


def test_a_block_nobody_draws_on_goes_back_once_older_than_hold(service, clock):
    url, _app = service
    with Budget(url, "fleet", batch=50, hold=5.0, clock=clock.seconds) as budget:
        budget.create("x", region="US")
        budget.reserve(20)
        clock.now += timedelta(seconds=4)
        assert budget.give_back_expired() == 0  # still young: kept for the next requests
        clock.now += timedelta(seconds=1)
        assert budget.give_back_expired() == 30
        assert budget.give_back_expired() == 0
        assert budget.show()["used"] == 20



def test_one_client_keeps_its_connection_to_the_service_open_between_calls(tmp_path):
    # The service under gunicorn's threaded worker, which keeps connections alive (the
    # threaded test server and gunicorn's sync worker close each one), logging the port
    # each request came from: one client's calls share one TCP connection.
    log = tmp_path / "access.log"
    command = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}",
               "--worker-class", "gthread", "--threads", "4", "--keep-alive", "30",
               "--access-logfile", str(log), "--access-logformat", "%({{remote_port}}e)s %(r)s",
               "calculator.app:create_app()"]
    with serving(tmp_path, command=command) as server, Budget(server.base, "fleet") as budget:
        budget.create("x", region="US")
        for _ in range(20):
            budget.reserve(1)
        budget.show()
    # Read once the server has stopped: a request is logged after its answer is sent.
    calls = [line.split()[0] for line in log.read_text().splitlines() if "/budgets/" in line]
    assert len(calls) == 22 and len(set(calls)) == 1
