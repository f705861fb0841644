"""``calculator budget`` against the real service over HTTP (its clock injected): a shell
script creates a budget, reserves (exit 3 with when to come back once it is spent, or waits
with --wait), records usage (exit 1 when it put a window over), and fetches the log that
``calculator assess`` reads to USD 0."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from calculator.cli import main
from tests.guard.conftest import START, Clock, clock, service  # noqa: F401 (fixtures)


@pytest.fixture
def budget(runner, service):  # noqa: F811
    url, _app = service

    def run(*args: str):
        return runner.invoke(main, ["budget", *args, "--url", url])

    created = run("create", "fleet", "--platform", "x", "--region", "US", "--margin", "95")
    assert created.exit_code == 0, created.output
    return run


def test_create_says_the_limit_and_where_it_comes_from(budget):
    shown = budget("show", "fleet")
    assert shown.exit_code == 0
    assert "limit: 950,000 posts per 24 hours (x.terms-of-service.liquidated-damages" in (
        shown.stdout)
    assert "used 0 of 950,000 posts per 24 hours, 950,000 left" in shown.stdout


def test_a_spent_budget_exits_3_saying_when_the_posts_fit(budget, clock: Clock):  # noqa: F811
    granted = budget("reserve", "fleet", "900000")
    assert granted.exit_code == 0
    assert granted.stdout.startswith("granted 900,000 posts at 2025-03-01T00:00:00Z; used "
                                     "900,000 of 950,000")
    clock.now = START + timedelta(hours=4)
    spent = budget("reserve", "fleet", "60000")
    assert spent.exit_code == 3
    assert "budget fleet is spent" in spent.stderr
    assert "50,000 posts are left now" in spent.stderr
    assert "retry in 72001 s" in spent.stderr  # 20 h, and the second the posts may lie in


def test_reserve_json_answers_the_service_document_and_its_problem(budget):
    granted = budget("reserve", "fleet", "10", "--json")
    assert json.loads(granted.stdout)["granted"] is True
    budget("reserve", "fleet", "949990")
    spent = budget("reserve", "fleet", "1", "--json")
    assert spent.exit_code == 3
    assert json.loads(spent.stdout)["type"] == "/problems/budget-spent"


def test_usage_over_the_limit_is_recorded_and_exits_1(budget):
    within = budget("usage", "fleet", "900000")
    assert within.exit_code == 0 and "busiest window holding them has 900,000" in (
        within.stdout)
    over = budget("usage", "fleet", "100000", "--at", "2025-03-01T00:00:00Z")
    assert over.exit_code == 1
    assert "over its limit by 50,000 posts" in over.stderr
    assert "damages are owed" not in over.stderr  # 1,000,000 is not more than the threshold


def test_the_log_is_a_crawl_log_that_assesses_to_nothing_owed(budget, runner, tmp_path,
                                                              clock: Clock):  # noqa: F811
    budget("reserve", "fleet", "900000")
    clock.now = START + timedelta(hours=30)
    budget("reserve", "fleet", "500000")
    target = tmp_path / "fleet.csv"
    assert budget("log", "fleet", "--output", str(target)).exit_code == 0
    assert target.read_text().splitlines() == [
        "timestamp,platform,posts", "2025-03-01T00:00:00Z,x,900000",
        "2025-03-02T06:00:00Z,x,500000"]
    assessed = runner.invoke(main, ["assess", str(target), "--platform", "x", "--region",
                                    "US", "--json"])
    assert assessed.exit_code == 0, assessed.output
    readings = json.loads(assessed.stdout)["readings"]
    assert readings and {r["amount"] for r in readings} == {"0.00"}


def test_problems_are_one_line_and_exit_2(budget, runner):
    missing = budget("show", "nobody")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("calculator: ") and len(missing.stderr.splitlines()) == 1
    bad_at = budget("usage", "fleet", "5", "--at", "yesterday")
    assert bad_at.exit_code == 2 and "--at" in bad_at.stderr
    unreachable = runner.invoke(main, ["budget", "show", "fleet", "--url",
                                       "http://127.0.0.1:9"])
    assert unreachable.exit_code == 2 and "unavailable" in unreachable.stderr


def test_reserve_wait_sleeps_until_the_posts_fit(budget, monkeypatch, clock: Clock):  # noqa: F811
    budget("reserve", "fleet", "950000")
    monkeypatch.setattr("calculator.guard.time.sleep", clock.sleep)
    waited = budget("reserve", "fleet", "5", "--wait")
    assert waited.exit_code == 0, waited.output
    assert clock.slept == [86_401]  # a day, and the second the first posts may lie in
    gave_up = budget("reserve", "fleet", "950000", "--wait", "--max-wait", "60")
    assert gave_up.exit_code == 3
