"""The one normalization under which a quote must appear in an archived text, and the search.

A quote is found when its normalized words are a substring of the normalized text. The
normalization removes only what does not change the words a reader sees
(docs/decisions/0070-archive-check.md):

1. Markdown links and images keep their visible text: ``[Privacy Policy](https://...)``
   reads ``Privacy Policy``; autolinks ``<https://...>`` keep the address.
2. Markdown emphasis markers (``*``, ``**``, ``_``, ``__`` around words) and backslash
   escapes (``\\-``) are dropped; HTML character references read as the character they
   stand for (``&dollar;`` as ``$``, ``&nbsp;`` as a space), as a Markdown or MDX page
   shows them.
3. Curly quotes and apostrophes read as straight ones (``’`` as ``'``, ``“`` as ``"``).
4. Every run of white space (spaces, line breaks, tabs, non-breaking and other Unicode
   spaces) is one space; the ends are trimmed.

Nothing else: letters, digits, punctuation, dashes and case must match exactly.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# ``**``, and ``__`` before a word or after one. Each pattern starts with the character it
# removes, so the search jumps from one such character to the next instead of trying every
# position of a long text.
_STRONG = re.compile(r"\*\*|__(?:(?=\S)|(?<=\S__))")
# An underscore used as emphasis sits at a word edge; one inside a word (snake_case) stays:
# not after a letter or digit and before a non-space, or after a non-space and not before a
# letter or digit.
_UNDERSCORE = re.compile(r"_(?:(?<![A-Za-z0-9]_)(?=\S)|(?<=\S_)(?![A-Za-z0-9]))")
_QUOTES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
}
# White space is what ``str.split()`` splits on (``str.isspace``: the non-breaking, Unicode
# and line-separator spaces among them), and the byte-order mark, which Python does not call
# a space but a page shows as nothing between two words.
_BOM = "\ufeff"


def normalize(text: str) -> str:
    """The text as compared: see the module's documentation for the four rules."""
    if len(text) <= 4096:
        return _normalize_short(text)
    return _normalize(text)


@functools.lru_cache(maxsize=8192)
def _normalize_short(text: str) -> str:
    # Quotes are normalized once, however many texts they are looked for in.
    return _normalize(text)


def _normalize(text: str) -> str:
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _ESCAPE.sub(r"\1", text)
    text = html.unescape(text)
    text = _STRONG.sub("", text)
    text = text.replace("*", "")
    text = _UNDERSCORE.sub("", text)
    if not text.isascii():
        # One replace per mark: ``str.translate`` looks every character of the text up.
        for curly, straight in _QUOTES.items():
            text = text.replace(curly, straight)
    return " ".join(text.replace(_BOM, " ").split())


@dataclass(frozen=True)
class Passage:
    """The part of a text most like a quote that is not in it, to show next to the quote."""

    text: str  # normalized words of the passage
    similarity: float  # 0 to 100 (rapidfuzz partial ratio)
    start: int  # offset in the normalized text


class NormalizedText:
    """A text normalized once, to search for many quotes in it."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.text = normalize(raw)

    def section(self, heading: str, others: list[str]) -> NormalizedText | None:
        """The part of the text from the line that is ``heading`` to the first line after it
        that is one of ``others`` (or the end), after the common text before the first of all
        the headings; None when no line is the heading. A line is a heading when its words,
        without Markdown heading marks, are the heading's."""
        lines = self.raw.splitlines()
        wanted = normalize(heading)
        stops = {normalize(o) for o in others}

        def words(line: str) -> str:
            return normalize(line.lstrip().lstrip("#"))

        start = next((i for i, line in enumerate(lines) if words(line) == wanted), None)
        if start is None:
            return None
        end = next((i for i in range(start + 1, len(lines)) if words(lines[i]) in stops),
                   len(lines))
        common = next(i for i, line in enumerate(lines)
                      if i == start or words(line) in stops)
        return NormalizedText("\n".join(lines[:common] + lines[start:end]))

    def contains(self, quote: str) -> bool:
        """Whether the quote's normalized words appear in the text."""
        wanted = normalize(quote)
        return bool(wanted) and wanted in self.text

    def closest(self, quote: str, margin: int = 0) -> Passage | None:
        """The passage of the text most like ``quote``, widened to whole words, plus
        ``margin`` characters either side; None for an empty text."""
        wanted = normalize(quote)
        if not self.text or not wanted:
            return None
        found = fuzz.partial_ratio_alignment(wanted, self.text)
        if found is None:
            return None
        start, end = found.dest_start, found.dest_end
        start = max(0, start - margin)
        end = min(len(self.text), end + margin)
        while start > 0 and not self.text[start - 1].isspace():
            start -= 1
        while end < len(self.text) and not self.text[end].isspace():
            end += 1
        return Passage(self.text[start:end].strip(), round(found.score, 1), start)


def contains(text: str, quote: str) -> bool:
    """Whether ``quote`` appears in ``text`` after normalizing both."""
    return NormalizedText(text).contains(quote)
