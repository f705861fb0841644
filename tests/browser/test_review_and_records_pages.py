"""A reviewer's daily pages in Chromium: a usage profile reviewed from a form, and the list of
stored assessments and reviews (the tickets), both with the API key kept in the tab."""

from __future__ import annotations

import json
import urllib.request
from decimal import Decimal

from playwright.sync_api import expect

import calculator
from tests.browser.test_reviewer_pages import (
    crawl_log,
    no_accessibility_violations,
    the_page_asks_for_the_key,
)
from tests.review.helpers import VENDOR


def post(server, path: str, body: bytes, content_type: str, key: str | None = None) -> dict:
    headers = {"Content-Type": content_type}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(f"{server.url}{path}", data=body, method="POST",
                                     headers=headers)
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def fill_vendor_profile(page) -> None:
    page.get_by_label("Platform", exact=True).select_option("x")
    page.get_by_label("Reference").fill("DL-2024-117")
    page.get_by_label("Collection from").fill("2024-10-01")
    page.get_by_label("Until").fill("2025-02-01")
    page.get_by_label("Posts a day").fill("2000000")
    page.get_by_label("Scraping or crawling", exact=True).check()
    page.get_by_label("AI training", exact=True).check()
    page.get_by_label("Public posts", exact=True).check()
    page.get_by_label("Profile information", exact=True).check()
    for region in VENDOR["user_regions"]:
        page.locator(f"#user-region-{region}").check()
    page.get_by_label("Kept for").fill("P2Y")
    page.get_by_label("Users who opted out of AI training").select_option("false")


def test_a_reviewer_reviews_a_profile_from_the_form_and_opens_its_report(page, server, steps):
    expected = calculator.review(VENDOR).to_document()
    with steps("open the review form: every control has a label"):
        page.goto(f"{server.url}/review")
        assert page.get_by_role("heading", level=1).inner_text() == "Review a usage profile"
        no_accessibility_violations(page)
    with steps("describe the vendor's collection and review it"):
        fill_vendor_profile(page)
        page.get_by_role("button", name="Review the profile").click()
        page.locator("#results-heading").wait_for()
    with steps("the findings and the projected damages are the review's"):
        damages = expected["summary"]["projected_damages"]
        assert page.locator("#headline-amount").inner_text() == \
            f"USD {Decimal(damages['headline']):,.2f}"
        assert page.locator("#findings > li").count() == len(expected["findings"])
        reading = page.locator(".headline-reading").inner_text()
        assert "worst-case periods, pro rata, all posts" in reading
        assert "rolling_worst_case" not in reading
    with steps("the stored review's report opens at its stable address"):
        link = page.get_by_role("link", name="Printable report of this stored review")
        href = link.get_attribute("href")
        link.click()
        page.wait_for_url(f"**{href}")
        page.locator("#report-heading").wait_for()
        assert "DL-2024-117" in page.locator("#report-heading").inner_text()


def test_a_profile_with_mistakes_is_explained_field_by_field(page, server, steps):
    with steps("a collection that ends before it starts"):
        page.goto(f"{server.url}/review")
        fill_vendor_profile(page)
        page.get_by_label("Until").fill("2024-09-01")
        page.get_by_role("button", name="Review the profile").click()
        problem = page.get_by_role("alert")
        problem.wait_for()
    with steps("the problem names the field and says what to do"):
        text = problem.inner_text()
        assert "period" in text and "Correct each field named above" in text, text
        assert "{" not in text and page.locator("#results").is_hidden()


def test_a_reviewer_lists_the_stored_assessments_and_reviews_of_a_ticket(page, server, steps):
    key = server.store.keys.create("reviewer")[1]
    post(server, "/v1/assessments?reference=LEGAL-7", crawl_log(), "text/csv", key)
    post(server, "/v1/assessments?reference=LEGAL-8", crawl_log(), "text/csv", key)
    post(server, "/v1/reviews", json.dumps({**VENDOR, "reference": "LEGAL-7"}).encode(),
         "application/json", key)
    with steps("without the key, the page asks for it"):
        page.goto(f"{server.url}/records")
        the_page_asks_for_the_key(page)
    with steps("with the key, both lists show, newest first, each linked to its report"):
        page.get_by_label("Key", exact=True).fill(key)
        page.get_by_role("button", name="Show the records").click()
        page.locator("#assessment-list").wait_for()
        page.locator("#review-list").wait_for()
        assert page.locator("#assessment-list tbody tr").count() == 2
        assert page.locator("#review-list tbody tr").count() == 1
        first = page.locator("#assessment-list tbody tr").first.inner_text()
        assert "LEGAL-8" in first
        assert page.evaluate("sessionStorage.getItem('calculator.api-key')") == key
        assert key not in page.content()
        no_accessibility_violations(page)
    with steps("a ticket's reference finds its records"):
        page.get_by_label("Reference").fill("LEGAL-7")
        page.get_by_role("button", name="Show the records").click()
        # A locator assertion retries without evaluating script text, which the pages'
        # Content-Security-Policy (no 'unsafe-eval') would refuse.
        expect(page.locator("#assessment-list tbody tr")).to_have_count(1)
        assert "LEGAL-7" in page.locator("#assessment-list tbody tr").inner_text()
        assert page.locator("#review-list tbody tr").count() == 1
    with steps("a record's report opens from the list with the kept key"):
        page.locator("#review-list a").first.click()
        page.locator("#report-heading").wait_for()
        assert "/reports/reviews/" in page.url
