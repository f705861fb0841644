"""The streams given to warcio read a line in time linear in its length and give warcio
exactly the bytes its own reader gives; a header line past the bound is refused in words.

warcio's ``readline`` copied a line at every 16 KiB block of it: a WARC header line of
50 MB took 69 s and 32 MB took 16 s. A header line of a few MB is now read in a fraction
of a second (decision 0154), and a header past ``MAX_HEADER_LINE`` (a 50 MB one held
about 400 MB) is refused as a header no crawler writes."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.bufferedreaders import DecompressingBufferedReader

import calculator
from calculator.errors import InvalidInput
from calculator.ingest.crawlers.warc_lines import MAX_HEADER_LINE, Chain, _LinearLines

_lines = st.lists(st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")), max_size=12)


@settings(max_examples=300, deadline=None)
@given(lines=_lines, endings=st.lists(st.sampled_from([b"\n", b"\r\n", b""]), max_size=12),
       block=st.integers(1, 17), lengths=st.lists(st.none() | st.integers(0, 90), max_size=30))
def test_warcio_reads_the_same_lines_through_the_linear_reader(lines, endings, block, lengths):
    """Any bytes, any block size, any ``length`` asked: line for line what warcio's own
    reader gives (its way of counting ``length`` down included)."""
    data = b"".join(line + (endings[i] if i < len(endings) else b"\n")
                    for i, line in enumerate(lines))
    theirs = DecompressingBufferedReader(io.BytesIO(data), block_size=block, decomp_type=None)
    ours = _LinearLines(io.BytesIO(data), block_size=block, decomp_type=None)
    for length in [*lengths, None, None]:
        assert ours.readline(length) == theirs.readline(length)
    assert ours.read() == theirs.read()


@settings(max_examples=200, deadline=None)
@given(held=st.binary(max_size=40), rest=st.binary(max_size=200),
       reads=st.lists(st.tuples(st.booleans(), st.integers(1, 30)), max_size=20))
def test_the_chain_reads_its_held_bytes_then_the_stream_like_one_stream(held, rest, reads):
    chain = Chain(held, io.BytesIO(rest))
    whole = io.BytesIO(held + rest)
    for by_line, size in reads:
        if by_line:
            assert chain.readline() == whole.readline()
        else:
            buffer = bytearray(size)
            count = chain.readinto(buffer)
            assert count <= size
            expected = whole.read(count)
            assert bytes(buffer[:count]) == expected
            if count == 0:
                assert whole.read() == b""
    assert chain.readline() + b"".join(iter(lambda: chain.readline(), b"")) == whole.read()


def test_a_long_header_line_is_read_and_a_longer_one_refused_in_words():
    record = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://x.com/%s\r\n"
              b"Content-Length: 0\r\n\r\n\r\n\r\n")
    assert calculator.assess(record % (b"a" * (6 << 20))).input.format == "warc"
    with pytest.raises(InvalidInput, match="a WARC record has a header line longer than "
                                           "8,388,608 bytes"):
        calculator.assess(record % (b"a" * (MAX_HEADER_LINE + 1)))
