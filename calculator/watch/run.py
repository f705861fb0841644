"""The watch: for every tracked document, record the archive's captures newer than the
document's ``checked_through`` as observations, and tell the subscribers.

A document is tracked when it has ``checked_through`` and its latest version's source names
an archive and a path in it. Its captures on or before ``checked_through`` (UTC days) were
checked; the last of them is what each new capture is compared with. A capture already
observed (by this host or another: the database's unique index decides) is skipped, so
running the watch twice, or on several hosts at once, records each capture once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from calculator.archive import ArchiveRepository, NormalizedText
from calculator.errors import InvalidArgument
from calculator.rules.model import Document, Ruleset
from calculator.timeutil import start_of_day
from calculator.watch.impact import TextSearch, assess_impact
from calculator.watch.observations import Observations
from calculator.watch.textdiff import diff_paragraphs
from calculator.webhooks.events import Event, raise_event


@dataclass(frozen=True)
class Tracked:
    document: Document
    archive: str
    path: str


@dataclass
class WatchReport:
    recorded: list[dict[str, Any]] = field(default_factory=list)
    already_observed: int = 0
    watched: list[str] = field(default_factory=list)
    not_watched: list[tuple[str, str]] = field(default_factory=list)  # (document, why)
    encoded: int = 0


def _search() -> TextSearch:
    cache: dict[int, tuple[str, NormalizedText]] = {}

    def normalized(text: str) -> NormalizedText:
        held = cache.get(id(text))
        if held is None or held[0] is not text:
            held = (text, NormalizedText(text))
            cache[id(text)] = held
        return held[1]

    def closest(text: str, words: str) -> str | None:
        passage = normalized(text).closest(words)
        return None if passage is None else passage.text

    return TextSearch(contains=lambda text, words: normalized(text).contains(words),
                      closest=closest)


def tracked_documents(ruleset: Ruleset, archives: Mapping[str, Any]
                      ) -> tuple[list[Tracked], list[tuple[str, str]]]:
    """The documents the given archives let the watch follow, and why the others are not."""
    tracked, skipped = [], []
    for document in sorted(ruleset.documents.values(), key=lambda d: d.id):
        sourced = [v for v in document.versions if v.source.archive and v.source.path]
        if not sourced:
            skipped.append((document.id, "no version names an archive capture"))
            continue
        latest = max(sourced, key=lambda v: v.date).source
        if document.checked_through is None:
            skipped.append((document.id, "no checked_through in its rule file"))
        elif latest.archive not in archives:
            skipped.append((document.id, f"its archive {latest.archive} was not given"))
        else:
            tracked.append(Tracked(document, latest.archive, latest.path or ""))
    return tracked, skipped


def watch(ruleset: Ruleset, archives: Mapping[str, ArchiveRepository], engine: Engine
          ) -> WatchReport:
    """One pass of the watch over ``archives`` (by name); see the module's text."""
    observations = Observations(engine)
    report = WatchReport()
    tracked, report.not_watched = tracked_documents(ruleset, archives)
    search = _search()
    for item in tracked:
        document, repo = item.document, archives[item.archive]
        assert document.checked_through is not None
        captures = repo.captures(item.path)
        if not captures:
            # The rules cite captures of it there: none at all is another repository (or a
            # folder inside one), which was reported as "0 new observations".
            report.not_watched.append((document.id, f"the archive {item.archive} holds no "
                                       f"capture of {item.path}: is it that archive?"))
            continue
        report.watched.append(document.id)
        limit = start_of_day(document.checked_through + timedelta(days=1))
        checked = [c for c in captures if c.when < limit]
        base = checked[-1] if checked else None
        base_text = repo.text(base.commit, item.path) if base else None
        for capture in (c for c in captures if c.when >= limit):
            if observations.known(document.id, capture.commit):
                report.already_observed += 1
                continue
            text = repo.text(capture.commit, item.path) or ""
            observed = observations.record(
                archive=item.archive, commit=capture.commit, path=item.path,
                platform=document.platform, document=document.id, captured_at=capture.when,
                kind="technical_upgrade" if capture.technical else "terms_change",
                message=capture.message, checked_commit=base.commit if base else None,
                diff=diff_paragraphs(base_text or "", text),
                impact=assess_impact(document, base_text, text, capture.when, search))
            if observed is None:
                report.already_observed += 1  # another host recorded it just now
                continue
            report.recorded.append(observed)
            raise_event(engine, Event(
                type="terms.observed", key=f"terms.observed:{observed['id']}",
                data={"observation": observed,
                      "href": f"/v1/observations/{observed['id']}"},
                platforms=frozenset([document.platform]), documents=frozenset([document.id]),
                clauses=frozenset(observed["clauses"])))
    if tracked and not report.watched:
        raise InvalidArgument("archive: none of the documents the rules track has a capture "
                              "in the archives given, so nothing was watched; name the Open "
                              "Terms Archive repositories the rules cite "
                              f"({', '.join(sorted(archives))})")
    report.encoded = observations.mark_encoded(
        {t.document.id: t.document.checked_through for t in tracked
         if t.document.checked_through is not None})
    return report


def archive_locations(values: list[str], ruleset: Ruleset) -> dict[str, str]:
    """``--archive`` values by archive name: ``NAME=LOCATION``, or a bare path or URL whose
    last part (without ``.bundle``/``.git``) names one of the rules' archives, as
    ``pga-versions.bundle`` names ``OpenTermsArchive/pga-versions`` and
    ``xdevplatform-docs.bundle`` names ``xdevplatform/docs``."""
    known = sorted({v.source.archive for d in ruleset.documents.values() for v in d.versions
                    if v.source.archive})
    chosen: dict[str, str] = {}
    for value in values:
        name, sep, location = value.partition("=")
        if sep and name in known:
            chosen[name] = location
            continue
        stem = re.sub(r"\.(bundle|git)$", "", os.path.basename(value.rstrip("/")))
        matches = [k for k in known if stem in (k.rsplit("/", 1)[-1], k.replace("/", "-"))]
        if len(matches) != 1:
            raise InvalidArgument(
                f"--archive: cannot tell which archive {Path(value).name!r} is; give "
                f"NAME=PATH with NAME one of {', '.join(known)}")
        chosen[matches[0]] = value
    return chosen


_EVERY = re.compile(r"^(\d+)\s*(s|m|h|d)$")


def parse_every(text: str) -> timedelta:
    """``30m``, ``1h``, ``1d``: how long the watch waits between passes (at least a minute)."""
    match = _EVERY.match(text.strip().lower())
    if not match:
        raise InvalidArgument("--every: expected a number and s, m, h or d, such as 1h")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    every = timedelta(**{unit: int(match.group(1))})
    if every < timedelta(minutes=1):
        raise InvalidArgument("--every: at least 1m between passes")
    return every
