"""CSV logs whose fields are separated by tabs (TSV) or semicolons (Excel where the comma is
the decimal mark): the header shows which, and the log is assessed exactly as the same rows
separated by commas, through Python, the command line and HTTP (decision 0158)."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import calculator
from calculator.cli import main
from calculator.errors import InvalidInput
from tests.ingest.test_columnar_logs import table

TABS = "The CSV's fields were separated by tabs."
SEMICOLONS = "The CSV's fields were separated by semicolons."


def rows(count: int = 2000) -> pa.Table:
    """The column files' log (millisecond times, posts, post ids, platforms, statuses),
    with URLs that hold each of the three separators (so they must be quoted in every
    form)."""
    log = table(count)
    urls = pa.array([f"https://x.com/a/status/{i}?q=a,b;c\td" for i in range(count)])
    return log.set_column(log.column_names.index("url"), "url", urls)


def written(table: pa.Table, delimiter: str) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(delimiter=delimiter))
    return sink.getvalue()


def answer(document: dict, note: str | None = None) -> dict:
    """The document less what describes the bytes, and less the separator's note."""
    kept = {k: v for k, v in document.items()
            if k not in ("input", "id", "created_at", "reference")}
    kept["assumptions"] = [n for n in document["assumptions"] if n != note]
    return kept


@pytest.mark.parametrize("delimiter, note", [("\t", TABS), (";", SEMICOLONS)])
@pytest.mark.parametrize("count", ["requested", "distinct"])
def test_a_log_separated_by_tabs_or_semicolons_is_assessed_as_the_same_rows_with_commas(
        delimiter, note, count):
    table = rows()
    expected = calculator.assess(written(table, ","), count=count).to_document()
    document = calculator.assess(written(table, delimiter), count=count).to_document()
    assert note in document["assumptions"]
    assert note not in expected["assumptions"]
    assert document["input"]["format"] == "csv"
    assert answer(document, note) == answer(expected)


def test_a_tsv_file_reads_alike_through_the_command_line_and_http(runner, client, tmp_path):
    table = rows(600)
    path = tmp_path / "crawl.tsv"
    path.write_bytes(written(table, "\t"))
    expected = answer(calculator.assess(written(table, ",")).to_document())
    cli = runner.invoke(main, ["assess", str(path), "--json"])
    assert cli.exit_code == 0, cli.output
    assert answer(json.loads(cli.stdout), TABS) == expected
    http = client.post("/v1/assessments", data=written(table, "\t"),
                       content_type="text/tab-separated-values")
    assert http.status_code == 201, http.get_json()
    assert answer(http.get_json(), TABS) == expected


def test_the_header_decides_and_commas_come_first():
    # Split by commas the header names `time`; split by semicolons it names `ts`. Commas
    # are tried first, so `time` holds the instant (`ts` would hold "x", no instant).
    log = b"ts;a,time\nx;y,2025-03-01T10:00:00Z\n"
    result = calculator.assess(log)
    assert result.counted == {"posts": 1, "accesses": 1}
    assert not any("separated by" in n for n in result.notes)


def test_a_tsv_without_a_usual_time_column_reads_the_column_named():
    log = b"when\tn\n2025-03-01T10:00:00Z\t600000\n2025-03-01T11:00:00Z\t500000\n"
    result = calculator.assess(log, time_column="when", posts_column="n")
    assert result.counted == {"posts": 1_100_000, "accesses": 2}
    with pytest.raises(InvalidInput, match=r"no time column .*the columns are when, n"):
        calculator.assess(log, format="csv")


def test_a_row_with_a_field_too_many_is_named_in_a_semicolon_log():
    log = (b"timestamp;posts\n2025-03-01T10:00:00Z;5\n"
           b"2025-03-01T10:00:01Z;6;https://x.com/a\n")
    with pytest.raises(InvalidInput, match=r"^row 2: expected 2 fields as in the header, "
                                           r"found 3$"):
        calculator.assess(log)


def test_files_separated_differently_are_one_log(tmp_path):
    table = rows(900)
    (tmp_path / "a.csv").write_bytes(written(table.slice(0, 400), ","))
    (tmp_path / "b.tsv").write_bytes(written(table.slice(400), "\t"))
    together = calculator.assess(str(tmp_path)).to_document()
    alone = calculator.assess(written(table, ",")).to_document()
    note = "The CSV's fields were separated by tabs, and in some files by commas."
    assert note in together["assumptions"]
    # Everything but the sentences (which also say that two files were read as one).
    assert {k: v for k, v in answer(together).items() if k != "assumptions"} == \
        {k: v for k, v in answer(alone).items() if k != "assumptions"}


def test_text_in_no_separated_form_is_refused_in_words():
    with pytest.raises(InvalidInput, match="could not tell the log's format"):
        calculator.assess(b"just a line of prose\nand another\n")
