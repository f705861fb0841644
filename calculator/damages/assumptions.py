"""The plain sentences an assessment states: what was left out, what the clause says and
does not say, which reading is the headline, and how totals are rounded."""

from __future__ import annotations

from calculator.damages.clause import tariff_at
from calculator.damages.pricing import Tariff, to_cents
from calculator.damages.results import Assessment
from calculator.damages.window_counts import NS
from calculator.ingest.tabular import plural
from calculator.rules.lookup import Interval
from calculator.rules.model import ClauseVersion
from calculator.timeutil import format_ns


def assumptions(assessment: Assessment, tariffs: list[Tariff],
                periods: list[tuple[ClauseVersion, Interval]], notes: list[str],
                spanning: set[int]) -> list[str]:
    """The assumption sentences, the reading's notes first."""
    options = assessment.options
    first = tariffs[0]
    sentences = list(notes)
    excluded = assessment.excluded.rows
    if excluded.get("before_in_force"):
        sentences.append(
            f"{plural(excluded['before_in_force'], 'row')} before {format_ns(first.starts_ns)}, "
            f"when {assessment.clause.id} first came into force, were left out.")
    if excluded.get("while_not_in_force"):
        sentences.append(f"{plural(excluded['while_not_in_force'], 'row')} at times when no "
                         "version of the clause was in force were left out.")
    sentences.append(
        f"A window owes nothing unless it holds more than {first.threshold:,} posts; the "
        f"clause prices {first.currency} {to_cents(first.amount):,} per {first.per_posts:,} posts "
        f"({assessment.region} part).")
    hours = f"{first.window_ns // (3600 * NS)}-hour"
    sentences.append(
        f"The clause does not say how its {hours} periods are placed, whether the rate applies "
        "to all posts or only to those above the threshold, or how partial millions are "
        "priced, so every reading is computed: calendar days in "
        f"{options.tz}; consecutive {hours} periods from the first counted access; and the "
        f"non-overlapping {hours} periods that owe the most (the most a claimant could argue "
        "under its words).")
    from calculator.web.present import reading_phrase  # the words pages and CLI use

    sentences.append(
        f"The headline reading is {reading_phrase({}, options.headline.key, period=hours)}; "
        "the range runs from the lowest to the highest reading.")
    for boundary in sorted(spanning):
        new = next(t for t in tariffs if t.starts_ns == boundary)
        old = tariff_at(tariffs, boundary - 1)
        change = "the same prices" if new.same_pricing(old) else "different prices"
        sentences.append(
            f"Some windows span {format_ns(boundary)}, when clause version {new.version} "
            f"replaced {old.version} ({change}); each window is priced by the version in force "
            "at its first counted access.")
    sentences.append(
        "Each reading's total is computed exactly and rounded once to cents, half up; the "
        "amounts shown per window are rounded for display and may not add up to the total "
        "to the cent.")
    triggers = "; ".join(f"\"{version.parameters['trigger']}\" from {version.date}"
                         for version, _ in periods)
    sentences.append(
        f"The clause applies only where its condition is met ({triggers}); these amounts "
        "assume that it was, and that every counted access is one the clause reaches.")
    sentences.append(
        "The text does not say whether the count is per account, per person or per group; "
        "every counted access in this log is counted together.")
    return sentences

