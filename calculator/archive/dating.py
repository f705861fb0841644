"""The archive check over time: the captures of a file must bear out a version's dates (the
printed effective date, ``observed``, ``published``, ``last_absent``) and keep its words until
the next recorded version (docs/decisions/0070-archive-check.md)."""

from __future__ import annotations

import re
from datetime import date

from calculator.archive.report import Failure
from calculator.archive.repository import Capture
from calculator.archive.sources import SourceReader, closest_passage
from calculator.archive.text import NormalizedText, normalize
from calculator.rules.model import ClauseVersion, Document, DocumentVersion

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def printed_date_forms(day: date) -> list[str]:
    """The ways a page prints a date: "November 15, 2024", "15 November 2024", ISO, ..."""
    month = _MONTHS[day.month - 1]
    return [f"{month} {day.day}, {day.year}", f"{month} {day.day:02d}, {day.year}",
            f"{day.day} {month} {day.year}", f"{day.day:02d} {month} {day.year}",
            f"{month[:3]} {day.day}, {day.year}", f"{month[:3]}. {day.day}, {day.year}",
            day.isoformat(), f"{day.month}/{day.day}/{day.year}",
            f"{day.month:02d}/{day.day:02d}/{day.year}",
            f"{day.day:02d}.{day.month:02d}.{day.year}"]


def _prints_date(text: NormalizedText, day: date) -> bool:
    forms = printed_date_forms(day)
    return any(re.search(r"(?<![\w/.-])" + re.escape(f) + r"(?![\w/-]|\.\d)", text.text)
               for f in forms)


def _words(cv: ClauseVersion | None) -> set[str]:
    if cv is None or not cv.present:
        return set()
    return {w for w in (cv.quote, *cv.context) if w}


def changed_words(document: Document, version: DocumentVersion) -> tuple[list[str], list[str]]:
    """The words that date a version: those its clause versions add (in the text from it on)
    and those they drop (gone from it on), compared with the versions before."""
    added: set[str] = set()
    removed: set[str] = set()
    for clause in document.clauses:
        for region in version.regions:
            timeline = clause.timeline(region)
            for index, cv in enumerate(timeline):
                if cv.date != version.date:
                    continue
                before = timeline[index - 1] if index > 0 else None
                if before is not None and before.source.path not in (
                        None, version.source.path):
                    before = None  # words of another file say nothing of this one
                if cv.source.path not in (None, version.source.path):
                    continue
                added |= _words(cv) - _words(before)
                removed |= _words(before) - _words(cv)
    return sorted(added), sorted(removed)


def check_dates(reader: SourceReader, document: Document, version: DocumentVersion,
                text: NormalizedText) -> None:
    """The version's printed date is in its cited ``text``; its ``observed``, ``published`` and
    ``last_absent`` are the dates of the captures that first show, or last lack, what dates it
    (its changed words, else its printed date)."""
    report = reader.report
    source = version.source
    printed = version.printed_date or (version.date if version.dating == "printed" else None)
    if printed is not None:
        report.dates_checked += 1
        if not _prints_date(text, printed):
            reader.fail(document, version, None, "printed-date", printed_date_forms(printed)[0],
                        f"the text at {source.commit} does not print the date {printed}",
                        source, text)
    added, removed = changed_words(document, version)
    if added or removed:
        marker: tuple[list[str], list[str]] | None = (added, removed)
    elif printed is not None:
        marker = None
    else:
        return  # nothing in the text dates this version
    repo = reader.archives[source.archive or ""]
    paths = (source.path or "", *source.also_at)
    captures = sorted(((c, p) for p in paths for c in repo.captures(p)),
                      key=lambda pair: pair[0].when)
    cited = repo.capture(source.commit or "")
    if cited is None or not captures:
        return

    def holds(pair: tuple[Capture, str]) -> bool:
        seen = reader.capture_text(repo, pair[0], pair[1])
        if marker is None:
            return printed is not None and _prints_date(seen, printed)
        return all(seen.contains(w) for w in marker[0]) \
            and not any(seen.contains(w) for w in marker[1])

    upto = [pair for pair in captures if pair[0].when <= cited.when]
    if not upto or not holds(upto[-1]):
        return  # the cited capture lacks the words: already reported as a quote failure
    index = len(upto) - 1
    while index > 0 and holds(upto[index - 1]):
        index -= 1
    first = upto[index][0]
    absent = upto[index - 1][0] if index > 0 else None
    label = ("the version's changed words" if marker is not None
             else f"the date {printed}")

    def expect(check: str, stated: date | None, actual: date | None, what: str) -> None:
        if stated is None:
            return
        report.dates_checked += 1
        if stated != actual:
            found = actual.isoformat() if actual else "none (no earlier capture)"
            reader.fail(document, version, None, check, stated.isoformat(),
                        f"{check.replace('-', '_')} is {stated}, but {what} is {found}",
                        source)

    first_desc = f"the first capture of {' or '.join(paths)} with {label} ({first.commit})"
    last_desc = (f"the last capture without them ({absent.commit})" if absent else
                 "the last capture without them")
    if version.dating == "observed":
        expect("date", version.date, first.date, first_desc)
        expect("observed", version.observed, first.date, first_desc)
        expect("last-absent", version.last_absent, absent.date if absent else None,
               last_desc)
        return
    if first.date < version.date:
        expect("published", version.published, first.date, first_desc)
    in_force = next((pair[0] for pair in captures if pair[0].date >= version.date
                     and pair[0].when >= first.when and holds(pair)), None)
    if version.observed is not None and in_force is not None:
        expect("observed", version.observed, in_force.date,
               f"the first capture on or after {version.date} with {label} "
               f"({in_force.commit})")
    expect("last-absent", version.last_absent, absent.date if absent else None, last_desc)


def check_kept_until_next(reader: SourceReader, document: Document, version: DocumentVersion,
                          clauses: list[ClauseVersion], text: NormalizedText) -> None:
    """Every later capture of the file, until the next version was first seen (or through
    ``checked_through`` for the latest), must still hold the words in force: otherwise a
    change is missing from the rules."""
    source = version.source
    repo = reader.archives[source.archive or ""]
    cited = repo.capture(source.commit or "")
    if cited is None:
        return
    later = [v for v in document.versions
             if v.date > version.date and set(v.regions) & set(version.regions)]
    if later:
        # Up to the first sign of the next version: its date, its first capture, or the day
        # of its last capture without it (a preview may show part of it that day). For a
        # version dated by captures, that last capture must itself still hold these words.
        following = later[0]
        bounds = [d for d in (following.date, following.published, following.observed,
                              following.last_absent) if d is not None]
        end = min(bounds)
        inclusive = following.dating == "observed" and following.last_absent == end
    elif document.checked_through is not None:
        end, inclusive = document.checked_through, True
    else:
        return
    own = [cv for cv in clauses if cv.source.path in (None, source.path)]
    # Words missing from the cited capture itself are already reported there.
    kept = {w for cv in own for w in (cv.quote, *cv.context) if w and text.contains(w)}
    for capture in repo.captures(source.path or ""):
        if capture.when <= cited.when or capture.technical:
            continue  # a re-extraction is not a change of the terms
        if capture.date > end or (capture.date == end and not inclusive):
            break
        seen = reader.capture_text(repo, capture, source.path or "")
        for cv in own:
            for words in (cv.quote, *cv.context):
                if words in kept and not seen.contains(words):
                    reader.report.failures.append(Failure(
                        document.file, document.id, version.date, cv.clause_id, "between",
                        normalize(words),
                        f"the capture {capture.commit} of {capture.date} no longer holds "
                        f"these words, before the next recorded version or the "
                        f"checked_through date: a change is missing from the rules",
                        source.archive, source.path, capture.commit,
                        *closest_passage(seen, words)))
                    return
