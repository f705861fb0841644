"""The documented normalization, quote search with the closest passage, and git reading."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.archive import NormalizedText, contains, normalize


def test_markdown_links_keep_their_visible_words():
    assert normalize("see our [Privacy Policy](https://x.com/privacy) and ![logo](a.png)") \
        == "see our Privacy Policy and logo"


def test_emphasis_escapes_and_entities_do_not_count():
    assert normalize("**Effective:** _November 15, 2024_ costs &dollar;0.005 \\- now") \
        == "Effective: November 15, 2024 costs $0.005 - now"


def test_an_underscore_inside_a_word_stays():
    assert normalize("the opt_out_setting field") == "the opt_out_setting field"


def test_curly_quotes_read_as_straight_ones():
    assert contains("X’s “express written permission”", "X's \"express written permission\"")


def test_every_kind_of_white_space_is_one_space():
    assert normalize("in any\u00a024-hour\n\n  period\t-") == "in any 24-hour period -"


def test_words_punctuation_and_dashes_must_match_exactly():
    assert not contains("legal claims, litigation, and regulatory matters",
                        "legal claims, litigation and regulatory matters")
    assert not contains("24-hour period – $15,000", "24-hour period - $15,000")
    assert not contains("Knowingly facilitate", "knowingly facilitate")


def test_an_empty_quote_is_never_found():
    assert not contains("any text", "   ")


@given(st.lists(st.sampled_from(["word", "X’s", "**bold**", "[link](u)", " ", "\n", "\u00a0"]),
                max_size=12))
def test_normalizing_twice_changes_nothing(pieces):
    once = normalize("".join(pieces))
    assert normalize(once) == once


def test_the_closest_passage_is_the_most_similar_words_of_the_text():
    text = NormalizedText("Intro. You further agree that repeated violations of these Terms "
                          "will irreparably harm us. Other words follow here.")
    passage = text.closest("repeated violations of these Terms will irreparably harm and "
                           "entitle us")
    assert passage is not None
    assert "repeated violations of these Terms will irreparably harm us." in passage.text
    assert "Intro." not in passage.text
    assert 50 < passage.similarity < 100


def test_a_part_of_the_text_runs_from_its_heading_to_the_next():
    text = NormalizedText("Summary for all\n##### **Part A**\nwords of A\n"
                          "**Part B**\nwords of B\n")
    part_a = text.section("Part A", ["Part B"])
    part_b = text.section("Part B", ["Part A"])
    assert part_a is not None and part_b is not None
    assert part_a.contains("Summary for all") and part_a.contains("words of A")
    assert not part_a.contains("words of B")
    assert part_b.contains("words of B") and not part_b.contains("words of A")
    assert text.section("Part C", ["Part A"]) is None


def test_captures_and_texts_come_from_the_archive(archives):
    pga = archives["OpenTermsArchive/pga-versions"]
    captures = pga.captures("X/Terms of Service.md")
    assert [c.when for c in captures] == sorted(c.when for c in captures)
    cited = pga.capture("94c4eab2087a754dac5383e848401dac57f79586")
    assert cited is not None and cited.date.isoformat() == "2024-11-16"
    assert cited.commit in {c.commit for c in captures}
    text = pga.text(cited.commit, "X/Terms of Service.md")
    assert text is not None and "Effective: November 15, 2024" in normalize(text)
    assert pga.text(cited.commit, "X/No Such File.md") is None
    assert pga.capture("0" * 40) is None
    assert pga.resolve("94c4eab2") == cited.commit


def test_a_git_url_is_cloned_into_the_cache_once_and_fetched_after(archives, tmp_path):
    from calculator.archive import ArchiveRepository

    source = archives["xdevplatform/docs"]
    url = f"file://{source.git_dir}"
    with ArchiveRepository.open("xdevplatform/docs", url, tmp_path) as first:
        assert first.git_dir.parent == tmp_path
        assert first.captures("x-api/getting-started/pricing.mdx") == source.captures(
            "x-api/getting-started/pricing.mdx")
    with ArchiveRepository.open("xdevplatform/docs", url, tmp_path) as again:
        assert again.git_dir == first.git_dir  # the same clone, fetched again


# The normalization as first written, one regular expression per rule, scanning every
# position of the text: the faster one must give the same words for any text.
_REFERENCE_STEPS = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),
    (re.compile(r"\\([!-/:-@\[-`{-~])"), r"\1"),
)
_REFERENCE_MARKS = (re.compile(r"\*\*|__(?=\S)|(?<=\S)__"), re.compile(r"\*"),
                    re.compile(r"(?<![A-Za-z0-9])_(?=\S)|(?<=\S)_(?![A-Za-z0-9])"))
_REFERENCE_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'})
_REFERENCE_SPACE = re.compile(
    r"[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")


def reference_normalize(text: str) -> str:
    for pattern, replacement in _REFERENCE_STEPS:
        text = pattern.sub(replacement, text)
    text = html.unescape(text)
    for pattern in _REFERENCE_MARKS:
        text = pattern.sub("", text)
    return _REFERENCE_SPACE.sub(" ", text.translate(_REFERENCE_QUOTES)).strip()


# Markdown marks, entities, every kind of space (and near-spaces that are not: zero-width
# space, word joiner) and the curly marks, among plain letters and digits; half of the
# pieces are runs of emphasis marks, letters, digits and spaces, where its rules differ.
_PIECES = st.text("a7_* ", min_size=1, max_size=6) | st.sampled_from([
    "Z", "é", "word", "***", "\\", "\\-", "[", "]", "(", ")",
    "[x](u)", "![i](p)", "[r][1]", "<https://x.com/a_b>", "&amp;", "&nbsp;", "&dollar;", "&",
    ";", " ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u00a0", "\u1680",
    "\u2000", "\u200a", "\u200b", "\u2028", "\u2029", "\u202f", "\u205f", "\u2060", "\u3000",
    "\ufeff", "\u2018", "\u2019", "\u201a", "\u201b", "\u2032", "\u201c", "\u201d", "\u201e",
    "\u201f", "\u2033", "'", '"', "-", "\u2013"])


@settings(max_examples=300)
@given(st.lists(_PIECES, max_size=30) | st.text(max_size=60))
def test_the_normalization_gives_the_words_its_four_rules_give(pieces):
    text = "".join(pieces)
    assert normalize(text) == reference_normalize(text)
