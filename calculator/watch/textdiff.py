"""A paragraph-level diff of two captures of one document, with the changed words marked.

Paragraphs are the blocks between blank lines of the archive's Markdown, read under the
archive check's normalization. The diff keeps only
what changed: each entry is a paragraph ``removed``, ``added`` or ``changed``; a changed one
carries its words as runs (``same``, ``removed``, ``added``), so a page can mark them and a
feed reader can read them. Unchanged paragraphs are counted, not repeated.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from calculator.archive import normalize

_BLANK_LINES = re.compile(r"\n\s*\n")
_WORDS = re.compile(r"\S+")
# Below this word similarity a replaced paragraph reads better as one removed and one added.
_SIMILAR = 0.5


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs as a reader sees them: each block between blank lines under
    the archive check's normalization (link targets, emphasis markers and escapes gone,
    straight quotes, single spaces), so that a re-extraction that only moves a link or a
    bold marker shows no change of words."""
    blocks = (normalize(block) for block in _BLANK_LINES.split(text))
    return [block for block in blocks if block]


def word_runs(old: str, new: str) -> list[dict[str, str]]:
    """``old`` turned into ``new`` as runs of words: same, removed, added."""
    before, after = _WORDS.findall(old), _WORDS.findall(new)
    runs: list[dict[str, str]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            runs.append({"op": "same", "text": " ".join(before[a1:a2])})
            continue
        if a2 > a1:
            runs.append({"op": "removed", "text": " ".join(before[a1:a2])})
        if b2 > b1:
            runs.append({"op": "added", "text": " ".join(after[b1:b2])})
    return runs


def diff_paragraphs(old_text: str, new_text: str) -> dict[str, Any]:
    """What changed between two captures, paragraph by paragraph.

    ``{"paragraphs": [{"op", "old_index", "new_index", "old", "new", "words"}...],
    "unchanged": n, "added": n, "removed": n, "changed": n}``; indexes count from 1.
    """
    old, new = paragraphs(old_text), paragraphs(new_text)
    entries: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    unchanged = 0
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            unchanged += a2 - a1
            continue
        gone, came = list(range(a1, a2)), list(range(b1, b2))
        # Pair replaced paragraphs in order while they still resemble each other.
        while gone and came and _similar(old[gone[0]], new[came[0]]):
            i, j = gone.pop(0), came.pop(0)
            entries.append({"op": "changed", "old_index": i + 1, "new_index": j + 1,
                            "old": old[i], "new": new[j], "words": word_runs(old[i], new[j])})
        entries.extend({"op": "removed", "old_index": i + 1, "new_index": None,
                        "old": old[i], "new": None, "words": []} for i in gone)
        entries.extend({"op": "added", "old_index": None, "new_index": j + 1,
                        "old": None, "new": new[j], "words": []} for j in came)
    counts = {op: sum(1 for e in entries if e["op"] == op)
              for op in ("added", "removed", "changed")}
    return {"paragraphs": entries, "unchanged": unchanged, **counts}


def _similar(a: str, b: str) -> bool:
    matcher = difflib.SequenceMatcher(a=_WORDS.findall(a), b=_WORDS.findall(b), autojunk=False)
    return matcher.ratio() >= _SIMILAR
