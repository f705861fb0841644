"""Forum findings: the governing law and the courts disputes go to, and the time limit for
bringing claims, in force during the collection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from calculator.review.periods import period_words
from calculator.rules.in_force import Interval
from calculator.rules.model import Clause, ClauseVersion, Document

if TYPE_CHECKING:
    from calculator.review.engine import _Reviewer


Versions = list[tuple[ClauseVersion, Interval]]


def _in_force(reviewer: _Reviewer, kind: str, topic: str,
              words: str) -> Iterator[tuple[Clause, Document, Versions]]:
    """Each clause of ``kind`` with its versions in force during the collection; a clause
    with none is a gap (named by ``topic`` and ``words``), since the review cannot say which
    forum or limit applied then."""
    for clause in reviewer.lookup.clauses_of_kind(reviewer.p.platform, kind):
        found = reviewer.during(clause)
        document = reviewer.document(clause)
        if not found:
            reviewer.gap(f"{topic}: {document.title}", f"No version of its {words} clause is "
                         f"recorded in force for {reviewer.region} during the collection.",
                         document.id)
            continue
        yield clause, document, found


def forum(reviewer: _Reviewer) -> None:
    """Add the governing law and venue, and the time limit for claims."""
    for clause, document, found in _in_force(reviewer, "governing-law", "Governing law",
                                             "governing-law"):
        versions = "; ".join(f"from {v.date}: law {v.parameters['law']}, "
                             f"{v.parameters['venue'] or 'venue not recorded'}"
                             for v, _ in found)
        last = found[-1][0].parameters
        venue = last["venue"] or "a venue the rules do not record"
        if len(found) > 1:
            first = found[0][0].parameters
            if first["law"] != last["law"]:
                title = (f"{document.title}: the governing law changed during the "
                         f"collection, from {first['law']} to {last['law']}; disputes now "
                         f"go to {venue}.")
            else:
                title = (f"{document.title}: governing law {last['law']}; the venue changed "
                         f"during the collection, and disputes now go to {venue}.")
        else:
            title = f"{document.title}: governing law {last['law']}; disputes go to {venue}."
        changed = (f" It changed during the collection ({len(found)} versions)."
                   if len(found) > 1 else "")
        reviewer.add("forum.governing-law", "info", reviewer.start_of(found[0][1]), title,
                     f"In force during the collection, {versions}.{changed}",
                     [reviewer.cite(clause, v, i) for v, i in found],
                     {"clause": clause.id, "versions": [{"version": v.date, **v.parameters}
                                                        for v, _ in found]})
    for clause, document, found in _in_force(reviewer, "claims-time-limit",
                                             "Time limit for claims", "time-limit"):
        reviewer.add("forum.claims-time-limit", "info", reviewer.start_of(found[0][1]),
                     f"{document.title}: claims must be brought within {_limits(found[-1][0])}.",
                     "In force during the collection: " + "; ".join(
                         f"from {v.date}: {_limits(v)} (\"{v.quote}\")" for v, _ in found) + ".",
                     [reviewer.cite(clause, v, i) for v, i in found],
                     {"clause": clause.id, "versions": [{"version": v.date, **v.parameters}
                                                        for v, _ in found]})


def _limits(version: ClauseVersion) -> str:
    """A version's time limits in words; "all" claims need no qualifier."""
    return ", ".join(
        ("" if x["claims"] == "all" else f"{x['claims']} claims ")
        + period_words(x["period"]).replace("for up to ", "")
        for x in version.parameters["limits"])
