"""``calculator review``: a usage profile's findings, for reviewers and workflow systems."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from calculator.cli import Session, answer_in_json, emit, json_flag, pass_session
from calculator.errors import InvalidArgument, InvalidInput
from calculator.web import present as say


def render_review(doc: dict[str, Any]) -> str:
    period = doc["period"]
    summary = doc["summary"]
    lines = [
        f"review of {doc['platform']} ({doc['region']}), {doc['channel']}, "
        f"{period['start']} until {period['end']} ({period['days']:,} days)"
        + (f", reference {doc['reference']}" if doc["reference"] else ""),
        f"findings: {summary['high']} high, {summary['warning']} warning, {summary['info']} info",
    ]
    damages = summary["projected_damages"]
    if damages:
        cur = damages["currency"]
        lines.append(f"projected damages: {say.money(damages['headline'], cur)} headline "
                     f"({say.reading_phrase({}, damages['reading'])}); range "
                     f"{say.money(damages['low'], cur)} to {say.money(damages['high'], cur)}")
    licensed = summary["licensed_cost"]
    if licensed:
        # No price known is not a cost of nothing: say so.
        known = ", ".join(say.money(v, c) for c, v in licensed["known_cost"].items()) or "unknown"
        state = ("every month priced" if licensed["complete"] else
                 f"months not priced: {', '.join(licensed['months_unpriced'])}")
        lines.append(f"licensed cost: {known} ({state})")
    lines.append("")
    for finding in doc["findings"]:
        lines.append(f"[{finding['severity']}] {finding['date']} {finding['code']}: "
                     f"{finding['title']}")
        for citation in finding["citations"]:
            lines.append(f"    cites {citation['clause'] or citation['document']} version "
                         f"{citation['version']}")
    if doc["not_in_rules"]:
        lines += ["", "not in the rules:",
                  *(f"  - {g['topic']}" + (f" ({g['document']})" if g["document"] else "")
                    for g in doc["not_in_rules"])]
    lines += ["", "assumptions:", *(f"  - {a}" for a in doc["assumptions"]),
              f"profile sha256 {doc['profile_sha256']}",
              f"ruleset {doc['ruleset_revision']}, engine {doc['engine_version']}"]
    return "\n".join(lines)


@click.command("review")
@click.argument("profile", metavar="PROFILE.json|-")
@json_flag("Print the review document.")
@click.option("--equivalent-log", "log_path", default=None, metavar="PATH",
              type=click.Path(dir_okay=False, writable=True),
              help="Also write the crawl log (CSV) whose assessment is the projection.")
@pass_session
def review_command(session: Session, profile: str, as_json: bool, log_path: str | None) -> None:
    """Review the usage profile in PROFILE.json (or - for standard input): terms in force and
    every change, scraping and projected damages, licensed cost, AI training, retention and
    forum, each finding with its citations. Exits 0, or 2 for a bad profile or usage (every
    problem of the profile is listed; with --json as problem details on stdout too)."""
    answer_in_json(as_json)
    # Imported when a review runs (the engine reads pandas-backed assessments).
    from calculator.review import review
    from calculator.review.profile import parse_profile_json
    from calculator.schemas.review import ReviewSchema

    if log_path is not None:
        _check_log_path(log_path, profile)
    if profile == "-":
        data = parse_profile_json(_bounded(sys.stdin.buffer, "standard input"), "standard input")
    else:
        try:
            with open(profile, "rb") as handle:
                text = _bounded(handle, profile)
        except OSError as exc:
            raise InvalidInput(f"cannot read the profile {profile}: {exc.strerror}") from None
        data = parse_profile_json(text, profile)
    result = review(data, rules=session.lookup)
    if log_path:
        try:
            Path(log_path).write_bytes(result.equivalent_log())
        except OSError as exc:
            raise InvalidInput(f"cannot write the equivalent log {log_path}: "
                               f"{exc.strerror}") from None
    emit(ReviewSchema(), result, as_json, render_review)


def _bounded(stream: Any, name: str) -> bytes:
    """The profile's bytes, refused past ``MAX_PROFILE_BYTES`` before more is read: reading
    ``/dev/zero`` or an endless pipe whole ended in a MemoryError traceback."""
    from calculator.review.profile import MAX_PROFILE_BYTES

    data = stream.read(MAX_PROFILE_BYTES + 1)
    if len(data) > MAX_PROFILE_BYTES:
        raise InvalidInput(f"{name} holds more than {MAX_PROFILE_BYTES // 1024 // 1024} MiB; "
                           "a usage profile is a few hundred bytes: give only the profile")
    return data


def _check_log_path(log_path: str, profile: str) -> None:
    """The equivalent log goes to a file of its own: ``-`` made a file named ``-`` (standard
    output carries the review), and the profile's own path was written over."""
    if log_path == "-":
        raise InvalidArgument("--equivalent-log: give a file path; standard output carries "
                              "the review itself")
    if profile != "-" and Path(log_path).exists() and Path(profile).exists() \
            and Path(log_path).resolve() == Path(profile).resolve():
        raise InvalidArgument("--equivalent-log: that is the profile's own file, which "
                              "writing the log would replace; give another path")
