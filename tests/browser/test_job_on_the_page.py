"""On the Assess page, a log over the size for an answer in the request is sent as a job: the
page follows the job's progress and then shows the stored assessment, as for a small log;
a job can be cancelled from the page."""

from __future__ import annotations

import json

import calculator
from tests.browser.test_reviewer_pages import assess_in_page, crawl_log, money
from tests.running_servers import server_environment, serving

# Every #status text the page shows, in order (the job may pass a phase between two looks).
RECORD_STATUS = """
  window.__statuses = [];
  new MutationObserver(() => {
    const status = document.getElementById('status');
    const said = status && status.textContent;
    if (said && window.__statuses[window.__statuses.length - 1] !== said) {
      window.__statuses.push(said);
    }
  }).observe(document, {subtree: true, childList: true, characterData: true});
"""


class _Url:
    def __init__(self, base: str) -> None:
        self.url = base


def test_a_log_over_the_request_size_is_assessed_as_a_job_with_progress(page, steps,
                                                                       tmp_path):
    log_file = tmp_path / "crawl.csv"
    log_file.write_bytes(crawl_log())
    expected = calculator.assess(crawl_log(), region="rest-of-world").to_document()
    env = dict(server_environment(tmp_path), CALCULATOR_ASYNC_ABOVE="1000")
    with serving(tmp_path, env=env) as server:
        page.add_init_script(RECORD_STATUS)
        with steps("the form says big files are assessed as jobs"):
            page.goto(f"{server.base}/assess")
            assert "A log over 1,000 bytes (its files together) is assessed as a job" in \
                page.locator("#size-limit").inner_text()
        with steps("send the log: the page follows the job, then shows the results"):
            assess_in_page(page, _Url(server.base), log_file)
            headline = page.locator("#headline-amount")
            headline.wait_for()
            assert headline.inner_text() == money(expected["headline"]["amount"], "USD")
            assert page.locator("#input-digest").inner_text() == expected["input"]["sha256"]
            assert page.get_by_role("button", name="Cancel the assessment").is_hidden()
        with steps("the job's progress was shown on the way"):
            statuses = page.evaluate("window.__statuses")
            assert any("assessed as a job" in s for s in statuses), statuses
            assert statuses[-1].startswith("Done in"), statuses
        with steps("the stored assessment is the job's"):
            stored = json.loads(server.call("GET", "/v1/assessments")[2])["items"]
            assert len(stored) == 1


def test_a_job_can_be_cancelled_from_the_page(page, steps, tmp_path):
    log_file = tmp_path / "crawl.csv"
    log_file.write_bytes(crawl_log())
    env = dict(server_environment(tmp_path), CALCULATOR_ASYNC_ABOVE="1000")
    # No job worker: the job waits, so that it can be cancelled.
    with serving(tmp_path, "--job-workers", "0", env=env) as server:
        with steps("send the log: the job waits for a worker"):
            assess_in_page(page, _Url(server.base), log_file)
            page.locator("#status").filter(has_text="waiting for a worker").wait_for()
        with steps("cancel it: the page says so and nothing is stored"):
            page.get_by_role("button", name="Cancel the assessment").click()
            problem = page.get_by_role("alert")
            problem.wait_for()
            assert "cancelled" in problem.inner_text()
            assert json.loads(server.call("GET", "/v1/assessments")[2])["items"] == []
            assert page.get_by_role("button", name="Assess the log").is_enabled()
