"""The Compare page: every platform in one table, each cell with its clause, words and source."""

from __future__ import annotations

from html.parser import HTMLParser


class Table(HTMLParser):
    """Rows of the comparison table: header cell text, then each cell's class."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.labels: set[str] = set()
        self.controls: list[str] = []
        self._in_th = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag == "th" and attributes.get("scope") == "row":
            self._in_th = True
            self.rows[-1].append("")
        elif tag == "td":
            self.rows[-1].append(attributes.get("class") or "")
        elif tag == "label":
            self.labels.add(attributes.get("for") or "")
        elif tag in ("input", "select"):
            self.controls.append(attributes.get("id") or "")

    def handle_endtag(self, tag):
        if tag == "th":
            self._in_th = False

    def handle_data(self, data):
        if self._in_th:
            self.rows[-1][0] += data.strip()


def test_the_compare_page_shows_all_platforms_with_a_cell_per_question(client):
    response = client.get("/compare?clause=scraping&at=2025-06-01&region=rest-of-world")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Table(html)
    body = [row for row in page.rows if row and row[0]]
    assert len(body) == 21
    assert all(len(row) == 5 for row in body)
    assert set(page.controls) <= page.labels
    assert "$15,000 USD per 1,000,000 posts" in html  # X's words, quoted in its cell
    assert "OpenTermsArchive/pga-versions at 0ed6a15165e1" in html  # Bluesky's read capture


def test_the_ai_training_comparison_has_its_own_columns(client):
    html = client.get("/compare?clause=ai-training&at=2026-08-01").get_data(as_text=True)
    assert "Others training AI on content" in html
    assert "Opt-out offered to users" in html


def test_a_bad_date_on_the_compare_page_is_said_next_to_the_field(client):
    response = client.get("/compare?clause=scraping&at=2025-13-45")
    assert response.status_code == 200
    assert 'id="at-error"' in response.get_data(as_text=True)


def test_the_compare_page_is_in_the_navigation(client):
    assert 'href="/compare"' in client.get("/assess").get_data(as_text=True)
