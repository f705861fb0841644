"""What changed between an assessment document as filed and the same counts priced again.

``diff_documents(old, new)`` compares two assessment documents (the JSON the API and
``calculator assess --json`` return) and says, in this shape::

    {
      "changed": ["ruleset_revision", "readings", ...],   # the keys below that differ
      "ruleset_revision": {"old": "...", "new": "...", "changed": true},
      "engine_version":   {"old": "0.1.0", "new": "0.1.0", "changed": false},
      "clause_versions":  {"old": ["2024-11-15"], "new": ["2024-11-15", "2026-01-15"],
                           "added": ["2026-01-15"], "removed": [], "changed": true},
      "counted":          {"old": {"posts": .., "accesses": ..}, "new": {...}, "changed": ..},
      "excluded":         {"old": {...rows by reason}, "new": {...}, "changed": ..},
      "headline":         {"old": {window, rate, basis, amount}, "new": {...},
                           "changed": ..},
      "range":            {"low": {"old": "0.00", "new": "0.00"},
                           "high": {"old": "30000.00", "new": "45000.00"}, "changed": ..},
      "readings": [       # all 18, in the document's order
        {"window": .., "rate": .., "basis": .., "old": "18000.00", "new": "18000.00",
         "changed": false, "windows_added": [], "windows_removed": []}, ...],
      "assumptions":      {"added": [...], "removed": [...], "changed": ..}
    }

Amounts are the documents' decimal strings. A window is added or removed when no window
of the other document has the same start, end, posts, amount and clause version, so a
window whose amount changed appears once removed (old) and once added (new).
"""

from __future__ import annotations

from typing import Any

_SCALARS = ("ruleset_revision", "engine_version")


def _pair(old: Any, new: Any) -> dict[str, Any]:
    return {"old": old, "new": new, "changed": old != new}


def _window_key(window: dict[str, Any]) -> tuple:
    return (window["start"], window["end"], window["posts"], window["amount"],
            window.get("clause_version"))


def _reading_key(reading: dict[str, Any]) -> tuple[str, str, str]:
    return reading["window"], reading["rate"], reading["basis"]


def _readings(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    old_by_key = {_reading_key(r): r for r in old}
    new_by_key = {_reading_key(r): r for r in new}
    order = [*old_by_key, *(k for k in new_by_key if k not in old_by_key)]
    result = []
    for key in order:
        before, after = old_by_key.get(key), new_by_key.get(key)
        old_windows = {_window_key(w): w for w in (before or {}).get("windows", [])}
        new_windows = {_window_key(w): w for w in (after or {}).get("windows", [])}
        added = [w for k, w in new_windows.items() if k not in old_windows]
        removed = [w for k, w in old_windows.items() if k not in new_windows]
        old_amount = before["amount"] if before else None
        new_amount = after["amount"] if after else None
        result.append({"window": key[0], "rate": key[1], "basis": key[2], "old": old_amount,
                       "new": new_amount,
                       "changed": old_amount != new_amount or bool(added or removed),
                       "windows_added": added, "windows_removed": removed})
    return result


def _versions(document: dict[str, Any]) -> list[str]:
    return [v["version"] for v in document.get("clause", {}).get("versions", [])]


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What differs between ``old`` (as filed) and ``new`` (priced again); see the module."""
    changes: dict[str, Any] = {name: _pair(old.get(name), new.get(name)) for name in _SCALARS}
    old_versions, new_versions = _versions(old), _versions(new)
    changes["clause_versions"] = {
        "old": old_versions, "new": new_versions,
        "added": [v for v in new_versions if v not in old_versions],
        "removed": [v for v in old_versions if v not in new_versions],
        "changed": old_versions != new_versions}
    changes["counted"] = _pair(old.get("counted"), new.get("counted"))
    changes["excluded"] = _pair(old.get("excluded"), new.get("excluded"))
    changes["headline"] = _pair(old.get("headline"), new.get("headline"))
    old_range, new_range = old.get("range") or {}, new.get("range") or {}
    changes["range"] = {
        "low": {"old": old_range.get("low"), "new": new_range.get("low")},
        "high": {"old": old_range.get("high"), "new": new_range.get("high")},
        "changed": old_range != new_range}
    readings = _readings(old.get("readings", []), new.get("readings", []))
    changes["readings"] = readings
    old_notes, new_notes = old.get("assumptions", []), new.get("assumptions", [])
    added = [a for a in new_notes if a not in old_notes]
    removed = [a for a in old_notes if a not in new_notes]
    changes["assumptions"] = {"added": added, "removed": removed,
                              "changed": bool(added or removed)}
    changed = [name for name, value in changes.items()
               if (any(r["changed"] for r in value) if name == "readings"
                   else value["changed"])]
    return {"changed": changed, **changes}
