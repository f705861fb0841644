"""``calculator keys create NAME | claim NAME | list | revoke NAME``: the API keys of the service.

Once a key exists, every call to /v1/assessments (their curves and reports too) and
/v1/reviews needs ``Authorization: Bearer KEY`` and sees only the records made with that
key's name. Records made while no key existed belong to no key: ``keys create`` says how
many there are and offers to give them to the new key; ``keys claim`` does it later.
"""

from __future__ import annotations

import json
import sys

import click

from calculator.cli import json_flag
from calculator.cli.database import database_url_option, open_store
from calculator.errors import NotFound, shown_id
from calculator.timeutil import format_instant


def _records(counts: dict[str, int]) -> str:
    """``3 assessments and 1 review``."""
    parts = [f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in counts.items() if n]
    if not parts:
        return "no records"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@click.group("keys")
def keys() -> None:
    """Create, claim for, list and revoke API keys (only a key's sha256 is kept)."""


@keys.command("create")
@click.argument("name")
@click.option("--claim-unowned/--leave-unowned", default=None,
              help="Give this key's name the assessments and reviews made while no key "
                   "existed, or leave them to no key. Without either, a terminal is asked; "
                   "a script's call leaves them and says how to claim them later.")
@database_url_option
def create(name: str, claim_unowned: bool | None, database: str | None) -> None:
    """Create a key for NAME and print it, once: it cannot be shown again.

    The first key closes the service: from then on assessments, their curves and reports,
    and reviews need a key, and each key sees only its own records. Records made before
    belong to no key, so no key sees them until they are claimed (here, or with
    ``calculator keys claim NAME``)."""
    store = open_store(database)
    try:
        first = not store.keys.any()
        unowned = store.unowned()
        if unowned and claim_unowned is None and sys.stdin.isatty() and sys.stderr.isatty():
            claim_unowned = click.confirm(
                f"calculator: records made while no key existed ({_records(unowned)}) "
                "belong to no key, so no key will see them. Give them to "
                f"'{name}'?", default=True, err=True)
        _info, key = store.keys.create(name)
        claimed = store.claim_unowned(name) if claim_unowned and unowned else {}
    finally:
        store.dispose()
    click.echo(key)
    notes = [f"key '{name}' created; it is shown only now (only its sha256 is kept). Send it "
             "as Authorization: Bearer KEY."]
    if first:
        notes.append("this is the first key: from now on assessments (with their curves and "
                     "reports) and reviews need a key, and each key sees only its own.")
    if claimed:
        notes.append(f"records made without a key ({_records(claimed)}) now belong to '{name}'.")
    elif unowned:
        notes.append(f"records made without a key ({_records(unowned)}) belong to no key: no "
                     "key sees them (their ids answer 404). Give them to a key with: "
                     "calculator keys claim NAME")
    for note in notes:
        click.echo(f"calculator: {note}", err=True)


@keys.command("claim")
@click.argument("name")
@database_url_option
def claim(name: str, database: str | None) -> None:
    """Give NAME the assessments and reviews made while no key existed, so that NAME's key
    sees them (their ids and report links work again with that key)."""
    store = open_store(database, existing=True)
    try:
        if not any(k.name == name and k.active for k in store.keys.list()):
            raise NotFound(f"no active key named '{shown_id(name)}': create it first "
                           f"(calculator keys create {shown_id(name)})")
        claimed = store.claim_unowned(name)
    finally:
        store.dispose()
    if claimed:
        click.echo(f"calculator: records made without a key ({_records(claimed)}) now "
                   f"belong to '{name}'.", err=True)
    else:
        click.echo("calculator: there are no records without a key; nothing changed.",
                   err=True)


@keys.command("list")
@json_flag("Print JSON.")
@database_url_option
def list_keys(as_json: bool, database: str | None) -> None:
    """List the keys: name, state, when created and revoked, assessments of the name."""
    store = open_store(database, existing=True)
    try:
        found = store.keys.list()
    finally:
        store.dispose()
    rows = [{"name": k.name, "state": "active" if k.active else "revoked",
             "created_at": format_instant(k.created_at),
             "revoked_at": None if k.revoked_at is None else format_instant(k.revoked_at),
             "assessments": k.records} for k in found]
    if as_json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    if not rows:
        click.echo("no keys: the service is open (no key is needed)")
        return
    click.echo(f"{'name':<24}{'state':<9}{'created':<22}{'revoked':<22}assessments")
    for row in rows:
        click.echo(f"{row['name']:<24}{row['state']:<9}{_to_second(row['created_at']):<22}"
                   f"{_to_second(row['revoked_at']):<22}{row['assessments']}")


def _to_second(instant: str | None) -> str:
    """An instant to the second (a revoked one was cut to '2026-11-30T08:10:47.')."""
    return "-" if instant is None else instant[:19] + "Z"


@keys.command("revoke")
@click.argument("name")
@database_url_option
def revoke(name: str, database: str | None) -> None:
    """Revoke NAME's active key for good. Its assessments stay stored; a new key created
    with the same name sees them."""
    store = open_store(database, existing=True)
    try:
        info = store.keys.revoke(name)
    finally:
        store.dispose()
    click.echo(f"calculator: key '{name}' revoked at {format_instant(info.revoked_at)}",
               err=True)
