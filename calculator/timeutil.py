"""Instants, dates and ISO 8601 durations, read the one way the whole service reads them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calculator.errors import FieldProblem, InvalidArgument, shortened

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def zone(name: str, field: str = "zone") -> ZoneInfo:
    """The IANA zone called ``name``, or an error that says the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):  # OSError: a name too long
        message = (f"'{shortened(str(name))}' is not a known IANA time zone (for example UTC, "
                   "Europe/Dublin, America/Chicago)")
        raise InvalidArgument(f"{field}: {message}",
                              problems=[FieldProblem(message, field=field)]) from None


# The instants the service reads, everywhere (queries, profiles, logs): what a signed 64-bit
# count of nanoseconds holds (1677-09-21 to 2262-04-11), in whole years, so that counts,
# windows and projections never overflow. Outside it is refused, saying so.
FIRST_YEAR = 1678
LAST_YEAR = 2261
SUPPORTED_YEARS = f"the years {FIRST_YEAR} to {LAST_YEAR}"
EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_YEAR, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def out_of_range(moment: date | datetime) -> bool:
    """Whether a date or an instant (naive: read as UTC) is outside the supported years."""
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            # Compare before converting: 0001-01-01T00:00+14:00 cannot be converted to UTC.
            return not EARLIEST <= moment <= LATEST
        return not EARLIEST.replace(tzinfo=None) <= moment <= LATEST.replace(tzinfo=None)
    return not FIRST_YEAR <= moment.year <= LAST_YEAR


def parse_instant(text: str, *, name: str = "at") -> datetime:
    """Read a date (its 00:00 UTC) or an ISO 8601 instant with an offset, as UTC.

    A date-time without an offset is refused: guessing its zone could move it
    across the start of a clause. So is an instant outside ``SUPPORTED_YEARS``.
    """
    value = text.strip()
    shown = shortened(value)
    year = re.match(r"^([+-]?\d+)-", value)
    if year and not FIRST_YEAR <= int(year.group(1)) <= LAST_YEAR:
        _refuse(name, f"'{shown}' is outside {SUPPORTED_YEARS}, the instants this service "
                      "reads")
    if _DATE.match(value):
        try:
            return datetime.combine(date.fromisoformat(value), time(), UTC)
        except ValueError:
            _refuse(name, f"'{shown}' is not a real calendar date")
    if re.fullmatch(r"\d{8}", value):
        # Python reads ISO 8601's basic form as a date-time, which was then told it "has no
        # offset", though a date alone is taken.
        _refuse(name, f"'{shown}' is a date without its hyphens; write it YYYY-MM-DD "
                      f"({value[:4]}-{value[4:6]}-{value[6:]})")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        if re.search(r"[Tt ]\d\d:\d\d:60", value):
            _refuse(name, f"'{shown}' is a leap second (its second is 60), which instants "
                          "counted as POSIX time counts them cannot hold; give the second "
                          "before (:59) or the one after")
        _refuse(name, f"'{shown}' is neither a date (YYYY-MM-DD) nor an ISO 8601 instant with "
                      "an offset (for example 2024-11-15T09:30:00Z)")
    if parsed.tzinfo is None:
        _refuse(name, f"'{shown}' has no offset; add Z or +HH:MM, or give a date alone for its "
                      "00:00 UTC")
    if out_of_range(parsed):  # 1678-01-01T00:00+14:00 is still in 1677 in UTC
        _refuse(name, f"'{shown}' is outside {SUPPORTED_YEARS} (in UTC), the instants this "
                      "service reads")
    return parsed.astimezone(UTC)


def _refuse(name: str, message: str) -> NoReturn:
    raise InvalidArgument(f"{name}: {message}", problems=[FieldProblem(message, field=name)])


def start_of_day(day: date, zone_name: str = "UTC") -> datetime:
    """The instant a day begins in a zone, as UTC."""
    return datetime.combine(day, time(), ZoneInfo(zone_name)).astimezone(UTC)


def format_instant(instant: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``; fractions only when the instant has them."""
    utc = instant.astimezone(UTC)
    text = utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def format_ns(instant_ns: int) -> str:
    """An instant in nanoseconds as RFC 3339 UTC, with as many decimals as it needs."""
    seconds, fraction = divmod(instant_ns, 1_000_000_000)
    text = datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "")
    if fraction:
        text += "." + f"{fraction:09d}".rstrip("0")
    return text + "Z"


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration; years and months are kept apart because their length varies."""

    text: str
    years: int = 0
    months: int = 0
    days: int = 0
    seconds: int = 0

    @property
    def is_fixed(self) -> bool:
        return self.years == 0 and self.months == 0

    def as_timedelta(self) -> timedelta:
        if not self.is_fixed:
            raise ValueError(f"{self.text} has years or months, which have no fixed length")
        return timedelta(days=self.days, seconds=self.seconds)

    def approximate_days(self) -> float:
        """For ordering only (a year as 365.25 days, a month as 1/12 of that)."""
        return self.years * 365.25 + self.months * 365.25 / 12 + self.days + self.seconds / 86400


def parse_duration(text: str) -> Duration:
    """Read an ISO 8601 duration such as ``PT24H``, ``P30D`` or ``P18M``."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"'{shortened(str(text))}' is not an ISO 8601 duration (for example "
                         "PT24H, P30D, P18M)")
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return Duration(
        text=text,
        years=parts["years"],
        months=parts["months"],
        days=parts["weeks"] * 7 + parts["days"],
        seconds=parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"],
    )
