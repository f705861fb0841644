"""The licence-cost finding: what the stated volume costs through the platform's API, month
by month, and against the projected damages. The pricing itself is in ``licensing``; this
module words it and cites the price versions used.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from calculator.review.licensing import LicensedCost, Month, licensed_cost, money
from calculator.timeutil import start_of_day

if TYPE_CHECKING:
    from calculator.review.engine import _Reviewer


def licence(reviewer: _Reviewer) -> None:
    """Add the licence-cost finding and keep the priced months on the reviewer."""
    p = reviewer.p
    result = licensed_cost(reviewer.lookup, p.platform, reviewer.region, reviewer.schedule, p.start,
                           p.end)
    if result is None:
        reviewer.gap("API prices", f"The rules hold no API prices for {reviewer.platform.name}, so "
                     "the volume is not priced as a licence.")
        return
    reviewer.licensed = result
    reviewer.assumptions.append(
        "Licensed cost: each calendar month (UTC) of the collection is priced by the price "
        "versions in force on its first day of collection; each counted post is read once "
        "(no re-reads), so it is charged once.")
    citations = [reviewer.cite(reviewer.lookup.clause(v.clause_id), v, i) for v, i in result.used]
    if not citations:
        for clause in result.clauses:
            periods = reviewer.periods(clause)
            if periods:
                v, i = next(((v, i) for v, i in periods if i.start >= reviewer.lo), periods[-1])
                citations.append(reviewer.cite(clause, v, i))
    if not citations:
        reviewer.gap("API prices", "No price version is recorded for this regional part.")
        return
    months = [m for m in result.months if m.posts]
    lines = [_month_line(m, _periods_of_first(reviewer, m)) for m in months]
    at_cap = [a for a in result.at_cap if a.cost is not None]
    cap_lines = [
        f"At {a.name}'s cap of {a.monthly_cap:,} post reads a month (version {a.version}"
        + (f", {money(a.currency, a.price)} a month" if a.plan == "subscription" else
           f", {a.currency} {a.price} per post read")
        + f") the {result.total_posts:,} posts need {a.months:,} month"
        f"{'s' if a.months != 1 else ''}: {money(a.currency, a.cost)}."
        for a in at_cap]
    comparison, compared = _compare(reviewer, result)
    priced = sum(1 for m in months if m.status == "priced")
    if not months:
        title = "The profile's volume is zero; nothing to license."
    elif result.complete:
        total = "; ".join(money(c, v) for c, v in result.totals.items())
        title = (f"Through the API the stated volume would cost {total} at the recorded "
                 f"prices ({len(months)} month{'s' if len(months) != 1 else ''}).")
    else:
        if priced:
            title = (f"Only {priced} of {len(months)} months of the collection can be priced "
                     "through the API from the rules; the others exceed every priced cap or "
                     "fall where prices are unknown.")
        else:
            title = (f"None of the {len(months)} months of the collection can be priced "
                     "through the API from the rules: each exceeds every priced cap or falls "
                     "where prices are unknown.")
    detail = " ".join(["Month by month: " + "; ".join(lines) + "." if lines else "",
                       *cap_lines, comparison]).strip()
    facts = result.as_facts()
    facts["comparison"] = compared
    reviewer.add("licence.cost", "info" if result.complete else "warning", p.start, title,
                 detail, citations, facts)


def _periods_of_first(reviewer: _Reviewer, month: Month) -> dict[str, date | None]:
    """Per pricing clause not in force in the month: its first recorded date."""
    firsts: dict[str, date | None] = {}
    for clause_id in month.not_recorded:
        periods = reviewer.lookup.in_force_periods(clause_id, reviewer.region)
        later = [v.date for v, i in periods if i.start > start_of_day(month.priced_at)]
        firsts[clause_id] = later[0] if later else None
    return firsts


def _compare(reviewer: _Reviewer, result: LicensedCost) -> tuple[str, dict[str, Any] | None]:
    projection = reviewer.projection
    if projection is None:
        return "", None
    cur = projection.currency
    facts: dict[str, Any] = {"damages_currency": cur,
                             "damages_headline": projection.headline.amount,
                             "damages_low": projection.low, "damages_high": projection.high,
                             "licensed_known": result.totals.get(cur),
                             "licensed_complete": result.complete}
    if result.currencies and cur not in result.currencies:
        return (f"The projected damages are in {cur} and the prices in "
                f"{', '.join(sorted(result.currencies))}; the rules hold no exchange rate, "
                "so the two are not compared.", facts)
    headline = money(cur, projection.headline.amount)
    known = result.totals.get(cur, Decimal(0))
    cheapest_cap = min((a for a in result.at_cap if a.cost is not None and a.currency == cur),
                       key=lambda a: a.cost, default=None)
    if cheapest_cap is not None:
        facts["cheapest_at_cap"] = {"name": cheapest_cap.name, "version": cheapest_cap.version,
                                    "months": cheapest_cap.months, "cost": cheapest_cap.cost}
    sentence = (f"Against the projected damages (headline {headline}; range "
                f"{money(cur, projection.low)} to {money(cur, projection.high)}): ")
    if result.complete:
        sentence += f"the licence costs {money(cur, known)} for the same months."
    elif known:
        sentence += (f"the months that can be priced cost {money(cur, known)}; the rest "
                     "cannot be priced, so no complete licensed cost is compared.")
    else:
        sentence += "no month can be priced, so no licensed cost is compared."
    if cheapest_cap is not None:
        sentence += (f" Read within {cheapest_cap.name}'s cap, the same volume costs "
                     f"{money(cur, cheapest_cap.cost)} but takes {cheapest_cap.months:,} "
                     "months.")
    return sentence, facts


def _month_line(month: Month, firsts: dict[str, date | None]) -> str:
    head = f"{month.month}: {month.posts:,} posts"
    if month.choice is not None:
        c = month.choice
        how = (f"{c.name} at {money(c.currency, c.cost)}" if c.plan == "subscription" else
               f"pay-per-use at {c.currency} {c.price} per post read, "
               f"{money(c.currency, c.cost)}")
        line = f"{head}, {how} ({c.clause} version {c.version}"
        line += (", a legacy package: the rules do not say whether a new subscriber could take "
                 "it)" if c.legacy else ")")
    else:
        reasons = []
        if month.not_recorded and len(month.not_recorded) == len(
                {o.clause for o in month.options} | set(month.not_recorded)):
            dates = [d for d in firsts.values() if d is not None]
            reasons.append("no prices recorded on " + str(month.priced_at)
                           + (f" (first recorded {min(dates)})" if dates else ""))
        for option in month.options:
            if option.covers is None:
                reasons.append(f"{option.name} might cover it ({option.note})")
            elif option.covers and option.cost is None:
                reasons.append(f"{option.name} covers it at an unknown price")
            elif option.plan == "pay-per-use" and not option.covers:
                reasons.append(f"pay-per-use is capped at {option.monthly_cap:,} post reads")
        capped = [o for o in month.options
                  if o.plan == "subscription" and o.covers is False and o.price is not None]
        if capped:
            top = max(capped, key=lambda o: o.monthly_cap or 0)
            reasons.insert(0, f"above every priced subscription cap ({top.name}: "
                              f"{top.monthly_cap:,} a month)")
        line = f"{head}, not priced: {', '.join(reasons) or 'no option in the rules'}"
    if month.changes:
        line += f" (prices changed within the month: {', '.join(month.changes)})"
    return line

