"""How documents read for people: readings, reasons, rule values and numbers in words.

The pages render the same JSON documents the API returns (an assessment, a clause
history), so a page and an API answer never disagree; this module only says them in words.
The command line's text output says them with the same words (the JSON keeps the machine
values), so this module imports nothing of the web and stays cheap to import.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from calculator.ingest.events import TIME_KINDS
from calculator.timeutil import parse_duration

WINDOW_WORDS = {
    "rolling_worst_case": "Worst-case {period} periods",
    "rolling_first_access": "Consecutive {period} periods from the first access",
    "calendar_day": "Calendar days in {tz}",
}
WINDOW_EXPLAINED = {
    "rolling_worst_case": "the non-overlapping {period} periods, placed anywhere, that owe the "
                          "most: what a claimant could argue under \u201cany {period} period\u201d",
    "rolling_first_access": "back-to-back {period} periods starting at the first counted access",
    "calendar_day": "midnight-to-midnight days in {tz}",
}
RATE_WORDS = {
    "pro_rata": "Pro rata",
    "per_started_million": "Per started {per}",
    "per_full_million": "Per full {per}",
}
BASIS_WORDS = {
    "all_posts": "All posts in the window",
    "excess_only": "Only posts above the threshold",
}
EXCLUSION_WORDS = {
    "before_in_force": "Accessed before the clause was in force",
    "while_not_in_force": "Accessed while no version of the clause was in force",
    "other_platforms": "Requests to other platforms",
    "unattributed": "Requests to hosts no platform lists",
    "authorized": "Rows marked authorized (made under an agreement)",
}


def period_words(document: dict[str, Any]) -> str:
    """``24-hour`` for the clause's window, as its rules state it."""
    versions = document.get("clause", {}).get("versions") or []
    window = (versions[0].get("parameters") or {}).get("window") if versions else None
    try:
        seconds = parse_duration(window).as_timedelta().total_seconds()
    except (TypeError, ValueError):
        return "window"
    hours = seconds / 3600
    return f"{hours:g}-hour" if hours < 48 else f"{hours / 24:g}-day"


def per_words(document: dict[str, Any]) -> str:
    """``million`` when the clause prices per 1,000,000 posts, else ``1,000 posts`` etc."""
    versions = document.get("clause", {}).get("versions") or []
    per = (versions[0].get("parameters") or {}).get("per_posts") if versions else None
    if per == 1_000_000:
        return "million"
    return f"{count(per)} posts" if per else "unit"


def reading_words(document: dict[str, Any], reading: dict[str, Any],
                  period: str | None = None) -> dict[str, str]:
    """A reading (window, rate, basis) in words, with the clause's own period and unit."""
    values = {"period": period or period_words(document), "per": per_words(document),
              "tz": (document.get("options") or {}).get("tz", "UTC")}
    window = reading.get("window", "")
    return {
        "window": WINDOW_WORDS.get(window, window).format(**values),
        "window_explained": WINDOW_EXPLAINED.get(window, window).format(**values),
        "rate": RATE_WORDS.get(reading.get("rate", ""), reading.get("rate", "")).format(**values),
        "basis": BASIS_WORDS.get(reading.get("basis", ""), reading.get("basis", "")),
    }


CHOICE_WINDOWS = {"rolling_worst_case": "worst-case periods",
                  "rolling_first_access": "periods from the first access",
                  "calendar_day": "calendar days"}


def reading_choice(reading: Any) -> str:
    """A reading as an option of the form: ``worst-case periods, pro rata, all posts``."""
    return ", ".join((CHOICE_WINDOWS.get(reading.window, reading.window),
                      reading.rate.replace("_", " "), reading.basis.replace("_", " ")))


def thresholds(document: dict[str, Any]) -> list[int]:
    """The clause's thresholds (posts) across its versions, as the rules give them."""
    values: list[int] = []
    for version in (document.get("clause") or {}).get("versions") or []:
        value = (version.get("parameters") or {}).get("threshold_posts")
        if isinstance(value, int) and value not in values:
            values.append(value)
    return values


def is_headline(document: dict[str, Any], reading: dict[str, Any]) -> bool:
    headline = document.get("headline") or {}
    return all(reading.get(k) == headline.get(k) for k in ("window", "rate", "basis"))


def headline_reading(document: dict[str, Any]) -> dict[str, Any] | None:
    return next((r for r in document.get("readings") or [] if is_headline(document, r)), None)


def owing_windows(reading: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The windows of a reading that owe something."""
    return [w for w in (reading or {}).get("windows") or [] if _decimal(w.get("amount")) > 0]


COUNT_WORDS = {
    "requests": "Requests to the platform",
    "requested_posts": "Posts requested",
    "responses": "Requests answered with content",
    "accessed_posts": "Posts accessed (answered with content)",
    "distinct_posts": "Different posts obtained",
    "log_requests": "Requests in the whole log, to any host",
    "log_responses": "Of those, answered with content",
}
PRICED = {"requested": "requested_posts", "accessed": "accessed_posts",
          "distinct": "distinct_posts"}


def counts(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The log's counts side by side (those it knows), the priced one marked."""
    values = document.get("counts") or {}
    priced = PRICED.get((document.get("options") or {}).get("count", ""))
    return [{"words": COUNT_WORDS.get(name, name), "value": value, "priced": name == priced}
            for name, value in values.items() if value is not None]


def exclusion_words(reason: str) -> str:
    return EXCLUSION_WORDS.get(reason, reason.replace("_", " ").capitalize())


def money(amount: Any, currency: str | None = None) -> str:
    """``USD 18,000.00`` from the document's decimal string; never through a float."""
    value = _decimal(amount)
    text = f"{value:,.2f}"
    return f"{currency} {text}" if currency else text


def count(value: Any) -> str:
    """``1,200,000``."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "" if value is None else str(value)


def instant(value: Any) -> str:
    """``2025-03-01 18:00:00 UTC`` from RFC 3339 UTC (``...Z``); a fraction of a second is
    kept to the millisecond, and only when it is not zero; other text as it is."""
    if not value:
        return ""
    text = str(value)
    if text.endswith("Z") and "T" in text:
        whole, _, fraction = text[:-1].replace("T", " ").partition(".")
        millis = (fraction + "000")[:3]
        return f"{whole}{'.' + millis if millis.strip('0') else ''} UTC"
    return text


def size(value: Any) -> str:
    """``256 MiB``, ``1.5 GiB``, ``900 bytes``: a byte count as people read it."""
    amount = float(value or 0)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            text = f"{amount:,.0f}" if unit == "bytes" else f"{amount:,.1f}".removesuffix(".0")
            return f"{text} {unit}"
        amount /= 1024
    return f"{amount:,.1f} GiB"


def hours(seconds: Any) -> str:
    """``12 hours``, ``1 hour 30 minutes``, ``45 seconds``."""
    total = round(float(seconds or 0))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{n} {unit}{'' if n == 1 else 's'}"
             for n, unit in ((h, "hour"), (m, "minute"), (s, "second")) if n]
    return " ".join(parts[:2]) or "0 seconds"


# Rule values that are names in the rule files, as people say them.
VALUE_WORDS = {
    "more_than": "more than",
    "at_least": "at least",
    "joint_and_several": "jointly and severally",
    "several": "severally",
    "none_possible": "none possible",
    "greater_of_amount_or_paid": "the greater of the amount or what was paid",
    "greater_of_amount_or_fees": "the greater of the amount or the fees",
}
PARAMETER_NAMES = {
    "threshold_posts": "Threshold (posts)",
    "threshold_rule": "Owed when the count is",
    "window": "Period",
    "per_posts": "Per (posts)",
    "counted_acts": "Acts counted",
}
_NAME = re.compile(r"^[a-z]+(?:_[a-z]+)+$")


def duration_words(text: str) -> str | None:
    """``24 hours`` for ``PT24H``, ``18 months`` for ``P18M``; None when not a duration."""
    if not isinstance(text, str) or not text.startswith("P"):
        return None
    try:
        duration = parse_duration(text)
    except ValueError:
        return None
    hours_part, rest = divmod(duration.seconds, 3600)
    amounts = ((duration.years, "year"), (duration.months, "month"), (duration.days, "day"),
               (hours_part, "hour"), (rest // 60, "minute"), (rest % 60, "second"))
    parts = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in amounts if n]
    return " ".join(parts) or "no time"


def parameter_value(value: Any) -> str:
    """A rule parameter as it reads: integers grouped, lists joined, durations and named
    values in words (``24 hours``, ``more than``, ``jointly and severally``)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(parameter_value(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{parameter_name(k)}: {parameter_value(v)}" for k, v in value.items())
    text = str(value)
    if text in VALUE_WORDS:
        return VALUE_WORDS[text]
    spoken = duration_words(text)
    if spoken is not None:
        return spoken
    return text.replace("_", " ") if _NAME.match(text) else text


def parameter_name(name: str) -> str:
    """``Threshold (posts)`` for ``threshold_posts``; other names with spaces."""
    return PARAMETER_NAMES.get(name) or name.replace("_", " ").capitalize()


def time_kind_words(kind: Any) -> str:
    """Which instant a log records, in words (``supplied`` is the log's own column)."""
    return TIME_KINDS.get(kind, "") if isinstance(kind, str) else ""


SHORT_BASIS = {"all_posts": "all posts", "excess_only": "only posts above the threshold"}


def reading_phrase(document: dict[str, Any], reading: dict[str, Any] | str,
                   period: str | None = None) -> str:
    """A reading in one line of words: ``worst-case 24-hour periods, pro rata, all posts``
    (from a reading of the document, or its key ``rolling_worst_case/pro_rata/all_posts``;
    the period from the document's clause or ``period``, else ``worst-case periods``)."""
    if isinstance(reading, str):
        window, _, rest = reading.partition("/")
        rate, _, basis = rest.partition("/")
        reading = {"window": window, "rate": rate, "basis": basis}
    words = reading_words(document, reading)
    if period is not None:
        words = reading_words(document, reading, period=period)
    elif not (document.get("clause") or {}).get("versions"):
        words["window"] = " ".join(words["window"].replace("window", "").split())
    basis = reading.get("basis", "")
    return ", ".join((words["window"][:1].lower() + words["window"][1:],
                      words["rate"][:1].lower() + words["rate"][1:],
                      SHORT_BASIS.get(basis, basis.replace("_", " "))))


def epoch_ms(value: Any) -> int | None:
    """Milliseconds since the epoch of an RFC 3339 UTC instant (``...Z``), for the chart."""
    if not isinstance(value, str) or not value.endswith("Z"):
        return None
    whole, _, fraction = value[:-1].partition(".")
    try:
        seconds = datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None
    return int(seconds) * 1000 + int((fraction + "000")[:3])


def chart_data(document: dict[str, Any], curve: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the chart draws, all from the documents: the trailing count (from the curve), the
    threshold of each clause version (from the assessment's clause parameters) and the windows
    of the headline reading that owe (shaded)."""
    if not curve or not curve.get("points"):
        return None
    points = [[epoch_ms(p.get("at")), p.get("posts")] for p in curve["points"]]
    windows = [{"from": epoch_ms(w.get("start")), "until": epoch_ms(w.get("end")),
                "posts": w.get("posts"), "amount": w.get("amount")}
               for w in owing_windows(headline_reading(document))]
    # The axis spans the curve and every shaded window; before its first point the count is 0.
    first = min([points[0][0], *(w["from"] for w in windows)])
    last = max([points[-1][0], *(w["until"] for w in windows)])
    if first < points[0][0]:
        points.insert(0, [first, 0])
    lines = []
    for version in (document.get("clause") or {}).get("versions") or []:
        level = (version.get("parameters") or {}).get("threshold_posts")
        interval = version.get("in_force") or {}
        start = max(epoch_ms(interval.get("from")) or first, first)
        until = epoch_ms(interval.get("until"))
        end = last if until is None else min(until, last)
        if isinstance(level, int) and start < end:
            lines.append({"from": start, "until": end, "posts": level,
                          "version": version.get("version")})
    return {"points": points, "thresholds": lines, "windows": windows,
            "currency": document.get("currency"), "period": period_words(document),
            "sampled": bool(curve.get("sampled")), "changes": curve.get("changes")}


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


HELPERS = {"money": money, "count": count, "instant": instant, "hours": hours,
           "parameter": parameter_value, "exclusion": exclusion_words,
           "reading": reading_words, "is_headline": is_headline,
           "headline_reading": headline_reading, "owing_windows": owing_windows,
           "period": period_words, "thresholds": thresholds, "chart_data": chart_data,
           "counts": counts, "size": size, "parameter_name": parameter_name,
           "time_kind": time_kind_words, "reading_phrase": reading_phrase}
