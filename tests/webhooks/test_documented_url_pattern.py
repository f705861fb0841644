"""The OpenAPI document states which subscription URLs the service can take: a client that
checks a URL against the documented pattern is never refused for its scheme or characters,
and a URL outside the pattern is always refused."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculator.webhooks.targets import URL_PATTERN, TargetRefused, parse

# JSON Schema patterns are ECMA-262 expressions, whose "$" ends the text; Python's "$" also
# matches before a final line break, so the test reads the pattern as a whole-text match.
_DOCUMENTED = re.compile(URL_PATTERN.removeprefix("^").removesuffix("$"))

_SCHEMES = st.sampled_from(["http", "https", "HTTP", "Https", "hTtPs", "ftp", "file", "htt",
                            "httpss", "ws", ""])
# Every ASCII character, printable or not (space, tab, CR, LF, NUL, DEL), more often those
# a URL gives meaning to, and some beyond ASCII.
_PATH = st.text(st.characters(max_codepoint=0x7f) | st.sampled_from("#@?[]%:/ é€\u2028"),
                max_size=40)


def taken(url: str) -> bool:
    try:
        parse(url)
    except TargetRefused:
        return False
    return True


@given(scheme=_SCHEMES, path=_PATH)
def test_a_url_is_taken_exactly_when_the_documented_pattern_matches_it(scheme, path):
    # The host and port are fixed, so only the scheme and the characters decide.
    url = f"{scheme}://hooks.example.com/{path}"
    assert taken(url) == bool(_DOCUMENTED.fullmatch(url))


@given(url=st.text(max_size=60))
def test_no_url_the_service_takes_is_outside_the_documented_pattern(url):
    if taken(url):
        assert _DOCUMENTED.fullmatch(url)


@pytest.mark.parametrize("url", ["HTTPS://hooks.example.com/terms",
                                 "https://hooks.example.com/terms?topic=x&since=1"])
def test_a_url_in_any_case_of_its_scheme_or_with_a_query_is_documented_and_taken(url):
    assert _DOCUMENTED.fullmatch(url) and taken(url)


def test_the_openapi_document_states_the_pattern_of_a_subscription_url(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    assert schemas["NewSubscription"]["properties"]["url"]["pattern"] == URL_PATTERN
