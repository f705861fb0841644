"""Errors the core raises: each one is an answer a user can act on.

The core knows nothing of HTTP. Each error carries a stable ``slug`` (the
problem type), a short ``title`` and a ``detail`` sentence; the HTTP layer maps
the class to a status code and the CLI prints ``detail`` on one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field: where it is and what was expected."""

    message: str
    field: str | None = None
    row: int | None = None
    file: str | None = None
    line: int | None = None

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(self.field)
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def shortened(text: str, limit: int = 40) -> str:
    """A name as a message shows it (a column, a key): a short prefix of a long one."""
    return text if len(text) <= limit else text[:limit] + "…"


def shown_id(value: str) -> str:
    """An identifier a caller sent (a record id in a path, a clause id, a key name) as a
    message shows it: whole when it could be a real one, else its first characters (a
    5,000-character id once came back whole in a 404; decision 0156)."""
    return shortened(value, 80)


def excerpt(value: Any, limit: int = 40) -> str:
    """A value as an error message may show it: its repr, cut to a short prefix (a bad
    value can be megabytes). Only for what a caller typed (a profile, an option), never for
    the content of a log, which messages do not show at all."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


class CalculatorError(Exception):
    """Base class: a problem with what the caller asked, never a crash."""

    slug = "calculator-error"
    title = "The request could not be answered"

    def __init__(self, detail: str, *, problems: list[FieldProblem] | None = None,
                 heading: str | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []
        # What is wrong as a whole ("the profile is not valid"), said above a list of problems.
        self.heading = heading
        self.extensions = extensions

    def __reduce__(self) -> tuple[Any, ...]:
        # Whole across processes (a Dask worker's error is raised again by its client):
        # the default pickles only the detail, and the problems would be lost.
        return (_rebuilt, (type(self), self.detail, self.problems, self.heading,
                           self.extensions))

    def one_line(self) -> str:
        """The message for a terminal: the detail and the first problem, unless the detail
        says it already (a message is not printed twice)."""
        if not self.problems:
            return self.detail
        first = self.problems[0]
        extra = f" ({len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        if str(first) in self.detail or first.message in self.detail:
            return self.detail + extra
        return f"{self.detail}: {first}{extra}"

    def lines(self) -> list[str]:
        """The message for a terminal when every problem matters: the heading, then one line
        per problem (a single problem stays one line)."""
        if len(self.problems) < 2 or not self.heading:
            return [self.one_line()]
        return [f"{self.heading} ({len(self.problems)} problems):",
                *(f"  - {problem}" for problem in self.problems)]

    def problem_document(self, status: int | None = None) -> dict[str, Any]:
        """The RFC 9457 problem details of this error, as the HTTP API answers them and as
        the CLI prints them with ``--json``."""
        body: dict[str, Any] = {"type": f"/problems/{self.slug}", "title": self.title}
        if status is not None:
            body["status"] = status
        body["detail"] = self.detail
        if self.problems:
            body["errors"] = [p.as_dict() for p in self.problems]
        body.update({k: v for k, v in self.extensions.items() if v is not None})
        return body


def _rebuilt(kind: type[CalculatorError], detail: str, problems: list[FieldProblem],
             heading: str | None, extensions: dict[str, Any]) -> CalculatorError:
    return kind(detail, problems=problems, heading=heading, **extensions)


class RulesetError(CalculatorError):
    """The rule files are broken; the service must not start on them."""

    slug = "invalid-ruleset"
    title = "The rule files are invalid"


class InvalidArgument(CalculatorError):
    """An option or parameter has a wrong value (a date, a region, a zone)."""

    slug = "invalid-argument"
    title = "An argument has an invalid value"


class NotFound(CalculatorError):
    """A platform, document or clause id that the rules do not hold."""

    slug = "not-found"
    title = "No such rule"


class NotInForce(CalculatorError):
    """The clause exists, but no version of it was in force at that instant."""

    slug = "not-in-force"
    title = "Not in force at that instant"


class NotRecorded(NotInForce):
    """The rules do not cover the clause at that instant: no recorded version of the document
    was read for it then. Not a legal statement that it was absent.

    A subclass of ``NotInForce`` for code that only asks whether anything is known to be in
    force; its problem type, title and wording differ."""

    slug = "not-recorded"
    title = "Not recorded at that instant"


class InvalidInput(CalculatorError):
    """A crawl log or profile that cannot be read as sent."""

    slug = "invalid-input"
    title = "The input could not be read"


class InputTooLarge(CalculatorError):
    """A body, or its decompressed content, larger than the configured limit."""

    slug = "payload-too-large"
    title = "The input is too large"


class Unauthorized(CalculatorError):
    """A missing, malformed, unknown or revoked API key."""

    slug = "unauthorized"
    title = "A valid API key is needed"


class Conflict(CalculatorError):
    """The request conflicts with an earlier one (an Idempotency-Key reused with another
    body, a key name already in use)."""

    slug = "conflict"
    title = "The request conflicts with an earlier one"


class RecordNotFound(NotFound):
    """A stored assessment or review that does not exist, or that the caller may not see."""

    title = "No such record"


class StorageUnavailable(CalculatorError):
    """The database cannot be reached or opened, or the log cannot be held where the
    service keeps it while reading (an upload's job, a temporary copy)."""

    slug = "storage-unavailable"
    title = "The service's storage is unavailable"
