"""The Assess page in Chromium: a table whose columns are named otherwise is refused in
words that name what was looked for and no command-line flag, and reads once the reader
names the column under More options. Screenshots in tests/artifacts/."""

from __future__ import annotations

import calculator

LOG = (b"when,n,tweet\n2025-03-01T18:00:00Z,600000,1\n2025-03-02T06:00:00Z,600000,2\n"
       b"2025-03-02T07:00:00Z,5,1\n")


def test_a_reviewer_names_the_time_and_posts_columns_of_a_table(page, server, steps,
                                                                 tmp_path):
    log = tmp_path / "crawl.csv"
    log.write_bytes(LOG)
    with steps("upload a table whose time column is not named timestamp"):
        page.goto(f"{server.url}/assess")
        page.get_by_label("Crawl log").set_input_files(str(log))
        page.get_by_role("button", name="Assess the log").click()
    with steps("read what was looked for, without a command-line flag"):
        problem = page.get_by_role("alert")
        problem.wait_for()
        text = problem.inner_text()
        assert "time column" in text and "timestamp, time, ts" in text, text
        assert "--" not in text, text
    with steps("name the time, posts and post id columns under More options"):
        page.locator("summary", has_text="More options").click()
        page.get_by_label("Time column").fill("when")
        page.get_by_label("Posts column").fill("n")
        page.get_by_label("Post id column").fill("tweet")
        page.get_by_role("button", name="Assess the log").click()
    with steps("read the exposure and all three counts"):
        headline = page.locator("#headline-amount")
        headline.wait_for()
        same = calculator.assess(LOG.replace(b"when,n,tweet", b"timestamp,posts,post_id"))
        assert headline.inner_text() == f"USD {same.headline.amount:,.2f}"
        counts = page.locator("#counts-table").inner_text()
        assert "Distinct" in counts or "distinct" in counts, counts
        (listed,) = server.store.list("assessment", owner=None).items
        document = server.store.get("assessment", listed.id, owner=None).document
        assert document["counts"]["distinct_posts"] == 2
        assert document["options"]["columns"] == {
            "time_column": "when", "posts_column": "n", "post_id_column": "tweet"}
