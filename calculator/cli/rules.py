"""Rule commands: check a rules directory; look up platforms, documents, clauses, changes."""

from __future__ import annotations

from typing import Any

import click

from calculator.cli import Session, answer_in_json, emit, json_option, pass_session
from calculator.errors import RulesetError
from calculator.timeutil import parse_instant
from calculator.web import present as say

region_option = click.option(
    "--region", default=None,
    help="A part (rest-of-world, the default, or eu-efta-uk) or an ISO 3166-1 country code "
         "(DE, US, ...).")


@click.group("rules")
def rules_group() -> None:
    """Check rule files."""


@rules_group.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False, exists=True))
@pass_session
def check(session: Session, directory: str | None) -> None:
    """Validate every rule file in DIRECTORY (default: the rules in use).

    Prints the ruleset revision when all is well; otherwise each problem on its own
    line (file:line, field path, what was expected) and exits with 1.
    """
    from calculator.rules import load_ruleset

    try:
        ruleset = load_ruleset(directory or session.rules_dir)
    except RulesetError as error:
        click.echo(f"calculator: {error.detail}", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from None
    documents = len(ruleset.documents)
    versions = sum(len(c.versions) for c in ruleset.clauses.values())
    click.echo(f"ok: {len(ruleset.platforms)} platforms, {documents} documents, "
               f"{len(ruleset.clauses)} clauses, {versions} clause versions")
    click.echo(f"revision {ruleset.revision}")


def _schema(name: str, many: bool = False) -> Any:
    """A schema of rule documents, imported when a command prints one (marshmallow is slow to
    import, and ``--help`` must not wait for it)."""
    from calculator.schemas import rules as documents

    return getattr(documents, name)(many=many)


def _interval(span: dict[str, Any]) -> str:
    until = say.instant(span["until"]) or "now (still in force)"
    return f"from {say.instant(span['from'])} until {until}"


def _source(source: dict[str, Any]) -> str:
    parts = [source.get("url")]
    if source.get("archive"):
        parts.append(f"{source['archive']} {source.get('path') or ''} "
                     f"@ {(source.get('commit') or '?')[:12]}".strip())
    return "; ".join(p for p in parts if p)


def _parameters(parameters: dict[str, Any], indent: str = "  ") -> list[str]:
    return [f"{indent}{say.parameter_name(name)}: {say.parameter_value(value)}"
            for name, value in parameters.items()]


def render_clause(doc: dict[str, Any]) -> str:
    section = f", section {doc['section']}" if doc.get("section") else ""
    version = doc["document_version"]
    lines = [
        f"{doc['id']}: {doc['title']}{section}",
        f"in force: region {doc['region']}"
        + (f" (country {doc['country']})" if doc.get("country") else "")
        + f", at {say.instant(doc['at'])}",
        *([doc["region_note"]] if doc.get("region_note") else []),
        f"clause version {doc['version']}: in force {_interval(doc['in_force'])}",
        f"document version {version['version']} ({version['dating']} date): in force "
        f"{_interval(version['in_force'])}",
        f"  \"{doc['quote']}\"",
        *(f"  \"{passage}\"" for passage in doc["context"]),
    ]
    if doc["parameters"]:
        lines += ["parameters:", *_parameters(doc["parameters"])]
    if doc.get("note"):
        lines.append(f"note: {doc['note']}")
    knowledge = doc.get("knowledge") or {}
    lines += list(knowledge.get("notes") or [])
    lines += [f"source: {_source(doc['source'])}", f"ruleset {doc['ruleset_revision']}"]
    return "\n".join(lines)


def render_history(doc: dict[str, Any]) -> str:
    lines = [f"{doc['id']}: {doc['title']}"]
    for entry in doc["versions"]:
        status = "" if entry["status"] == "present" else " (absent: no such clause)"
        lines.append(f"  {entry['region']:<14} {entry['version']}{status} "
                     f"{_interval(entry['in_force'])}")
    lines.append(f"ruleset {doc['ruleset_revision']}")
    return "\n".join(lines)


def render_changes(doc: dict[str, Any]) -> str:
    def named(version: dict[str, Any] | None) -> str:
        return version["version"] if version else "none in force"

    lines = [f"{doc['document']} ({doc['region']}) from {say.instant(doc['from'])} "
             f"to {say.instant(doc['to'])}",
             f"document version {named(doc['from_version'])} -> {named(doc['to_version'])}"]
    for version in doc["versions_between"]:
        lines.append(f"  new version {version['version']}: {version.get('summary') or ''}")
    if not doc["clauses"]:
        lines.append("no clause changed")
    for change in doc["clauses"]:
        lines.append(f"{change['change'].replace('-', ' ')}: {change['id']} "
                     f"({change['old_version'] or '-'} -> {change['new_version'] or '-'})")
        for parameter in change["parameters"]:
            lines.append(f"    {say.parameter_name(parameter['name'])}: "
                         f"{say.parameter_value(parameter['old'])} -> "
                         f"{say.parameter_value(parameter['new'])}")
        for word in change["words"]:
            after = f" after \"{word['context']}\"" if word["context"] else ""
            if word["op"] == "insert":
                lines.append(f"    + \"{word['new']}\"{after}")
            elif word["op"] == "delete":
                lines.append(f"    - \"{word['old']}\"{after}")
            else:
                lines.append(f"    \"{word['old']}\" -> \"{word['new']}\"")
    lines.append(f"ruleset {doc['ruleset_revision']}")
    return "\n".join(lines)


def render_document(doc: dict[str, Any]) -> str:
    lines = [f"{doc['id']}: {doc['title']} ({doc.get('url') or 'no URL recorded'})"]
    for version in doc["versions"]:
        spans = ", ".join(f"{s['region']} {_interval(s['in_force'])}" for s in version["in_force"])
        lines.append(f"  {version['version']} ({version['dating']}): {spans}")
        if version.get("summary"):
            lines.append(f"      {version['summary']}")
        for part, text in (version.get("summaries") or {}).items():
            lines.append(f"      {part}: {text}")
    lines.append("clauses: " + ", ".join(c["id"] for c in doc["clauses"]))
    for unknown in doc["unknowns"]:
        lines.append(f"unknown: {unknown['topic']}: {unknown['note']}")
    return "\n".join(lines)


@click.command("platforms")
@json_option
@pass_session
def platforms(session: Session, as_json: bool) -> None:
    """List the platforms and their documents."""
    emit(_schema("PlatformSchema", many=True), list(session.lookup.ruleset.platforms.values()),
         as_json,
         lambda docs: "\n".join(f"{p['id']}: {p['name']} ({', '.join(p['documents'])})"
                                for p in docs))


@click.command("documents")
@click.argument("platform")
@json_option
@pass_session
def documents(session: Session, platform: str, as_json: bool) -> None:
    """List the documents of PLATFORM."""
    lookup = session.lookup
    found = [lookup.document(d) for d in lookup.platform(platform).documents]
    emit(_schema("DocumentSummarySchema", many=True), found, as_json,
         lambda docs: "\n".join(f"{d['id']}: {d['title']} ({d['first_version']} .. "
                                f"{d['latest_version']})" for d in docs))


@click.command("document")
@click.argument("document_id")
@json_option
@pass_session
def document(session: Session, document_id: str, as_json: bool) -> None:
    """Show DOCUMENT_ID (e.g. x.terms-of-service) with all its versions."""
    emit(_schema("DocumentSchema"), session.lookup.document_history(document_id), as_json,
         render_document)


@click.command("clause")
@click.argument("clause_id")
@click.option("--at", "when", required=True, metavar="WHEN",
              help="A date (its 00:00 UTC) or an ISO 8601 instant with an offset.")
@region_option
@json_option
@pass_session
def clause(session: Session, clause_id: str, when: str, region: str | None,
           as_json: bool) -> None:
    """The version of CLAUSE_ID in force at WHEN.

    Exits 2 when none is: saying "not in force" where a recorded version was read and holds
    no such clause, and "not recorded" where the rules do not cover it then."""
    answer_in_json(as_json)
    answer = session.lookup.clause_in_force(clause_id, parse_instant(when, name="--at"), region)
    emit(_schema("ClauseInForceSchema"), answer, as_json, render_clause)


@click.command("history")
@click.argument("clause_id")
@click.option("--region", default=None, help="One region; all of them when left out.")
@json_option
@pass_session
def history(session: Session, clause_id: str, region: str | None, as_json: bool) -> None:
    """Every version of CLAUSE_ID with its in-force interval."""
    emit(_schema("ClauseHistorySchema"), session.lookup.clause_history(clause_id, region),
         as_json, render_history)


@click.command("changes")
@click.argument("document_id")
@click.option("--from", "start", required=True, metavar="WHEN")
@click.option("--to", "end", required=True, metavar="WHEN")
@region_option
@json_option
@pass_session
def changes(session: Session, document_id: str, start: str, end: str, region: str | None,
            as_json: bool) -> None:
    """What changed in DOCUMENT_ID between two instants, clause by clause."""
    answer = session.lookup.changes(document_id, parse_instant(start, name="--from"),
                                    parse_instant(end, name="--to"), region)
    emit(_schema("DocumentChangesSchema"), answer, as_json, render_changes)



