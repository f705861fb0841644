"""``calculator watch`` and ``calculator observations list|show|ack``."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from calculator.cli import Session, json_flag, pass_session
from calculator.cli.database import database_url_option, open_store
from calculator.errors import CalculatorError

ARCHIVE_HELP = ("A terms archive: a clone, a git bundle or a git URL, as PATH or NAME=PATH "
                "(NAME as the rules' sources name it, e.g. OpenTermsArchive/pga-versions). "
                "Bundles and URLs are cloned into the instance folder once and fetched on "
                "every pass. Repeat for several archives.")


def _archive_cache() -> Path:
    from calculator.app import default_instance_path

    return Path(default_instance_path()) / "archives"


def _print_report(report: Any) -> None:
    for observation in report.recorded:
        clauses = ", ".join(observation["clauses"]) or "no encoded clause affected"
        click.echo(f"observed {observation['document']} {observation['commit']} "
                   f"{observation['captured_at']} {observation['kind']}: {clauses}")
        for change in observation["impact"]["parameters"]:
            click.echo(f"  {change['clause']} {change['parameter']}: encoded "
                       f"{change['encoded']}, the capture says "
                       f"{', '.join(map(str, change['found'])) or 'no number there'}")
    click.echo(f"calculator: {len(report.recorded)} new observation(s), "
               f"{report.already_observed} capture(s) already observed, "
               f"{len(report.watched)} document(s) watched, {report.encoded} observation(s) "
               f"now encoded", err=True)
    for document, why in report.not_watched:
        click.echo(f"calculator: not watched: {document}: {why}", err=True)


@click.command("watch")
@click.option("--archive", "archives", multiple=True, required=True, metavar="PATH|GIT-URL",
              help=ARCHIVE_HELP)
@click.option("--every", default=None, metavar="DURATION",
              help="Run again after this long (30m, 1h, 1d), until stopped; once without.")
@json_flag("Print the new observations as JSON.")
@database_url_option
@pass_session
def watch_command(session: Session, archives: tuple[str, ...], every: str | None,
                  as_json: bool, database: str | None) -> None:
    """Record the archive's captures newer than each document's checked_through as
    observations, and queue terms.observed webhooks."""
    # Imported when the command runs: --help and rule lookups must not load SQLAlchemy.
    from sqlalchemy.exc import SQLAlchemyError

    from calculator.archive import open_archives
    from calculator.watch.run import archive_locations, parse_every, watch

    interval = parse_every(every) if every else None
    ruleset = session.lookup.ruleset
    locations = archive_locations(list(archives), ruleset)
    store = open_store(database)
    try:
        passes = 0
        while True:
            passes += 1
            try:
                opened = open_archives(locations, cache_dir=_archive_cache())
                try:
                    report = watch(ruleset, opened, store.engine)
                finally:
                    for repo in opened.values():
                        repo.close()
            except (CalculatorError, SQLAlchemyError) as error:
                if interval is None or passes == 1:
                    raise
                # A scheduled pass that fails (the archive's host unreachable, the database
                # restarting) is reported; the next pass tries again.
                click.echo(f"calculator: this pass failed: {error}; next pass in {every}",
                           err=True)
                time.sleep(interval.total_seconds())
                continue
            if as_json:
                json.dump(report.recorded, sys.stdout, indent=2, ensure_ascii=False)
                sys.stdout.write("\n")
            else:
                _print_report(report)
            if interval is None:
                return
            click.echo(f"calculator: next pass at "
                       f"{(datetime.now(UTC) + interval).isoformat(timespec='seconds')}",
                       err=True)
            time.sleep(interval.total_seconds())
    finally:
        store.dispose()


@click.group("observations")
def observations() -> None:
    """The watch's observations: list, show with the diff, acknowledge."""


@observations.command("list")
@click.option("--platform", default=None)
@click.option("--document", default=None)
@click.option("--state", type=click.Choice(["new", "acknowledged", "encoded"]), default=None)
@click.option("--since", default=None, metavar="DATE|INSTANT")
@json_flag("Print the answer as JSON.")
@database_url_option
def list_observations(platform: str | None, document: str | None, state: str | None,
                      since: str | None, as_json: bool, database: str | None) -> None:
    """List observations, newest capture first."""
    from calculator.timeutil import parse_instant
    from calculator.watch.observations import Observations

    store = open_store(database, existing=True)
    try:
        found = Observations(store.engine).list(
            platform=platform, document=document, state=state,
            since=parse_instant(since, name="since") if since else None, page_size=1000)
    finally:
        store.dispose()
    if as_json:
        json.dump(found.items, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    if not found.items:
        click.echo("no observations")
        return
    for o in found.items:
        click.echo(f"{o['id']}  {o['captured_at'][:10]}  {o['state']:<12} {o['kind']:<17} "
                   f"{o['document']}  {', '.join(o['clauses']) or '-'}")


@observations.command("show")
@click.argument("observation_id")
@json_flag("Print the answer as JSON.")
@database_url_option
def show(observation_id: str, as_json: bool, database: str | None) -> None:
    """One observation: its impact on the rules and the diff (- removed, + added words)."""
    from calculator.watch.observations import Observations

    store = open_store(database, existing=True)
    try:
        o = Observations(store.engine).get(observation_id)
    finally:
        store.dispose()
    if as_json:
        json.dump(o, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    click.echo(f"{o['document']} capture {o['commit']} of {o['captured_at']} ({o['kind']}, "
               f"{o['state']}); compared with {o['checked_commit'] or 'nothing checked'}")
    click.echo(f"archive message: {o['message']}")
    for m in o["impact"]["missing_quotes"]:
        click.echo(f"words gone: {m['clause']} version {m['version']} ({m['role']}): "
                   f"{m['expected']}")
        if m["closest"]:
            click.echo(f"  closest now: {m['closest']}")
    for p in o["impact"]["parameters"]:
        click.echo(f"parameter: {p['clause']} {p['parameter']} encoded {p['encoded']}; the "
                   f"capture says {', '.join(map(str, p['found'])) or 'no number there'}")
    for d in o["impact"]["effective_dates"]:
        known = "a recorded version" if d["recorded_version"] else "no recorded version"
        click.echo(f"printed date: {d['date']} ({known})")
    for entry in o["diff"]["paragraphs"]:
        if entry["op"] == "changed":
            words = " ".join({"same": "{}", "removed": "[-{}-]", "added": "{{+{}+}}"}[r["op"]]
                             .format(r["text"]) for r in entry["words"])
            click.echo(f"~ paragraph {entry['new_index']}: {words}")
        elif entry["op"] == "added":
            click.echo(f"+ paragraph {entry['new_index']}: {entry['new']}")
        else:
            click.echo(f"- paragraph {entry['old_index']}: {entry['old']}")


@observations.command("ack")
@click.argument("observation_id")
@click.option("--by", default=None, help="Who acknowledges (a key name or a person).")
@database_url_option
def ack(observation_id: str, by: str | None, database: str | None) -> None:
    """Acknowledge an observation (a person has seen it)."""
    from calculator.watch.observations import Observations

    store = open_store(database, existing=True)
    try:
        o = Observations(store.engine).acknowledge(observation_id, by=by)
    finally:
        store.dispose()
    click.echo(f"calculator: observation {o['id']} is {o['state']}", err=True)
