"""The crawler readers' gzip layer inflates exactly what Python's gzip module does: any
number of members, zero padding between them, highly compressible data read in small
pieces, and a cut or a corrupt byte answered as bad input (or, for the WARC reader, as the
end of what could be read)."""

from __future__ import annotations

import gzip
import io
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.errors import InputTooLarge, InvalidInput
from calculator.ingest.crawlers._common import _Gunzip
from calculator.ingest.source import DecompressionBudget

members = st.lists(st.one_of(st.binary(max_size=3_000), st.integers(1, 60_000).map(
    lambda n: b"a" * n)), min_size=1, max_size=6)


def inflate(data: bytes, piece: int, truncated_ends: bool = False) -> bytes:
    reader = io.BufferedReader(_Gunzip(io.BytesIO(data), DecompressionBudget(),
                                       truncated_ends), buffer_size=piece)
    parts = []
    while part := reader.read(piece):
        parts.append(part)
    return b"".join(parts)


@settings(max_examples=200, deadline=None)
@given(members=members, padding=st.sampled_from([b"", b"\x00", b"\x00" * 9]),
       level=st.sampled_from([1, 9]), piece=st.sampled_from([7, 4096, 1 << 20]))
def test_every_member_is_inflated_as_the_gzip_module_does(members, padding, level, piece):
    data = padding.join(gzip.compress(m, compresslevel=level) for m in members) + padding
    assert inflate(data, piece) == gzip.decompress(data) == b"".join(members)


@settings(max_examples=100, deadline=None)
@given(members=members, cut=st.floats(0.05, 0.95))
def test_a_cut_inside_a_member_is_refused_or_ends_the_read(members, cut):
    data = b"".join(gzip.compress(m) for m in members)
    short = data[: max(1, int(len(data) * cut))]
    try:
        whole = gzip.decompress(short)
    except (EOFError, zlib.error, gzip.BadGzipFile):
        with pytest.raises(InvalidInput, match="gzip data is corrupt or truncated"):
            inflate(short, 4096)
    else:  # cut between two members: whole members, read alike
        assert inflate(short, 4096) == whole
    assert b"".join(members).startswith(inflate(short, 4096, truncated_ends=True))


def test_bytes_after_a_member_that_start_no_member_are_corrupt_data():
    with pytest.raises(InvalidInput, match="gzip data is corrupt"):
        inflate(gzip.compress(b"record one") + b"not gzip", 4096)


def test_what_is_inflated_counts_against_the_one_limit():
    budget = DecompressionBudget(limit=1_000)
    reader = _Gunzip(io.BytesIO(gzip.compress(b"a" * 5_000)), budget)
    with pytest.raises(InputTooLarge):
        while reader.read(512):
            pass
