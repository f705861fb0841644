"""``calculator archive check``: prove the rules' quotes and dates against terms archives."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

import click

from calculator.cli import Session, json_flag, pass_session


@click.group("archive")
def archive_group() -> None:
    """Check the rules against terms archives kept in git."""


@archive_group.command("check")
@click.option("--archive", "archives", multiple=True, metavar="NAME=PATH|GIT-URL",
              help="An archive as rule files name it (e.g. OpenTermsArchive/pga-versions) and "
                   "where it is: a clone, a git bundle or a git URL. Repeat for several.")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False), default=None,
              help="Where bundles and URLs are cloned (default: CALCULATOR_ARCHIVE_CACHE or "
                   "the user's cache folder).")
@json_flag("Print the report as JSON.")
@pass_session
def check(session: Session, archives: tuple[str, ...], cache_dir: str | None,
          as_json: bool) -> None:
    """Check every archived quote, context and date of the rules.

    For each document version whose source names an archive commit and path, the text at
    that commit must hold every quote and context in force then (after the documented
    normalization), print its effective date, and bear out observed, published and
    last_absent. Sources no given archive holds are listed as not checkable here.
    Exit 0 when all pass, 1 on any failure, 2 on bad usage.
    """
    from pathlib import Path

    from calculator.archive import (
        check_archives,
        describe,
        open_archives,
        parse_archive_option,
    )
    from calculator.errors import InvalidArgument

    if not archives:
        raise InvalidArgument("--archive: name at least one archive, e.g. --archive "
                              "OpenTermsArchive/pga-versions=pga-versions.bundle")
    specs: dict[str, str] = {}
    for value in archives:
        name, location = parse_archive_option(value)
        if name in specs:
            raise InvalidArgument(f"--archive: {name} is given twice")
        specs[name] = location
    # Imported when the check runs: --help must not load and check the rules.
    from calculator.rules import load_ruleset

    ruleset = load_ruleset(session.rules_dir)
    opened = open_archives(specs, Path(cache_dir) if cache_dir else None)
    try:
        report = check_archives(ruleset, opened)
    finally:
        for repo in opened.values():
            repo.close()
    if as_json:
        document: dict[str, Any] = {
            "ok": report.ok, "archives": list(report.archives),
            "ruleset_revision": ruleset.revision,
            "versions_checked": report.versions_checked,
            "quotes_checked": report.quotes_checked, "dates_checked": report.dates_checked,
            "failures": [asdict(f) for f in report.failures],
            "not_checkable": [asdict(n) for n in report.not_checkable],
        }
        json.dump(document, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for line in describe(report):
            click.echo(line)
    if not report.ok:
        raise SystemExit(1)
