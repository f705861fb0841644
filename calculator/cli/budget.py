"""``calculator budget create|show|reserve|usage|log|delete``: a live budget of a service.

The commands call a calculator service (``--url``, env ``CALCULATOR_BUDGET_URL``; the key
in ``--key`` or ``CALCULATOR_BUDGET_KEY``, the names the Scrapy middleware reads), so a
shell script on any crawler host shares the fleet's budget. Exit codes: 0 done; 1 usage
recorded that put a window over the limit; 2 a problem (bad input, unknown budget, the
service unreachable), one line on stderr; 3 the budget is spent: the line says when the
posts fit, so a script can sleep and try again (or use ``reserve --wait``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from calculator.cli import EXIT_USAGE, Seconds, answer_in_json, json_option

if TYPE_CHECKING:
    from calculator.guard import Budget

EXIT_OVER = 1
EXIT_SPENT = 3
DEFAULT_URL = "http://127.0.0.1:8000"  # where `calculator serve` listens by default

url_option = click.option("--url", envvar="CALCULATOR_BUDGET_URL", default=DEFAULT_URL,
                          show_default=True, metavar="URL",
                          help="The calculator service (env CALCULATOR_BUDGET_URL).")
key_option = click.option("--key", envvar="CALCULATOR_BUDGET_KEY", default=None,
                          metavar="KEY", help="The API key (env CALCULATOR_BUDGET_KEY); "
                                              "needed once the service has keys.")


@click.group("budget")
def budget_group() -> None:
    """Live budgets: reserve posts before fetching them, so that no 24-hour window of the
    damages clause in force goes over its threshold."""


@contextmanager
def _client(url: str, name: str, key: str | None, as_json: bool) -> Iterator[Budget]:
    """The client, with the service's refusals turned into the command's exit codes."""
    # Imported when a command runs: `calculator --help` must not load httpx.
    from calculator.guard import Budget, BudgetError, BudgetSpent

    answer_in_json(as_json)
    budget = Budget(url, name, key)
    try:
        yield budget
    except BudgetSpent as spent:
        _problem(spent, as_json)
        click.echo(f"calculator: budget {name} is spent: {spent.problem.get('detail')}; "
                   f"retry in {spent.retry_after:.0f} s", err=True)
        sys.exit(EXIT_SPENT)
    except BudgetError as error:
        _problem(error, as_json)
        click.echo(f"calculator: {error}", err=True)
        sys.exit(EXIT_USAGE)
    finally:
        budget.close()


def _problem(error: Any, as_json: bool) -> None:
    if as_json:
        _print_json(error.problem)


def _print_json(document: dict[str, Any]) -> None:
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _standing(document: dict[str, Any]) -> str:
    """Used and left, for people."""
    limit = document.get("limit")
    if limit is None:
        return f"used {document['used']:,} posts in the last day; {document['note']}"
    line = (f"used {document['used']:,} of {limit['posts']:,} posts per "
            f"{_window(limit['window_seconds'])}, {document['left']:,} left")
    if document.get("refills_at"):
        line += f"; the oldest leave the window at {document['refills_at']}"
    return line


def _window(seconds: int) -> str:
    return f"{seconds // 3600} hours" if seconds % 3600 == 0 else f"{seconds:,} seconds"


def _describe(document: dict[str, Any]) -> str:
    limit = document.get("limit")
    part = document["region"] + (f" ({document['country']})" if document.get("country") else "")
    lines = [f"budget {document['name']}: {document['platform']}, {part}, margin "
             f"{document['margin_percent']} %"]
    if limit is not None:
        lines.append(f"limit: {limit['posts']:,} posts per {_window(limit['window_seconds'])}"
                     f" ({limit['clause']}, version {limit['version']}, threshold "
                     f"{limit['threshold']:,})")
    lines.append(_standing(document))
    return "\n".join(lines)


@budget_group.command("create")
@click.argument("name")
@click.option("--platform", required=True, help="The platform whose damages clause limits "
                                                "the budget (x).")
@click.option("--region", default=None, help="A regional part or an ISO country code (US, "
                                             "DE); the rules' default part when left out.")
@click.option("--margin", "margin_percent", type=click.IntRange(1, 100), default=100,
              show_default=True, help="The share of the threshold the budget may use, in %.")
@url_option
@key_option
@json_option
def create(name: str, platform: str, region: str | None, margin_percent: int, url: str,
           key: str | None, as_json: bool) -> None:
    """Create budget NAME for a platform and region."""
    with _client(url, name, key, as_json) as budget:
        document = budget.create(platform, region, margin_percent)
    _print_json(document) if as_json else click.echo(_describe(document))


@budget_group.command("show")
@click.argument("name")
@url_option
@key_option
@json_option
def show(name: str, url: str, key: str | None, as_json: bool) -> None:
    """The budget now: its limit, used and left (with --json, the trailing curve too)."""
    with _client(url, name, key, as_json) as budget:
        document = budget.show()
    if as_json:
        _print_json(document)
        return
    curve = document.get("curve") or {}
    text = _describe(document)
    if curve:
        text += f"\nbusiest in the last {_window(curve['window_seconds'])}: " \
                f"{curve['busiest']:,} posts"
    click.echo(text)


@budget_group.command("reserve")
@click.argument("name")
@click.argument("posts", type=click.IntRange(1), default=1)
@click.option("--wait", is_flag=True, help="When the budget is spent, sleep until the posts "
                                           "fit (as the service's Retry-After says).")
@click.option("--max-wait", type=Seconds(0, 7 * 86400), default=None, metavar="SECONDS",
              help="With --wait: give up (exit 3) rather than wait longer than this.")
@url_option
@key_option
@json_option
def reserve(name: str, posts: int, wait: bool, max_wait: float | None, url: str,
            key: str | None, as_json: bool) -> None:
    """Reserve POSTS posts (default 1) before fetching them; exit 3 when the budget is
    spent, saying when they fit."""
    if max_wait is not None and not wait:  # it was ignored without a word
        raise click.UsageError("--max-wait is the limit of --wait; give both")
    with _client(url, name, key, as_json) as budget:
        grant = budget.wait_and_reserve(posts, max_wait) if wait else budget.reserve(posts)
    if as_json:
        _print_json(grant.document)
    else:
        click.echo(f"granted {grant.posts:,} posts at {grant.document['at']}; "
                   + _standing(grant.document))


@budget_group.command("usage")
@click.argument("name")
@click.argument("posts", type=click.IntRange(1))
@click.option("--at", "at_text", default=None, metavar="INSTANT",
              help="When they were fetched (an ISO 8601 instant with an offset); now when "
                   "left out.")
@url_option
@key_option
@json_option
def usage(name: str, posts: int, at_text: str | None, url: str, key: str | None,
          as_json: bool) -> None:
    """Record POSTS posts fetched without a reservation. They are recorded even over the
    limit; then the command says by how much and exits 1."""
    at = _instant(at_text) if at_text is not None else None
    with _client(url, name, key, as_json) as budget:
        recorded = budget.record_usage(posts, at)
    if as_json:
        _print_json(recorded.document)
    else:
        facts = recorded.document["recorded"]
        click.echo(f"recorded {posts:,} posts at {facts['at']}; the busiest window holding "
                   f"them has {facts['busiest']:,} posts")
    if recorded.over_limit:
        owed = (f", {recorded.over_threshold_by:,} over the clause's threshold: damages are "
                "owed" if recorded.over_threshold_by else "")
        click.echo(f"calculator: budget {name} is over its limit by {recorded.over_by:,} "
                   f"posts{owed}", err=True)
        sys.exit(EXIT_OVER)


def _instant(text: str) -> datetime:
    from calculator.timeutil import parse_instant

    return parse_instant(text, name="--at")


@budget_group.command("log")
@click.argument("name")
@click.option("--output", "-o", type=click.File("wb"), default="-", show_default=True,
              help="Where to write the CSV.")
@url_option
@key_option
def log(name: str, output: Any, url: str, key: str | None) -> None:
    """The recorded usage as CSV (timestamp,platform,posts), a crawl log that
    ``calculator assess`` reads."""
    with _client(url, name, key, False) as budget:
        for chunk in budget.log_chunks():
            output.write(chunk)


@budget_group.command("delete")
@click.argument("name")
@url_option
@key_option
def delete(name: str, url: str, key: str | None) -> None:
    """Delete budget NAME and its recorded usage."""
    with _client(url, name, key, False) as budget:
        budget.delete()
    click.echo(f"deleted budget {name}", err=True)
