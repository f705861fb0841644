"""The same rows give the same answer in every form (decision 0166): a text that names no
value (NA, null, N/A) is no value in JSON and column files as it is in a CSV; a table's empty
posts cell is refused in every table form; a whole number of posts is read however it is
written. Amounts differed by form before: a platform of "NA" was counted in a CSV and left
out in JSON Lines and Parquet."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import calculator
from calculator.errors import InvalidInput


def csv_of(rows: list[dict]) -> bytes:
    names = list(rows[0])
    lines = [",".join(names)]
    lines += [",".join("" if row[n] is None else str(row[n]) for n in names) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def jsonl_of(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def json_array_of(rows: list[dict]) -> bytes:
    return json.dumps(rows).encode()


def parquet_of(rows: list[dict]) -> bytes:
    """A column of numbers and texts is a text column, as a writer of Parquet makes it."""
    columns = {}
    for name in rows[0]:
        values = [row[name] for row in rows]
        if len({type(v) for v in values if v is not None}) > 1:
            values = [None if v is None else str(v) for v in values]
        columns[name] = values
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


FORMS = {"csv": csv_of, "jsonl": jsonl_of, "json": json_array_of, "parquet": parquet_of}


def outcome(data: bytes, **options) -> tuple:
    """The answer without what describes the bytes, or the refusal's row and field."""
    try:
        document = calculator.assess(data, **options).to_document()
    except InvalidInput as exc:
        return ("refused", [(p.row, p.field) for p in exc.problems])
    return ("assessed", {k: v for k, v in document.items() if k != "input"})


def every_form(rows: list[dict], **options) -> dict[str, tuple]:
    return {form: outcome(write(rows), **options) for form, write in FORMS.items()}


def rows_with(column: str, value: object, posts: object = 600_000) -> list[dict]:
    return [{"timestamp": "2025-03-01T00:00:00Z", "posts": posts, column: value},
            {"timestamp": "2025-03-01T01:00:00Z", "posts": 600_000, column: "x"}]


@pytest.mark.parametrize("marker", ["NA", "null", "N/A", "NaN", "#N/A"])
def test_a_platform_that_names_no_value_is_counted_as_the_platform_in_every_form(marker):
    found = every_form(rows_with("platform", marker))
    assert len(set(map(repr, found.values()))) == 1, found
    kind, document = found["csv"]
    assert kind == "assessed"
    assert Decimal(document["headline"]["amount"]) == Decimal("18000.00")
    assert "1 row named no platform and was counted as x." in document["assumptions"]


def test_a_post_id_that_names_no_value_is_no_post_in_every_form():
    rows = [{"timestamp": f"2025-03-01T0{k}:00:00Z", "posts": 1, "post_id": value}
            for k, value in enumerate(["null", "7", "nan", "7", "8"])]
    found = every_form(rows, count="distinct")
    assert len(set(map(repr, found.values()))) == 1, found
    assert found["csv"][1]["counts"]["distinct_posts"] == 2


def test_authorized_that_names_no_value_is_no_value_in_every_form():
    rows = [{"timestamp": "2025-03-01T00:00:00Z", "posts": 600_000, "authorized": "N/A"},
            {"timestamp": "2025-03-01T01:00:00Z", "posts": 600_000, "authorized": "yes"}]
    found = every_form(rows)
    assert len(set(map(repr, found.values()))) == 1, found
    assert found["csv"][1]["excluded"]["authorized"] == 1


def test_a_tables_empty_posts_cell_is_refused_by_its_row_in_every_table_form():
    rows = rows_with("platform", "x", posts=None)
    rows[0], rows[1] = rows[1], rows[0]  # the empty cell in row 2
    found = {form: outcome(FORMS[form](rows)) for form in ("csv", "parquet")}
    assert found == {"csv": ("refused", [(2, "posts")]), "parquet": ("refused", [(2, "posts")])}
    arrow = pa.Table.from_pylist(rows)
    assert outcome(arrow.to_pandas()) == ("refused", [(2, "posts")])  # a DataFrame's NaN


def test_a_json_record_may_still_leave_its_posts_out():
    rows = rows_with("platform", "x", posts=None)
    for form in ("jsonl", "json"):
        kind, document = outcome(FORMS[form](rows))
        assert kind == "assessed"
        assert "1 row gave no posts count and was counted as one post." in \
            document["assumptions"]


@pytest.mark.parametrize("written", [600_000, 600_000.0, "600000", "600000.0", " 600000 ",
                                     "6e5", "6.0E+5"])
def test_a_whole_number_of_posts_is_read_however_it_is_written(written):
    expected = outcome(csv_of(rows_with("platform", "x")))
    found = every_form(rows_with("platform", "x", posts=written))
    assert found == dict.fromkeys(FORMS, expected), found


@pytest.mark.parametrize("written", ["600000.5", "6.5e0", "1e13", "-1", "NA", "six"])
def test_what_is_not_a_whole_number_of_posts_is_refused_by_its_row_in_every_form(written):
    rows = rows_with("platform", "x")
    rows.append({"timestamp": "2025-03-01T02:00:00Z", "posts": written, "platform": "x"})
    assert every_form(rows) == dict.fromkeys(FORMS, ("refused", [(3, "posts")]))


def test_a_float_column_of_posts_is_read_by_its_values():
    times = ["2025-03-01T00:00:00Z", "2025-03-01T01:00:00Z"]
    as_integers = csv_of([{"timestamp": t, "posts": 600_000} for t in times])
    for floats in ([600_000.0, 600_000.0], [600_000.0, float("nan")]):
        sink = io.BytesIO()
        pq.write_table(pa.table({"timestamp": times,
                                 "posts": pa.array(floats, pa.float32(), from_pandas=True)}),
                       sink)
        expected = outcome(as_integers) if floats[1] == floats[1] else ("refused", [(2, "posts")])
        assert outcome(sink.getvalue()) == expected


def test_json_logs_list_their_columns_as_a_tables_header_does():
    rows = [{"timestamp": "2025-03-01T00:00:00Z", "posts": 1},
            {"timestamp": "2025-03-01T01:00:00Z", "posts": 1, "note": "late"}]
    for form in ("jsonl", "json"):
        document = calculator.assess(FORMS[form](rows)).to_document()
        assert document["input"]["columns"] == ["timestamp", "posts", "note"]
        assert document["input"]["ignored_columns"] == ["note"]


@pytest.mark.parametrize("marker", ["NaN", "null", "N/A"])
def test_a_time_that_names_no_value_is_refused_as_an_empty_one_in_every_form(marker):
    rows = [{"timestamp": "2025-03-01T00:00:00Z", "posts": 1},
            {"timestamp": marker, "posts": 1}]
    for form, write in FORMS.items():
        with pytest.raises(InvalidInput) as refused:
            calculator.assess(write(rows))
        assert str(refused.value) == (
            "row 2, timestamp: is empty or names no value (NaN, N/A, null); every row needs "
            "the instant of its access"), form
