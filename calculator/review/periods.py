"""Periods as the rule files give them (ISO 8601 durations or named spans such as
"life-of-account"), in words, and compared with a planned retention. Retention findings and
claims time limits both word periods this way.
"""

from __future__ import annotations

from calculator.timeutil import parse_duration

_PERIOD_WORDS = {
    "life-of-account": "for the life of the account",
    "life-of-account-or-until-removed": "for the life of the account or until the content is "
                                        "removed",
    "while-using-paid-services": "while the user uses paid services",
    "while-in-programme": "while the user takes part in the programme",
    "indefinite": "indefinitely",
    "soon-after-processing": "until soon after processing (no number given)",
}
_UNITS = (("years", "year"), ("months", "month"))


def period_words(period: str) -> str:
    if period in _PERIOD_WORDS:
        return _PERIOD_WORDS[period]
    d = parse_duration(period)
    parts = []
    for attribute, noun in _UNITS:
        value = getattr(d, attribute)
        if value:
            parts.append(f"{value} {noun}{'s' if value > 1 else ''}")
    if d.days:
        parts.append(f"{d.days} day{'s' if d.days > 1 else ''}")
    if d.seconds:
        hours = d.seconds // 3600
        parts.append(f"{hours} hour{'s' if hours > 1 else ''}" if d.seconds % 3600 == 0
                     else f"{d.seconds} seconds")
    return "for up to " + " ".join(parts)


def is_longer(planned: str | None, stated: str) -> bool | None:
    """Whether a planned retention is longer than a stated period; None: not comparable."""
    if planned is None:
        return None
    stated_fixed = stated not in _PERIOD_WORDS
    if planned == "indefinite":
        return True if stated_fixed else (False if stated == "indefinite" else None)
    if not stated_fixed:
        return False if stated == "indefinite" else None
    return parse_duration(planned).approximate_days() > parse_duration(stated).approximate_days()

