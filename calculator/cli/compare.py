"""``calculator compare``: every platform's scraping or AI-training terms side by side."""

from __future__ import annotations

from typing import Any

import click

from calculator.cli import Session, emit, json_option, pass_session
from calculator.timeutil import parse_instant

TOPICS = ("ai-training", "scraping")  # calculator.rules.compare.TOPICS, without importing it


def _citation(citation: dict[str, Any]) -> str:
    if citation["state"] == "not_recorded":
        first = citation.get("first_recorded")
        return (f"{citation['clause']}: not recorded"
                + (f" (recorded from {first})" if first else ""))
    source = citation.get("source") or {}
    where = f"{source.get('archive') or source.get('url') or '?'}"
    if source.get("path"):
        where += f" {source['path']} @ {source.get('commit') or '?'}"
    if citation["version"]:
        named = f"version {citation['version']}"
    else:
        named = f"document version {citation['document_version']} read"
    state = "in force" if citation["state"] == "in_force" else "read, absent"
    return f"{citation['clause']} {named} ({state}; {where})"


def render_comparison(doc: dict[str, Any]) -> str:
    titles = {c["id"]: c["title"] for c in doc["columns"]}
    lines = [f"{doc['clause']} at {doc['at']}, region {doc['region']}"]
    if doc.get("region_note"):
        lines.append(doc["region_note"])
    for row in doc["platforms"]:
        lines.append("")
        lines.append(f"{row['platform']['name']} ({row['platform']['id']})")
        notes = dict.fromkeys(n for cell in row["cells"] for c in cell["citations"]
                              for n in c["notes"])
        for cell in row["cells"]:
            lines.append(f"  {titles[cell['column']]}: {cell['text']}")
            seen = set()
            for citation in cell["citations"]:
                line = _citation(citation)
                if line not in seen:
                    seen.add(line)
                    lines.append(f"      {line}")
                    if cell["state"] == "in_force" and citation.get("quote") \
                            and citation["state"] == "in_force" and len(seen) == 1:
                        lines.append(f"      \"{citation['quote']}\"")
        lines.extend(f"  note: {note}" for note in notes)
    lines.append("")
    lines.append("in force: a recorded version holds the clause; read, absent: a recorded "
                 "version was read and does not hold it; not recorded: the rules cover neither.")
    lines.append(f"ruleset {doc['ruleset_revision']}")
    return "\n".join(lines)


@click.command("compare")
@click.option("--clause", "topic", required=True, type=click.Choice(TOPICS),
              help="scraping: prohibited, consent, damages, AI training; ai-training: "
                   "others' training, the platform's, opt-out.")
@click.option("--at", "when", required=True, metavar="WHEN",
              help="A date (its 00:00 UTC) or an ISO 8601 instant with an offset.")
@click.option("--region", default=None,
              help="A part (rest-of-world, the default, or eu-efta-uk) or a country code (DE).")
@json_option
@pass_session
def compare_command(session: Session, topic: str, when: str, region: str | None,
                    as_json: bool) -> None:
    """Every platform's terms on scraping or AI training at WHEN, side by side, cited."""
    from calculator.rules.compare import compare
    from calculator.schemas.compare import ComparisonSchema

    answer = compare(session.lookup, topic, parse_instant(when, name="--at"), region)
    emit(ComparisonSchema(), answer, as_json, render_comparison)
