"""``calculator keys create NAME | list | revoke NAME``: the API keys of the service.

Once a key exists, every /v1/assessments call needs ``Authorization: Bearer KEY``
and sees only the assessments made with that key's name.
"""

from __future__ import annotations

import json
import sys

import click

from calculator.cli.database import database_url_option, open_store
from calculator.timeutil import format_instant


@click.group("keys")
def keys() -> None:
    """Create, list and revoke API keys (only a key's sha256 is kept)."""


@keys.command("create")
@click.argument("name")
@click.option("--claim-unowned", is_flag=True,
              help="Give this key's name the assessments made while no key existed.")
@database_url_option
def create(name: str, claim_unowned: bool, database: str | None) -> None:
    """Create a key for NAME and print it, once: it cannot be shown again."""
    store = open_store(database)
    try:
        first = not store.keys.any()
        _info, key = store.keys.create(name)
        claimed = store.claim_unowned(name) if claim_unowned else 0
    finally:
        store.dispose()
    click.echo(key)
    notes = [f"calculator: key '{name}' created; it is shown only now (only its sha256 is "
             "kept). Send it as Authorization: Bearer KEY."]
    if first:
        notes.append("calculator: this is the first key: from now on every /v1/assessments "
                     "call needs a key.")
    if claim_unowned:
        notes.append(f"calculator: {claimed} assessment(s) made without a key now belong to "
                     f"'{name}'.")
    for note in notes:
        click.echo(note, err=True)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@database_url_option
def list_keys(as_json: bool, database: str | None) -> None:
    """List the keys: name, state, when created and revoked, assessments of the name."""
    store = open_store(database)
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
        click.echo(f"{row['name']:<24}{row['state']:<9}{row['created_at'][:19] + 'Z':<22}"
                   f"{(row['revoked_at'] or '-')[:20]:<22}{row['assessments']}")


@keys.command("revoke")
@click.argument("name")
@database_url_option
def revoke(name: str, database: str | None) -> None:
    """Revoke NAME's active key for good. Its assessments stay stored; a new key created
    with the same name sees them."""
    store = open_store(database)
    try:
        info = store.keys.revoke(name)
    finally:
        store.dispose()
    click.echo(f"calculator: key '{name}' revoked at {format_instant(info.revoked_at)}",
               err=True)
