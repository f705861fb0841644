"""Printed reports are evidence: complete and clean on paper. Each report is printed to PDF by
Chromium (as a reviewer's "Save as PDF" does), its text read back with pdftotext, and its
pages rendered to PNG with pdftoppm (tests/artifacts/) for a person to look at."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.browser.test_reviewer_pages import ARTIFACTS, COUNT_BLUE, THRESHOLD_RED, crawl_log
from tests.review.helpers import VENDOR

POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext") and shutil.which("pdfinfo")


def post(server, path: str, body: bytes, content_type: str) -> dict:
    request = urllib.request.Request(f"{server.url}{path}", data=body, method="POST",
                                     headers={"Content-Type": content_type})
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def print_to_pdf(page, name: str) -> tuple[Path, str]:
    """The page printed as a reviewer prints it (print media, A4), its text, and PNGs of its
    pages in tests/artifacts/."""
    if not POPPLER:
        pytest.skip("rendering PDFs needs poppler-utils; .ci/run installs it")
    page.emulate_media(media="print")
    path = ARTIFACTS / f"{name}.pdf"
    page.pdf(path=str(path), format="A4", print_background=True)
    for old in ARTIFACTS.glob(f"{name}-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(path), str(ARTIFACTS / f"{name}-page")],
                   check=True)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return path, text


def printed_colours(path: Path, page_number: int) -> dict[tuple[int, int, int], int]:
    """How many pixels of one printed page are close to each of the chart's colours."""
    rendered = subprocess.run(["pdftoppm", "-r", "100", "-f", str(page_number), "-l",
                               str(page_number), str(path)], capture_output=True,
                              check=True).stdout
    # A binary PPM: "P6", width, height, maxval, then RGB bytes.
    magic, width, height, _maxval, pixels = rendered.split(maxsplit=4)
    assert magic == b"P6"
    found = dict.fromkeys((COUNT_BLUE, THRESHOLD_RED), 0)
    for at in range(0, int(width) * int(height) * 3, 3):
        red, green, blue = pixels[at], pixels[at + 1], pixels[at + 2]
        for colour in found:
            if abs(red - colour[0]) + abs(green - colour[1]) + abs(blue - colour[2]) < 60:
                found[colour] += 1
    return found


def test_a_printed_assessment_report_has_its_chart_its_summary_and_numbered_pages(
        page, server, steps):
    stored = post(server, "/v1/assessments", crawl_log(), "text/csv")
    with steps("open the stored assessment's report; its chart is drawn"):
        page.goto(f"{server.url}/reports/assessments/{stored['id']}")
        page.locator("#report-heading").wait_for()
        page.locator("#curve-summary").wait_for()
        assert page.evaluate("!!Chart.getChart(document.getElementById('curve-chart'))")
    with steps("print it"):
        path, text = print_to_pdf(page, "assessment-report-printed")
    with steps("the paper says how long the count was above the threshold"):
        flat = " ".join(text.split())
        assert re.search(r"It was above the threshold for \d+ hours? \d+ minutes? in all", flat)
        assert "Posts in the trailing 24-hour period, over time" in flat
    with steps("the chart is on the paper: the count's line and the threshold's"):
        colours = printed_colours(path, page_number=1)
        assert colours[COUNT_BLUE] > 200 and colours[THRESHOLD_RED] > 100, colours
    with steps("every page is numbered"):
        pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
            ["pdfinfo", str(path)], capture_output=True, text=True).stdout).group(1))
        for number in range(1, pages + 1):
            assert f"Page {number} of {pages}" in text


def test_a_printed_review_report_shows_its_address_once_and_apart_from_other_facts(
        page, server, steps, tmp_path):
    stored = post(server, "/v1/reviews", json.dumps(VENDOR).encode(), "application/json")
    with steps("open the stored review's report"):
        page.set_viewport_size({"width": 1024, "height": 900})
        page.goto(f"{server.url}/reports/reviews/{stored['id']}")
        page.locator("#report-heading").wait_for()
    with steps("on screen the page's address stays inside its own cell"):
        boxes = page.evaluate("""() => {
          const cells = [...document.querySelectorAll('.report-header .facts > div')];
          return cells.map(c => {
            const r = c.getBoundingClientRect(), dd = c.querySelector('dd');
            return {name: c.querySelector('dt').textContent, left: r.left, right: r.right,
                    top: r.top, bottom: r.bottom, scroll: dd.scrollWidth, width: dd.clientWidth};
          });
        }""")
        address = next(b for b in boxes if b["name"] == "This page")
        assert address["scroll"] <= address["width"] + 1, address
        for other in boxes:
            if other is not address:
                apart = (other["left"] >= address["right"] - 1 or
                         other["right"] <= address["left"] + 1 or
                         other["top"] >= address["bottom"] - 1 or
                         other["bottom"] <= address["top"] + 1)
                assert apart, (address, other)
    with steps("print it: the address is printed once"):
        path, text = print_to_pdf(page, "review-report-printed")
        reading_order = subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                       text=True, check=True).stdout
        assert "".join(reading_order.split()).count("/reports/reviews/") == 1, reading_order
        assert "Page 1 of" in text
