"""An assessment's options as a job keeps them, and the checks made before its upload."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from calculator.rules import RuleLookup


def options_to_json(options: dict[str, Any]) -> dict[str, Any]:
    """The options of an assessment as stored with its job (instants as ISO 8601)."""
    window = options.get("collection_window")
    return {**options, "collection_window": None if window is None else
            [window[0].isoformat(), window[1].isoformat()]}


def options_from_json(stored: dict[str, Any]) -> dict[str, Any]:
    window = stored.get("collection_window")
    return {**stored, "collection_window": None if window is None else
            (datetime.fromisoformat(window[0]), datetime.fromisoformat(window[1]))}


def refuse_early(lookup: RuleLookup, options: dict[str, Any]) -> None:
    """The checks ``assess`` makes before reading, made before a job's upload is kept:
    a platform without a damages clause or an unknown zone is answered at once, not by a
    failed job minutes later."""
    from calculator.damages.assessment import damages_clause, parse_reading
    from calculator.timeutil import zone

    zone(options.get("tz", "UTC"), "tz")
    zone(options.get("assume_tz", "UTC"), "assume_tz")
    parse_reading(options.get("headline"))
    lookup.region(options.get("region"))
    damages_clause(lookup, options.get("platform", "x"))
