"""Retention findings: how long the platform says it keeps each data category of the profile,
and identity-verification data with its processor, against the planned retention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calculator.review.periods import is_longer, period_words
from calculator.review.profile import DATA_CATEGORIES

if TYPE_CHECKING:
    from calculator.review.engine import _Reviewer

# Which retention categories of the platform's schedule each profile category reads as.
# The profile's words are ours; the slugs are the rule files' (docs/decisions/0030).
RETENTION_CATEGORIES: dict[str, tuple[str, ...]] = {
    "public_posts": ("usage-information", "profile-information-and-content"),
    "profile_information": ("profile-information", "profile-information-and-content"),
    "direct_messages": (),
    "identity_verification_data": (),  # read from identity-verification clauses instead
}
IDENTITY_CATEGORY = "identity_verification_data"


def retention(reviewer: _Reviewer) -> None:
    """Add, per data category of the profile, the period the platform states it keeps it."""
    p = reviewer.p
    schedules = reviewer.lookup.clauses_of_kind(p.platform, "retention-schedule")
    for category in p.data_categories:
        if category == IDENTITY_CATEGORY:
            _identity(reviewer)
            continue
        slugs = RETENTION_CATEGORIES[category]
        citations, stated = [], []
        for clause in schedules:
            for version, interval in reviewer.during(clause):
                for entry in version.parameters["categories"]:
                    if entry["category"] in slugs:
                        citations.append(reviewer.cite(clause, version, interval,
                                                       quote=entry["quote"], context=()))
                        stated.append((version.date, entry["category"], entry["period"]))
        label = category.replace("_", " ")
        if not citations:
            reviewer.gap(f"Retention of {label}", f"The rules hold no period for which "
                         f"{reviewer.platform.name} keeps {DATA_CATEGORIES[category].lower()}")
            continue
        longer = [is_longer(p.retention, period) for _, _, period in stated]
        severity = "warning" if any(longer) else "info"
        periods = "; then ".join(dict.fromkeys(period_words(s) for _, _, s in stated))
        plan = ("The profile states no planned retention." if p.retention is None else
                f"The planned retention ({p.retention}) is "
                + ("longer than a period the platform states for itself." if any(longer)
                   else "not longer than the fixed periods stated, or not comparable "
                        "with them."))
        reviewer.add("retention.platform-period", severity, p.start,
                     f"{reviewer.platform.name} states that it keeps {label} {periods}, as context "
                     "for the licence.",
                     "Stated in the versions in force during the collection: " + "; ".join(
                         f"{d}: {cat} {period_words(s)}" for d, cat, s in stated) + f". {plan}",
                     citations, {"category": category, "retention": p.retention,
                                 "stated": [{"version": d, "category": c, "period": s}
                                            for d, c, s in stated]})


def _identity(reviewer: _Reviewer) -> None:
    p = reviewer.p
    clauses = reviewer.lookup.clauses_of_kind(p.platform, "identity-verification")
    found = [(c, v, i) for c in clauses for v, i in reviewer.during(c)]
    if not found:
        reviewer.gap("Identity-verification data", "The rules hold no period for which "
                     f"{reviewer.platform.name} keeps identity-verification data during the "
                     "collection.")
        return
    lines, stated, longer = [], [], False
    eu = "eu-efta-uk" in p.user_regions
    for _, version, _ in found:
        params = version.parameters
        items = ", ".join(f"{i['data'].replace('-', ' ')} {period_words(i['period'])}"
                          for i in params["items"])
        processor = params["processor"] or "not recorded"
        line = f"version {version.date}: {items}; processor {processor}"
        if eu:
            line += (f"; legal basis for users in the EU, EFTA States and the UK: "
                     f"{params['legal_basis_eu'] or 'not recorded'}")
        lines.append(line)
        for item in params["items"]:
            stated.append({"version": version.date, "data": item["data"],
                           "period": item["period"]})
            longer = longer or bool(is_longer(p.retention, item["period"]))
    plan = ("The profile states no planned retention." if p.retention is None else
            f"The planned retention ({p.retention}) is "
            + ("longer than periods the platform states for this data." if longer else
               "not longer than the periods stated, or not comparable with them."))
    clause = found[0][0]
    reviewer.add("retention.identity-verification", "warning" if longer else "info", p.start,
                 f"{reviewer.document(clause).title} states how long identity-verification data "
                 "is kept, and by which processor, as context for the licence.",
                 "In force during the collection: " + "; ".join(lines) + f". {plan}",
                 [reviewer.cite(c, v, i) for c, v, i in found],
                 {"category": IDENTITY_CATEGORY, "retention": p.retention, "stated": stated})
