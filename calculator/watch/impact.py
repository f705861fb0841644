"""What a new capture means for the rules: quotes gone, numbers changed, a new printed date.

Compared with the last checked capture of the same document:
- **missing quotes**: a quote or context of a clause version in force at the capture that the
  checked capture holds and the new one does not (after the archive check's normalization),
  with the closest passage of the new text;
- **parameters**: where a missing passage held a number equal to one of the version's
  encoded parameters (an amount, a threshold, a period) and its closest new passage does
  not, the parameter, its encoded value, and the numbers the new passage has instead;
- **effective dates**: printed "Effective"/"Last updated" dates the new capture shows and the
  checked one did not, and whether a recorded version has that date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from calculator.rules.model import ClauseVersion, Document

_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]
_MONTH = "(?:" + "|".join(_MONTHS) + ")"
_DATE = (rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}"
         r"|\d{4}-\d{2}-\d{2})")
_PRINTED = re.compile(
    rf"(?:effective(?:\s+date)?|last\s+(?:updated|modified|revised)|updated)\W{{0,6}}"
    rf"(?:on\s+|as\s+of\s+)?({_DATE})", re.IGNORECASE)


@dataclass(frozen=True)
class TextSearch:
    """How quotes are found in an archived text: the archive check's normalization."""

    contains: Callable[[str, str], bool]  # (text, words) -> found after normalization
    closest: Callable[[str, str], str | None]  # (text, words) -> the closest passage


def numbers(text: str) -> list[Decimal]:
    """The numbers written in a text, in order ("1,000,000" is one number)."""
    return [Decimal(m.group(0).replace(",", "")) for m in _NUMBER.finditer(text)]


def parameter_numbers(value: Any) -> list[Decimal]:
    """The numbers an encoded parameter value stands for: 1000000, "15000.00", PT24H (24)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | Decimal):
        return [Decimal(value)]
    if isinstance(value, str):
        duration = _DURATION.match(value)
        if duration and any(duration.groups()):
            return [Decimal(g) for g in duration.groups() if g]
        try:
            return [Decimal(value)]
        except InvalidOperation:
            return []
    return []


def printed_dates(text: str) -> list[date]:
    """The dates a text prints as its effective or last-updated date, in order, once each."""
    found: list[date] = []
    for match in _PRINTED.finditer(" ".join(text.replace("*", " ").split())):
        day = _parse_date(match.group(1))
        if day is not None and day not in found:
            found.append(day)
    return found


def _parse_date(text: str) -> date | None:
    cleaned = text.replace(",", " ").split()
    try:
        if len(cleaned) == 1:
            return date.fromisoformat(cleaned[0])
        if cleaned[0].isdigit():
            day, month, year = cleaned
        else:
            month, day, year = cleaned
        return date(int(year), _MONTHS.index(month.lower()) + 1, int(day))
    except (ValueError, IndexError):
        return None


def versions_in_force(document: Document, at: datetime) -> list[ClauseVersion]:
    """For each clause and regional part, the present version in force at ``at``."""
    chosen: dict[tuple[str, str], ClauseVersion] = {}
    for clause in document.clauses:
        for region in document.regions:
            current = None
            for version in clause.timeline(region):
                if version.starts <= at:
                    current = version
            if current is not None and current.present:
                chosen[(clause.id, region)] = current
    unique: list[ClauseVersion] = []
    for version in chosen.values():
        if all(version is not v for v in unique):
            unique.append(version)
    return unique


def assess_impact(document: Document, checked_text: str | None, new_text: str,
                  captured_at: datetime, search: TextSearch) -> dict[str, Any]:
    """The impact of ``new_text`` on the rules of ``document`` (see the module's text)."""
    missing: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for version in versions_in_force(document, captured_at):
        passages = [("quote", version.quote)] if version.quote else []
        passages += [("context", c) for c in version.context]
        for role, words in passages:
            if checked_text is not None and not search.contains(checked_text, words):
                continue  # not in the checked capture either: nothing this capture changed
            if search.contains(new_text, words):
                continue
            closest = search.closest(new_text, words)
            missing.append({"clause": version.clause_id, "version": version.date.isoformat(),
                            "regions": list(version.regions), "role": role,
                            "expected": words, "closest": closest})
            changed.extend(_parameter_changes(version, words, closest))
    known = {v.date for v in document.versions} | {
        v.printed_date for v in document.versions if v.printed_date}
    old_dates = set(printed_dates(checked_text or ""))
    new_dates = [{"date": d.isoformat(), "recorded_version": d in known}
                 for d in printed_dates(new_text) if d not in old_dates]
    return {"missing_quotes": missing, "parameters": _once(changed),
            "effective_dates": new_dates}


def _parameter_changes(version: ClauseVersion, expected: str,
                       closest: str | None) -> list[dict[str, Any]]:
    before = numbers(expected)
    after = numbers(closest or "")
    gone = [n for n in before if n not in after]
    came = [n for n in after if n not in before]
    result = []
    for name, value in version.parameters.items():
        values = parameter_numbers(value)
        if values and any(v in gone for v in values):
            result.append({"clause": version.clause_id, "version": version.date.isoformat(),
                           "regions": list(version.regions), "parameter": name,
                           "encoded": _plain(value), "found": [_plain(n) for n in came]})
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return value


def _once(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
