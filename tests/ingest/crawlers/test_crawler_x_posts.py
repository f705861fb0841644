"""Recognizing X posts in URLs and answer bodies, and attributing hosts to platforms."""

from __future__ import annotations

import json

import pytest

from calculator.ingest.crawlers import HostMap
from calculator.ingest.crawlers.hosts import host_of
from calculator.ingest.crawlers.x_bodies import posts_in_body, posts_in_document
from calculator.ingest.crawlers.x_posts import created_ms
from calculator.ingest.crawlers.x_urls import posts_from_url, status_id


@pytest.fixture(scope="module")
def hosts(ruleset) -> HostMap:
    return HostMap.from_ruleset(ruleset)


# -- hosts -----------------------------------------------------------------------------------


def test_hosts_come_from_the_rule_files(hosts, ruleset):
    for platform in ruleset.platforms.values():
        for host in platform.hosts:
            assert hosts.attribute(host).platform == platform.id
        for host in platform.media_hosts:
            assert hosts.attribute(host).media


@pytest.mark.parametrize(("url", "platform", "media"), [
    ("https://x.com/jack/status/20", "x", False),
    ("https://mobile.twitter.com/jack/status/20", "x", False),
    ("https://m.twitter.com/jack/status/20", "x", False),       # a subdomain of twitter.com
    ("https://analytics.twitter.com/i/adsct?p=1", "x", False),
    ("https://pbs.twimg.com/media/abc.jpg", "x", True),
    ("https://a.pbs.twimg.com/media/abc.jpg", "x", True),      # under a media host
    ("https://old.reddit.com/r/python/", "reddit", False),
    ("https://staticxx.facebook.com/connect/x.js", "facebook", False),
    ("https://notx.com/jack/status/20", None, False),           # not a subdomain of x.com
    ("https://x.com.evil.example/jack/status/20", None, False),
    ("http://user:pw@X.COM:443/jack/status/20", "x", False),
])
def test_a_host_is_attributed_exactly_or_by_subdomain(hosts, url, platform, media):
    attribution = hosts.attribute(host_of(url))
    assert (attribution.platform, attribution.media) == (platform, media)


def test_media_hosts_are_not_posts(ruleset):
    from calculator.ingest.crawlers import ReadOptions
    from calculator.ingest.crawlers._common import Recognizer

    recognizer = Recognizer(ReadOptions.for_ruleset(ruleset))
    url = "https://pbs.twimg.com/jack/status/20"  # a post-shaped path on a media host
    attribution = recognizer.attribute(url)
    assert attribution.media and recognizer.posts(url, attribution).primary == 0


# -- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "post"), [
    ("/jack/status/20", "20"),
    ("/jack/status/20/", "20"),
    ("/i/web/status/1234567890123456789", "1234567890123456789"),
    ("/jack/status/20/photo/1", "20"),
    ("/jack/status/20/video/2", "20"),
    ("/jack/status/20/analytics", "20"),
    ("/jack/statuses/20", "20"),
    ("/jack", None),
    ("/home", None),
    ("/jack/status/20/likes", None),  # a list of users, not the post page
    ("/robots.txt", None),
    ("/jack/status/abc", None),
])
def test_status_page_paths(path, post):
    assert status_id(path) == post


@pytest.mark.parametrize(("url", "ids", "count", "basis"), [
    ("https://x.com/jack/status/20?s=20", ("20",), None, "url-pattern"),
    ("https://x.com/robots.txt", (), None, "none"),
    ("https://cdn.syndication.twimg.com/tweet-result?id=20&lang=en", ("20",), None,
     "url-pattern"),
    ("https://publish.twitter.com/oembed?url=https%3A%2F%2Ftwitter.com%2Fjack%2Fstatus%2F20",
     ("20",), None, "url-pattern"),
    ("https://api.x.com/2/tweets/20", ("20",), None, "url-param"),
    ("https://api.x.com/2/tweets?ids=20,21,20", ("20", "21"), None, "url-param"),
    ("https://api.twitter.com/2/tweets/search/recent?query=a&max_results=100", (), 100,
     "url-param"),
    ("https://api.twitter.com/2/users/12/tweets?max_results=5", (), 5, "url-param"),
    ("https://api.twitter.com/1.1/statuses/show.json?id=20", ("20",), None, "url-param"),
    ("https://api.twitter.com/1.1/statuses/show/20.json", ("20",), None, "url-param"),
    ("https://api.twitter.com/1.1/statuses/lookup.json?id=20,21", ("20", "21"), None,
     "url-param"),
    ("https://api.twitter.com/1.1/statuses/user_timeline.json?screen_name=a&count=200", (),
     200, "url-param"),
    ("https://x.com/i/api/graphql/Qw/SearchTimeline?variables=%7B%22rawQuery%22%3A%22a%22%2C"
     "%22count%22%3A20%7D", (), 20, "url-param"),
    ("https://x.com/i/api/graphql/Qw/TweetDetail?variables=%7B%22focalTweetId%22%3A%2220%22%7D",
     ("20",), None, "url-param"),
    ("https://x.com/i/api/graphql/Qw/UserByScreenName?variables=%7B%22screen_name%22%3A%22a%22"
     "%7D", (), None, "none"),
])
def test_posts_asked_for_by_a_url(url, ids, count, basis):
    found = posts_from_url(url)
    assert (found.ids, found.count, found.basis) == (ids, count, basis)


# -- bodies ----------------------------------------------------------------------------------


def tweet(rest_id: str, **inner) -> dict:
    return {"__typename": "Tweet", "rest_id": rest_id, "legacy": {"full_text": "t"}, **inner}


def entry(entry_id: str, result: dict) -> dict:
    return {"entryId": entry_id, "content": {"itemContent": {
        "__typename": "TimelineTweet", "tweet_results": {"result": result}}}}


def test_graphql_quoted_and_reposted_posts_are_embedded_not_timeline_posts():
    quoted = tweet("3")
    reposted = tweet("4", quoted_status_result={"result": tweet("5")})
    body = {"data": {"x": {"timeline": {"instructions": [{"type": "TimelineAddEntries",
        "entries": [
            entry("tweet-1", tweet("1", quoted_status_result={"result": quoted})),
            entry("tweet-2", tweet("2", legacy={"retweeted_status_result": {
                "result": reposted}})),
            entry("promoted-tweet-9", tweet("9")),
            {"entryId": "cursor-bottom-0", "content": {"value": "c"}},
        ]}]}}}}
    found = posts_in_document(body)
    assert found.ids == ("1", "2")
    assert found.embedded == ("3", "4", "5")
    assert found.basis == "body-count"


def test_graphql_conversation_modules_and_visibility_wrappers_hold_posts():
    module = {"entryId": "conversationthread-7", "content": {"items": [
        {"entryId": "conversationthread-7-tweet-7", "item": {"itemContent": {
            "itemType": "TimelineTweet", "tweet_results": {"result": {
                "__typename": "TweetWithVisibilityResults", "tweet": tweet("7")}}}}},
        {"entryId": "conversationthread-7-tweet-8", "item": {"itemContent": {
            "itemType": "TimelineTweet", "tweet_results": {"result": {
                "__typename": "TweetTombstone"}}}}},
    ]}}
    who = {"entryId": "who-to-follow-1", "content": {"items": [
        {"item": {"itemContent": {"itemType": "TimelineUser"}}}]}}
    body = {"data": {"threaded_conversation_with_injections_v2": {"instructions": [
        {"type": "TimelineAddEntries", "entries": [entry("tweet-6", tweet("6")), module, who]},
    ]}}}
    assert posts_in_document(body).ids == ("6", "7")  # the tombstone showed nothing


def test_v2_and_v1_bodies():
    v2 = {"data": [{"id": "1", "text": "a", "referenced_tweets": [
        {"type": "quoted", "id": "9"}, {"type": "replied_to", "id": "8"}]},
        {"id": "2", "text": "b"}], "meta": {"result_count": 2}}
    found = posts_in_document(v2)
    assert (found.ids, found.embedded) == (("1", "2"), ("9",))
    v1 = [{"id_str": "1", "text": "a", "retweeted_status": {"id_str": "5", "text": "r"}}]
    found = posts_in_document(v1)
    assert (found.ids, found.embedded) == (("1",), ("5",))
    assert posts_in_document({"statuses": [{"id": 3, "full_text": "x"}]}).ids == ("3",)
    errors = posts_in_body(json.dumps({"errors": [{"code": 88}]}).encode())
    assert errors.primary == 0 and errors.basis == "body-count"
    assert posts_in_body(b"<html>not json</html>") is None


def test_a_post_id_says_when_the_post_was_created():
    assert created_ms("2074976613713031490") == 1783547950567  # 2026-07-08T21:59:10.567Z
    assert created_ms("20") is None  # 2006 ids carry no time


def test_graphql_answers_about_other_things_carry_no_posts():
    user = {"data": {"user": {"result": {"__typename": "User", "rest_id": "12"}}}}
    found = posts_in_document(user)
    assert found.primary == 0 and found.basis == "body-count"
    lookup = {"data": {"tweetResult": {"result": tweet("20", quoted_status_result={
        "result": tweet("21")})}}}
    found = posts_in_document(lookup)
    assert (found.ids, found.embedded) == (("20",), ("21",))
