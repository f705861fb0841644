"""X posts named by a URL: status pages, API and GraphQL calls (their ids or page size)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

from calculator.ingest.crawlers.x_posts import NO_POSTS, Posts, unique

# A post page: /<user>/status/<id>, /i/web/status/<id>, with the page suffixes X uses for a
# post's photo, video and analytics views (each still shows that one post).
_STATUS_PATH = re.compile(
    r"^/(?:i/web|[A-Za-z0-9_]{1,50})/status(?:es)?/(\d{1,25})"
    r"(?:/(?:photo|video)/\d{1,2}|/analytics)?/?$"
)
_GRAPHQL_PATH = re.compile(r"/graphql/[^/]+/([A-Za-z0-9_]+)/?$")
_V2_TWEET = re.compile(r"^/2/tweets/(\d{1,25})/?$")
# v2 endpoints that answer with a page of posts; max_results is their page size.
_V2_LISTS = re.compile(
    r"^/2/(?:tweets(?:/search/(?:recent|all))?|tweets/\d+/quote_tweets"
    r"|users/\d+/(?:tweets|mentions|liked_tweets|bookmarks|timelines/reverse_chronological)"
    r"|lists/\d+/tweets|spaces/[^/]+/tweets)/?$"
)
_V1_SHOW = re.compile(r"^/1\.1/statuses/show(?:/(\d{1,25}))?\.json$")
_V1_LOOKUP = re.compile(r"^/1\.1/statuses/lookup\.json$")
# v1.1 endpoints that answer with a page of posts; count is their page size.
_V1_LISTS = re.compile(
    r"^/1\.1/(?:statuses/(?:user_timeline|home_timeline|mentions_timeline|retweets_of_me)"
    r"|search/tweets|favorites/list|lists/statuses)\.json$"
)
_API_PATH = re.compile(r"^/(?:i/api/|graphql/|2/|1\.1/)")


def status_id(path: str) -> str | None:
    """The post id of a status-page path (``/jack/status/20``, ``/i/web/status/20/photo/1``)."""
    match = _STATUS_PATH.match(path)
    return match.group(1) if match else None


def split_url(url: str) -> tuple[str, str, str]:
    """(host, path, query) of an absolute URL; hand-written because it runs on every line."""
    start = url.find("://")
    start = start + 3 if start >= 0 else 0
    slash = url.find("/", start)
    mark = url.find("?", start)
    hash_ = url.find("#", start)
    end = len(url) if hash_ < 0 else hash_
    if 0 <= mark < end:
        query, end = url[mark + 1:end], mark
    else:
        query = ""
    if 0 <= slash < end:
        return url[start:slash].lower(), url[slash:end], query
    return url[start:end].lower(), "/", query


def is_api_url(url: str) -> bool:
    """Whether an X URL is an API or GraphQL call, whose answer body can hold posts."""
    path = split_url(url)[1]
    return bool(_API_PATH.match(path) or _GRAPHQL_PATH.search(path))


def posts_from_url(url: str) -> Posts:
    """The posts an X URL asks for, from the URL alone (its path or its parameters)."""
    host, path, raw_query = split_url(url)
    if path == "/robots.txt":
        return NO_POSTS
    post = status_id(path)
    if post:
        return Posts((post,), basis="url-pattern")
    query = parse_qs(raw_query) if raw_query else {}
    host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    if path.startswith("/tweet-result") or (host.startswith("cdn.syndication.")
                                            and path in ("/tweet", "/widgets/tweet")):
        return _ids_param(query, "id", basis="url-pattern")
    if path.startswith("/oembed"):
        inner = (query.get("url") or [""])[0]
        post = status_id(urlsplit(inner).path) if inner else None
        return Posts((post,), basis="url-pattern") if post else NO_POSTS
    graphql = _GRAPHQL_PATH.search(path)
    if graphql:
        return _graphql_params(query)
    match = _V2_TWEET.match(path)
    if match:
        return Posts((match.group(1),), basis="url-param")
    if path.rstrip("/") == "/2/tweets" and "ids" in query:
        return _ids_param(query, "ids")
    if _V2_LISTS.match(path):
        return _count_param(query, "max_results")
    match = _V1_SHOW.match(path)
    if match:
        return Posts((match.group(1),), basis="url-param") if match.group(1) else \
            _ids_param(query, "id")
    if _V1_LOOKUP.match(path):
        return _ids_param(query, "id")
    if _V1_LISTS.match(path):
        return _count_param(query, "count")
    return NO_POSTS


def _ids_param(query: dict[str, list[str]], name: str, basis: str = "url-param") -> Posts:
    ids = unique(i.strip() for value in query.get(name, ()) for i in value.split(","))
    ids = tuple(i for i in ids if i.isdigit())
    return Posts(ids, basis=basis) if ids else NO_POSTS


def _count_param(query: dict[str, list[str]], name: str) -> Posts:
    value = (query.get(name) or [""])[0]
    return Posts(count=int(value), basis="url-param") if value.isdigit() else NO_POSTS


def _graphql_params(query: dict[str, list[str]]) -> Posts:
    raw = (query.get("variables") or [""])[0]
    try:
        variables = json.loads(raw) if raw else {}
    except (ValueError, RecursionError):
        return NO_POSTS
    if not isinstance(variables, dict):
        return NO_POSTS
    for key in ("focalTweetId", "tweetId"):
        if str(variables.get(key, "")).isdigit():
            return Posts((str(variables[key]),), basis="url-param")
    for key in ("tweetIds", "ids"):
        if isinstance(variables.get(key), list):
            ids = tuple(unique(str(i) for i in variables[key] if str(i).isdigit()))
            if ids:
                return Posts(ids, basis="url-param")
    count = variables.get("count")
    if isinstance(count, int) and count >= 0:
        return Posts(count=count, basis="url-param")
    return NO_POSTS
