"""The reviewer pages as HTML: labelled forms, the rules in words, documents rendered from the
API's own answers, and nothing fetched from elsewhere. (tests/browser/ drives them for real.)"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "calculator" / "web"
LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"


class Elements(HTMLParser):
    """Start tags with their attributes, and the text of every label."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.labels: dict[str, str] = {}
        self._label: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "label":
            self._label = attributes.get("for")
            self.labels[self._label] = ""

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None

    def handle_data(self, data):
        if self._label is not None:
            self.labels[self._label] += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


def test_the_home_page_is_the_assess_page(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/assess")


def test_every_control_of_the_assess_form_has_a_label(client):
    page = Elements(client.get("/assess").get_data(as_text=True))
    controls = [a for t, a in page.tags if t in ("input", "select", "textarea")]
    assert controls
    for control in controls:
        assert control.get("id") in page.labels, f"no <label for> for {control}"
        assert page.labels[control["id"]].strip()
    assert page.labels["log"].strip() == "Crawl log"
    assert {"platform", "region", "tz", "assume_tz", "format", "headline", "api-key"} <= set(
        page.labels)


def test_the_assess_form_offers_platforms_that_price_scraping_and_sends_no_key_field(client):
    html = client.get("/assess").get_data(as_text=True)
    page = Elements(html)
    platforms = [a["value"] for t, a in page.tags if t == "option" and a.get("value") == "x"]
    assert platforms == ["x"]  # only platforms whose rules hold a damages clause
    key = next(a for t, a in page.tags if t == "input" and a.get("id") == "api-key")
    assert "name" not in key and key["type"] == "password"  # never posted as a form field
    form = page.all("form")[0]
    assert form["action"] == "/v1/assessments" and form["enctype"] == "multipart/form-data"


def test_pages_load_only_their_own_files_and_say_so_in_their_policy(client):
    response = client.get("/assess")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    page = Elements(response.get_data(as_text=True))
    sources = [a["src"] for a in page.all("script")] + [
        a["href"] for a in page.all("link") if a.get("rel") == "stylesheet"]
    assert sources and all(s.startswith("/assets/") for s in sources), sources
    for source in sources:
        with client.get(source) as served:
            assert served.status_code == 200, source
    assert "chart.umd.min.js" in " ".join(sources)


def test_no_clause_number_is_written_into_the_pages_code():
    """The threshold, rate and window come from the documents, never from templates or JS."""
    for path in [*WEB.glob("templates/**/*.html"), *WEB.glob("static/js/*.js")]:
        text = path.read_text(encoding="utf-8")
        for number in ("1000000", "1,000,000", "1_000_000", "15000", "15,000"):
            assert number not in text, f"{path.name} writes {number}"


def assessment(client) -> tuple[dict, str]:
    response = client.post("/v1/assessments", data=LOG, content_type="text/csv")
    assert response.status_code == 201, response.get_json()
    return response.get_json(), response.headers["Location"]


def curve(client) -> dict:
    return client.post("/v1/curves", data=LOG, content_type="text/csv").get_json()["curve"]


def test_results_read_the_document_in_words(client):
    document, location = assessment(client)
    response = client.post("/render", json={
        "document": document, "curve": curve(client), "location": location,
        "view": "results"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="headline-amount">USD 18,000.00<' in html
    assert "USD 0.00 to USD 30,000.00" in html
    assert "The crawl went over the threshold" in html
    page = Elements(html)
    rows = [a for t, a in page.tags if t == "tr" and a.get("data-reading")]
    assert len(rows) == 18
    assert [a["data-reading"] for a in rows if a.get("class") == "is-headline"] == [
        "rolling_worst_case/pro_rata/all_posts"]
    assert document["input"]["sha256"] in html and document["ruleset_revision"] in html
    assert "It was above the threshold for 12 hours in all, in 1" in html


def test_the_chart_draws_the_documents_threshold_and_the_headlines_windows(client):
    document, _ = assessment(client)
    changed = copy.deepcopy(document)
    for version in changed["clause"]["versions"]:
        version["parameters"]["threshold_posts"] = 1_100_000
    html = client.post("/render", json={"document": changed,
                                                   "curve": curve(client)}).get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/json" id="curve-data">(.*?)</script>',
                                html, re.S).group(1))
    assert {t["posts"] for t in data["thresholds"]} == {1_100_000}
    windows = next(r for r in document["readings"] if (r["window"], r["rate"], r["basis"]) == (
        "rolling_worst_case", "pro_rata", "all_posts"))["windows"]
    assert len(data["windows"]) == len(windows) == 1
    assert max(p[1] for p in data["points"]) == document["peak_24h"]["posts"]


def test_a_stored_assessment_links_its_printable_report(client):
    document, location = assessment(client)
    html = client.post("/render", json={"document": document,
                                                   "location": location}).get_data(as_text=True)
    record_id = location.rsplit("/", 1)[1]
    assert f'href="/reports/assessments/{record_id}"' in html


def test_the_report_body_has_what_a_citation_needs(client):
    document, _ = assessment(client)
    html = client.post("/render", json={
        "document": document, "view": "report",
        "record": {"id": "abc123", "created_at": "2026-01-02T03:04:05Z", "reference": "LEGAL-1"}},
    ).get_data(as_text=True)
    for needed in (document["ruleset_revision"], document["input"]["sha256"], "abc123",
                   "LEGAL-1", "Version of 2024-11-15",
                   "https://x.com/tos", "Every reading", "What was left out", "Assumptions"):
        assert needed in html, needed
    assert document["clause"]["versions"][0]["quote"][:60] in html


def test_a_march_2025_crawl_quotes_the_clause_version_in_force_then_not_a_later_one(client):
    document, _ = assessment(client)
    assert [(v["version"], v["during_log"]) for v in document["clause"]["versions"]] == [
        ("2024-11-15", True), ("2026-01-15", False)]
    html = client.post("/render", json={"document": document, "view": "report"}
                       ).get_data(as_text=True)
    assert "Version of 2024-11-15" in html and "Version of 2026-01-15" not in html
    assert "The clause, as it was in force during the log" in html


def test_a_crawl_across_a_new_version_quotes_both_versions(client):
    across = b"timestamp,posts\n2026-01-14T18:00:00Z,600000\n2026-01-15T06:00:00Z,600000\n"
    document = client.post("/v1/assessments", data=across, content_type="text/csv").get_json()
    assert all(v["during_log"] for v in document["clause"]["versions"])
    html = client.post("/render", json={"document": document, "view": "report"}
                       ).get_data(as_text=True)
    assert "Version of 2024-11-15" in html and "Version of 2026-01-15" in html


class VisibleText(HTMLParser):
    """The text a reader sees (not attributes, scripts or styles)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def test_reports_say_rule_values_and_readings_in_words_not_internal_names(client):
    fractional = b"timestamp,posts\n2025-03-01T18:00:00.123456Z,600000\n" \
                 b"2025-03-02T06:00:00Z,600000\n"
    document = client.post("/v1/assessments", data=fractional, content_type="text/csv"
                           ).get_json()
    text = VisibleText(client.post("/render", json={"document": document, "view": "report"}
                                   ).get_data(as_text=True)).text
    for words in ("24 hours", "more than", "jointly and severally",
                  "worst-case 24-hour periods, pro rata, all posts",
                  "a time given in the log's own timestamp column", "18:00:00.123 UTC"):
        assert words in text, words
    for internal in ("PT24H", "more_than", "joint_and_several", "rolling_worst_case",
                     "pro_rata", "all_posts", "Instants read", "supplied", ".123456"):
        assert internal not in text, internal


@pytest.mark.parametrize("body", [None, {}, {"document": "no"},
                                  {"document": {}, "view": "poster"}])
def test_rendering_needs_an_assessment_document(client, body):
    response = client.post("/render", json=body)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


def test_the_report_page_loads_its_assessment_through_the_api(client):
    page = client.get("/reports/assessments/0123abcd")
    assert page.status_code == 200
    assert 'data-api-url="/v1/assessments/0123abcd"' in page.get_data(as_text=True)
    missing = client.get("/reports/assessments/not%20an%20id")
    assert missing.status_code == 404
    # A record's page that cannot exist is a missing record, not a missing rule.
    assert "No such record" in missing.get_data(as_text=True)
    assert "No such rule" not in missing.get_data(as_text=True)


def test_a_stored_review_has_a_printable_report_page_that_loads_it_through_the_api(client):
    from calculator.api.reviews.routes import EXAMPLE

    location = client.post("/v1/reviews", json=EXAMPLE).headers["Location"]
    record_id = location.rsplit("/", 1)[1]
    page = client.get(f"/reports/reviews/{record_id}").get_data(as_text=True)
    assert f'data-api-url="/v1/reviews/{record_id}"' in page
    assert 'data-view="review-report"' in page
    missing = client.get("/reports/reviews/not%20an%20id")
    assert missing.status_code == 404
    assert "No such record" in missing.get_data(as_text=True)


def test_the_clauses_index_lists_every_platforms_documents(client, ruleset):
    html = client.get("/clauses").get_data(as_text=True)
    for document_id in ruleset.documents:
        assert f'href="/clauses/{document_id}"' in html


def test_a_document_page_has_its_timeline_and_answers_as_of_a_date(client):
    html = client.get("/clauses/x.terms-of-service?at=2025-01-01&region=eu-efta-uk").get_data(
        as_text=True)
    assert "Timeline of versions" in html
    assert "The version of <strong>2024-11-15</strong> applied" in html
    assert 'href="/clauses/x.terms-of-service/liquidated-damages?at=2025-01-01' in html


def test_a_clause_page_says_which_version_applied_and_what_changed(client):
    html = client.get("/clauses/x.terms-of-service/liquidated-damages?at=2025-01-01&region="
                      "eu-efta-uk").get_data(as_text=True)
    assert "the version of 2024-11-15" in html
    assert "EUR" in html and "knowingly" in html  # the 2026 version's new word, shown as added
    assert "<ins><span class=\"visually-hidden\">added: </span>knowingly</ins>" in html


def test_before_the_clause_existed_the_page_says_so_with_the_first_date(client):
    html = client.get("/clauses/x.terms-of-service/liquidated-damages?at=2024-11-14").get_data(
        as_text=True)
    assert "Not in force on that date" in html
    assert "2024-11-15T00:00:00Z" in html


def test_a_bad_date_is_shown_beside_the_field(client):
    html = client.get("/clauses/x.terms-of-service/liquidated-damages?at=2024-13-01").get_data(
        as_text=True)
    assert 'aria-invalid="true"' in html and "is not a real calendar date" in html


@pytest.mark.parametrize("path", ["/clauses/nope", "/clauses/x.terms-of-service/nope",
                                  "/clauses/x.privacy-policy/liquidated-damages"])
def test_an_unknown_document_or_clause_is_a_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_the_vendored_chart_library_is_the_locked_version_with_its_licence():
    lock = json.loads((ROOT / "web-assets" / "package-lock.json").read_text())["packages"]
    vendor = WEB / "static" / "vendor"
    versions = (vendor / "VERSIONS").read_text()
    for name, path in (("chart.js", "chart.js/chart.umd.min.js"), (
            "chartjs-plugin-annotation",
            "chartjs-plugin-annotation/chartjs-plugin-annotation.min.js")):
        version = lock[f"node_modules/{name}"]["version"]
        digest = hashlib.sha256((vendor / path).read_bytes()).hexdigest()
        assert f"{name} {version} (MIT) {path} sha256 {digest}" in versions
        assert f"v{version}" in (vendor / path).read_text(encoding="utf-8")[:200]
        assert "MIT License" in (vendor / path).parent.joinpath("LICENSE.md").read_text()
    assert (vendor / "chart.js" / "LICENSE-kurkle-color.md").exists()


def test_an_installed_package_carries_the_templates_and_static_files():
    """pip install . (the Dockerfile) copies only what package-data names."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["calculator.web"]
    files = [p for p in WEB.rglob("*") if p.is_file() and "__pycache__" not in p.parts
             and p.suffix != ".py"]
    assert files
    for path in files:
        folder = path.relative_to(WEB).parts[0]
        assert f"{folder}/**/*" in patterns, path


def test_a_review_reads_as_a_printable_report_with_its_citations(client):
    from markupsafe import escape

    from calculator.api.reviews.routes import EXAMPLE

    review = client.post("/v1/reviews", json=EXAMPLE)
    assert review.status_code == 201, review.get_json()
    document = review.get_json()
    html = client.post("/render", json={"document": document, "view": "review-report"}) \
        .get_data(as_text=True)
    assert f"Review of a usage profile: {EXAMPLE['reference']}" in html
    for needed in (document["profile_sha256"], document["ruleset_revision"],
                   document["findings"][0]["title"],
                   document["findings"][0]["citations"][0]["quote"]):
        assert str(escape(needed)) in html, needed
    page = Elements(html)
    assert len([a for t, a in page.tags if t == "li" and "citation" in (a.get("class") or "")]
               ) == len(document["findings"])


def test_closing_the_rules_to_keyless_callers_closes_the_clauses_pages_too(make_app):
    app = make_app(REQUIRE_KEY_FOR_RULES=True)
    client = app.test_client()
    assert client.get("/clauses").status_code == 200  # no key exists yet: the service is open
    app.extensions["calculator.store"].keys.create("counsel")
    for path in ("/clauses", "/clauses/x.terms-of-service",
                 "/clauses/x.terms-of-service/liquidated-damages"):
        response = client.get(path)
        assert response.status_code == 401 and response.mimetype == "text/html"
        assert "API key" in response.get_data(as_text=True)
    assert client.get("/assess").status_code == 200  # the page holds no rules' answers


@pytest.mark.parametrize("view", ["results", "report", "assessment-list", "review-list"])
def test_a_document_the_api_never_answered_is_refused_in_words_not_a_500(client, view):
    response = client.post("/render", json={"document": {"total": "x", "items": 5,
                                                         "clause": 3}, "view": view})
    assert response.status_code == 422
    assert "not a document the API answers" in response.get_json()["detail"]


def test_the_review_form_and_the_records_page_are_linked_from_every_page(client):
    html = client.get("/clauses").get_data(as_text=True)
    assert 'href="/review"' in html and 'href="/records"' in html
    form = Elements(client.get("/review").get_data(as_text=True))
    assert ("form", {"id": "review-form"}) in [(t, {"id": a.get("id")}) for t, a in form.tags
                                               if t == "form"]
    assert all(a.get("id") in form.labels for t, a in form.tags
               if t in ("input", "select") and a.get("type") != "hidden" and a.get("id"))
