"""What the profile's volume costs through the platform's API, at the prices the rules hold.

Prices come from the platform's ``subscription-tiers`` and ``pay-per-use`` clauses
(docs/decisions/0032):

- the collection is cut into calendar months (UTC), clipped to the period; each month is
  priced by the versions in force on its first day of collection, and says when a version
  changed within it;
- a subscription tier covers a month when its monthly read cap is at least the month's
  posts; the cheapest covering tier with a price is chosen. A tier whose price the rules
  leave unknown (Enterprise) is named, never priced; a cap given as a lower bound ("50+
  million") covers what is under it and leaves what is above it unknown;
- pay-per-use prices each post read at the ``posts-read`` rate, within the monthly read cap;
  a month over the cap cannot be read that way; rates not published are unknown;
- a month is priced by its cheapest option that covers it with a known price; months that
  no option covers at a known price are listed as unpriced, and no total pretends to be
  complete while any month is;
- "months at the cap": how many months each priced plan's cap needs to read the whole
  volume, at that version's price.

Amounts are exact decimals rounded once to cents, half up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from calculator.review.schedule import Schedule
from calculator.rules.in_force import Interval
from calculator.rules.lookup import RuleLookup
from calculator.rules.model import Clause, ClauseVersion

POSTS_READ = "posts-read"  # the pay-per-use resource a read post is charged as
CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money(currency: str, amount: Decimal) -> str:
    """An amount in a finding's words: currency code, then cents with thousands separators."""
    return f"{currency} {cents(amount):,.2f}"


def _instant(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


@dataclass(frozen=True)
class Option:
    """One way to read a month's posts: a subscription tier or pay-per-use."""

    plan: str  # "subscription" or "pay-per-use"
    name: str  # the tier's name, or "pay-per-use"
    clause: str
    version: date
    currency: str
    price: Decimal | None  # a month's subscription, or the rate per post read
    monthly_cap: int | None  # None: no cap (pay-per-use before caps) or unknown
    cap_at_least: bool
    covers: bool | None  # None: unknown (a cap given only as a lower bound)
    cost: Decimal | None  # None: the price is unknown, or the option does not cover
    legacy: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    start: date
    end: date  # exclusive
    posts: int
    priced_at: date
    options: tuple[Option, ...]
    choice: Option | None
    changes: tuple[str, ...]  # "x.api-pricing.pay-per-use 2026-02-17", versions within
    not_recorded: tuple[str, ...]  # pricing clauses with no version in force at priced_at

    @property
    def status(self) -> str:
        if self.posts == 0:
            return "no-collection"
        return "priced" if self.choice is not None else "unpriced"


@dataclass(frozen=True)
class AtCap:
    """How long one plan's monthly cap takes to read the whole volume, and what it costs."""

    plan: str
    name: str
    clause: str
    version: date
    currency: str
    price: Decimal | None
    monthly_cap: int
    months: int
    cost: Decimal | None


@dataclass(frozen=True)
class LicensedCost:
    clauses: tuple[Clause, ...]
    used: tuple[tuple[ClauseVersion, Interval], ...]  # versions that priced a month
    months: tuple[Month, ...]
    at_cap: tuple[AtCap, ...]
    total_posts: int
    totals: dict[str, Decimal] = field(default_factory=dict)  # known cost, by currency

    @property
    def currencies(self) -> set[str]:
        """The currencies the prices are in."""
        return ({o.currency for m in self.months for o in m.options}
                | {a.currency for a in self.at_cap} | set(self.totals))

    @property
    def unpriced(self) -> tuple[Month, ...]:
        return tuple(m for m in self.months if m.status == "unpriced")

    @property
    def complete(self) -> bool:
        return not self.unpriced

    def as_facts(self) -> dict[str, Any]:
        return {
            "total_posts": self.total_posts,
            "complete": self.complete,
            "known_cost": {c: str(cents(v)) for c, v in self.totals.items()},
            "months_priced": sum(1 for m in self.months if m.status == "priced"),
            "months_unpriced": [m.month for m in self.unpriced],
            "months": [_month_facts(m) for m in self.months],
            "months_at_cap": [{
                "plan": a.plan, "name": a.name, "clause": a.clause,
                "version": a.version.isoformat(), "currency": a.currency,
                "price": None if a.price is None else str(a.price),
                "monthly_cap": a.monthly_cap, "months": a.months,
                "cost": None if a.cost is None else str(cents(a.cost))} for a in self.at_cap],
        }


def _option_facts(o: Option) -> dict[str, Any]:
    return {"plan": o.plan, "name": o.name, "clause": o.clause, "version": o.version.isoformat(),
            "currency": o.currency, "price": None if o.price is None else str(o.price),
            "monthly_cap": o.monthly_cap, "cap_at_least": o.cap_at_least, "legacy": o.legacy,
            "covers": o.covers, "cost": None if o.cost is None else str(cents(o.cost)),
            "note": o.note}


def _month_facts(m: Month) -> dict[str, Any]:
    return {"month": m.month, "start": m.start.isoformat(), "end": m.end.isoformat(),
            "posts": m.posts, "priced_at": m.priced_at.isoformat(), "status": m.status,
            "choice": None if m.choice is None else _option_facts(m.choice),
            "options": [_option_facts(o) for o in m.options],
            "versions_changed_within": list(m.changes), "not_recorded": list(m.not_recorded)}


def pricing_clauses(lookup: RuleLookup, platform: str) -> tuple[list[Clause], list[Clause]]:
    return (lookup.clauses_of_kind(platform, "subscription-tiers"),
            lookup.clauses_of_kind(platform, "pay-per-use"))


def _month_bounds(start: date, end: date) -> list[tuple[date, date]]:
    months = []
    cursor = start
    while cursor < end:
        following = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
        months.append((cursor, min(following, end)))
        cursor = following
    return months


def _in_force(periods: list[tuple[ClauseVersion, Interval]], at: datetime
              ) -> tuple[ClauseVersion, Interval] | None:
    return next(((v, i) for v, i in periods if i.contains(at)), None)


def _tier_options(clause: Clause, version: ClauseVersion, posts: int) -> list[Option]:
    options = []
    for tier in version.parameters["tiers"]:
        cap, at_least, price = (tier["monthly_post_reads"], tier["monthly_post_reads_at_least"],
                                tier["monthly_price"])
        note = None
        if cap is None:
            covers = None
            note = "the rules give no read cap for this tier"
        elif posts <= cap:
            covers = True
        elif at_least:
            covers = None
            note = (f"its cap is given only as at least {cap:,} posts a month; whether it "
                    f"covers {posts:,} is not stated")
        else:
            covers = False
        if price is None:
            note = ((note + "; ") if note else "") + "its price is not in the rules (unknown)"
        if tier["legacy"]:
            note = ((note + "; ") if note else "") + (
                "a legacy package; the rules do not say whether a new subscriber could take it")
        options.append(Option(
            plan="subscription", name=tier["name"], clause=clause.id, version=version.date,
            currency=tier["currency"], price=price, monthly_cap=cap, cap_at_least=at_least,
            covers=covers, cost=price if covers and price is not None else None,
            legacy=tier["legacy"], note=note))
    return options


def _ppu_option(clause: Clause, version: ClauseVersion, posts: int) -> Option:
    p = version.parameters
    rate = next((r["price"] for r in p["rates"] if r["resource"] == POSTS_READ), None)
    cap = p["monthly_post_read_cap"]
    covers = cap is None or posts <= cap
    note = None
    if rate is None:
        note = "the rate per post read is not in the rules (not published in the docs then)"
    if not covers:
        note = ((note + "; ") if note else "") + (
            f"{posts:,} posts are more than the monthly cap of {cap:,} post reads")
    return Option(plan="pay-per-use", name="pay-per-use", clause=clause.id,
                  version=version.date, currency=p["currency"], price=rate, monthly_cap=cap,
                  cap_at_least=False, covers=covers,
                  cost=rate * posts if covers and rate is not None else None, note=note)


def licensed_cost(lookup: RuleLookup, platform: str, region: str, schedule: Schedule,
                  start: date, end: date) -> LicensedCost | None:
    """The month-by-month cost, or None when the rules hold no price for the platform."""
    tiers, ppu = pricing_clauses(lookup, platform)
    clauses = [*tiers, *ppu]
    if not clauses:
        return None
    periods = {c.id: lookup.in_force_periods(c.id, region) for c in clauses}
    # Every version, absent ones too: a price table that disappears is a change as well.
    steps = {c.id: [e.in_force.start for e in lookup.clause_history(c.id, region).entries]
             for c in clauses}
    used: dict[tuple[str, date], tuple[ClauseVersion, Interval]] = {}
    months = []
    for m_start, m_end in _month_bounds(start, end):
        posts = schedule.posts_between(m_start, m_end)
        at = _instant(m_start)
        options: list[Option] = []
        missing: list[str] = []
        changes: list[str] = []
        for clause in clauses:
            found = _in_force(periods[clause.id], at)
            changes += [f"{clause.id} {start.date()}" for start in steps[clause.id]
                        if at < start < _instant(m_end)]
            if found is None:
                missing.append(clause.id)
                continue
            version, _ = found
            if posts:
                used[(clause.id, version.date)] = found
            if clause.kind == "subscription-tiers":
                options += _tier_options(clause, version, posts)
            else:
                options.append(_ppu_option(clause, version, posts))
        priced = [o for o in options if o.covers and o.cost is not None]
        # A legacy package is chosen only when nothing current covers the month.
        current = [o for o in priced if not o.legacy] or priced
        choice = min(current, key=lambda o: o.cost) if current and posts else None
        months.append(Month(month=f"{m_start:%Y-%m}", start=m_start, end=m_end, posts=posts,
                            priced_at=m_start, options=tuple(options), choice=choice,
                            changes=tuple(changes), not_recorded=tuple(missing)))
    totals: dict[str, Decimal] = {}
    for month in months:
        if month.choice is not None:
            totals[month.choice.currency] = (totals.get(month.choice.currency, Decimal(0))
                                             + month.choice.cost)
    return LicensedCost(clauses=tuple(clauses), used=tuple(used.values()), months=tuple(months),
                        at_cap=tuple(_at_cap(clauses, periods, schedule.total_posts, start, end)),
                        total_posts=schedule.total_posts, totals=totals)


def _at_cap(clauses: list[Clause], periods: dict, total: int, start: date, end: date
            ) -> list[AtCap]:
    """For each paid plan in force during the period (once per distinct cap and price, at the
    first version that shows them): the months its cap needs for the whole volume."""
    lo, hi = _instant(start), _instant(end)
    result: list[AtCap] = []
    seen: set[tuple] = set()

    def keep(entry: AtCap) -> None:
        key = (entry.plan, entry.name, entry.monthly_cap, entry.price)
        if key not in seen and entry.price is not None and entry.price > 0:
            seen.add(key)
            result.append(entry)

    for clause in clauses:
        for version, interval in periods[clause.id]:
            if not (interval.start < hi and (interval.end is None or interval.end > lo)):
                continue
            p = version.parameters
            if clause.kind == "subscription-tiers":
                for tier in p["tiers"]:
                    cap = tier["monthly_post_reads"]
                    if not cap or tier["monthly_post_reads_at_least"]:
                        continue
                    months = math.ceil(total / cap)
                    price = tier["monthly_price"]
                    keep(AtCap("subscription", tier["name"], clause.id, version.date,
                               tier["currency"], price, cap, months,
                               None if price is None else price * months))
            else:
                cap = p["monthly_post_read_cap"]
                if not cap:
                    continue
                rate = next((r["price"] for r in p["rates"] if r["resource"] == POSTS_READ),
                            None)
                keep(AtCap("pay-per-use", "pay-per-use", clause.id, version.date, p["currency"],
                           rate, cap, math.ceil(total / cap),
                           None if rate is None else rate * total))
    return result
