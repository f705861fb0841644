"""On the Assess page, a log over the service's size limit is explained: the limit, that it
counts the log after decompression (so gzip does not help), and what to do instead."""

from __future__ import annotations

import gzip

from tests.browser.conftest import live_server
from tests.browser.test_reviewer_pages import assess_in_page, crawl_log

LIMIT = 20_000


def test_a_log_over_the_limit_is_refused_before_it_is_sent_with_the_limit_in_words(
        page, steps, tmp_path):
    big = tmp_path / "crawl.csv"
    big.write_bytes(crawl_log() * 3)  # about 34 KB
    # Jobs off by size (ASYNC_ABOVE None): the page's limit is the request's.
    with live_server(tmp_path, MAX_CONTENT_LENGTH=LIMIT, ASYNC_ABOVE=None) as server:
        with steps("the form states the limit"):
            page.goto(f"{server.url}/assess")
            assert "Up to 19.5 KiB (20,000 bytes) of log, counted after decompression" in \
                page.locator("#size-limit").inner_text()
        with steps("a file over it is refused on the page, saying the limit"):
            assess_in_page(page, server, big)
            problem = page.get_by_role("alert")
            problem.wait_for()
            text = problem.inner_text()
            assert "this service accepts logs of up to 19.5 KiB (20,000 bytes)" in text, text
            assert "compressing it does not help" in text
            assert "Split the log by period" in text
            assert "gzip-compressed" not in text and "send it gzip" not in text


def test_a_compressed_log_over_the_limit_decompressed_gets_the_limit_and_no_gzip_advice(
        page, steps, tmp_path):
    packed = tmp_path / "crawl.csv.gz"
    packed.write_bytes(gzip.compress(crawl_log() * 3))  # small on the wire, 34 KB inside
    assert packed.stat().st_size < LIMIT
    with live_server(tmp_path, MAX_CONTENT_LENGTH=LIMIT, ASYNC_ABOVE=None) as server:
        with steps("send the compressed log: the service answers 413"):
            assess_in_page(page, server, packed)
            problem = page.get_by_role("alert")
            problem.wait_for()
        with steps("the page says the limit and what to do, and does not suggest gzip"):
            text = problem.inner_text()
            assert "20,000 bytes" in text, text
            assert "compressing it does not help" in text
            assert "gzip-compressed" not in text and "send it gzip" not in text
