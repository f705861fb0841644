"""X GraphQL timelines counted without building the whole answer: a typed decode (msgspec)
reads only the keys the posts are found by, skips everything else in C, and gives the
same posts as the JSON walk of ``x_bodies``, or says it cannot (``None``) and the walk
decides.

Why it is exact (decision 0125):
- msgspec and Python's ``json`` agree on what is JSON, except where msgspec refuses what
  ``json`` reads (NaN, a number beyond a float, an escaped lone surrogate, a byte order
  mark) and on bytes that are not UTF-8, which are checked here as ``json`` checks them;
  a refusal hands the body to the walk. The decode is run a few frames deeper than ``json``
  runs, so that a body nested too deep for ``json`` is too deep here first.
- The types below are those the walk accepts at each key it reads; a value of any other
  type (a string where the walk expects an object...) fails the decode and the walk, which
  is lenient about such values, decides.
- The walk looks for a timeline's ``instructions`` under any key of ``data``; the decode
  follows only the keys X's operations put timelines under. The answer is taken only when
  the decode found as many ``instructions`` lists as the body has ``"instructions"`` keys
  (no key spelled with escapes, checked): then the walk could have found no other, and a
  single list has no order to keep. Anything else is the walk's.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from msgspec import UNSET, Struct, field

from calculator.ingest.crawlers.x_posts import (
    CONVERSATION_MODULES,
    FIND_DEPTH,
    NESTED_DEPTH,
    Posts,
)

_KEY = b'"instructions"'
# A letter or underscore written as a \u escape could spell "instructions" unseen by a byte
# search; JSON writers never escape letters, so such a body simply goes to the walk.
_ESCAPED_LETTER = re.compile(rb"\\u00(?:[46][1-9a-fA-F]|[57][0-9aA]|5[fF])")
_PADDING = 8  # frames: the decode must meet the recursion limit before json would


class _Holder(Struct, gc=False):
    """``quoted_status_result``, ``retweeted_status_result``: the post inside."""

    result: _Tweet | None = None


class _Legacy(Struct, gc=False):
    retweeted_status_result: _Holder | None = None


class _Tweet(Struct, gc=False):
    """A post, or its ``TweetWithVisibilityResults`` wrapper (the post in ``tweet``)."""

    typename: Any = field(default="Tweet", name="__typename")
    rest_id: Any = None
    tweet: _Tweet | None = None
    legacy: _Legacy | None = None
    quoted_status_result: _Holder | None = None
    quotedRefResult: _Holder | None = None


class _TweetResults(Struct, gc=False):
    result: _Tweet | None = None


class _ItemContent(Struct, gc=False):
    itemType: Any = UNSET
    typename: Any = field(default=UNSET, name="__typename")
    tweet_results: _TweetResults | None = None


class _ItemBody(Struct, gc=False):
    itemContent: _ItemContent | None = None


class _Item(Struct, gc=False):
    item: _ItemBody | None = None


class _Content(Struct, gc=False):
    itemContent: _ItemContent | None = None
    items: list[_Item] | None = None


class _Entry(Struct, gc=False):
    entryId: Any = ""
    content: _Content | None = None


class _Instruction(Struct, gc=False):
    entries: list[_Entry] | None = None
    entry: _Entry | None = None
    moduleItems: list[_Item] | None = None
    moduleEntryId: Any = ""


class _Node(Struct, gc=False):
    """An object on the way from ``data`` to a timeline, by the keys X's operations use."""

    instructions: list[_Instruction] | None = None
    # A v2 post in ``data`` is not a GraphQL answer: its presence hands the body back.
    id: Any = UNSET
    user: _Node | None = None
    result: _Node | None = None
    timeline: _Node | None = None
    timeline_v2: _Node | None = None
    search_by_raw_query: _Node | None = None
    search_timeline: _Node | None = None
    threaded_conversation_with_injections_v2: _Node | None = None
    threaded_conversation_with_injections: _Node | None = None
    home: _Node | None = None
    home_timeline_urt: _Node | None = None
    list_: _Node | None = field(default=None, name="list")
    tweets_timeline: _Node | None = None
    bookmark_timeline_v2: _Node | None = None
    bookmark_timeline: _Node | None = None
    retweeters_timeline: _Node | None = None
    favoriters_timeline: _Node | None = None


_CHILDREN = tuple(name for name in _Node.__struct_fields__ if name not in ("instructions", "id"))


class _Answer(Struct, gc=False):
    data: _Node | None = None


_DECODER = msgspec.json.Decoder(_Answer)


def timeline_posts(body: bytes) -> Posts | None:
    """The posts of an X GraphQL timeline answer, exactly as ``x_bodies.posts_in_body``
    counts them; None when this body is for the walk to count."""
    expected = body.count(_KEY)
    # A one-byte search first: it runs at memchr's speed, a four-byte one does not.
    if not expected or (b"\\" in body and b"\\u00" in body and _ESCAPED_LETTER.search(body)):
        return None
    if not body.isascii():
        try:  # json reads bytes as UTF-8 and lets encoded surrogates through
            body.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return None
    try:
        answer = _deeper(_PADDING, body)
    except (msgspec.DecodeError, RecursionError):
        return None
    data = answer.data
    if data is None or data.id is not UNSET:
        return None
    found: list[list[_Instruction]] = []
    _find(data, 0, found)
    if len(found) != 1 or expected != 1 or not found[0]:
        return None  # several timelines (their order), or an empty one (the walk then
        # looks for a post looked up by id): the walk's
    return _count(found[0])


def _deeper(frames: int, body: bytes) -> _Answer:
    return _deeper(frames - 1, body) if frames else _DECODER.decode(body)


def _find(node: _Node, depth: int, found: list[list[_Instruction]]) -> None:
    """The walk's timeline search (``x_bodies._find_instructions``) over the known keys."""
    if depth > FIND_DEPTH:
        return
    if node.instructions is not None:
        found.append(node.instructions)
        return
    for name in _CHILDREN:
        child = getattr(node, name)
        if child is not None:
            _find(child, depth + 1, found)


def _count(instructions: list[_Instruction]) -> Posts:
    # The walk of ``x_bodies`` written out for the common shape (tweet entries of a
    # TimelineAddEntries): a call per entry and per post was a third of the count's time.
    primary: list[_Tweet] = []
    append = primary.append
    for instruction in instructions:
        entries = instruction.entries or ()
        if instruction.entry is not None:  # TimelinePinEntry, TimelineReplaceEntry: last
            entries = [*entries, instruction.entry]
        for entry in entries:
            content = entry.content
            if content is None:
                continue
            entry_id = entry.entryId
            if type(entry_id) is not str:
                entry_id = str(entry_id)
            if entry_id.startswith("tweet-"):
                item = content.itemContent
                results = item.tweet_results if item is not None else None
                if results is not None and results.result is not None:
                    append(results.result)
            elif entry_id.startswith(CONVERSATION_MODULES):
                for one in content.items or ():
                    _item_tweet(one, primary)
        if instruction.moduleItems is not None and str(instruction.moduleEntryId).startswith(
                CONVERSATION_MODULES):
            for item in instruction.moduleItems:
                _item_tweet(item, primary)
    ids: dict[str, None] = {}
    embedded: dict[str, None] = {}
    for post in primary:
        if post.typename == "TweetWithVisibilityResults":
            post = post.tweet  # type: ignore[assignment]
            if post is None:
                continue
        rest_id = post.rest_id  # _rest_id, written out
        if post.typename != "Tweet" or rest_id is None:
            continue  # a tombstone or an unavailable post: nothing was shown
        if type(rest_id) is not str:
            rest_id = str(rest_id)
        if not rest_id.isdigit():
            continue
        ids[rest_id] = None
        if post.quoted_status_result is not None or post.quotedRefResult is not None or (
                post.legacy is not None and post.legacy.retweeted_status_result is not None):
            for inner in _nested(post, 0):
                embedded[inner] = None
    return Posts(tuple(ids), tuple(e for e in embedded if e not in ids), basis="body-count")


def _item_tweet(item: _Item, primary: list[_Tweet]) -> None:
    content = item.item.itemContent if item.item is not None else None
    if content is None:
        return
    kind = content.itemType if content.itemType is not UNSET else (
        content.typename if content.typename is not UNSET else None)
    if kind in ("TimelineTweet", None):
        results = content.tweet_results
        if results is not None and results.result is not None:
            primary.append(results.result)


def _unwrap(tweet: _Tweet | None) -> _Tweet | None:
    if tweet is not None and tweet.typename == "TweetWithVisibilityResults":
        return tweet.tweet
    return tweet


def _rest_id(tweet: _Tweet | None) -> str | None:
    if tweet is not None and tweet.typename == "Tweet" and tweet.rest_id is not None:
        rest_id = tweet.rest_id if type(tweet.rest_id) is str else str(tweet.rest_id)
        if rest_id.isdigit():
            return rest_id
    return None


def _nested(tweet: _Tweet, depth: int) -> list[str]:
    """``x_bodies._nested_tweets``: quoted, reposted, and a quote inside either."""
    found: list[str] = []
    legacy = tweet.legacy
    holders = (tweet.quoted_status_result, tweet.quotedRefResult,
               legacy.retweeted_status_result if legacy is not None else None)
    for holder in holders:
        if holder is None or depth > NESTED_DEPTH:
            continue
        inner = _unwrap(holder.result)
        rest_id = _rest_id(inner)
        if rest_id:
            found.append(rest_id)
            found.extend(_nested(inner, depth + 1))  # type: ignore[arg-type]
    return found

