"""Every platform side by side: prohibited or not, consent, damages amount or none, AI training;
each cell resting on a cited clause version, and the three states never mixed up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from calculator.errors import InvalidArgument
from calculator.rules.compare import (
    _CONSENT_WORDS,
    IN_FORCE,
    NOT_IN_FORCE,
    NOT_RECORDED,
    TOPICS,
    compare,
)
from calculator.rules.kinds import ScrapingProhibitionParameters
from calculator.timeutil import parse_instant


def rows(lookup, topic: str, when: str, region: str | None = None):
    answer = compare(lookup, topic, parse_instant(when), region)
    return {row.platform.id: {cell.column: cell for cell in row.cells} for row in answer.rows}


def test_the_comparison_covers_all_twenty_one_platforms_in_both_topics(lookup):
    for topic in TOPICS:
        assert len(rows(lookup, topic, "2026-08-01")) == 21


def test_only_x_names_an_amount_for_scraping_in_2025(lookup):
    table = rows(lookup, "scraping", "2025-06-01")
    amounts = {p: c["damages"].value for p, c in table.items() if c["damages"].value}
    assert set(amounts) == {"x"}
    assert amounts["x"] == {"amount": Decimal("15000.00"), "currency": "USD",
                            "per_posts": 1000000, "threshold_posts": 1000000, "window": "PT24H"}
    damages = table["x"]["damages"]
    assert damages.citations[0].clause.id == "x.terms-of-service.liquidated-damages"
    assert damages.citations[0].version.source.commit == \
        "94c4eab2087a754dac5383e848401dac57f79586"


def test_in_the_eu_part_x_amount_is_in_euros(lookup):
    assert rows(lookup, "scraping", "2025-06-01", "eu-efta-uk")["x"]["damages"].value[
        "currency"] == "EUR"


def test_before_november_2024_x_named_no_amount_although_it_banned_scraping(lookup):
    x = rows(lookup, "scraping", "2024-06-01")["x"]
    assert x["prohibited"].value is True
    assert x["damages"].value is None
    assert x["damages"].state == NOT_IN_FORCE


def test_a_platform_whose_terms_were_read_and_hold_no_ban_is_not_prohibited_not_unknown(lookup):
    bluesky = rows(lookup, "scraping", "2025-06-01")["bluesky"]
    assert bluesky["prohibited"].value is False
    assert bluesky["prohibited"].state == NOT_IN_FORCE
    citation = bluesky["prohibited"].citations[0]
    assert citation.version.status == "absent"
    assert citation.version.source.commit == "0ed6a15165e189277700cb5913c4c3e65a107a69"


def test_before_the_first_capture_every_archived_platform_is_not_recorded(lookup):
    table = rows(lookup, "scraping", "2022-01-01")
    for platform in ("bluesky", "pinterest", "youtube", "twitch", "spotify"):
        assert table[platform]["prohibited"].state == NOT_RECORDED, platform
        assert table[platform]["prohibited"].value is None


def test_a_platform_recorded_only_for_europe_is_not_recorded_elsewhere(lookup):
    tiktok_world = rows(lookup, "scraping", "2026-01-01")["tiktok"]
    tiktok_eu = rows(lookup, "scraping", "2026-01-01", "eu-efta-uk")["tiktok"]
    assert tiktok_world["prohibited"].state == NOT_RECORDED
    assert "only for eu-efta-uk" in tiktok_world["prohibited"].text
    assert tiktok_eu["prohibited"].value is True
    assert tiktok_eu["consent"].value == "written_approval"


def test_every_cell_in_force_cites_a_version_with_its_words_and_source(lookup):
    for topic in TOPICS:
        for region in ("rest-of-world", "eu-efta-uk"):
            for platform, cells in rows(lookup, topic, "2026-08-01", region).items():
                for cell in cells.values():
                    if cell.state == IN_FORCE:
                        assert cell.citations, (platform, cell.column)
                        for citation in cell.citations:
                            assert citation.version is not None
                            assert citation.version.source.archive or \
                                citation.version.source.url


def test_ai_training_comparison_tells_bans_on_others_from_the_platforms_own_training(lookup):
    table = rows(lookup, "ai-training", "2026-08-01")
    assert table["spotify"]["training_by_others"].state == IN_FORCE
    assert "train a machine learning or AI model" in table["spotify"]["training_by_others"].text
    assert table["linkedin"]["training_by_platform"].value is True
    assert table["linkedin"]["opt_out"].value is True
    assert table["x"]["training_by_others"].state == IN_FORCE
    assert table["twitch"]["training_by_others"].state == NOT_IN_FORCE


def test_spotify_training_ban_is_not_in_force_before_its_2023_05_08_capture(lookup):
    before = rows(lookup, "ai-training", "2023-05-07")["spotify"]["training_by_others"]
    assert before.state == NOT_IN_FORCE
    assert before.citations[0].version.date.isoformat() == "2022-11-03"


def test_every_consent_word_of_the_rule_files_reads_in_plain_words():
    allowed = set(ScrapingProhibitionParameters().fields["consent"].validate.choices)
    assert allowed == set(_CONSENT_WORDS)


def test_an_unknown_topic_is_an_error_naming_the_field(lookup):
    with pytest.raises(InvalidArgument) as raised:
        compare(lookup, "pricing", parse_instant("2025-01-01"))
    assert raised.value.problems[0].field == "clause"


def test_the_comparison_never_says_otherwise_than_the_clause_lookup(lookup):
    """Every citation's state is the state the clause lookup gives for that clause, instant and
    region: in force, not in force (read, absent) or not recorded."""
    from calculator.errors import NotInForce, NotRecorded

    for when in ("2022-01-01", "2022-07-26", "2023-08-07", "2024-11-15", "2025-04-07",
                 "2026-02-03", "2026-09-01"):
        for region in ("rest-of-world", "eu-efta-uk"):
            for topic in TOPICS:
                answer = compare(lookup, topic, parse_instant(when), region)
                for row in answer.rows:
                    for cell in row.cells:
                        for citation in cell.citations:
                            if region not in citation.document.regions:
                                assert citation.state == NOT_RECORDED
                                continue
                            try:
                                lookup.clause_in_force(citation.clause.id, answer.at, region)
                                expected = IN_FORCE
                            except NotRecorded:
                                expected = NOT_RECORDED
                            except NotInForce:
                                expected = NOT_IN_FORCE
                            assert citation.state == expected, (citation.clause.id, when,
                                                                region)


def test_after_the_last_checked_capture_a_cell_says_the_rules_were_checked_through_it(lookup):
    bluesky = rows(lookup, "scraping", "2026-10-01")["bluesky"]
    notes = bluesky["prohibited"].citations[0].notes
    assert any("checked against the archive through 2025-10-23" in note for note in notes)
