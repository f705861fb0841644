"""The crawler readers' gzip layer inflates exactly what Python's gzip module does: any
number of members, zero padding between them, highly compressible data read in small
pieces, and a cut or a corrupt byte answered as bad input (or, for the WARC reader, as the
end of what could be read)."""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.errors import InputTooLarge, InvalidInput
from calculator.ingest.source import CompleteLines, DecompressionBudget, Gunzip, open_source

members = st.lists(st.one_of(st.binary(max_size=3_000), st.integers(1, 60_000).map(
    lambda n: b"a" * n)), min_size=1, max_size=6)


def inflate(data: bytes, piece: int, truncated_ends: bool = False) -> bytes:
    reader = io.BufferedReader(Gunzip(io.BytesIO(data), DecompressionBudget(),
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
    reader = Gunzip(io.BytesIO(gzip.compress(b"a" * 5_000)), budget)
    with pytest.raises(InputTooLarge):
        while reader.read(512):
            pass


def test_a_log_whose_deflate_data_is_corrupt_is_refused_with_a_message_not_a_traceback():
    """The log source undoes a log's gzip with the same inflater as the WARC reader: a
    corrupt deflate block (zlib's own error, not an ``OSError``) is bad input."""
    data = bytearray(gzip.compress(b"2025-03-01T00:00:00Z GET /status/1\n" * 200))
    data[10] |= 0b110  # the first deflate block's type becomes 3, which deflate reserves
    with open_source(bytes(data), "crawl.log.gz") as source, \
            pytest.raises(InvalidInput, match="gzip data is corrupt"):
        source.stream.read()


def _warc(records: int) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for n in range(records):
        body = b'{"data": {}}' if n % 2 else b"<html>" + b"x" * n + b"</html>"
        uri = f"https://x.com/i/api/graphql/A/TweetDetail?n={n}" if n % 2 else \
            f"https://x.com/user/status/{1_800_000_000_000_000_000 + n}"
        http = StatusAndHeaders("200 OK", [("Content-Length", str(len(body)))],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            uri, "response", payload=io.BytesIO(body), length=len(body), http_headers=http,
            warc_headers_dict={"WARC-Date": f"2025-01-01T00:00:{n % 60:02d}Z"}))
    return out.getvalue()


def test_a_gzip_warc_reads_alike_through_the_log_source_and_handed_to_the_reader():
    """calculator assess hands the WARC reader the log source's inflated stream; the
    reader handed the file inflates it itself: the same events and report either way."""
    from calculator.ingest.crawlers import ReadOptions, read_crawler_log
    from calculator.rules import load_ruleset

    data, options = _warc(40), ReadOptions.for_ruleset(load_ruleset())
    events, report = read_crawler_log(io.BytesIO(data), "warc", options)
    direct = list(events), report.lines, report.warnings, report.tallies
    with open_source(data, "crawl.warc.gz") as source:
        events, report = read_crawler_log(source.stream, "warc",
                                          replace(options, budget=source.budget))
        assert (list(events), report.lines, report.warnings, report.tallies) == direct
    assert direct[1] == 40 and len(direct[0]) == 40


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.sampled_from([b"a", b"bc", b"\n", b"\r\n", b"x" * 300_000]),
                     max_size=12).map(b"".join),
       flushed=st.booleans(), piece=st.sampled_from([1, 7, 4096, 1 << 20]))
def test_a_cut_line_log_gives_its_whole_lines_and_holds_back_only_the_line_cut(
        text, flushed, piece):
    """What ``CompleteLines`` gives is the content (a gzip that ends) or the content up to
    its last newline (a gzip cut short: flushed, never ended), read in pieces of any size."""
    if flushed:
        writer = zlib.compressobj(wbits=31)
        data = writer.compress(text) + writer.flush(zlib.Z_SYNC_FLUSH)
    else:
        data = gzip.compress(text)
    source = open_source(data)
    source.allow_cut_end()
    lines = CompleteLines(source)
    reader = io.BufferedReader(lines, buffer_size=max(piece, 8))
    parts = []
    while part := reader.read(piece):
        parts.append(part)
    given_out = b"".join(parts)
    expected = text[: text.rfind(b"\n") + 1] if flushed and text else text
    assert given_out == expected
    assert lines.lines == expected.count(b"\n")
    assert lines.withheld == len(text) - len(expected)
    assert source.cut == flushed
