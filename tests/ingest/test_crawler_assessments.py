"""Real crawlers' files assessed end to end: the same document from Python, the CLI and an
HTTP upload, with counts a reader can check against the file; and an X crawl whose three
counts price differently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import calculator
from calculator.cli import main
from calculator.rules import RuleLookup, bundled_rules_dir, load_ruleset

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
WINDOW = ["--collected-from", "2026-07-09", "--collected-to", "2026-07-10"]

# Requests and answers with content in the whole log, as the files show them (the crawler
# reader tests recompute each from the file itself).
EXPECTED = {
    "heritrix-crawl-log/netarchivesuite_crawl-1.log": ("heritrix", 18, 16),
    "heritrix-crawl-log/netarchivesuite_oldjob5_crawl.log": ("heritrix", 280, 234),
    "heritrix-crawl-log/ukwa_crawl.log": ("heritrix", 66, 54),
    "heritrix-crawl-log/ukwa_fragment-of-a-crawl.log": ("heritrix", 10, 6),
    "warc/pywb_iana.warc.gz": ("warc", 171, 167),
    "warc/ukwa_sopa-wikipedia-homepage.warc.gz": ("warc", 86, 74),
    "har/haralyzer_cnn.har": ("har", 145, 138),
    "har/haralyzer_cnn-chrome.har": ("har", 292, 239),
    "scrapy/scrapydweb_ScrapydWeb_demo.log": ("scrapy-log", 4, 2),
    "scrapy/generated/scrapy-2.19-run.log": ("scrapy-log", 13, 12),
    "squid/plaso-pr4996_squid_access.log": ("squid", 6, 5),
    "access-log/plaso_apache_access.log": ("access-log", 15, 13),
    "access-log/elastic_apache_logs.gz": ("access-log", 10_000, 9_616),  # 200, 206, 304
}

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(),
                                   reason="the shared sample files are not beside this checkout")


def without_storage(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in ("id", "created_at", "reference")}


def every_sample() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.name != "README.md")


@needs_samples
@pytest.mark.parametrize("path", every_sample(), ids=lambda p: p.name)
def test_every_sample_assesses_the_same_through_python_the_cli_and_http(path, runner, client):
    extra = WINDOW if path.parent.name == "x-api-json" or path.suffix == ".jsonl" else []
    cli = runner.invoke(main, ["assess", str(path), "--json", *extra])
    assert cli.exit_code == 0, cli.output
    document = json.loads(cli.stdout)
    query = "?collected_from=2026-07-09&collected_to=2026-07-10" if extra else ""
    http = client.post(f"/v1/assessments{query}", data=path.read_bytes(),
                       content_type="application/octet-stream")
    assert http.status_code == 201, http.get_json()
    assert without_storage(http.get_json()) == document
    window = None
    if extra:
        from calculator.timeutil import parse_instant
        window = (parse_instant("2026-07-09"), parse_instant("2026-07-10"))
    assert calculator.assess(path, collection_window=window).to_document() == document
    relative = path.relative_to(SAMPLES).as_posix()
    if relative in EXPECTED:
        fmt, requests, responses = EXPECTED[relative]
        assert document["input"]["format"] == fmt
        assert document["counts"]["log_requests"] == requests
        assert document["counts"]["log_responses"] == responses


@needs_samples
def test_twscrapes_user_timeline_counts_its_quoted_and_reposted_posts_only_when_asked():
    path = SAMPLES / "x-api-json" / "twscrape_raw_user_tweets.json"
    from calculator.timeutil import parse_instant
    window = (parse_instant("2026-07-09"), parse_instant("2026-07-10"))
    plain = calculator.assess(path, collection_window=window)
    embedded = calculator.assess(path, collection_window=window, embedded_posts=True,
                                 count="distinct")
    assert plain.counts["requested_posts"] == 21
    assert embedded.counts["distinct_posts"] == 43
    assert embedded.counted_posts == 43
    assert any("allocat" in note or "spread" in note for note in plain.assumptions)


def test_a_scraper_output_without_a_collection_window_is_refused(runner):
    line = json.dumps({"_type": "snscrape.modules.twitter.Tweet", "id": 1,
                       "url": "https://x.com/a/status/1", "date": "2025-03-01T00:00:00+00:00"})
    result = runner.invoke(main, ["assess", "-"], input=line + "\n")
    assert result.exit_code == 2
    assert "collection window is needed" in result.stderr


def heritrix_line(stamp: str, status: int, url: str) -> str:
    fetch = stamp.replace("-", "").replace("T", "").replace(":", "").replace(".", "")[:17]
    return (f"{stamp} {status:>5} {1000:>10} {url} - - text/html #001 {fetch}+10 "
            "sha1:AAAA - -")


@pytest.fixture
def small_threshold(tmp_path) -> RuleLookup:
    """X's rules with a threshold of 3 posts per 1 post, so a small crawl crosses it."""
    rules = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), rules)
    tos = rules / "x" / "terms-of-service.yaml"
    text = tos.read_text(encoding="utf-8").replace("threshold_posts: 1000000",
                                                   "threshold_posts: 3")
    tos.write_text(text.replace("per_posts: 1000000", "per_posts: 1"), encoding="utf-8")
    return RuleLookup(load_ruleset(rules))


def test_an_x_crawl_is_priced_on_requested_accessed_or_distinct_posts(small_threshold):
    lines = [
        heritrix_line("2025-03-01T10:00:00.000Z", 200, "https://x.com/a/status/1"),
        heritrix_line("2025-03-01T10:00:01.000Z", 200, "https://twitter.com/a/status/1"),
        heritrix_line("2025-03-01T10:00:02.000Z", 200, "https://x.com/b/status/2"),
        heritrix_line("2025-03-01T10:00:03.000Z", 404, "https://x.com/c/status/3"),
        heritrix_line("2025-03-01T10:00:04.000Z", 429, "https://x.com/d/status/4"),
        heritrix_line("2025-03-01T10:00:05.000Z", 200, "https://mobile.x.com/e/status/5"),
        heritrix_line("2025-03-01T10:00:06.000Z", 200, "https://pbs.twimg.com/media/x.jpg"),
        heritrix_line("2025-03-01T10:00:07.000Z", 200, "https://example.org/"),
    ]
    log = ("\n".join(lines) + "\n").encode()
    results = {count: calculator.assess(log, count=count, rules=small_threshold)
               for count in ("requested", "accessed", "distinct")}
    requested = results["requested"]
    assert requested.input.format == "heritrix"
    assert requested.counts["requests"] == 7  # every x.com, twitter.com and twimg request
    assert requested.counts["requested_posts"] == 6
    assert requested.counts["accessed_posts"] == 4
    assert requested.counts["distinct_posts"] == 3  # posts 1, 2 and 5 were obtained
    assert requested.excluded.rows["unattributed"] == 1  # example.org
    # 6, 4 and 3 posts against a threshold of 3 at 15,000 per post (pro rata, all posts).
    assert [str(results[c].headline.amount) for c in ("requested", "accessed", "distinct")] \
        == ["90000.00", "60000.00", "0.00"]
