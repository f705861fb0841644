"""The compiled loops of a read (decision 0170) read a value exactly as the general way
reads it, or leave the whole batch to it: text instants against a calendar oracle and Arrow's
own cast, post ids against the id-by-id numbering, folded rows against one row at a time,
and whole logs assessed both ways to the same document."""

from __future__ import annotations

import calendar
import itertools
import json
import re
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.damages.assessment import assess
from calculator.errors import InvalidInput
from calculator.ingest import compiled_reads
from calculator.ingest.post_id_numbers import canonical_numbers
from calculator.ingest.volume import VolumeBuilder
from calculator.timeutil import FIRST_YEAR, LAST_YEAR
from tests.ingest.helpers import loops

_UTC_NS = pa.timestamp("ns", tz="UTC")
_FORM = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z", re.ASCII)


def calendar_ns(text: str) -> int | None:
    """The oracle: the instant of a text in the common form within the years read, by the
    calendar of the standard library; None for any other text."""
    match = _FORM.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:  # no such day, hour, minute or second (60 included)
        return None
    fraction = int((match.group(7) or "").ljust(9, "0"))
    return calendar.timegm(moment.utctimetuple()) * 10**9 + fraction


def _written(parts: tuple) -> str:
    year, month, day, hour, minute, second, decimals, marks = parts
    date_mark, time_mark, zone = marks
    text = (f"{year:04d}{date_mark}{month:02d}{date_mark}{day:02d}{time_mark}{hour:02d}:"
            f"{minute:02d}:{second:02d}")
    return text + (f".{decimals}" if decimals else "") + zone


_COMMON_MARKS = ("-", "T", "Z")
# Dates and times in range, and the values and marks next to them that are not.
instant_texts = st.tuples(
    st.one_of(st.integers(FIRST_YEAR, LAST_YEAR), st.sampled_from([1677, 2262, 1, 9999])),
    st.integers(0, 13), st.integers(0, 32), st.integers(0, 24), st.integers(0, 60),
    st.integers(0, 60), st.one_of(st.just(""), st.from_regex(r"\A[0-9]{1,10}\Z")),
    st.one_of(st.just(_COMMON_MARKS), st.tuples(st.sampled_from("-/"),
                                                st.sampled_from(["T", " ", "t"]),
                                                st.sampled_from(["Z", "z", "+00:00", ""])))
).map(_written)
common_texts = st.tuples(
    st.integers(FIRST_YEAR, LAST_YEAR), st.integers(1, 12), st.integers(1, 28),
    st.integers(0, 23), st.integers(0, 59), st.integers(0, 59),
    st.one_of(st.just(""), st.from_regex(r"\A[0-9]{1,9}\Z")), st.just(_COMMON_MARKS)
).map(_written)


def held_to_the_calendar(column: pa.Array | pa.ChunkedArray, texts: list[str]) -> bool:
    """The pass's reading of ``column`` (of ``texts``) checked against the oracle: every
    instant the calendar's, or the whole column left to the general way when one text is
    not a real instant in the common form. Whether the pass read it."""
    expected = [calendar_ns(text) for text in texts]
    with loops(True):
        found = compiled_reads.utc_instants(column)
    if None in expected:
        assert found is None
        return False
    assert found is not None and found.tolist() == expected
    return True


TEXT_TYPES = [pa.string(), pa.large_string()]  # 32- and 64-bit offsets (polars writes the latter)


@pytest.mark.parametrize("kind", TEXT_TYPES)
@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(common_texts, instant_texts, st.text(max_size=31)), min_size=1,
                max_size=30))
def test_a_text_instant_is_read_in_one_pass_only_as_the_calendar_and_arrow_read_it(kind, texts):
    """The pass reads a batch only when every text is in the common form of a real instant
    within the years read; the whole batch is otherwise left to Arrow's reading."""
    if held_to_the_calendar(pa.array(texts, kind), texts):
        assert [calendar_ns(text) for text in texts] == np.asarray(
            pa.array(texts).cast(_UTC_NS).cast(pa.int64())).tolist()


@pytest.mark.parametrize("kind", TEXT_TYPES)
@settings(max_examples=200, deadline=None)
@given(st.lists(common_texts, min_size=1, max_size=30), st.integers(0, 30), st.integers(0, 30))
def test_instants_in_the_common_form_are_read_in_one_pass_from_any_slice(kind, texts, start,
                                                                          length):
    """Readers hand over slices of larger buffers (a Parquet or Arrow batch): only the
    slice's own texts are read."""
    whole = pa.array(["x", *texts, "2024-02-30T00:00:00Z"], kind)
    start = min(start, len(texts))
    piece = whole.slice(1 + start, min(length, len(texts) - start))
    with loops(True):
        found = compiled_reads.utc_instants(piece)
    if len(piece) == 0:
        assert found is None
    else:
        assert found is not None
        assert found.tolist() == [calendar_ns(text) for text in piece.to_pylist()]


EDGES = ["2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2000-02-29T12:00:00Z",
         "1900-02-29T12:00:00Z", "2100-02-28T23:59:59Z", "2100-02-29T00:00:00Z",
         "2024-04-30T00:00:00Z", "2024-04-31T00:00:00Z", "2024-12-31T23:59:59Z",
         "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z", "2024-01-00T00:00:00Z",
         "2024-11-15T23:59:60Z", "2024-11-15T24:00:00Z", "2024-11-15T23:60:00Z",
         f"{FIRST_YEAR}-01-01T00:00:00Z", f"{FIRST_YEAR - 1}-12-31T23:59:59Z",
         f"{LAST_YEAR}-12-31T23:59:59.999999999Z", f"{LAST_YEAR + 1}-01-01T00:00:00Z",
         "1969-12-31T23:59:59.5Z", "2024-11-15T09:30:00.Z", "2024-11-15T09:30:00.1234567890Z",
         "2024-11-15T09:30:00.12a4Z", "2024-11-15T09:30:00,5Z", "2024-11-15 09:30:00Z",
         "2024-11-15T09:30:00z", "2024-11-15T09:30:00+00:00", "2024-11-15T09:30:00",
         "2024-11-15T09:30Z", "+2024-11-15T09:30:00Z", "２024-11-15T09:30:00Z"]


@pytest.mark.parametrize("text", EDGES)
def test_an_instant_at_the_edge_of_the_calendar_or_the_form_is_read_as_the_calendar_says(text):
    """A day past its month's end (and February 29 of a year that has none), the 60th second,
    the 24th hour, the first and last years read, every way of writing decimals: alone in a
    batch, each is read to the calendar's instant or left to the general way."""
    expected = calendar_ns(text)
    for kind in TEXT_TYPES:
        with loops(True):
            found = compiled_reads.utc_instants(pa.array([text], kind))
        assert (None if found is None else found.tolist()) == (
            None if expected is None else [expected])
    if expected is not None:
        assert pa.array([text]).cast(_UTC_NS).cast(pa.int64()).to_pylist() == [expected]


def test_the_general_way_reads_instants_while_the_loops_are_not_loaded():
    with loops(False):
        assert compiled_reads.utc_instants(pa.array(["2024-11-15T00:00:00Z"])) is None


# The first 16 bytes (date, hour and minute) of texts in time order: a log repeats them
# for many rows, and the pass reads a text whose 16 bytes are those of the text before it
# from its seconds on. Some are no instant at all (the pass must not take them for one
# because the text before was), sixteen NUL bytes among them.
HEADS = ["2024-11-15T09:30", "2024-11-15T09:31", "2024-11-16T00:00", "2024-02-30T09:30",
         "2024-11-15T24:00", "2024-11-15T09:60", "2024-11-15 09:30", "\0" * 16,
         f"{LAST_YEAR + 1}-01-01T00:00", "2024-11-15T09:3a"]
TAILS = [":00Z", ":59Z", ":07.5Z", ":07.123456Z", ":07.123456789Z", ":60Z", ":5aZ", ":00",
         ":00.Z", ":00.1234567890Z", "-00Z", ":00z", ":00+00:00"]


@pytest.mark.parametrize("kind", TEXT_TYPES)
@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(HEADS) - 1), st.integers(0, len(TAILS) - 1)),
                min_size=1, max_size=40).map(lambda picks: sorted(picks, key=lambda p: p[0])),
       st.lists(st.integers(0, 40), max_size=4))
def test_texts_in_time_order_are_read_from_their_seconds_only_as_the_calendar_reads_them(
        kind, picks, cuts):
    """Texts sharing their date, hour and minute with the text before them, in a column of
    any chunks (each a slice of a larger buffer, some empty): read to the calendar's
    instants, or all left to the general way when one is not in the common form."""
    texts = [HEADS[head] + TAILS[tail] for head, tail in picks]
    bounds = sorted({0, len(texts), *(min(cut, len(texts)) for cut in cuts)})
    chunks = [pa.array(["x", *texts[a:b], "y"], kind).slice(1, b - a)
              for a, b in itertools.pairwise(bounds)]
    held_to_the_calendar(pa.chunked_array(chunks, kind), texts)


@pytest.mark.parametrize("kind", TEXT_TYPES)
@settings(max_examples=600, deadline=None)
@given(st.lists(st.text(alphabet="0123456789" * 6 + "/:;a .\x00é٣", min_size=0, max_size=11),
                min_size=1, max_size=8))
def test_decimals_are_read_eight_at_once_only_where_every_one_is_a_digit(kind, decimals):
    """One to nine decimals, read as one word of eight bytes (and a ninth): any byte that is
    not an ASCII digit, wherever it stands among them, leaves the batch to the general way;
    the digits read give the calendar's nanoseconds."""
    texts = [f"2024-11-15T09:30:{k % 60:02d}.{part}Z" for k, part in enumerate(decimals)]
    held_to_the_calendar(pa.array(texts, kind), texts)


def test_a_text_of_nul_bytes_is_not_taken_for_an_instant_at_the_start_of_a_column():
    """Nothing has been read whole before the first text: however its 16 bytes compare with
    what the pass holds at first, it is read whole."""
    with loops(True):
        assert compiled_reads.utc_instants(pa.array(["\0" * 16 + ":00Z"])) is None
        assert compiled_reads.utc_instants(
            pa.array(["2024-11-15T09:30:00Z", "\0" * 16 + ":00Z"])) is None


@pytest.mark.parametrize("column", [
    pa.array(["2024-11-15T00:00:00Z"], pa.string_view()),
    pa.array(["2024-11-15T00:00:00Z", None]),
    pa.chunked_array([["2024-11-15T00:00:00Z"], ["2024-11-15T00:00:01Z", None]]),
    pa.array(["2024-11-15T00:00:00Z"]).dictionary_encode(),
    pa.array([], pa.string())])
def test_columns_the_loops_do_not_take_are_left_to_the_general_way(column):
    """Text views, nulls (in any chunk), dictionaries and empty columns: the loops'
    signatures take none of them, and none reaches them."""
    with loops(True):
        assert compiled_reads.utc_instants(column) is None


post_id_texts = st.one_of(st.from_regex(r"\A(0|[1-9][0-9]{0,18})\Z"),
                          st.integers(2**63 - 3, 2**63 + 3).map(str),
                          st.sampled_from(["007", "-1", "+5", " 5", "", "1e3", "٣"]),
                          st.text(max_size=6), st.none())


@pytest.mark.parametrize("kind", TEXT_TYPES)
@settings(max_examples=400, deadline=None)
@given(st.lists(post_id_texts, min_size=1, max_size=30), st.integers(0, 30))
def test_post_ids_read_in_one_pass_are_numbered_as_the_general_way_numbers_them(kind, texts,
                                                                                cut):
    cut = min(cut, len(texts))
    column = pa.chunked_array([pa.array(texts[:cut], kind), pa.array(texts[cut:], kind)])
    with loops(False):
        general = canonical_numbers(column)
    with loops(True):
        compiled = canonical_numbers(column)
        passed = compiled_reads.post_numbers(column.chunks)
    assert (compiled is None) == (general is None)
    if general is not None:
        assert compiled.tolist() == general.tolist()
    if general is not None and None not in texts:
        assert passed is not None  # the one pass took the column


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 9), st.integers(1, 3)),
                max_size=60), st.integers(1, 8), st.booleans())
def test_rows_folded_in_one_pass_give_each_instant_its_posts_and_accesses(
        rows, blocks, with_accesses):
    rows = sorted(rows)
    built = []
    for loaded in (False, True):
        with loops(loaded):
            builder = VolumeBuilder()
            for part in np.array_split(np.array(rows, dtype=np.int64).reshape(-1, 3), blocks):
                builder.add(np.ascontiguousarray(part[:, 0]), np.ascontiguousarray(part[:, 1]),
                            np.ascontiguousarray(part[:, 2]) if with_accesses else None)
            volume = builder.build()
            built.append((volume.instants.tolist(), volume.posts.tolist(),
                          volume.accesses.tolist()))
    expected: dict[int, list[int]] = {}
    for instant, posts, accesses in rows:
        counted = expected.setdefault(instant, [0, 0])
        counted[0] += posts
        counted[1] += accesses if with_accesses else 1
    assert built[0] == built[1] == (sorted(expected), [expected[i][0] for i in sorted(expected)],
                                    [expected[i][1] for i in sorted(expected)])


def _log(rows: int, seed: int) -> pa.Table:
    generator = np.random.default_rng(seed)
    seconds = np.sort(generator.integers(1_731_628_800, 1_731_628_800 + 5 * 86_400, rows))
    stamps = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    fraction = generator.integers(0, 1000, rows)
    texts = [f"{stamp}.{ms:03d}Z" if k % 3 else f"{stamp}Z"
             for k, (stamp, ms) in enumerate(zip(stamps, fraction, strict=True))]
    return pa.table({"timestamp": texts,
                     "posts": generator.integers(1, 400_000, rows),
                     "post_id": [str(n) for n in generator.integers(1, 10**9, rows)]})


@pytest.mark.parametrize("form", ["parquet", "csv"])
def test_a_log_is_assessed_to_the_same_document_with_and_without_the_loops(
        tmp_path, monkeypatch, form):
    """The whole read, both ways: every window, amount and count the same; and the loops
    did read this log when loaded."""
    table = _log(30_000, seed=7)
    path = tmp_path / f"log.{form}"
    if form == "parquet":
        pq.write_table(table, path, row_group_size=7_000)
    else:
        pacsv.write_csv(table, path)
    taken: dict[bool, set[str]] = {False: set(), True: set()}
    state = {"loaded": False}
    for name in ("utc_instants", "post_numbers", "fold_sorted"):
        monkeypatch.setattr(compiled_reads, name, _noted(getattr(compiled_reads, name), name,
                                                         taken, state))
    documents = []
    for loaded in (False, True):
        state["loaded"] = loaded
        with loops(loaded):
            for count in ("requested", "distinct"):
                documents.append(json.dumps(assess(str(path), count=count).to_document(),
                                            sort_keys=True, default=str))
    assert documents[:2] == documents[2:]
    assert taken[False] == set()  # the first two documents are the general way's alone
    # A CSV's instants in the common form are read as text once the loops are loaded, and
    # by the pass, as a Parquet log's are.
    assert taken[True] == {"utc_instants", "post_numbers", "fold_sorted"}


def _noted(function, name: str, taken: dict[bool, set[str]], state: dict[str, bool]):
    """``function``, noting under the phase in ``state`` each time a loop read the values."""
    def noted(*args, **kwargs):
        found = function(*args, **kwargs)
        if found is not None:
            taken[state["loaded"]].add(name)
        return found
    return noted


@pytest.mark.parametrize("later", [
    "2024-11-16T10:00:00+01:00", " 2024-11-16T09:00:00Z", "2024-11-16 09:00:00",
    "1731747600", "2024-11-16T09:00:00.5z", "2024-11-16T09:00:60Z", "2024-11-16T09:00:00Z "])
def test_a_csv_written_otherwise_after_its_first_rows_reads_alike_with_and_without_the_loops(
        tmp_path, monkeypatch, later):
    """The first rows decide that a CSV's instants are read as text once the loops are
    loaded; a later block written otherwise (an offset, spaces, a naive time, epoch seconds,
    a leap second) is read the general way: the same document, or the same error by its
    row, as the typed read gives while the loops are not loaded."""
    first = [f"2024-11-15T{k // 3600 % 24:02d}:{k // 60 % 60:02d}:{k % 60:02d}Z"
             for k in range(60_000)]
    texts = first + [later] * 5 + first[-3:]
    path = tmp_path / "log.csv"
    pacsv.write_csv(pa.table({"timestamp": texts, "posts": [40] * len(texts)}), path)
    taken: dict[bool, set[str]] = {False: set(), True: set()}
    state = {"loaded": False}
    monkeypatch.setattr(compiled_reads, "utc_instants",
                        _noted(compiled_reads.utc_instants, "utc_instants", taken, state))
    found = []
    for loaded in (False, True):
        state["loaded"] = loaded
        with loops(loaded):
            try:
                found.append(json.dumps(assess(str(path)).to_document(), sort_keys=True,
                                        default=str))
            except InvalidInput as exc:
                found.append((str(exc), [problem.row for problem in exc.problems]))
    assert found[0] == found[1]
    # The first rows were read as text by the pass once the loops were loaded, never before.
    assert taken == {False: set(), True: {"utc_instants"}}
