"""The Changes page in Chromium: a reader sees what the archive changed, the removed and added
words marked, and follows the affected clause; no accessibility violations."""

from __future__ import annotations

from datetime import UTC, datetime

from calculator.watch.observations import Observations
from calculator.watch.textdiff import diff_paragraphs

CLAUSE = "x.terms-of-service.liquidated-damages"
OLD = "Intro.\n\nIn any 24-hour period - $15,000 USD per 1,000,000 posts.\n\nOld closing words."
NEW = "Intro.\n\nIn any 24-hour period - $25,000 USD per 1,000,000 posts.\n\nA new paragraph."


def test_a_reader_sees_the_marked_diff_and_follows_the_affected_clause(page, server, steps):
    Observations(server.store.engine).record(
        archive="OpenTermsArchive/pga-versions", commit="e" * 40, path="X/Terms of Service.md",
        platform="x", document="x.terms-of-service",
        captured_at=datetime(2026, 9, 2, 0, 30, tzinfo=UTC), kind="terms_change",
        message="Record new changes of X Terms of Service", checked_commit="c" * 40,
        diff=diff_paragraphs(OLD, NEW),
        impact={"missing_quotes": [], "effective_dates": [],
                "parameters": [{"clause": CLAUSE, "version": "2026-01-15",
                                "regions": ["rest-of-world"], "parameter": "amount",
                                "encoded": "15000", "found": ["25000"]}]})
    with steps("open the Changes page from the navigation"):
        page.goto(f"{server.url}/assess")
        page.get_by_role("link", name="Changes", exact=True).click()
        assert page.get_by_role("heading", level=1).inner_text() == \
            "Changes seen in the terms archive"
    with steps("the removed and added words are marked"):
        assert page.locator("del", has_text="$15,000").is_visible()
        assert page.locator("ins", has_text="$25,000").is_visible()
        assert "encoded 15000; the capture says 25000" in page.locator("main").inner_text()
    with steps("no accessibility violations on the Changes page"):
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
    with steps("follow the affected clause"):
        page.get_by_role("link", name="Liquidated damages (x.terms-of-service.liquidated-"
                                       "damages)").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Liquidated damages"
