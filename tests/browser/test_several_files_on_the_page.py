"""The Assess page in Chromium takes several files as one log: a crawl split by worker into
a gzip CSV, JSON Lines and a JSON array is assessed as their concatenation would be, and the
results list each file by its format, size and digest (never its name or content)."""

from __future__ import annotations

import gzip
import hashlib
import json

import calculator

ROWS = [("2025-03-01T18:00:00Z", 400_000, "1"), ("2025-03-02T06:00:00Z", 300_000, "2"),
        ("2025-03-02T07:00:00Z", 350_000, "3"), ("2025-03-02T08:30:00Z", 200_000, "1"),
        ("2025-03-04T09:00:00Z", 900_000, "4"), ("2025-03-04T10:00:00Z", 150_000, "5")]


def record(row: tuple[str, int, str]) -> dict:
    return {"timestamp": row[0], "posts": row[1], "post_id": row[2]}


def test_several_files_of_one_crawl_are_assessed_as_their_concatenation(page, server, steps,
                                                                        tmp_path):
    # Each worker wrote its part of the crawl, out of time order across the files.
    parts = {
        "worker-a.csv.gz": gzip.compress(("timestamp,posts,post_id\n" + "".join(
            f"{t},{n},{i}\n" for t, n, i in ROWS[4:])).encode()),
        "worker-b.jsonl": "".join(json.dumps(record(r)) + "\n" for r in ROWS[:2]).encode(),
        "worker-c.json": json.dumps([record(r) for r in ROWS[2:4]], indent=1).encode(),
    }
    paths = []
    for name, data in parts.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    whole = ("timestamp,posts,post_id\n" + "".join(f"{t},{n},{i}\n" for t, n, i in ROWS))
    same = calculator.assess(whole.encode())
    assert same.headline.amount > 0  # the concatenation owes something to compare
    with steps("choose three files of one crawl"):
        page.goto(f"{server.url}/assess")
        page.get_by_label("Crawl log").set_input_files(paths)
        page.get_by_role("button", name="Assess the log").click()
    with steps("read the exposure of the whole crawl"):
        headline = page.locator("#headline-amount")
        headline.wait_for()
        assert headline.inner_text() == f"USD {same.headline.amount:,.2f}"
    with steps("see each file listed by format, size and digest"):
        listed = page.locator("#input-files li").all_inner_texts()
        assert len(listed) == 3, listed
        for data in parts.values():
            assert any(hashlib.sha256(data).hexdigest() in item for item in listed), listed
        text = page.locator("#results").inner_text()
        assert "worker-" not in text, "file names are not shown or stored"
        (stored,) = server.store.list("assessment", owner=None).items
        document = server.store.get("assessment", stored.id, owner=None).document
        assert document["input"]["rows"] == len(ROWS)
        assert document["counts"]["distinct_posts"] == 5
        assert document["counts"] == same.counts
