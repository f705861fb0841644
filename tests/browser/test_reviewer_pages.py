"""The reviewer pages in a real headless Chromium: upload a log and read the exposure, the
readings and the chart; bad files in words; a clause as of a date; a printable report; keys.

Screenshots of every step go to tests/artifacts/ (named after the test and the step).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import calculator

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
START = datetime(2025, 3, 1, tzinfo=UTC)
COUNT_BLUE = (31, 78, 153)  # the colours curve-chart.js draws with
THRESHOLD_RED = (179, 38, 30)


def crawl_log() -> bytes:
    """Three days of steady crawling (3,000 posts every 10 minutes) with a six-hour burst
    (40,000 every 10 minutes) on the second day: over the threshold for a while."""
    lines = ["timestamp,posts"]
    for step in range(3 * 144):
        at = START + timedelta(minutes=10 * step)
        burst = at.day == 2 and 8 <= at.hour < 14
        lines.append(f"{at:%Y-%m-%dT%H:%M:%SZ},{40_000 if burst else 3_000}")
    return ("\n".join(lines) + "\n").encode()


def money(amount: str | Decimal, currency: str) -> str:
    return f"{currency} {Decimal(amount):,.2f}"


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "crawl-2025-03.csv"
    path.write_bytes(crawl_log())
    return path


@pytest.fixture
def expected():
    """The same log assessed by the core directly, for the region the page chooses: what the
    page must show."""
    return calculator.assess(crawl_log(), region="rest-of-world").to_document()


def no_accessibility_violations(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def the_page_asks_for_the_key(page) -> None:
    """The page says an API key is needed and puts the focus on the key field."""
    problem = page.get_by_role("alert")
    problem.wait_for()
    assert "API key" in problem.inner_text()
    assert page.evaluate("document.activeElement.id") == "api-key"


def chart_state(page) -> dict:
    """What Chart.js holds and what the canvas shows: pixels sampled where the threshold line,
    the count's peak and the shaded windows must be."""
    return page.evaluate("""([blue, red]) => {
      const canvas = document.getElementById('curve-chart');
      const chart = Chart.getChart(canvas);
      if (!chart) { return {drawn: false}; }
      const ratio = chart.currentDevicePixelRatio, ctx = chart.ctx, area = chart.chartArea;
      const x = chart.scales.x, y = chart.scales.y;
      const pixel = (px, py) => Array.from(ctx.getImageData(Math.round(px * ratio),
                                                            Math.round(py * ratio), 1, 1).data);
      const close = (p, rgb) => Math.abs(p[0] - rgb[0]) + Math.abs(p[1] - rgb[1])
                                + Math.abs(p[2] - rgb[2]) < 90 && p[3] > 200;
      const near = (px, py, rgb) => {
        for (let dx = -4; dx <= 4; dx++) { for (let dy = -2; dy <= 2; dy++) {
          if (close(pixel(px + dx, py + dy), rgb)) { return true; } } }
        return false;
      };
      const [count, ...thresholds] = chart.data.datasets;
      const level = thresholds.length ? thresholds[0].data[0].y : null;
      const levelY = y.getPixelForValue(level);
      const across = [0.1, 0.3, 0.5, 0.7, 0.9].map(f => area.left + f * (area.right - area.left));
      const top = count.data.reduce((a, b) => (b.y > a.y ? b : a));
      const boxes = Object.values(chart.options.plugins.annotation.annotations);
      const tint = (px) => {  // share of a column of pixels that is orange-tinted
        let tinted = 0, total = 0;
        for (let py = area.top + 2; py < area.bottom - 2; py += 3) {
          const p = pixel(px, py); total++; if (p[0] - p[2] > 25) { tinted++; }
        }
        return tinted / total;
      };
      const inside = boxes.map(b => tint(x.getPixelForValue((b.xMin + b.xMax) / 2)));
      return {
        drawn: true,
        points: count.data.length, elements: chart.getDatasetMeta(0).data.length,
        threshold: level, thresholdLabel: thresholds.length ? thresholds[0].label : null,
        thresholdSeen: across.filter(px => near(px, levelY, red)).length,
        peak: top.y, peakSeen: near(x.getPixelForValue(top.x) + 3, y.getPixelForValue(top.y), blue),
        windows: boxes.length, windowTint: inside,
        outsideTint: tint(area.right - 3),
      };
    }""", [list(COUNT_BLUE), list(THRESHOLD_RED)])


def assess_in_page(page, server, log_file) -> None:
    page.goto(f"{server.url}/assess")
    page.set_input_files("#log", str(log_file))
    page.get_by_role("button", name="Assess the log").click()


def test_a_reviewer_uploads_a_log_and_reads_the_exposure_and_the_curve(
        page, server, steps, log_file, expected):
    currency = expected["currency"]
    server.slow.delay = 1.5  # long enough to see the progress while the log is evaluated
    with steps("open the Assess page"):
        page.goto(f"{server.url}/")
        assert page.get_by_role("heading", level=1).inner_text() == "Assess a crawl log"
        assert page.get_by_label("Crawl log").is_visible()
    with steps("choose the log, platform, region and calendar zone"):
        page.get_by_label("Crawl log").set_input_files(str(log_file))
        page.get_by_label("Platform", exact=True).select_option("x")
        page.get_by_label("Region of the terms").select_option("rest-of-world")
        page.get_by_label("Calendar zone").fill("UTC")
    with steps("submit and see progress while the log is evaluated"):
        page.get_by_role("button", name="Assess the log").click()
        status = page.locator("#status")
        status.filter(has_text="Step 1 of 2").wait_for()
        assert page.locator("#progress").is_visible()
        assert page.get_by_role("button", name="Assess the log").is_disabled()
    with steps("read the headline and the range"):
        headline = page.locator("#headline-amount")
        headline.wait_for()
        assert headline.inner_text() == money(expected["headline"]["amount"], currency)
        assert page.locator("#range").inner_text() == (
            f"{money(expected['range']['low'], currency)} to "
            f"{money(expected['range']['high'], currency)}")
        assert "went over the threshold" in page.locator("#verdict").inner_text()
        assert page.evaluate("document.activeElement.id") == "results-heading"
    with steps("read the table of all readings"):
        table = page.get_by_role("table", name=re.compile("^All 18 readings"))
        rows = table.locator("tbody tr")
        assert rows.count() == 18
        amounts = [rows.nth(i).locator("td").nth(3).inner_text() for i in range(18)]
        assert amounts == [money(r["amount"], currency).split(" ")[1]
                           for r in expected["readings"]]
        marked = table.locator("tr.is-headline")
        assert marked.count() == 1 and "headline" in marked.inner_text()
        headers = table.locator("thead th").all_inner_texts()
        assert headers[:3] == ["Window placement", "Rate", "Basis"]
    with steps("see what was left out and every assumption"):
        assert page.locator("#assumptions li").count() == len(expected["assumptions"])
        assert page.locator("#input-digest").inner_text() == expected["input"]["sha256"]
    with steps("check the chart drew the threshold line, the data and the shaded windows"):
        page.locator("#curve-chart").scroll_into_view_if_needed()
        state = chart_state(page)
        assert state["drawn"], "no Chart.js chart on the canvas"
        limits = {v["parameters"]["threshold_posts"] for v in expected["clause"]["versions"]}
        assert state["threshold"] in limits
        assert f"{state['threshold']:,}" in state["thresholdLabel"]
        assert state["thresholdSeen"] >= 3, f"threshold line not on the canvas: {state}"
        assert state["points"] > 100 and state["elements"] == state["points"]
        assert state["peak"] == expected["peak_24h"]["posts"]
        assert state["peakSeen"], f"the count's line is not drawn at its peak: {state}"
        headline = next(r for r in expected["readings"] if all(
            r[k] == expected["headline"][k] for k in ("window", "rate", "basis")))
        assert state["windows"] == len([w for w in headline["windows"]
                                        if Decimal(w["amount"]) > 0]) >= 1
        assert all(share > 0.6 for share in state["windowTint"]), state
        assert state["outsideTint"] < 0.2, state
        page.locator("#curve-figure").screenshot(path=str(ARTIFACTS / "chart-of-the-curve.png"))
    with steps("read the chart's text alternative and its data as a table"):
        summary = page.locator("#curve-summary").inner_text()
        assert f"peaked at {expected['peak_24h']['posts']:,}" in summary
        assert "above the threshold for" in summary
        assert page.locator("#curve-chart").get_attribute("aria-describedby") == "curve-summary"
        page.get_by_text(re.compile(r"^The curve as a table")).click()
        assert page.locator("#curve-table tbody tr").count() >= 100
    with steps("no accessibility violations on the results"):
        no_accessibility_violations(page)


@pytest.mark.parametrize("content, words", [
    (b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-01T19:00:00Z,lots\n",
     ["row 2", "posts", "not a whole number"]),
    (b"", ["empty"]),
    (b"when,what\nyesterday,many\n", ["could not tell the log's format"]),
], ids=["bad-row", "empty", "unknown-format"])
def test_a_bad_file_is_explained_in_words(page, server, steps, tmp_path, content, words):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with steps("upload a file the engine cannot read"):
        assess_in_page(page, server, bad)
    with steps("read the problem in words, with the focus on it"):
        problem = page.get_by_role("alert")
        problem.wait_for()
        text = problem.inner_text()
        for word in words:
            assert word in text, text
        assert "{" not in text  # words, not JSON
        assert "lots" not in text  # the log's own values are never echoed
        assert page.evaluate("document.activeElement.id") == "problem"
        assert page.locator("#results").is_hidden()


def test_a_reviewer_looks_up_a_clause_as_of_a_date(page, server, steps):
    with steps("open the Clauses page and the X Terms of Service"):
        page.goto(f"{server.url}/assess")
        page.get_by_role("link", name="Clauses").click()
        page.get_by_role("link", name="X Terms of Service").click()
        assert page.get_by_role("heading", name="Timeline of versions").is_visible()
    with steps("open the liquidated-damages clause"):
        page.get_by_role("link", name="Liquidated damages").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Liquidated damages"
    with steps("ask for the day before it took effect, with the keyboard"):
        page.get_by_label("As of date").fill("2024-11-14")
        page.get_by_label("As of date").press("Enter")
        answer = page.locator("#as-of-answer")
        assert "Not in force on that date" in answer.inner_text()
        assert "2024-11-15T00:00:00Z" in answer.inner_text()
    with steps("ask for 2025-01-01 in the EU part"):
        page.get_by_label("As of date").fill("2025-01-01")
        page.get_by_label("Region").select_option("eu-efta-uk")
        page.get_by_role("button", name="Show what applied").click()
        answer = page.locator("#as-of-answer")
        assert "the version of 2024-11-15" in answer.inner_text()
        assert "EUR" in answer.inner_text()
        applied = page.locator(".timeline-item.is-applied")
        assert applied.count() == 1 and "2024-11-15" in applied.inner_text()
    with steps("see what changed in the next version"):
        assert page.locator("ins", has_text="knowingly").count() >= 1
    with steps("the focus is visible on the keyboard's way through the form"):
        page.get_by_label("Region").focus()
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const e = document.activeElement, s = getComputedStyle(e);
            return {text: e.textContent.trim(), outline: s.outlineStyle, width: s.outlineWidth};
        }""")
        assert focused["text"] == "Show what applied"
        assert focused["outline"] != "none" and focused["width"] != "0px", focused
    with steps("no accessibility violations on the clause page"):
        no_accessibility_violations(page)


def test_a_reviewer_opens_the_printable_report_of_a_stored_assessment(
        page, server, steps, log_file, expected):
    with steps("assess a log, which the service stores"):
        assess_in_page(page, server, log_file)
        page.locator("#headline-amount").wait_for()
        link = page.get_by_role("link", name="Printable report of this stored assessment")
        assert link.is_visible(), "POST /v1/assessments did not answer with a Location"
        href = link.get_attribute("href")
        assert re.fullmatch(r"/reports/assessments/[A-Za-z0-9_-]+", href), href
    with steps("open the report at its stable address"):
        link.click()
        page.wait_for_url(f"**{href}")
        page.locator("#report-heading").wait_for()
        assert page.locator("#record-id").inner_text() == href.rsplit("/", 1)[1]
    with steps("the report shows the ruleset, the digest, the clause cited and every reading"):
        assert page.locator("#ruleset-revision").inner_text() == expected["ruleset_revision"]
        assert page.locator("#input-digest").inner_text() == expected["input"]["sha256"]
        assert page.locator("#headline-amount").inner_text() == money(
            expected["headline"]["amount"], expected["currency"])
        assert page.locator("#readings-table tbody tr").count() == 18
        quotes = page.locator("#citations blockquote").all_inner_texts()
        assert [v["quote"] for v in expected["clause"]["versions"] if v["during_log"]] == quotes
        assert page.locator("#citations a[href='https://x.com/tos']").count() >= 1
        assert page.locator("#assumptions li").count() == len(expected["assumptions"])
    with steps("print it: the controls go, the answer stays"):
        page.emulate_media(media="print")
        assert page.evaluate(
            "getComputedStyle(document.querySelector('.site-header nav')).display") == "none"
        assert page.locator("#print-button").is_hidden()
        assert page.locator("#headline-amount").is_visible()
        page.pdf(path=str(ARTIFACTS / "report-printed.pdf"), format="A4")
    with steps("reloading the address shows the same report"):
        page.emulate_media(media="screen")
        page.reload()
        page.locator("#report-heading").wait_for()
        assert page.locator("#input-digest").inner_text() == expected["input"]["sha256"]
    with steps("no accessibility violations on the report"):
        no_accessibility_violations(page)


def test_once_keys_exist_the_pages_ask_for_one_and_keep_it_in_the_tab(
        page, server, steps, log_file, browser):
    key = server.store.keys.create("reviewer")[1]
    with steps("assess without a key: the page says a key is needed"):
        assess_in_page(page, server, log_file)
        the_page_asks_for_the_key(page)
    with steps("enter the key and assess again"):
        page.get_by_label("Key", exact=True).fill(key)
        page.get_by_role("button", name="Assess the log").click()
        page.locator("#headline-amount").wait_for()
        href = page.get_by_role("link", name="Printable report of this stored assessment") \
            .get_attribute("href")
        assert page.evaluate("sessionStorage.getItem('calculator.api-key')") == key
        assert key not in page.url and key not in page.content()
    with steps("the report opens in the same tab with the kept key"):
        page.goto(f"{server.url}{href}")
        page.locator("#report-heading").wait_for()
    with steps("in a new tab without the key, the report asks for it"):
        other = browser.new_context()
        try:
            fresh = other.new_page()
            fresh.goto(f"{server.url}{href}")
            fresh.get_by_role("alert").wait_for()
            assert fresh.locator("#key-form").is_visible()
            fresh.get_by_label("API key").fill(key)
            fresh.get_by_role("button", name="Open the report").click()
            fresh.locator("#report-heading").wait_for()
            fresh.screenshot(path=str(ARTIFACTS / "report-after-entering-the-key.png"),
                             full_page=True)
        finally:
            other.close()
    with steps("forget the key"):
        page.goto(f"{server.url}/assess")
        page.get_by_role("button", name="Forget the key").click()
        assert page.evaluate("sessionStorage.getItem('calculator.api-key')") is None
