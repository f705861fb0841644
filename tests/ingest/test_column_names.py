"""A table's columns are found under their common names or the names the user gives, the
same way from Python, the command line, HTTP and the page; and the counts a user expects
(requested, accessed, distinct) are all reported whenever the log has post ids."""

from __future__ import annotations

import io
import json
import re

import pytest

import calculator
from calculator.cli import main
from calculator.errors import InvalidArgument, InvalidInput
from calculator.ingest.columns import COMMON_NAMES

ROWS = [("2025-03-01T18:00:00Z", 600_000, "a"), ("2025-03-02T06:00:00Z", 600_000, "b"),
        ("2025-03-02T07:00:00Z", 5, "a")]


def csv_log(time: str = "timestamp", posts: str = "posts", post_id: str = "post_id") -> bytes:
    lines = [f"{time},{posts},{post_id}"] + [f"{t},{p},{i}" for t, p, i in ROWS]
    return ("\n".join(lines) + "\n").encode()


def jsonl_log(time: str = "timestamp", posts: str = "posts", post_id: str = "post_id") -> bytes:
    return "".join(json.dumps({time: t, posts: p, post_id: i}) + "\n"
                   for t, p, i in ROWS).encode()


REFERENCE = calculator.assess(csv_log())


@pytest.mark.parametrize("name", COMMON_NAMES["time"])
@pytest.mark.parametrize("encode", [csv_log, jsonl_log])
def test_a_time_column_under_any_common_name_counts_like_timestamp(name, encode):
    result = calculator.assess(encode(time=name))
    assert result.counts == REFERENCE.counts
    assert result.headline.amount == REFERENCE.headline.amount
    if name != "timestamp":
        assert f"the time from the column {name}" in " ".join(result.notes)


@pytest.mark.parametrize("posts, post_id", [("post_count", "tweet_id"),
                                            ("num_posts", "status_id")])
def test_posts_and_post_ids_under_common_names_are_counted(posts, post_id):
    result = calculator.assess(csv_log(posts=posts, post_id=post_id), count="distinct")
    assert result.counts["requested_posts"] == 1_200_005
    assert result.counts["distinct_posts"] == 2


@pytest.mark.parametrize("encode", [csv_log, jsonl_log])
def test_columns_named_by_the_user_are_read_whatever_their_names(encode):
    result = calculator.assess(encode(time="when", posts="n", post_id="tweet"),
                               time_column="when", posts_column="n", post_id_column="tweet")
    assert result.counts == REFERENCE.counts
    assert result.to_document()["options"]["columns"] == {
        "time_column": "when", "posts_column": "n", "post_id_column": "tweet"}


def test_a_named_posts_column_wins_over_a_column_called_posts():
    log = b"timestamp,posts,n\n2025-03-01T18:00:00Z,999,2\n"
    result = calculator.assess(log, posts_column="n")
    assert result.counts["requested_posts"] == 2
    assert result.input.ignored_columns == ("posts",)


def test_a_named_column_that_is_not_in_the_log_is_refused_naming_the_columns():
    with pytest.raises(InvalidInput) as caught:
        calculator.assess(csv_log(), time_column="when")
    assert "no column named 'when'" in caught.value.detail
    assert "the columns are timestamp, posts, post_id" in caught.value.detail
    assert caught.value.problems[0].field == "time_column"


def test_two_possible_time_columns_are_refused_rather_than_guessed():
    log = b"date,time,posts\n2025-03-01,18:00:00,5\n"
    with pytest.raises(InvalidInput, match=r"several columns in the CSV header could hold "
                                           r"the time \(time, date\)"):
        calculator.assess(log, format="csv")
    result = calculator.assess(b"date,ts\nx,2025-03-01T18:00:00Z\n", time_column="ts")
    assert result.counts["requests"] == 1


def test_one_column_named_for_two_facts_is_refused():
    with pytest.raises(InvalidArgument, match="named for both the time and the posts"):
        calculator.assess(csv_log(), time_column="x", posts_column="X")


def test_a_time_column_named_for_another_fact_is_said_to_be_taken():
    """``--posts-column timestamp`` takes the only time column: the refusal says so, where
    it listed "timestamp" both as looked for and as present."""
    with pytest.raises(InvalidInput, match="the columns are timestamp, posts; timestamp is "
                                           "named as the posts column"):
        calculator.assess(b"timestamp,posts\n2025-03-01T10:00:00Z,1\n", posts_column="timestamp")


def test_the_format_error_says_what_was_looked_for_and_names_no_command_line_flag():
    with pytest.raises(InvalidInput) as caught:
        calculator.assess(b"when,n\n2025-03-01T18:00:00Z,1\n")
    detail = caught.value.detail
    assert "time column (timestamp, time, ts, date, datetime, created_at, @timestamp)" in detail
    assert "JSON Lines" in detail and "warc" in detail
    assert "--" not in detail


def test_the_cli_takes_column_options(runner, tmp_path):
    path = tmp_path / "crawl.csv"
    path.write_bytes(csv_log(time="when", posts="n", post_id="tweet"))
    result = runner.invoke(main, ["assess", str(path), "--time-column", "when",
                                  "--posts-column", "n", "--post-id-column", "tweet", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == calculator.assess(csv_log()).to_document()[
        "counts"]
    for option in ("--time-column", "--posts-column", "--post-id-column", "--url-column",
                   "--platform-column"):
        assert option in runner.invoke(main, ["assess", "--help"]).output


def test_http_takes_column_options_as_query_or_form_fields(client):
    log = csv_log(time="when", posts="n")
    query = client.post("/v1/assessments?time_column=when&posts_column=n", data=log,
                        content_type="text/csv")
    form = client.post("/v1/assessments", content_type="multipart/form-data", data={
        "log": (io.BytesIO(log), "crawl.csv"), "time_column": "when", "posts_column": "n",
        "url_column": ""})
    assert query.status_code == form.status_code == 201
    assert query.get_json()["counts"] == form.get_json()["counts"] == REFERENCE.to_document()[
        "counts"]


def test_the_column_options_are_documented_in_openapi(client):
    spec = client.get("/openapi.json").get_json()
    post = spec["paths"]["/v1/assessments"]["post"]
    names = {p["name"] for p in post["parameters"]}
    assert {"time_column", "posts_column", "post_id_column", "url_column",
            "platform_column"} <= names
    form = post["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert "time_column" in form


def test_the_page_offers_the_column_options_and_its_errors_name_no_flag(client):
    page = client.get("/assess").get_data(as_text=True)
    for option in ("time_column", "posts_column", "post_id_column", "url_column",
                   "platform_column"):
        assert re.search(rf'<input id="{option}" name="{option}"', page)
    # The page shows the API's problem detail as it is: it must not send a reader to a flag.
    answer = client.post("/v1/assessments", content_type="multipart/form-data", data={
        "log": (io.BytesIO(b"when,n\n2025-03-01T18:00:00Z,1\n"), "crawl.csv")})
    assert answer.status_code == 422
    assert "--" not in answer.get_json()["detail"]


# -- Stumble 4: all three counts whenever the log has post ids.

def test_all_three_counts_are_reported_by_default_when_the_log_has_post_ids(runner, client,
                                                                            tmp_path):
    python = calculator.assess(csv_log())
    assert python.options.count == "requested"
    assert python.counts["distinct_posts"] == 2
    path = tmp_path / "crawl.csv"
    path.write_bytes(csv_log())
    text = runner.invoke(main, ["assess", str(path)]).stdout
    assert "distinct 2 posts" in text and "n/a" not in text
    as_json = json.loads(runner.invoke(main, ["assess", str(path), "--json"]).stdout)
    assert as_json["counts"]["distinct_posts"] == 2
    http = client.post("/v1/assessments", data=csv_log(), content_type="text/csv").get_json()
    assert http["counts"]["distinct_posts"] == 2


def test_without_post_ids_the_distinct_count_is_not_known_and_no_note_blames_rows():
    result = calculator.assess(b"timestamp,posts\n2025-03-01T18:00:00Z,3\n")
    assert result.counts["distinct_posts"] is None
    assert not any("post_id" in note for note in result.notes)


@pytest.mark.parametrize("log, options, expected", [
    (b"ts,posts\n2025-03-01T18:00:00Z,1\nyesterday,2\n", {}, ("row 2, ts:", "ts")),
    (b'{"ts": "2025-03-01T18:00:00Z"}\n{"ts": "yesterday"}\n', {}, ("row 2, ts:", "ts")),
    (b"timestamp,n\n2025-03-01T18:00:00Z,many\n", {"posts_column": "n"}, ("row 1, n:", "n")),
])
def test_a_bad_row_is_named_by_the_logs_own_column(log, options, expected):
    with pytest.raises(InvalidInput) as caught:
        calculator.assess(log, **options)
    assert caught.value.detail.startswith(expected[0])
    assert caught.value.problems[0].field == expected[1]


@pytest.mark.parametrize("data, format", [
    (b"2025-01-01T00:00:00Z,https://x.com/u/status/99887766,SECRETX\n" * 2, "csv"),
    (b'{"timestamp":"2025-01-01T00:00:00Z","post_id":"99887766","url":"SECRETX"}\n', "csv"),
    (b'[{"https://x.com/u/status/99887766": "2025-01-01T00:00:00Z", "SECRETX": 1}]', None),
])
def test_a_first_row_of_values_is_not_listed_as_the_columns(data, format):
    """A CSV without its header line (or JSON keyed by URLs) has a log's content where its
    column names should be: the refusal says so without repeating any of it."""
    with pytest.raises(InvalidInput) as caught:
        calculator.assess(data, format=format)
    said = caught.value.detail
    assert "look like values" in said
    assert not any(content in said.lower() for content in ("99887766", "x.com", "secretx"))


@pytest.mark.parametrize("data", [
    b'{"timestamp": "2025-01-01T00:00:00Z", "seen": {"https://x.com/u/status/99887766": 1, '
    b'"https://x.com/u/status/99887766": 2}}\n',
    b'[{"timestamp": "2025-01-01T00:00:00Z", "seen": {"99887766": 1, "99887766": 2}}]',
])
def test_a_key_given_twice_that_is_the_logs_content_is_not_repeated(data):
    """Records keyed by post URL or id: the key given twice was named, with its path."""
    with pytest.raises(InvalidInput) as caught:
        calculator.assess(data)
    said = caught.value.detail
    assert "a key is given twice in one object (its name is not shown" in said
    assert "99887766" not in said and "x.com" not in said


def test_a_named_column_missing_from_a_log_without_a_header_does_not_show_its_first_row():
    """The first row of a CSV without its header was shown as the log's column names: a
    URL and a post id repeated in the refusal."""
    log = (b"2025-03-01T00:00:00Z,237,1000,https://x.com/a/status/1000\n"
           b"2025-03-01T00:00:01Z,12,1001,https://x.com/a/status/1001\n")
    with pytest.raises(InvalidInput) as refused:
        calculator.assess(log, time_column="nope")
    message = str(refused.value)
    assert "no column named 'nope'" in message
    assert "x.com" not in message and "1000" not in message
    assert "names look like values (a time, a URL, an id or a number) and none is shown" \
        in message
