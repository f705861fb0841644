"""``calculator assess``: a crawl log's exposure under every reading, for people and pipelines."""

from __future__ import annotations

import re
import sys
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from calculator.cli import Session, answer_in_json, emit, json_flag, pass_session
from calculator.cli.library_logs import library_logs_in_one_line
from calculator.cli.progress import ended_by_terminate, reading_progress
from calculator.errors import excerpt
from calculator.ingest.columns import OPTION, OPTION_HELP
from calculator.timeutil import parse_instant
from calculator.web import present as say

EXIT_OVER_LIMIT = 3


def render_assessment(doc: dict[str, Any]) -> str:
    currency = doc["currency"]
    versions = ", ".join(v["version"] for v in doc["clause"]["versions"]
                         if v.get("during_log", True)) or "none in force during the log"
    source = doc["input"]
    left_out = ", ".join(f"{count} {reason.replace('_', ' ')}"
                         for reason, count in doc["excluded"].items() if count) or "nothing"
    country = f", country {doc['country']}" if doc.get("country") else ""
    lines = [
        f"{doc['platform']} ({doc['region']}{country}): {doc['clause']['id']} "
        f"(in force during the log: {versions})",
        *([doc["region_note"]] if doc.get("region_note") else []),
        f"input: {source['format']}, {source['rows']:,} rows, sha256 {source['sha256']}",
        f"counted ({doc['options']['count']}): {doc['counted']['posts']:,} posts in "
        f"{doc['counted']['accesses']:,} accesses; left out (rows): {left_out}",
    ]
    counts = doc["counts"]
    if counts.get("requests") is not None:
        distinct = counts.get("distinct_posts")
        lines.append(
            f"counts for {doc['platform']}: requested {counts['requested_posts']:,} posts in "
            f"{counts['requests']:,} requests; accessed {counts['accessed_posts']:,} posts in "
            f"{counts['responses']:,} responses; distinct "
            f"{'n/a' if distinct is None else f'{distinct:,}'} posts")
        if counts.get("log_responses") is not None:
            lines.append(f"the whole log: {counts['log_requests']:,} requests, "
                         f"{counts['log_responses']:,} answered with content")
    peak = doc["peak_24h"]
    if peak:
        lines.append(f"busiest {say.period_words(doc)} period: {peak['posts']:,} posts from "
                     f"{say.instant(peak['start'])} to {say.instant(peak['end'])}")
    headline = doc["headline"]
    phrases = [say.reading_phrase(doc, reading) for reading in doc["readings"]]
    width = max(map(len, phrases), default=0) + 2
    lines += [
        f"headline ({say.reading_phrase(doc, headline)}): "
        f"{say.money(headline['amount'], currency)}",
        f"range: {say.money(doc['range']['low'], currency)} to "
        f"{say.money(doc['range']['high'], currency)}",
        "",
        f"{'reading':<{width}}{'amount':>18}  windows owing",
    ]
    for reading, phrase in zip(doc["readings"], phrases, strict=True):
        owing = sum(1 for w in reading["windows"] if Decimal(w["amount"]) > 0)
        lines.append(f"{phrase:<{width}}{say.money(reading['amount'], currency):>18}  {owing}")
    if doc["warnings"]:
        lines += ["", "warnings:", *(f"  - {w}" for w in doc["warnings"])]
    lines += ["", "assumptions:", *(f"  - {a}" for a in doc["assumptions"]),
              f"ruleset {doc['ruleset_revision']}, engine {doc['engine_version']}"]
    return "\n".join(lines)


# An amount with an optional ISO 4217 code before or after it: 50000, 50000USD, EUR 50000.
# No thousands separators: "50,000" reads one way in the US and another in most of the EU.
_LIMIT = re.compile(r"^(?:(?P<before>[A-Za-z]{3}) ?)?(?P<amount>[0-9]+(?:\.[0-9]+)?)"
                    r"(?: ?(?P<after>[A-Za-z]{3}))?$")


def _limit(value: str | None) -> tuple[Decimal, str | None] | None:
    """--fail-above as (amount, currency code or None): a plain number is in the clause's
    own currency (decision 0063)."""
    if value is None:
        return None
    found = _LIMIT.match(value.strip())
    if found is None or (found["before"] and found["after"]):
        raise click.BadParameter(f"{excerpt(value)} is not an amount such as 15000.00, 15000.00USD "
                                 "or EUR 15000 (no thousands separators)",
                                 param_hint="--fail-above")
    try:
        amount = Decimal(found["amount"])
    except InvalidOperation:
        raise click.BadParameter(f"{excerpt(value)} is not an amount such as 15000.00",
                                 param_hint="--fail-above") from None
    code = found["before"] or found["after"]
    return amount, code.upper() if code else None


def _check_currency(limit: tuple[Decimal, str | None] | None, session: Session,
                    platform: str, region: str | None) -> None:
    """Refuse, before the log is read, a limit in another currency than the clause's:
    amounts are never converted (exchange rates are not facts the rules hold)."""
    if limit is None or limit[1] is None:
        return
    from calculator.damages.assessment import damages_clause, tariffs_of

    lookup = session.lookup
    part = lookup.region(region)
    tariffs, _ = tariffs_of(lookup, damages_clause(lookup, platform), part)
    currency = tariffs[0].currency
    if limit[1] != currency:
        raise click.BadParameter(
            f"{limit[1]} {limit[0]} is not in the clause's currency: {platform}'s clause "
            f"prices in {currency} ({part} part). Give the limit in {currency}, or choose "
            "the region whose terms you mean with --region", param_hint="--fail-above")


def column_options(command: Any) -> Any:
    """--time-column, --posts-column, --post-id-column, --url-column, --platform-column."""
    for fact in reversed(OPTION):
        command = click.option(f"--{OPTION[fact].replace('_', '-')}", OPTION[fact],
                               default=None, metavar="NAME", help=OPTION_HELP[fact])(command)
    return command


@click.command("assess")
@click.argument("logs", metavar="PATH|URL|-...", nargs=-1, required=True)
@click.option("--platform", default="x", show_default=True)
@click.option("--region", default=None,
              help="rest-of-world (default; USD), eu-efta-uk (EUR), or an ISO 3166-1 "
                   "country code (DE, US).")
@click.option("--tz", default="UTC", show_default=True, help="Zone of the calendar days.")
@click.option("--assume-tz", default="UTC", show_default=True,
              help="Zone of timestamps that carry no offset.")
@click.option("--format", "fmt", default=None,
              help="Force the log's format (csv, jsonl, json, parquet, arrow, orc, warc, "
                   "heritrix, har, scrapy-log, access-log, squid, scraper-jsonl, x-graphql, "
                   "twarc2); detected from the content otherwise.")
@click.option("--headline", default=None, metavar="WINDOW/RATE/BASIS",
              help="The reading to headline (default rolling_worst_case/pro_rata/all_posts).")
@click.option("--count", type=click.Choice(["requested", "accessed", "distinct"]),
              default="requested", show_default=True,
              help="What is priced: posts of every request, of answered requests, or "
                   "different post ids (all three are reported).")
@click.option("--collected-from", default=None, metavar="WHEN",
              help="Start of the collection window, for scraper outputs that record when "
                   "posts were created.")
@click.option("--collected-to", default=None, metavar="WHEN",
              help="End of the collection window.")
@click.option("--embedded-posts", is_flag=True,
              help="Count quoted and reposted posts carried inside other posts.")
@column_options
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
              show_default=True,
              help="Where the files are read: here, or on a Dask cluster's workers, each "
                   "file by one worker (the same answer).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:8786",
              help="The Dask scheduler of --engine dask (default: a local cluster of one "
                   "worker process per core). Its workers must reach the paths or URLs.")
@json_flag("Print the assessment document.")
@click.option("--fail-above", default=None, metavar="AMOUNT[CUR]",
              help="Exit 3 when the headline amount is above AMOUNT, e.g. 50000USD or "
                   "50000EUR (a currency other than the clause's is refused); a plain "
                   "number is in the clause's currency.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress bar (it shows only when standard error is a terminal).")
@pass_session
def assess_command(session: Session, logs: tuple[str, ...], platform: str,
                   region: str | None, tz: str, assume_tz: str, fmt: str | None,
                   headline: str | None, count: str,
                   collected_from: str | None, collected_to: str | None,
                   embedded_posts: bool, engine: str, scheduler: str | None,
                   as_json: bool, fail_above: str | None, quiet: bool,
                   **columns: str | None) -> None:
    """Assess the crawl log at PATH (or - for standard input) under every reading of the
    platform's damages clause. Several paths, a directory, a glob ('logs/*.parquet') or a
    URL (s3://, gs://, az://, https://) are read as one log. Exits 0, 2 for bad input or
    usage, 3 over --fail-above."""
    # Imported here, not at the top: pandas and the readers cost a second to import, and
    # the rest of the command line must not pay for them.
    from calculator.damages.assessment import assess
    from calculator.schemas.assessment import AssessmentSchema

    answer_in_json(as_json)
    library_logs_in_one_line()
    limit = _limit(fail_above)
    _check_currency(limit, session, platform, region)
    if scheduler is not None and engine != "dask":
        raise click.UsageError("--scheduler is the Dask scheduler of --engine dask; give both")
    if (collected_from is None) != (collected_to is None):
        raise click.UsageError("give both --collected-from and --collected-to, or neither")
    window = None if collected_from is None else (
        parse_instant(collected_from, name="--collected-from"),
        parse_instant(collected_to, name="--collected-to"))
    # One path is one log; several, a directory, a glob or a URL are read as one log.
    log: str | list[str] = logs[0] if len(logs) == 1 else list(logs)
    with ended_by_terminate(), reading_progress(log, quiet):
        result = assess(log, platform=platform, region=region, tz=tz, assume_tz=assume_tz,
                        format=fmt, headline=headline, rules=session.lookup, count=count,
                        collection_window=window, embedded_posts=embedded_posts,
                        engine=engine, scheduler=scheduler, **columns)
    emit(AssessmentSchema(), result, as_json, render_assessment)
    if limit is not None and result.headline.amount > limit[0]:
        click.echo(f"calculator: the headline {result.currency} {result.headline.amount} is "
                   f"above --fail-above {result.currency} {limit[0]}", err=True)
        sys.exit(EXIT_OVER_LIMIT)
