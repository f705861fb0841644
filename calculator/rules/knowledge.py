"""What the rules know and do not know about an instant, beyond the version found: whether it
is after the document was last checked against the archive, or inside the gap of a change
dated by captures only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from calculator.rules.model import Document
from calculator.timeutil import start_of_day

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Knowledge:
    """What the rules know and do not know about an instant, beyond the version found."""

    checked_through: date | None  # last archive capture checked against the rules
    after_checked_through: bool  # the instant is after it: a later version may exist
    uncertain_from: date | None = None  # last capture without a change dated by captures
    uncertain_until: date | None = None  # first capture with it
    notes: tuple[str, ...] = ()  # the same, in words


def knowledge(document: Document, at: datetime, region: str) -> Knowledge:
    """Whether ``at`` is after the document was last checked, or inside the gap between
    the last capture without a change and the first with it."""
    notes: list[str] = []
    checked = document.checked_through
    after = checked is not None and at >= start_of_day(checked + _ONE_DAY, document.zone)
    if after:
        notes.append(f"The rules know no version of {document.title} after the one found; "
                     f"they were checked against the archive through {checked}, and a "
                     "later change would not be known to them.")
    elif checked is None:
        latest = document.timeline(region)
        if latest and at >= latest[-1].starts:
            notes.append(f"The rules do not state through which date {document.title} was "
                         "checked for later versions.")
    gap_from = gap_until = None
    for version in document.timeline(region):
        if version.dating != "observed" or version.last_absent is None:
            continue
        if start_of_day(version.last_absent, document.zone) <= at < version.starts:
            gap_from, gap_until = version.last_absent, version.date
            notes.append(f"The change to the {version.date} version of {document.title} is "
                         f"dated by captures only: the archive's capture of "
                         f"{version.last_absent} does not show it and that of {version.date} "
                         f"does, so it may have taken effect on any day in between; the "
                         "answer follows the earlier version until the first capture "
                         "showing the change.")
    return Knowledge(checked, after, gap_from, gap_until, tuple(notes))
