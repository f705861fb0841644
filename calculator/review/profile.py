"""A data-licensing usage profile: what a reviewer knows about a collection, validated strictly.

A profile describes a collection without its log: platform and regional part, the
collection period, the channel, the volume, purposes, data categories, the users'
regions, whether opted-out users are excluded, planned retention and a free reference.
Every value is checked: unknown keys and unknown words are refused with their field
path, so a typo never becomes a silently different review (docs/decisions/0030).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from calculator import json_input
from calculator.errors import FieldProblem, InvalidArgument, InvalidInput, excerpt
from calculator.rules.fields import StrictBool, StrictInt, StrictStr
from calculator.rules.lookup import RuleLookup
from calculator.rules.yamlfile import format_path
from calculator.timeutil import FIRST_YEAR, LAST_YEAR, SUPPORTED_YEARS, parse_duration
from calculator.validation import flatten_messages

# The words a profile may use, each with what it means. Documented in docs/decisions/0030.
CHANNELS: dict[str, str] = {
    "scraping": "Collected by crawling or scraping the platform (pages or endpoints) without "
                "an agreement with the platform.",
    "official_api": "Collected through the platform's published API, under its developer terms.",
    "licensed_vendor": "Bought or licensed from a third-party vendor who collected it.",
}
PURPOSES: dict[str, str] = {
    "ai_training": "Training or fine-tuning machine-learning or AI models, generative or not.",
    "research": "Academic or other non-commercial research.",
    "analytics": "Measurement, social listening, market or brand analytics.",
    "resale": "Reselling, sublicensing or otherwise redistributing the data.",
    "advertising": "Targeting, personalizing or measuring advertising.",
    "archiving": "Keeping a copy for record-keeping or preservation.",
    "monitoring": "Watching accounts, topics or events (trust and safety, security, "
                  "compliance).",
}
DATA_CATEGORIES: dict[str, str] = {
    "public_posts": "Public posts: their text, media and counts.",
    "profile_information": "Profile fields: display name, user name, bio and the like.",
    "direct_messages": "Private or direct messages.",
    "identity_verification_data": "ID document images, selfies and data extracted from ID "
                                  "documents.",
}
# A planned retention that is not a duration.
RETENTION_WORDS = ("indefinite",)
# The longest collection a profile may describe (ten years and two days).
MAX_PERIOD_DAYS = 3654
# A profile is a few hundred bytes and is parsed whole: the most of one read, over HTTP (the
# default of MAX_REVIEW_LENGTH) and from a file or standard input.
MAX_PROFILE_BYTES = 1024 * 1024

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StrictDate(fields.Field):
    """A calendar date written ``YYYY-MM-DD`` (a UTC day), and a real one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).update(type="string", format="date",
                                                 example="2024-10-01")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not _DATE.match(value):
            raise ValidationError(f"expected a date written YYYY-MM-DD, got {excerpt(value)}")
        if not FIRST_YEAR <= int(value[:4]) <= LAST_YEAR:
            raise ValidationError(f"'{value}' is outside {SUPPORTED_YEARS}, the dates this "
                                  "service reads")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"'{value}' is not a real calendar date") from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else value.isoformat()


class Word(fields.String):
    """One word of a fixed vocabulary; the error names the words allowed."""

    def __init__(self, words: dict[str, str] | tuple[str, ...], **kwargs: Any) -> None:
        self.words = tuple(words)
        kwargs.setdefault("metadata", {})["enum"] = list(self.words)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or value not in self.words:
            raise ValidationError(f"unknown value {excerpt(value)}; expected one of "
                                  f"{', '.join(self.words)}")
        return value


class Retention(fields.String):
    """An ISO 8601 duration (``P2Y``, ``P30D``) or ``indefinite``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and value in RETENTION_WORDS:
            return value
        try:
            duration = parse_duration(value)
        except ValueError:
            raise ValidationError(f"expected an ISO 8601 duration such as P2Y or P30D, or "
                                  f"'indefinite'; got {excerpt(value)}") from None
        if duration.approximate_days() <= 0:
            raise ValidationError("must be longer than zero")
        return value


def _posts(**kwargs: Any) -> StrictInt:
    return StrictInt(validate=validate.Range(min=0, max=10**12), **kwargs)


class ProfilePeriodSchema(Schema):
    start = StrictDate(required=True, metadata={"description": "First UTC day of collection."})
    end = StrictDate(required=True, metadata={
        "description": "First UTC day no longer collected: the period is [start, end)."})

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "start" in data and "end" in data:
            _check_span(data["start"], data["end"])


def _check_span(start: date, end: date) -> None:
    if end <= start:
        raise ValidationError(
            f"end ({end}) must be after start ({start}): the period is [start, end), end "
            "being the first day no longer collected", field_name="end")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError(f"the period may be at most {MAX_PERIOD_DAYS} days long",
                              field_name="end")


class ScheduleEntrySchema(Schema):
    start = StrictDate(required=True)
    end = StrictDate(required=True, metadata={"description": "Exclusive, as the period's."})
    posts_per_day = _posts(metadata={"description": "Posts collected on each day of the entry."})
    posts = _posts(metadata={"description": "Posts collected over the entry, spread evenly over "
                                            "its days."})

    @validates_schema
    def _one_count(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "start" in data and "end" in data:
            _check_span(data["start"], data["end"])
        given = [k for k in ("posts_per_day", "posts") if k in data]
        if len(given) != 1:
            raise ValidationError("give exactly one of posts_per_day, posts", field_name="_schema")


class ProfileVolumeSchema(Schema):
    posts_per_day = _posts(metadata={"description": "Posts collected on every day of the "
                                                    "period."})
    schedule = fields.List(fields.Nested(ScheduleEntrySchema), validate=validate.Length(min=1),
                           metadata={"description": "Periods with their counts, in order, "
                                                    "without overlaps; days in no entry have "
                                                    "no collection."})
    total = _posts(metadata={"description": "Posts collected over the whole period, spread "
                                            "evenly over its days."})

    @validates_schema
    def _exactly_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        given = [k for k in ("posts_per_day", "schedule", "total") if k in data]
        if len(given) != 1:
            raise ValidationError("give exactly one of posts_per_day, schedule, total",
                                  field_name="_schema")


class ProfileSchema(Schema):
    """A usage profile. Unknown keys and values are refused."""

    platform = StrictStr(required=True, metadata={"description": "Platform id, e.g. x.",
                                                  "example": "x"})
    region = StrictStr(load_default=None, allow_none=True, metadata={
        "description": "The regional part of the platform's terms that binds the collector: "
                       "rest-of-world (default; includes the US) or eu-efta-uk, or the ISO "
                       "3166-1 alpha-2 code of the collector's country (DE, US), resolved to "
                       "its part."})
    period = fields.Nested(ProfilePeriodSchema, required=True)
    channel = Word(CHANNELS, required=True)
    volume = fields.Nested(ProfileVolumeSchema, required=True)
    purposes = fields.List(Word(PURPOSES), required=True, validate=validate.Length(min=1))
    data_categories = fields.List(Word(DATA_CATEGORIES), required=True,
                                  validate=validate.Length(min=1))
    user_regions = fields.List(StrictStr(), load_default=list, metadata={
        "description": "Regions of the users whose data is collected (the ruleset's regions)."})
    opted_out_users_excluded = StrictBool(load_default=None, allow_none=True, metadata={
        "description": "Whether users who opted out of AI training are left out; null: not "
                       "stated (treated as not excluded)."})
    retention = Retention(load_default=None, allow_none=True, metadata={
        "description": "How long the data will be kept: an ISO 8601 duration or indefinite; "
                       "null: not stated."})
    reference = StrictStr(load_default=None, allow_none=True, validate=validate.Length(max=200),
                          metadata={"description": "A free reference, e.g. a ticket id."})


@dataclass(frozen=True)
class ScheduleEntry:
    start: date
    end: date
    posts_per_day: int | None = None
    posts: int | None = None


@dataclass(frozen=True)
class Profile:
    """A validated profile. ``document`` is its canonical JSON form, ``sha256`` that form's
    digest, so the same profile gets the same digest whether it came from a file, an HTTP
    body or a dict."""

    platform: str
    region: str
    start: date
    end: date
    channel: str
    volume_kind: str  # posts_per_day, schedule or total
    posts_per_day: int | None
    schedule: tuple[ScheduleEntry, ...]
    total: int | None
    purposes: tuple[str, ...]
    data_categories: tuple[str, ...]
    user_regions: tuple[str, ...]
    opted_out_users_excluded: bool | None
    retention: str | None
    reference: str | None
    document: dict[str, Any]
    sha256: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def _short_path(path: str, limit: int = 100) -> str:
    """A field path as an error shows it: an unknown key can be megabytes long."""
    return path if len(path) <= limit else path[:limit] + "…"


def _refuse(problems: list[FieldProblem]) -> InvalidInput:
    first = problems[0]
    more = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
    return InvalidInput(f"the profile is not valid: {first}{more}", problems=problems,
                        heading="the profile is not valid")


def load_profile(data: Any, lookup: RuleLookup) -> Profile:
    """Validate a profile (parsed JSON) against the vocabulary and the ruleset's ids."""
    if not isinstance(data, dict):
        raise _refuse([FieldProblem("expected a JSON object (the profile)")])
    try:
        loaded = ProfileSchema().load(data)
    except ValidationError as exc:
        raise _refuse([FieldProblem(message, field=_short_path(format_path(path)) or None)
                       for path, message in flatten_messages(exc.messages)]) from None
    problems: list[FieldProblem] = []
    ruleset = lookup.ruleset
    if loaded["platform"] not in ruleset.platforms:
        problems.append(FieldProblem(
            f"unknown platform {excerpt(loaded['platform'])}; the rules hold "
            f"{', '.join(sorted(ruleset.platforms))}", field="platform"))
    # A part id or an ISO 3166-1 alpha-2 country code (DE), resolved to its part.
    region = loaded["region"] or ruleset.default_region
    country = None
    try:
        choice = lookup.region_choice(loaded["region"])
        region, country = choice.region, choice.country
    except InvalidArgument as exc:
        problems.extend(exc.problems)
    user_regions = []
    for index, user_region in enumerate(loaded["user_regions"]):
        try:
            user_regions.append(lookup.region(user_region, field=f"user_regions[{index}]"))
        except InvalidArgument as exc:
            problems.extend(exc.problems)
    if user_regions and len(user_regions) == len(loaded["user_regions"]):
        # Two countries of one part are one user region for the review.
        loaded["user_regions"] = list(dict.fromkeys(user_regions))
    for name in ("purposes", "data_categories", "user_regions"):
        seen: set[str] = set()
        for index, value in enumerate(loaded[name]):
            if value in seen:
                problems.append(FieldProblem(f"{excerpt(value)} is listed twice",
                                             field=f"{name}[{index}]"))
            seen.add(value)
    start, end = loaded["period"]["start"], loaded["period"]["end"]
    volume = loaded["volume"]
    schedule = tuple(ScheduleEntry(**entry) for entry in volume.get("schedule", ()))
    previous: ScheduleEntry | None = None
    for index, entry in enumerate(schedule):
        where = f"volume.schedule[{index}]"
        if entry.start < start or entry.end > end:
            problems.append(FieldProblem(
                f"[{entry.start}, {entry.end}) lies outside the period [{start}, {end})",
                field=f"{where}.start" if entry.start < start else f"{where}.end"))
        if previous is not None and entry.start < previous.end:
            problems.append(FieldProblem(
                f"starts on {entry.start}, before the previous entry ends ({previous.end}); "
                "entries must be in order and must not overlap", field=f"{where}.start"))
        previous = entry
    if problems:
        raise _refuse(problems)
    kind = next(k for k in ("posts_per_day", "schedule", "total") if k in volume)
    document = _canonical(loaded, region, kind)
    if country is not None:
        document["country"] = country  # echoed: the part was chosen by this country
    digest = hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":"),
                                       ensure_ascii=False).encode()).hexdigest()
    return Profile(
        platform=loaded["platform"], region=region, start=start, end=end,
        channel=loaded["channel"], volume_kind=kind, posts_per_day=volume.get("posts_per_day"),
        schedule=schedule, total=volume.get("total"), purposes=tuple(loaded["purposes"]),
        data_categories=tuple(loaded["data_categories"]),
        user_regions=tuple(loaded["user_regions"]),
        opted_out_users_excluded=loaded["opted_out_users_excluded"],
        retention=loaded["retention"], reference=loaded["reference"], document=document,
        sha256=digest)


def _canonical(loaded: dict[str, Any], region: str, kind: str) -> dict[str, Any]:
    """The profile as the review echoes it: every field, defaults filled in."""
    volume = loaded["volume"]
    if kind == "schedule":
        shown: Any = [{"start": e["start"].isoformat(), "end": e["end"].isoformat(),
                       **{k: e[k] for k in ("posts_per_day", "posts") if k in e}}
                      for e in volume["schedule"]]
    else:
        shown = volume[kind]
    return {
        "platform": loaded["platform"],
        "region": region,
        "period": {"start": loaded["period"]["start"].isoformat(),
                   "end": loaded["period"]["end"].isoformat()},
        "channel": loaded["channel"],
        "volume": {kind: shown},
        "purposes": list(loaded["purposes"]),
        "data_categories": list(loaded["data_categories"]),
        "user_regions": list(loaded["user_regions"]),
        "opted_out_users_excluded": loaded["opted_out_users_excluded"],
        "retention": loaded["retention"],
        "reference": loaded["reference"],
    }


def parse_profile_json(text: str | bytes, name: str = "the profile") -> Any:
    """Parse JSON text, or say where it is broken; a key given twice in one object is
    refused with its path (the last one would silently win)."""
    try:
        return json_input.loads(text)
    except UnicodeDecodeError:
        raise InvalidInput(f"{name} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{name} is not JSON: {exc.msg} at line {exc.lineno}, column "
                           f"{exc.colno}", problems=[FieldProblem(exc.msg, line=exc.lineno)]
                           ) from None
    except json_input.JsonRefused as exc:
        raise InvalidInput(f"{name} is not valid: {exc.path + ': ' if exc.path else ''}"
                           f"{exc.message}", problems=[FieldProblem(
                               exc.message, field=exc.path or None)]) from None
    except ValueError:  # int() of a number with thousands of digits
        raise InvalidInput(f"{name} is not JSON: a number that cannot be read") from None
