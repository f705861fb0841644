"""The OpenAPI document states which subscription URLs the service can take: a client that
checks a URL against the documented pattern is never refused for its scheme or characters,
and a URL outside the pattern is always refused."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.webhooks.targets import URL_PATTERN, TargetRefused, parse

# JSON Schema patterns are ECMA-262 expressions, whose "$" ends the text; Python's "$" also
# matches before a final line break, so the test reads the pattern as a whole-text match.
_DOCUMENTED = re.compile(URL_PATTERN.removeprefix("^").removesuffix("$"))

_SCHEMES = ["http", "https", "HTTP", "Https", "hTtPs", "ftp", "file", "htt", "httpss", "ws", ""]
# Every ASCII character, printable or not (space, tab, CR, LF, NUL, DEL), and some beyond.
_CHARACTERS = [chr(code) for code in range(0x80)] + ["é", "€", "\u2028"]
# Pieces of which the rest of a URL is made: hosts, ports, user names, paths, queries.
_PIECES = ["hooks.example.com", "a", "1.2.3.4", "[::1]", "[", "]", ":", "8080", "99999", "@",
           "user", "/", "?", "=", "&", "#", "%20", " ", "\t", "\n", "é", "~", "\\"]


def taken(url: str) -> bool:
    try:
        parse(url)
    except TargetRefused:
        return False
    return True


def test_each_character_is_taken_exactly_where_the_documented_pattern_admits_it():
    # The host is fixed, so only the scheme and the character decide.
    for scheme in _SCHEMES:
        for character in _CHARACTERS:
            url = f"{scheme}://hooks.example.com/a{character}b"
            assert taken(url) == bool(_DOCUMENTED.fullmatch(url)), url


@given(scheme=st.sampled_from(_SCHEMES), path=st.text(st.sampled_from(_CHARACTERS),
                                                      max_size=40))
def test_a_path_is_taken_exactly_when_the_documented_pattern_matches_it(scheme, path):
    url = f"{scheme}://hooks.example.com/{path}"
    assert taken(url) == bool(_DOCUMENTED.fullmatch(url))


@settings(max_examples=1000)  # a fifth are taken; a parse costs microseconds
@given(scheme=st.sampled_from(_SCHEMES), pieces=st.lists(st.sampled_from(_PIECES),
                                                         max_size=8))
def test_no_url_the_service_takes_is_outside_the_documented_pattern(scheme, pieces):
    # Host, port, user name and path all drawn from pieces: many of these URLs are taken
    # (a text of any characters never was, so the property held of nothing).
    url = f"{scheme}://{''.join(pieces)}"
    if taken(url):
        assert _DOCUMENTED.fullmatch(url)


@pytest.mark.parametrize("url", ["HTTPS://hooks.example.com/terms",
                                 "https://hooks.example.com/terms?topic=x&since=1"])
def test_a_url_in_any_case_of_its_scheme_or_with_a_query_is_documented_and_taken(url):
    assert _DOCUMENTED.fullmatch(url) and taken(url)


def test_the_openapi_document_states_the_pattern_of_a_subscription_url(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    assert schemas["NewSubscription"]["properties"]["url"]["pattern"] == URL_PATTERN
