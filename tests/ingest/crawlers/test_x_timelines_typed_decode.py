"""X GraphQL timelines counted by the typed decode give the posts the JSON walk gives.

The walk (``x_bodies.walked_posts``: ``json.loads`` and the walk over the answer) is the
reference. The typed decode (``x_timelines.timeline_posts``) may decline a body (None) but
must never count it differently, on any bytes: timelines of every shape the walk reads,
values of the wrong type, duplicate keys, escaped keys, bytes that are not JSON or not
UTF-8, nesting near the recursion limit.
"""

from __future__ import annotations

import json
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculator.ingest.crawlers.x_bodies import posts_in_body, walked_posts
from calculator.ingest.crawlers.x_timelines import timeline_posts

_junk = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text("ab1 ", max_size=3),
                  st.lists(st.integers(0, 2), max_size=2), st.just({}))
_ids = st.one_of(st.integers(0, 2**70).map(str), st.integers(-2, 2**70),
                 st.sampled_from(["", "12a", "\u0661\u0662", "7"]), st.floats(0, 10),
                 st.none(), st.booleans())
_typenames = st.sampled_from(["Tweet", "TweetWithVisibilityResults", "TweetTombstone",
                              "TweetUnavailable", None, 3])
_entry_ids = st.sampled_from(["tweet-1", "tweet-", "cursor-top-1", "profile-conversation-1",
                              "conversationthread-2", "home-conversation-3",
                              "list-conversation-4", "who-to-follow-5", "promoted-tweet-6", 7])
_text = st.text(max_size=12)  # quotes, backslashes, braces, non-ASCII: escaped by json
_timeline_keys = ["user", "result", "timeline", "timeline_v2", "search_by_raw_query",
                  "search_timeline", "threaded_conversation_with_injections_v2", "home",
                  "home_timeline_urt", "list", "tweets_timeline"]


def _optional(**fields: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries({}, optional=fields)


def _answers(wild: bool) -> st.SearchStrategy:
    """GraphQL answers: ``wild``, any value of any key may be of the wrong type and the
    timeline anywhere; tame, every value is of the type X writes (the typed decode's
    ground) while ids, type names, entry ids and texts still vary."""
    junk = _junk if wild else st.nothing()

    def keys(required: dict, **optional: st.SearchStrategy) -> st.SearchStrategy:
        # tame: the keys a post is found by are there (else few answers would hold posts)
        if wild:
            return st.fixed_dictionaries({}, optional={**required, **optional})
        return st.fixed_dictionaries(required, optional=optional)

    entry_ids = _entry_ids if wild else st.sampled_from(["tweet-1", "tweet-2", "tweet-3",
                                                         "profile-conversation-1"])
    tweet = st.deferred(lambda: keys(
        {"rest_id": _ids}, __typename=_typenames, full_text=_text,
        legacy=_optional(retweeted_status_result=holder | junk, full_text=_text) | junk,
        quoted_status_result=holder | junk, quotedRefResult=holder | junk,
        tweet=tweet | junk, core=_optional(user_results=_optional(result=_junk))))
    holder = keys({"result": tweet | junk})
    item_content = keys(
        {"tweet_results": keys({"result": tweet | junk}) | junk},
        itemType=_typenames | st.just("TimelineTweet"),
        __typename=st.sampled_from(["TimelineTweet", "TimelineUser"]) | junk)
    item = keys({"item": keys({"itemContent": item_content | junk}) | junk}, entryId=entry_ids)
    content = keys({"itemContent": item_content | junk},
                   items=st.lists(item | junk, max_size=3) | junk, entryType=_text)
    entry = keys({"entryId": entry_ids | junk, "content": content | junk}, sortIndex=_text)
    instruction = keys({"entries": st.lists(entry | junk, max_size=4) | junk}, type=_text,
                       entry=entry | junk,
                       moduleItems=st.lists(item | junk, max_size=3) | junk,
                       moduleEntryId=entry_ids | junk)
    instructions = st.lists(instruction | junk, min_size=0 if wild else 1, max_size=3)
    path_keys = st.sampled_from(_timeline_keys + (["other", "instructions", "tweetResult"]
                                                  if wild else []))
    # Every strategy is built once, here, not inside the draws: a strategy built in a draw is
    # validated again at each example (the deferred tweet graph above most of all), which
    # cost more than the draws themselves.
    timeline_instructions = instructions | junk
    paths = st.lists(path_keys, max_size=12 if wild else 5)
    wrapper = _optional(__typename=_text, rest_id=_text)
    extras = _optional(other=_optional(instructions=instructions), tweetResult=holder | junk,
                       id=_text, text=_text, edit_history_tweet_ids=_junk)
    shapes = st.sampled_from(["merged", "timeline", "listed", "data"])

    @st.composite
    def data(draw: st.DrawFn) -> object:
        timeline: dict = {"instructions": draw(timeline_instructions)}
        for key in reversed(draw(paths)):
            timeline = {key: timeline, **draw(wrapper)}
        if not wild:
            return timeline
        added = draw(extras)
        merged = {**added, **timeline} if draw(st.booleans()) else {**timeline, **added}
        return {"merged": merged, "timeline": timeline, "listed": [timeline],
                "data": "data"}[draw(shapes)]

    documents = (_optional(data=data(), errors=st.lists(_optional(message=_text), max_size=1))
                 if wild else st.fixed_dictionaries({"data": data()}))
    not_objects = st.sampled_from(["listed", "x", 5, None])
    edits = st.integers(0, 2 if wild else 1)

    @st.composite
    def bodies(draw: st.DrawFn) -> bytes:
        document: object = draw(documents)
        if wild and draw(st.integers(0, 9)) == 0:
            shape = draw(not_objects)
            document = [document] if shape == "listed" else shape
        text = json.dumps(document, ensure_ascii=draw(st.booleans()),
                          indent=draw(st.sampled_from([None, 1])))
        body = text.encode()
        for _ in range(draw(edits)):
            body = draw(_mutated(body))
        return body

    return bodies()


_inserted = st.sampled_from([
    b'"instructions":[],', b'"instructions":5,', b'"data":{},', b'"data":[],', b'"user":5,',
    b'"result":null,', b'"rest_id":"9",', b'"rest_id":NaN,', b'"x":1e400,', b'"x":"\\ud800",',
    b'"__typename":"Tweet",', b'"entries":{},', b'"items":"ab",', b'"id":1,', b'"x":-,',
    b'"x":"\xff",', b'"x":"\xed\xa0\x80",', b'"instructions":[{"entries":[]}],'])


@st.composite
def _mutated(draw: st.DrawFn, body: bytes) -> bytes:
    """The body with one edit: a key inserted (duplicates, wrong types, values json reads
    and msgspec does not), a byte changed or cut, a key spelled with escapes, a BOM."""
    kind = draw(st.integers(0, 6))
    if kind == 0:
        opens = [i for i, byte in enumerate(body) if byte == ord("{")]
        if opens:
            at = draw(st.sampled_from(opens)) + 1
            return body[:at] + draw(_inserted) + body[at:]
    if kind == 1 and body:
        at = draw(st.integers(0, len(body) - 1))
        return body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1:]
    if kind == 2 and body:
        at = draw(st.integers(0, len(body) - 1))
        return body[:at] + body[at + draw(st.integers(1, 8)):]
    if kind == 3:
        return body.replace(b'"instructions"', draw(st.sampled_from(
            [b'"instr\\u0075ctions"', b'"\\u0069nstructions"', b'"instructions\\u0020"'])), 1)
    if kind == 4:
        return b"\xef\xbb\xbf" + body
    if kind == 5:
        return body + draw(st.sampled_from([b" \n", b"\n{}", b"x", b"\x00"]))
    return body


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_answers(wild=False), _answers(wild=True)))
def test_the_typed_decode_never_counts_a_body_differently_from_the_walk(body):
    expected = walked_posts(body)
    fast = timeline_posts(body)
    assert fast is None or fast == expected
    assert posts_in_body(body) == expected


_regular_tweet = st.builds(
    lambda post, quoted, wrapped: (
        lambda tweet: {"__typename": "TweetWithVisibilityResults", "tweet": tweet}
        if wrapped else tweet)({
            "__typename": "Tweet", "rest_id": str(post),
            "legacy": {"full_text": f"post {post} \u00e9 \"q\" {{}}", "lang": "en"},
            **({"quoted_status_result": {"result": {"__typename": "Tweet",
                                                    "rest_id": str(quoted)}}}
               if quoted else {})}),
    st.integers(1, 2**62), st.none() | st.integers(1, 2**62), st.booleans())


@st.composite
def _regular_timelines(draw: st.DrawFn) -> bytes:
    entries = []
    for number, tweet in enumerate(draw(st.lists(_regular_tweet, min_size=1, max_size=25))):
        entries.append({"entryId": f"tweet-{number}", "sortIndex": str(number), "content": {
            "entryType": "TimelineTimelineItem", "__typename": "TimelineTimelineItem",
            "itemContent": {"itemType": "TimelineTweet", "tweet_results": {"result": tweet}}}})
    entries.append({"entryId": "cursor-bottom-0", "content": {"value": "c"}})
    path = draw(st.sampled_from([
        ("search_by_raw_query", "search_timeline", "timeline"),
        ("user", "result", "timeline_v2", "timeline"),
        ("threaded_conversation_with_injections_v2",), ("home", "home_timeline_urt")]))
    node: dict = {"instructions": [{"type": "TimelineClearCache"},
                                   {"type": "TimelineAddEntries", "entries": entries}]}
    for key in reversed(path):
        node = {key: node}
    return json.dumps({"data": node}, ensure_ascii=draw(st.booleans())).encode()


@settings(max_examples=200, deadline=None)
@given(_regular_timelines())
def test_a_timeline_of_the_shapes_x_writes_is_counted_by_the_typed_decode(body):
    fast = timeline_posts(body)
    assert fast is not None
    assert fast == walked_posts(body)
    assert fast.ids


def _walked_as_posts_in_body_walks(body: bytes):
    return walked_posts(body)  # one frame down, as posts_in_body calls it


def test_a_body_nested_near_the_recursion_limit_is_counted_as_the_walk_counts_it():
    # json gives up on a body nested too deep (not countable) and how deep that is depends
    # on the stack it is called from; the typed decode must give up first, never count
    # what the walk could not read from the same place.
    limit = sys.getrecursionlimit()
    verdicts = set()
    for depth in range(limit - 80, limit + 5):
        body = (b'{"data":{"timeline":{"instructions":[{"entries":[{"entryId":"tweet-1",'
                b'"content":{"itemContent":{"tweet_results":{"result":{"rest_id":"5"}}}}}]}]},'
                b'"x":' + b"[" * depth + b"]" * depth + b"}}")
        expected = _walked_as_posts_in_body_walks(body)
        assert posts_in_body(body) == expected, depth
        verdicts.add(expected is None)
    assert verdicts == {True, False}  # the range crosses the limit
