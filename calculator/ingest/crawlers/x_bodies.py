"""X posts held by an API or GraphQL answer body, found by walking the parsed JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from calculator.ingest.crawlers.x_posts import (
    CONVERSATION_MODULES,
    FIND_DEPTH,
    NESTED_DEPTH,
    Posts,
    unique,
)
from calculator.ingest.crawlers.x_timelines import timeline_posts


def posts_in_body(body: bytes | str) -> Posts | None:
    """The posts in an X API or GraphQL answer body: one JSON document, or one per line (the
    streaming API's newline- or CRLF-delimited answers); None when it is not JSON.

    A GraphQL timeline is counted by ``x_timelines`` without building the answer, when
    it can be (the same posts); this walk counts everything else."""
    if isinstance(body, bytes):
        found = timeline_posts(body)
        if found is not None:
            return found
    return walked_posts(body)


def walked_posts(body: bytes | str) -> Posts | None:
    """``posts_in_body`` by parsing the whole body and walking it: the reference the
    faster ways of counting are held to."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _posts_in_lines(body)
    except RecursionError:  # nested too deep to be an answer: not one that can be counted
        return None
    try:
        return posts_in_document(document) or Posts(basis="body-count")
    except RecursionError:
        return None


def _posts_in_lines(body: bytes | str) -> Posts | None:
    """Posts of a body holding one JSON document per line (``statuses/filter.json``,
    ``/2/tweets/search/stream``): each line is read on its own; blank keep-alive lines and
    notices (``delete``, ``limit``) hold no posts. None when no line is JSON. A line cut
    short where the capture stopped is not a post that can be counted.

    Only the lines that could hold a post (every post names an id) are found and parsed;
    the others are passed over where they lie (a body that holds no post at all is told
    from one that is no stream by its first lines). A 16 KB capture whose gzip body held
    8,000,000 lines of ``1`` took 29 s and 1.2 GB: a list of every line, and an empty count
    kept for each."""
    newline, marker = (b"\n", b"id") if isinstance(body, bytes) else ("\n", "id")
    ids: list[str] = []
    embedded: list[str] = []
    any_json = False
    at = body.find(marker)  # type: ignore[arg-type]
    while at >= 0:
        start = body.rfind(newline, 0, at) + 1  # type: ignore[arg-type]
        end = body.find(newline, at)  # type: ignore[arg-type]
        end = len(body) if end < 0 else end
        try:
            posts = posts_in_document(json.loads(body[start:end]))
        except (ValueError, UnicodeDecodeError, RecursionError):
            posts = None
        else:
            any_json = True
        if posts is not None:
            ids.extend(posts.ids)
            embedded.extend(posts.embedded)
        at = body.find(marker, end + 1)  # type: ignore[arg-type]
    if not any_json and not any(_is_json(line) for line in _first_lines(body, newline)):
        return None
    kept = unique(ids)
    held = set(kept)
    return Posts(tuple(kept), tuple(e for e in unique(embedded) if e not in held),
                 basis="body-count")


_FIRST_LINES = 64  # lines looked at for a keep-alive or a notice, in a body of no posts


def _first_lines(body: bytes | str, newline: bytes | str) -> list[bytes | str]:
    return body[:1 << 16].split(newline, _FIRST_LINES)[:_FIRST_LINES]  # type: ignore[arg-type]


def _is_json(line: bytes | str) -> bool:
    if not line.strip():
        return False
    try:
        json.loads(line)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return True


def posts_in_document(document: Any) -> Posts | None:
    """The posts in a parsed X answer: a GraphQL timeline or post, a v2 page, or v1.1 posts."""
    if isinstance(document, list):
        tweets = [t for t in document if _is_v1_tweet(t)]
        if tweets or not document:
            return _v1_posts(tweets)
        return None
    if not isinstance(document, dict):
        return None
    data = document.get("data")
    if isinstance(data, dict) and not _is_v2_tweet(data):
        return graphql_posts(data)
    if isinstance(data, list) or _is_v2_tweet(data):
        return _v2_posts(data if isinstance(data, list) else [data])
    if isinstance(document.get("statuses"), list):
        return _v1_posts([t for t in document["statuses"] if _is_v1_tweet(t)])
    if _is_v1_tweet(document):
        return _v1_posts([document])
    if "errors" in document and data is None:
        return Posts(basis="body-count")  # an error answer: it carried no posts
    if isinstance(document.get("meta"), dict) and data is None:
        return Posts(basis="body-count")  # a v2 page with no results (result_count 0)
    return None


def graphql_posts(data: dict[str, Any]) -> Posts:
    """Posts in the ``data`` of a GraphQL answer: timeline entries, or a post looked up by id.

    Primary posts are the timeline's ``tweet-*`` entries (pinned ones included) and the
    post items of conversation modules; every other post object inside them (the quoted
    post, the reposted post, a quote inside that) is embedded.
    """
    instructions = list(_find_instructions(data, depth=0))
    if instructions:
        primary = [t for i in instructions for t in _instruction_tweets(i)]
    else:
        # No timeline and no post looked up: an answer about something else (a user, a
        # list's members); it carried no posts.
        primary = _lookup_results(data) or []
    ids: dict[str, None] = {}
    embedded: dict[str, None] = {}
    for tweet in primary:
        tweet = _unwrap(tweet)
        rest_id = _rest_id(tweet)
        if rest_id is None:
            continue  # a tombstone or an unavailable post: nothing was shown
        ids[rest_id] = None
        for inner in _nested_tweets(tweet):
            embedded[inner] = None
    return Posts(tuple(ids), tuple(e for e in embedded if e not in ids), basis="body-count")


def _find_instructions(node: Any, depth: int) -> Iterator[dict[str, Any]]:
    # Timelines sit at different paths per operation (search_by_raw_query.search_timeline,
    # user.result.timeline.timeline, threaded_conversation_with_injections_v2…); walk the
    # dictionaries down to the first "instructions" list on each branch.
    if depth > FIND_DEPTH or not isinstance(node, dict):
        return
    value = node.get("instructions")
    if isinstance(value, list):
        yield from (i for i in value if isinstance(i, dict))
        return
    for child in node.values():
        if isinstance(child, dict):
            yield from _find_instructions(child, depth + 1)


def _instruction_tweets(instruction: dict[str, Any]) -> Iterator[Any]:
    entries = instruction.get("entries")
    if isinstance(entries, list):
        for entry in entries:
            yield from _entry_tweets(entry)
    entry = instruction.get("entry")
    if isinstance(entry, dict):  # TimelinePinEntry, TimelineReplaceEntry
        yield from _entry_tweets(entry)
    items = instruction.get("moduleItems")  # TimelineAddToModule: more of a conversation
    if isinstance(items, list) and str(instruction.get("moduleEntryId", "")).startswith(
            CONVERSATION_MODULES):
        for item in items:
            yield from _item_tweet(item)


def _entry_tweets(entry: Any) -> Iterator[Any]:
    if not isinstance(entry, dict):
        return
    entry_id = str(entry.get("entryId", ""))
    content = entry.get("content")
    if not isinstance(content, dict):
        return
    if entry_id.startswith("tweet-"):
        result = _dig(content, "itemContent", "tweet_results", "result")
        if result is not None:
            yield result
    elif entry_id.startswith(CONVERSATION_MODULES):
        for item in content.get("items") or ():
            yield from _item_tweet(item)


def _item_tweet(item: Any) -> Iterator[Any]:
    content = _dig(item, "item", "itemContent")
    if isinstance(content, dict) and content.get("itemType", content.get("__typename")) in (
            "TimelineTweet", None):
        result = _dig(content, "tweet_results", "result")
        if result is not None:
            yield result


def _lookup_results(data: dict[str, Any]) -> list[Any] | None:
    # TweetResultByRestId / TweetResultsByRestIds: a post looked up by id, no timeline.
    for key in ("tweetResult", "tweet_result"):
        result = _dig(data, key, "result")
        if result is not None:
            return [result]
    results = data.get("tweetResults")
    if isinstance(results, list):
        return [r["result"] for r in results if isinstance(r, dict) and "result" in r]
    return None


def _unwrap(tweet: Any) -> Any:
    if isinstance(tweet, dict) and tweet.get("__typename") == "TweetWithVisibilityResults":
        return tweet.get("tweet")
    return tweet


def _rest_id(tweet: Any) -> str | None:
    if isinstance(tweet, dict) and tweet.get("__typename", "Tweet") == "Tweet":
        rest_id = tweet.get("rest_id")
        if rest_id is not None and str(rest_id).isdigit():
            return str(rest_id)
    return None


def _nested_tweets(tweet: dict[str, Any], depth: int = 0) -> list[str]:
    """Ids of the posts a post carries: quoted, reposted, and a quote inside either."""
    found: list[str] = []
    legacy = tweet.get("legacy")
    holders = (tweet.get("quoted_status_result"), tweet.get("quotedRefResult"),
               legacy.get("retweeted_status_result") if isinstance(legacy, dict) else None)
    for holder in holders:
        if not holder or depth > NESTED_DEPTH or not isinstance(holder, dict):
            continue  # the common case: a post that quotes and reposts nothing
        inner = _unwrap(holder.get("result"))
        rest_id = _rest_id(inner)
        if rest_id:
            found.append(rest_id)
            found.extend(_nested_tweets(inner, depth + 1))
    return found


def _is_v2_tweet(item: Any) -> bool:
    return isinstance(item, dict) and "id" in item and ("text" in item
                                                        or "edit_history_tweet_ids" in item)


def _v2_posts(items: list[Any]) -> Posts:
    tweets = [t for t in items if _is_v2_tweet(t)]
    ids = tuple(unique(str(t["id"]) for t in tweets))
    embedded = unique(
        str(ref["id"]) for t in tweets for ref in t.get("referenced_tweets") or ()
        if isinstance(ref, dict) and ref.get("type") in ("quoted", "retweeted") and "id" in ref
    )
    return Posts(ids, tuple(e for e in embedded if e not in ids), basis="body-count")


def _is_v1_tweet(item: Any) -> bool:
    return isinstance(item, dict) and ("id_str" in item or "id" in item) and (
        "text" in item or "full_text" in item)


def _v1_posts(tweets: list[dict[str, Any]]) -> Posts:
    ids = tuple(unique(str(t.get("id_str", t.get("id"))) for t in tweets))
    embedded = unique(
        str(inner.get("id_str", inner.get("id")))
        for t in tweets for key in ("quoted_status", "retweeted_status")
        if isinstance(inner := t.get(key), dict) and ("id_str" in inner or "id" in inner)
    )
    return Posts(ids, tuple(e for e in embedded if e not in ids), basis="body-count")


def _dig(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node
