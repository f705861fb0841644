"""What a budget reserves for a fetch is what the log readers later count for it: a crawl
that reserves ``RequestedPosts.count(url)`` before each request has reserved exactly the
posts its own Scrapy log is assessed to have requested."""

from __future__ import annotations

import io
import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculator.ingest.crawlers import ReadOptions, read_crawler_log
from calculator.ingest.crawlers.requested import RequestedPosts

SCRAPY_HEAD = ("2025-03-01 10:00:00 [scrapy.utils.log] INFO: Scrapy 2.13.0 started (bot: b)\n"
               "2025-03-01 10:00:00 [scrapy.core.engine] INFO: Spider opened\n")


@pytest.fixture(scope="module")
def options(ruleset) -> ReadOptions:
    return ReadOptions.for_ruleset(ruleset)


@pytest.fixture(scope="module")
def x_posts(ruleset) -> RequestedPosts:
    platform = ruleset.platforms["x"]
    return RequestedPosts.for_platform("x", platform.hosts, platform.media_hosts)


def logged_posts(urls: list[str], options: ReadOptions) -> list[int]:
    """The posts the Scrapy log reader counts for each URL crawled once."""
    lines = [f"2025-03-01 10:00:{i % 60:02d} [scrapy.core.engine] DEBUG: Crawled (200) "
             f"<GET {url}> (referer: None)\n" for i, url in enumerate(urls)]
    events, _ = read_crawler_log(io.BytesIO((SCRAPY_HEAD + "".join(lines)).encode()),
                                 "scrapy-log", options)
    return [e.posts if e.platform == "x" else 0 for e in events]


def test_a_post_page_is_one_post_and_other_pages_none(x_posts):
    assert x_posts.count("https://x.com/jack/status/20") == 1
    assert x_posts.count("https://mobile.twitter.com/jack/status/20/photo/1") == 1
    assert x_posts.count("https://x.com/jack") == 0  # a profile page is not a post
    assert x_posts.count("https://x.com/robots.txt") == 0
    assert x_posts.count("https://pbs.twimg.com/media/a/status/1") == 0  # a media host
    assert x_posts.count("https://example.org/jack/status/20") == 0  # another site


def test_an_api_call_reserves_the_ids_or_the_page_size_its_url_names(x_posts):
    assert x_posts.count("https://api.x.com/2/tweets?ids=1,2,3") == 3
    assert x_posts.count("https://api.x.com/2/tweets/search/recent?query=a&max_results=100") \
        == 100
    # No id and no page size: nothing in the URL says how many posts the answer holds.
    assert x_posts.count("https://x.com/i/api/graphql/abc/HomeTimeline") == 0


def test_the_service_platform_document_gives_the_same_recognition(ruleset, x_posts):
    platform = ruleset.platforms["x"]
    served = RequestedPosts.from_platform_document(
        {"id": "x", "hosts": list(platform.hosts), "media_hosts": list(platform.media_hosts)})
    assert served.count("https://twitter.com/a/status/5") == x_posts.count(
        "https://twitter.com/a/status/5") == 1
    with pytest.raises(ValueError, match="hosts"):
        RequestedPosts.from_platform_document({"id": "x"})


HOSTS = st.sampled_from(["x.com", "www.x.com", "mobile.twitter.com", "api.x.com",
                         "twitter.com", "pbs.twimg.com", "video.twimg.com", "example.org",
                         "cdn.syndication.twimg.com", "nitter.example"])
IDS = st.integers(min_value=1, max_value=2**63).map(str)
USER = st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True)


@st.composite
def paths(draw) -> str:
    ids = draw(st.lists(IDS, min_size=1, max_size=4))
    size = draw(st.integers(min_value=0, max_value=500))
    user = draw(USER)
    variables = quote(json.dumps(draw(st.sampled_from([
        {"focalTweetId": ids[0]}, {"tweetIds": ids}, {"count": size}, {"cursor": "c"}]))))
    return draw(st.sampled_from([
        f"/{user}/status/{ids[0]}", f"/i/web/status/{ids[0]}/photo/1", f"/{user}",
        f"/{user}/status/{ids[0]}/analytics", "/robots.txt", f"/2/tweets/{ids[0]}",
        f"/2/tweets?ids={','.join(ids)}", f"/2/users/{ids[0]}/tweets?max_results={size}",
        f"/1.1/statuses/lookup.json?id={','.join(ids)}",
        f"/1.1/statuses/user_timeline.json?count={size}", f"/tweet-result?id={ids[0]}",
        f"/i/api/graphql/q1/TweetDetail?variables={variables}", "/i/api/graphql/q1/Home",
        f"/oembed?url=https://x.com/{user}/status/{ids[0]}"]))


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(urls=st.lists(st.tuples(st.sampled_from(["http", "https"]), HOSTS, paths()),
                min_size=1, max_size=20))
def test_what_is_reserved_before_each_fetch_is_what_the_log_reader_counts_after(
        urls, x_posts, options):
    crawled = [f"{scheme}://{host}{path}" for scheme, host, path in urls]
    assert [x_posts.count(url) for url in crawled] == logged_posts(crawled, options)


ANSWERS = st.lists(IDS, max_size=5).map(
    lambda ids: json.dumps({"data": [{"id": i, "text": "a post"} for i in ids]} if ids
                           else {"meta": {"result_count": 0}}))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fetches=st.lists(st.tuples(HOSTS, paths(), ANSWERS), min_size=1, max_size=10))
def test_an_api_answer_counts_what_the_readers_count_when_its_body_is_kept(
        fetches, x_posts, options):
    entries = [{"startedDateTime": "2025-03-01T10:00:00.000Z",
                "request": {"method": "GET", "url": f"https://{host}{path}"},
                "response": {"status": 200, "content": {"text": body}}}
               for host, path, body in fetches]
    har = json.dumps({"log": {"version": "1.2", "entries": entries}}).encode()
    events, _ = read_crawler_log(io.BytesIO(har), "har", options)
    expected = [e.posts if e.platform == "x" else 0 for e in events]
    assert [x_posts.count_answer(e["request"]["url"], e["response"]["content"]["text"])
            for e in entries] == expected
    for entry in entries:  # only API answers are read; a post's page is its URL's post
        url = entry["request"]["url"]
        if not x_posts.reads_answer(url):
            assert x_posts.count_answer(url, entry["response"]["content"]["text"]) == \
                x_posts.count(url)
