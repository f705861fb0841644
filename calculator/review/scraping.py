"""Scraping findings: the platform's scraping prohibitions in force during the collection,
and the liquidated damages the stated volume projects, priced by the same assessment engine
as crawl logs on a schedule built from the profile.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from calculator.damages.assessment import (
    Exclusions,
    InputInfo,
    Options,
    damages_clause,
    evaluate,
)
from calculator.damages.pricing import HEADLINE_READING
from calculator.errors import FieldProblem, InvalidArgument, InvalidInput
from calculator.review.licensing import money
from calculator.rules.in_force import intervals
from calculator.rules.model import Clause
from calculator.timeutil import format_instant, format_ns
from calculator.web.present import reading_phrase

if TYPE_CHECKING:
    from calculator.review.engine import _Reviewer


def scraping(reviewer: _Reviewer) -> None:
    """Add the scraping prohibitions, and for a scraping profile the projected damages."""
    p = reviewer.p
    if p.channel not in ("scraping", "licensed_vendor"):
        return
    damages = reviewer.lookup.clauses_of_kind(p.platform, "liquidated-damages")
    prohibitions = reviewer.lookup.clauses_of_kind(p.platform, "scraping-prohibition")
    if not prohibitions:
        reviewer.gap("Scraping prohibition", f"The rules hold no scraping clause of "
                     f"{reviewer.platform.name}.")
    for clause in prohibitions:
        found = reviewer.during(clause)
        document = reviewer.document(clause)
        if not found:
            absent = [v for v, i in intervals(clause.timeline(reviewer.region))
                      if not v.present and reviewer.in_collection(i)]
            reviewer.gap(f"Scraping prohibition: {document.title}",
                         f"The rules record no scraping prohibition of {document.title} in force "
                         "during the collection" + (
                             f"; its version of {absent[-1].date} is recorded as having none"
                             + (f" ({absent[-1].note.rstrip('.')})" if absent[-1].note else "")
                             if absent else "") + ".", clause.document_id)
            continue
        latest = found[-1][0]
        amount = ("These words put no amount on a breach; the damages are in " +
                  ", ".join(c.id for c in damages) + "." if damages else
                  "These words put no amount on a breach, and the rules hold no clause of "
                  f"{reviewer.platform.name} that does.")
        ai = (" The words name AI training among what is prohibited."
              if latest.parameters.get("covers_ai_training") else "")
        versions = ", ".join(str(v.date) for v, _ in found)
        if p.channel == "scraping":
            severity = "high"
            title = (f"{document.title} prohibits the scraping this profile describes "
                     f"({clause.title}).")
        else:
            severity = "warning"
            title = (f"{document.title} prohibits scraping; the profile does not say how the "
                     "vendor collected.")
        reviewer.add("scraping.prohibited", severity, reviewer.start_of(found[0][1]), title,
                     f"In force during the collection: version{'s' if len(found) > 1 else ''} "
                     f"{versions}: \"{latest.quote}\" {amount}{ai}",
                     [reviewer.cite(clause, v, i) for v, i in found],
                     {"clause": clause.id, "versions": [v.date for v, _ in found],
                      "consent": latest.parameters.get("consent")})
    if p.channel == "scraping":
        if damages:
            _project(reviewer, damages)
        else:
            reviewer.gap("Liquidated damages", f"The rules hold no clause of "
                         f"{reviewer.platform.name} that puts an amount on scraping, so nothing is "
                         "projected.")


def _project(reviewer: _Reviewer, damages: list[Clause]) -> None:
    clause = damages_clause(reviewer.lookup, reviewer.p.platform)
    periods = reviewer.periods(clause)
    found = [(v, i) for v, i in periods if reviewer.in_collection(i)]
    if not periods:
        reviewer.gap(clause.id, f"No version of it is recorded for {reviewer.region}.",
                     clause.document_id)
        return
    if not found:
        version, interval = next(((v, i) for v, i in periods if i.start >= reviewer.hi),
                                 periods[-1])
        when = "after" if interval.start >= reviewer.hi else "before"
        reviewer.add("damages.not-in-force", "info", reviewer.p.start,
                     f"{clause.title} ({clause.id}) was not in force during the collection, so "
                     "nothing is projected.",
                     f"Its version of {version.date} is in force from "
                     f"{format_instant(interval.start)}, {when} the collection.",
                     [reviewer.cite(clause, version, interval)], {"clause": clause.id})
        return
    volume = reviewer.schedule.volume()
    log = reviewer.schedule.to_csv()
    info = InputInfo(sha256=reviewer.schedule.csv_sha256(), format="csv",
                     rows=len(volume.instants), bytes=len(log),
                     columns=("timestamp", "posts"))
    none = {"other_platforms": 0, "authorized": 0}
    options = Options(platform=reviewer.p.platform, region=reviewer.region,
                      headline=HEADLINE_READING)
    try:
        result = evaluate(volume, reviewer.lookup, options, info,
                          Exclusions(dict(none), dict(none)), [reviewer.schedule.description()])
    except InvalidArgument:
        # Pricing's own words speak of a log, and named no field of the profile.
        message = ("puts more posts in one 24-hour period than the readings can be priced "
                   "exactly for (their sums must stay within 64-bit integers); state a smaller "
                   "volume, or the same over a longer period")
        raise InvalidInput(f"the profile is not valid: volume: {message}",
                           problems=[FieldProblem(message, field="volume")],
                           heading="the profile is not valid") from None
    reviewer.projection = result
    cur = result.currency
    headline, low, high = result.headline.amount, result.low, result.high
    first = found[0][1].start
    tariff = found[0][0].parameters
    before = result.excluded.posts.get("before_in_force", 0)
    if high == 0:
        severity = "info"
        title = (f"The stated volume projects no damages under any reading: no 24-hour "
                 f"period holds more than {tariff['threshold_posts']:,} posts.")
    else:
        severity = "high" if headline > 0 else "warning"
        title = (f"Projected liquidated damages for the stated volume: "
                 f"{money(cur, headline)} (headline), {money(cur, low)} to "
                 f"{money(cur, high)} across the 18 readings.")
    counted = (f"{result.counted_posts:,} of the {reviewer.schedule.total_posts:,} posts fall "
               f"while the clause was in force")
    if before:
        counted += f" (from {format_instant(first)}; {before:,} posts before it are left out)"
    detail = (
        f"{clause.id} prices {cur} {Decimal(tariff['amount']):,.2f} per "
        f"{tariff['per_posts']:,} posts for more than {tariff['threshold_posts']:,} posts "
        f"in any 24-hour period ({reviewer.region} part). The same engine as crawl-log "
        f"assessments prices a schedule built from the profile: {counted}. Headline reading: "
        f"{reading_phrase({}, HEADLINE_READING.key, period='24-hour')}. The clause applies "
        "only where its condition is met "
        f"(\"{found[-1][0].parameters['trigger']}\"); the projection assumes it is. This is "
        "a projection from a description, not an assessment of a log.")
    peak = result.peak
    # Dated when the clause took effect, if that was after the collection began.
    dated = first.date() if first > reviewer.lo else reviewer.p.start
    reviewer.add("damages.projected", severity, dated,
                 title, detail, [reviewer.cite(clause, v, i) for v, i in found], {
                     "clause": clause.id, "currency": cur,
                     "headline": {"reading": HEADLINE_READING.key, "amount": headline},
                     "range": {"low": low, "high": high},
                     "readings": [{"reading": r.reading.key, "amount": r.amount,
                                   "windows_owing": sum(1 for w in r.windows if w.amount > 0)}
                                  for r in result.readings],
                     "counted_posts": result.counted_posts,
                     "excluded_posts": dict(result.excluded.posts),
                     "peak_24h": None if peak is None else {
                         "posts": peak.posts, "start": format_ns(peak.start_ns),
                         "end": format_ns(peak.end_ns)},
                     "schedule": {"days": len(reviewer.schedule.days),
                                  "posts": reviewer.schedule.total_posts,
                                  "accesses": len(volume.instants),
                                  "equivalent_log_sha256": info.sha256},
                     "assumptions": list(result.assumptions)})
