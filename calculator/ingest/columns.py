"""Which column of a tabular log holds which fact: the time, the posts, the post id, the
URL, the platform.

A column is found by a name the caller gives (``time_column`` and the like), else by a
common name (``timestamp``, ``time``, ``ts``, ...). Readers work with the internal names
(``timestamp``, ``posts``, ``post_id``, ``url``, ``platform``): a ``ColumnMap`` tells them
which of the log's columns carries each one, so every reader (CSV, JSON Lines, JSON array,
Parquet...) recognizes the same names the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields

from calculator.errors import FieldProblem, InvalidArgument, InvalidInput

# Per fact: the internal name first (the documented one, preferred when present), then
# common names, compared without regard to case.
COMMON_NAMES: dict[str, tuple[str, ...]] = {
    "time": ("timestamp", "time", "ts", "date", "datetime", "created_at", "@timestamp"),
    "posts": ("posts", "post_count", "posts_count", "num_posts", "n_posts"),
    "post_id": ("post_id", "tweet_id", "status_id", "postid"),
    "url": ("url", "uri", "request_url", "target_uri"),
    "platform": ("platform", "site"),
}
# The name readers use for each fact.
INTERNAL = {fact: names[0] for fact, names in COMMON_NAMES.items()}
# Facts read only under their own name.
FIXED_NAMES = ("authorized", "actor", "status")
# How each fact is named as an option (HTTP and Python; the command line writes
# --time-column and so on).
OPTION = {fact: f"{fact}_column" for fact in COMMON_NAMES}

# What each option means, for the command line's help, the API's documentation and the page.
OPTION_HELP = {
    "time": "The column holding each row's time, when it is not one of "
            + ", ".join(COMMON_NAMES["time"]) + ".",
    "posts": "The column holding each row's number of posts, when it is not one of "
             + ", ".join(COMMON_NAMES["posts"]) + ".",
    "post_id": "The column holding each row's post id, when it is not one of "
               + ", ".join(COMMON_NAMES["post_id"]) + ".",
    "url": "The column holding each row's URL, when it is not one of "
           + ", ".join(COMMON_NAMES["url"]) + ".",
    "platform": "The column naming each row's platform, when it is not one of "
                + ", ".join(COMMON_NAMES["platform"]) + ".",
}
_WORDS = {"time": "time", "posts": "posts", "post_id": "post id", "url": "URL",
          "platform": "platform"}


def _short(name: str) -> str:
    """A column name as shown back: a prefix, so that a huge header field is not echoed."""
    return name if len(name) <= 40 else name[:40] + "..."


@dataclass(frozen=True)
class ColumnNames:
    """The columns the caller named, per fact; None leaves the fact to its common names."""

    time: str | None = None
    posts: str | None = None
    post_id: str | None = None
    url: str | None = None
    platform: str | None = None

    def __post_init__(self) -> None:
        given: dict[str, str] = {}
        for fact in COMMON_NAMES:
            name = getattr(self, fact)
            if name is not None and not isinstance(name, str):
                raise InvalidArgument(f"{OPTION[fact]}: a column's name is text, not "
                                      f"{type(name).__name__}")
            if name is not None and not name.strip():
                object.__setattr__(self, fact, None)  # an empty form field names nothing
                continue
            if name is None:
                continue
            key = name.strip().lower()
            if key in given:
                message = (f"the column '{_short(name)}' is named for both the "
                           f"{_WORDS[given[key]]} and the {_WORDS[fact]}")
                raise InvalidArgument(f"{OPTION[fact]}: {message}", problems=[
                    FieldProblem(message, field=OPTION[fact])])
            given[key] = fact

    @classmethod
    def of(cls, time_column: str | None = None, posts_column: str | None = None,
           post_id_column: str | None = None, url_column: str | None = None,
           platform_column: str | None = None) -> ColumnNames:
        """From the options as callers name them (``time_column``...)."""
        return cls(time=time_column, posts=posts_column, post_id=post_id_column,
                   url=url_column, platform=platform_column)

    def given(self) -> dict[str, str]:
        """The facts whose column the caller named, and the names (lower case)."""
        return {f.name: getattr(self, f.name).strip().lower() for f in fields(self)
                if getattr(self, f.name) is not None}

    def as_options(self) -> dict[str, str]:
        """The named columns as options (``time_column``...), for documents."""
        return {OPTION[f.name]: getattr(self, f.name).strip() for f in fields(self)
                if getattr(self, f.name) is not None}

    def time_candidates(self) -> tuple[str, ...]:
        """The names a time column is looked for under."""
        given = self.given().get("time")
        return (given,) if given else COMMON_NAMES["time"]

    def has_time_column(self, names: Iterable[str]) -> bool:
        """Whether a header names a time column (for telling a CSV from other text)."""
        lowered = {n.strip().lower() for n in names}
        return any(c in lowered for c in self.time_candidates())

    def resolve(self, names: Iterable[str], where: str = "the log") -> ColumnMap:
        """Which of ``names`` (a header, or the keys of JSON records) carries each fact.

        A named column that is missing, or two common names for one fact with neither the
        internal name nor a named column to choose between them, is refused: guessing
        which of ``date`` and ``time`` holds the instant would change the count."""
        lowered = [n.strip().lower() for n in names]
        present = set(lowered)
        given = self.given()
        chosen: dict[str, str] = {}
        for fact, common in COMMON_NAMES.items():
            if fact in given:
                if given[fact] not in present:
                    message = (f"no column named '{_short(given[fact])}' (named as the "
                               f"{_WORDS[fact]} column) in {where}; "
                               f"{_names_shown(lowered, where)}")
                    raise InvalidInput(f"{OPTION[fact]}: {message}", problems=[
                        FieldProblem(message, field=OPTION[fact])])
                chosen[fact] = given[fact]
                continue
            found = [c for c in common if c in present and c not in given.values()]
            if not found:
                continue
            if common[0] in found:
                chosen[fact] = common[0]
            elif len(found) == 1:
                chosen[fact] = found[0]
            else:
                message = (f"several columns in {where} could hold the {_WORDS[fact]} "
                           f"({', '.join(found)}); say which one with the {_WORDS[fact]} "
                           "column option")
                raise InvalidInput(message, problems=[
                    FieldProblem(message, field=OPTION[fact])])
        return ColumnMap({name: INTERNAL[fact] for fact, name in chosen.items()})

    def no_time_column(self, names: list[str], where: str) -> InvalidInput:
        """The refusal of a table without a time column, saying what was looked for."""
        looked = ", ".join(self.time_candidates())
        lowered = [n.strip().lower() for n in names]
        # A time column's usual name present, but named for another fact by an option.
        taken = "".join(f"; {_short(name)} is named as the {_WORDS[fact]} column"
                        for fact, name in self.given().items()
                        if fact != "time" and name in lowered
                        and name in self.time_candidates())
        shown = _names_shown(lowered, where)
        message = (f"no time column in {where}: looked for {looked}; {shown}{taken}. Name "
                   "the column that holds the time (the time column option)")
        return InvalidInput(message, problems=[FieldProblem("no time column",
                                                            field="time_column", row=0)])


# What a column name is not: a number, or what holds a date, a URL, a host or JSON.
LOOKS_LIKE_A_VALUE = re.compile(r"""
      ^\s*[-+]?[\d.,:]+\s*$            # a number, a time of day
    | \d{4}-\d{2}-\d{2}                # a date, a date and time
    | ://                              # a URL
    | \b[a-z0-9-]+\.(com|org|net|io|co)\b  # a host, a URL without its scheme
    | [{}"\[\]]                        # JSON, or a quote
""", re.VERBOSE)


def _names_shown(lowered: list[str], where: str) -> str:
    """The columns a log names, as a refusal shows them: none when some look like values
    (a CSV without a header line, or JSON keyed by URLs or ids: its "names" are the log's
    content, which no answer repeats)."""
    values = sum(1 for name in lowered if LOOKS_LIKE_A_VALUE.search(name))
    if not values:
        return f"the columns are {_listing(lowered)}"
    header = ": a CSV log needs a header line naming its columns" if "CSV" in where else ""
    return (f"{values:,} of its {len(lowered):,} names look like values (a time, a URL, an id "
            f"or a number) and none is shown{header}")


def _listing(names: list[str]) -> str:
    if not any(names):
        return "none"
    shown = ", ".join(_short(n) for n in names[:20])
    return shown + (f" and {len(names) - 20:,} more" if len(names) > 20 else "")


@dataclass(frozen=True)
class ColumnMap:
    """The log's column (lower case) that carries each internal name."""

    internal_of: dict[str, str]

    def internal(self, name: str) -> str | None:
        """The internal name of the log's column ``name``, or None when it is not read as
        one (a column named ``posts`` is not read as posts when another was named)."""
        key = name.strip().lower()
        if key in self.internal_of:
            return self.internal_of[key]
        if key in FIXED_NAMES:
            return key
        return None

    def source_of(self, internal: str) -> str | None:
        """The log's column read as ``internal``."""
        return next((n for n, i in self.internal_of.items() if i == internal), None)

    def renamed(self) -> dict[str, str]:
        """Facts read from a column other than their internal name: internal -> column."""
        return {i: n for n, i in self.internal_of.items() if n != i}
