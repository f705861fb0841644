"""The Dask engine gives the local engine's answer, to the cent and to the window, on a real
LocalCluster with worker processes (one for the whole session: it takes seconds to start)."""

from __future__ import annotations

import gzip
import io
import json
import logging
import pickle
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import distributed
import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import calculator
from calculator.cli import main
from calculator.errors import FieldProblem, InvalidArgument, InvalidInput

# 2024-11-14T12:00:00Z: half a day before X's damages clause first came into force, so some
# generated rows are left out as before it, and the rest are priced.
BASE_S = 1_731_585_600


@pytest.fixture(scope="session")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as local:
        yield local


@pytest.fixture(scope="session")
def client(cluster):
    with distributed.Client(cluster) as connected:
        yield connected


Row = tuple[int, int, str, str]  # instant (ms), posts, post id ("" none), platform


def rows_strategy(max_rows: int) -> st.SearchStrategy[list[Row]]:
    return st.lists(st.tuples(
        st.integers(0, 3 * 86_400_000),
        st.integers(0, 400_000),
        st.sampled_from(["", "1", "2", "20", "19999999", "a", "b", "007", "post-9"]),
        st.sampled_from(["x", "x", "x", "reddit", ""])), min_size=1, max_size=max_rows)


def _stamp(millis: int, seconds_only: bool) -> str:
    at = np.datetime64(BASE_S * 1000 + millis, "ms")
    return f"{at.astype('datetime64[s]') if seconds_only else at}Z"


def _table(rows: list[Row], seconds_only: bool) -> pa.Table:
    return pa.table({"ts": [_stamp(r[0], seconds_only) for r in rows],
                     "posts": [r[1] for r in rows],
                     "tweet_id": [r[2] or None for r in rows],
                     "platform": [r[3] for r in rows]})


def _csv(rows: list[Row], seconds_only: bool) -> bytes:
    return ("ts,posts,tweet_id,platform\n" + "".join(
        f"{_stamp(t, seconds_only)},{p},{i},{f}\n" for t, p, i, f in rows)).encode()


def _jsonl(rows: list[Row], seconds_only: bool) -> bytes:
    return "".join(json.dumps({"ts": _stamp(t, seconds_only), "posts": p, "platform": f,
                               **({"tweet_id": i} if i else {})}) + "\n"
                   for t, p, i, f in rows).encode()


def _parquet(rows: list[Row], seconds_only: bool) -> bytes:
    sink = io.BytesIO()
    pq.write_table(_table(rows, seconds_only), sink)
    return sink.getvalue()


def _arrow(rows: list[Row], seconds_only: bool) -> bytes:
    sink = io.BytesIO()
    feather.write_feather(_table(rows, seconds_only), sink)
    return sink.getvalue()


FORMS = {"csv": _csv, "csv.gz": lambda r, s: gzip.compress(_csv(r, s)), "jsonl": _jsonl,
         "parquet": _parquet, "arrow": _arrow}
COLUMNS = {"post_id_column": "tweet_id"}  # ts is a common name; tweet_id is not


def _write(folder: str, files: list[tuple[list[Row], str]], seconds_only: bool) -> None:
    for number, (rows, form) in enumerate(files):
        # Named so that the listing order is not the time order.
        Path(folder, f"{len(files) - number:02d}-part.{form}").write_bytes(
            FORMS[form](rows, seconds_only))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(st.tuples(rows_strategy(60), st.sampled_from(sorted(FORMS))),
                      min_size=1, max_size=4),
       seconds_only=st.booleans(),
       count=st.sampled_from(["requested", "accessed", "distinct"]),
       tz=st.sampled_from(["UTC", "Europe/Berlin"]))
def test_a_partitioned_log_assesses_on_dask_to_the_local_answer(client, files, seconds_only,
                                                                  count, tz):
    with tempfile.TemporaryDirectory() as folder:
        _write(folder, files, seconds_only)
        choices = {"count": count, "tz": tz, **COLUMNS}
        local = _outcome(lambda: calculator.assess(folder, **choices))
        on_dask = _outcome(lambda: calculator.assess(folder, engine="dask", scheduler=client,
                                                     **choices))
    assert on_dask == local


def _outcome(assess) -> dict:
    """The document, or the refusal (a file without the named post id column is refused
    by both engines, in the same words)."""
    try:
        return assess().to_document()
    except InvalidInput as error:
        return {"refused": error.detail, "problems": error.problems}


def test_many_files_of_one_million_posts_an_hour_owe_the_same_on_dask(client, tmp_path):
    """Big enough to owe under every reading: 36 hours of about 1,000,000 posts an hour, over
    twenty files (more than the engine's groups of files per worker, so groups hold
    several), with numeric and text post ids shared across files."""
    rng = np.random.default_rng(7)
    for part in range(20):
        seconds = np.sort(rng.integers(0, 36 * 3600, 1_500)) + BASE_S + 86_400
        ids = [str(n) if n % 4 else f"t{n}" for n in rng.integers(0, 20_000, 1_500)]
        table = pa.table({"timestamp": pa.array(seconds * 10**9, pa.timestamp("ns", "UTC")),
                          "posts": rng.integers(0, 1_440, 1_500), "post_id": ids})
        if part % 2:
            pq.write_table(table, tmp_path / f"part-{part:02d}.parquet")
        else:
            feather.write_feather(table, tmp_path / f"part-{part:02d}.arrow")
    for count in ("requested", "distinct"):
        local = calculator.assess(str(tmp_path), count=count)
        on_dask = calculator.assess(str(tmp_path), count=count, engine="dask",
                                    scheduler=client)
        assert on_dask.to_document() == local.to_document()
    assert local.counts["distinct_posts"] == on_dask.counts["distinct_posts"] > 0
    requested = calculator.assess(str(tmp_path), engine="dask", scheduler=client)
    assert requested.high > 0


def test_one_file_on_dask_is_assessed_as_that_file_alone(client, tmp_path):
    path = tmp_path / "log.csv"
    path.write_bytes(_csv([(1000 * 86_400, 2_000_000, "5", "x"), (0, 3, "", "x")], False))
    local = calculator.assess(str(path), **COLUMNS).to_document()
    assert calculator.assess(str(path), engine="dask", scheduler=client,
                             **COLUMNS).to_document() == local
    assert "files" not in (local["input"].get("details") or {})


def test_a_bad_row_is_named_by_file_row_and_column_as_the_local_engine_names_it(client,
                                                                                 tmp_path):
    for number in range(13):  # groups of two files: the bad one shares its group
        (tmp_path / f"a{number:02d}.csv").write_bytes(_csv([(number, 1, "1", "x")], True))
    (tmp_path / "b.csv").write_text("timestamp,posts\n2025-03-01T00:00:00Z,1\n"
                                    "2025-03-01T00:00:01Z,many\n")
    (tmp_path / "c.csv").write_text("timestamp,posts\nyesterday,1\n")
    with pytest.raises(InvalidInput) as local:
        calculator.assess(str(tmp_path))
    with pytest.raises(InvalidInput) as on_dask:
        calculator.assess(str(tmp_path), engine="dask", scheduler=client)
    assert on_dask.value.detail == local.value.detail
    assert on_dask.value.problems == local.value.problems
    assert on_dask.value.problems[0].row == 2
    assert on_dask.value.problems[0].field == "posts"
    assert "many" not in on_dask.value.detail  # the value sent is never echoed


def test_an_error_keeps_its_problems_across_processes():
    error = InvalidInput("b.csv: row 2, posts: not a number", heading="h", kind="row",
                         problems=[FieldProblem("not a number", field="posts", row=2)])
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is InvalidInput
    assert (again.detail, again.problems, again.heading, again.extensions) == (
        error.detail, error.problems, error.heading, error.extensions)


SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
CRAWLS = ["x-api-json/twscrape_raw_search.json", "x-api-json/twscrape_raw_user_tweets.json",
          "heritrix-crawl-log/ukwa_fragment-of-a-crawl.log", "warc/pywb_iana.warc.gz",
          "scrapy/generated/scrapy-2.19-run.log"]


@pytest.mark.parametrize("count", ["requested", "accessed", "distinct"])
def test_crawler_files_of_several_formats_assess_on_dask_to_the_local_answer(client, tmp_path,
                                                                             count):
    for number, sample in enumerate(CRAWLS):
        (tmp_path / f"{number}-{Path(sample).name}").write_bytes((SAMPLES / sample).read_bytes())
    choices = {"count": count, "embedded_posts": True, "collection_window": (
        datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 1, 6, tzinfo=UTC))}
    local = calculator.assess(str(tmp_path), **choices)
    on_dask = calculator.assess(str(tmp_path), engine="dask", scheduler=client, **choices)
    assert on_dask.to_document() == local.to_document()
    assert local.counts["distinct_posts"] > 0
    one = str(tmp_path / f"0-{Path(CRAWLS[0]).name}")
    assert calculator.assess(one, engine="dask", scheduler=client, **choices
                             ).to_document() == calculator.assess(one, **choices).to_document()


def test_a_table_among_crawler_files_is_refused_in_the_local_engine_s_words(client, tmp_path):
    (tmp_path / "a.log").write_bytes(
        (SAMPLES / "heritrix-crawl-log" / "ukwa_fragment-of-a-crawl.log").read_bytes())
    (tmp_path / "b.csv").write_bytes(_csv([(0, 1, "1", "x")], True))
    with pytest.raises(InvalidInput) as local:
        calculator.assess(str(tmp_path))
    with pytest.raises(InvalidInput) as on_dask:
        calculator.assess(str(tmp_path), engine="dask", scheduler=client)
    assert on_dask.value.detail == local.value.detail
    assert "cannot be read as one log" in on_dask.value.detail


def test_the_dask_engine_refuses_what_its_workers_cannot_open(client):
    with pytest.raises(InvalidArgument, match="standard input, bytes, open files or tables"):
        calculator.assess(b"timestamp\n2025-03-01T00:00:00Z\n", engine="dask",
                          scheduler=client)
    with pytest.raises(InvalidArgument, match="not one of local, dask"):
        calculator.assess("log.csv", engine="spark")
    with pytest.raises(InvalidArgument, match="not a scheduler address"):
        calculator.assess(__file__, engine="dask", scheduler="localhost")


def test_the_command_line_prints_the_local_document_from_a_scheduler(cluster, tmp_path):
    rows = [(k * 60_000, 90_000, str(k % 7), "x") for k in range(40)]
    _write(str(tmp_path), [(rows[:25], "parquet"), (rows[25:], "jsonl")], True)
    runner = CliRunner()
    local = runner.invoke(main, ["assess", str(tmp_path), "--post-id-column", "tweet_id",
                                 "--count", "distinct", "--json", "-q"])
    on_dask = runner.invoke(main, ["assess", str(tmp_path), "--post-id-column", "tweet_id",
                                   "--count", "distinct", "--json", "-q", "--engine", "dask",
                                   "--scheduler", cluster.scheduler_address])
    assert local.exit_code == on_dask.exit_code == 0, on_dask.output
    assert json.loads(on_dask.output) == json.loads(local.output)
    alone = runner.invoke(main, ["assess", str(tmp_path), "--scheduler", "tcp://h:8786"])
    assert alone.exit_code == 2
    assert "--engine dask" in alone.output


# -- Object storage: the workers read s3:// themselves, from a real S3 API on loopback ----

_S3_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
             "AWS_ENDPOINT_URL")


def _environ(values: dict[str, str | None]) -> None:
    """Set (or, for None, remove) variables of a worker's environment, where its S3
    client looks for credentials; forget the S3 file systems made under other ones."""
    import os

    import s3fs

    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture
def s3_bucket(client, monkeypatch, s3_endpoint):
    values = dict(zip(_S3_NAMES, ("testing", "testing", "us-east-1", s3_endpoint),
                      strict=True))
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    _environ({})
    client.run(_environ, values)  # each worker's own environment, as on a real cluster
    import s3fs

    store = s3fs.S3FileSystem()
    store.mkdir("crawl")
    try:
        yield store
    finally:
        client.run(_environ, dict.fromkeys(_S3_NAMES))
        _environ({})


def test_a_partitioned_log_in_s3_is_read_by_the_workers(client, s3_bucket):
    rows = [(k * 97_000, 60_000 + k, str(k % 11) if k % 3 else f"t{k % 5}", "x")
            for k in range(60)]
    for day, form in enumerate(("parquet", "csv.gz", "jsonl")):
        with s3_bucket.open(f"crawl/day={day}/part-0.{form}", "wb") as handle:
            handle.write(FORMS[form](rows[day * 20:(day + 1) * 20], False))
    with s3_bucket.open("crawl/_SUCCESS", "wb") as handle:
        handle.write(b"")
    local = calculator.assess("s3://crawl/day=*/*", count="distinct", **COLUMNS)
    on_dask = calculator.assess("s3://crawl/day=*/*", count="distinct", engine="dask",
                                scheduler=client, **COLUMNS)
    assert on_dask.to_document() == local.to_document()
    assert on_dask.input.format == "csv+jsonl+parquet"
    assert on_dask.counts["distinct_posts"] == 16


def test_reading_on_dask_reports_progress_as_files_are_read(client, tmp_path):
    """The command line's progress bar listens to these reports: every row and byte of the
    files is reported once, as the workers finish them."""
    from calculator.ingest import progress

    class Recorder:
        rows = 0
        bytes = 0

        def advance(self, bytes_read: int = 0, rows: int = 0) -> None:
            Recorder.rows += rows
            Recorder.bytes += bytes_read

    for number in range(12):
        (tmp_path / f"{number:02d}.csv").write_bytes(
            _csv([(k * 1000, 1, "", "x") for k in range(number + 1)], True))
    with progress.watching(Recorder()):
        result = calculator.assess(str(tmp_path), engine="dask", scheduler=client)
    assert Recorder.rows == result.input.rows == 78
    assert Recorder.bytes == result.input.bytes


def _pretend_version(version: str) -> None:
    import calculator.distributed.engine as engine

    engine.__version__ = version


def test_workers_of_another_engine_version_are_refused_before_any_file_is_read(client,
                                                                              tmp_path):
    (tmp_path / "a.csv").write_bytes(_csv([(0, 1, "1", "x")], True))
    client.run(_pretend_version, "0.0.1")
    try:
        with pytest.raises(InvalidArgument, match=r"workers run calculator 0\.0\.1"):
            calculator.assess(str(tmp_path), engine="dask", scheduler=client)
    finally:
        client.run(_pretend_version, calculator.__version__)
    assert calculator.assess(str(tmp_path), engine="dask", scheduler=client).input.rows == 1


def _thirds(folder: Path, names: list[str]) -> bytes:
    """Three files of one log under ``names``; the whole log's CSV."""
    rows = [(k * 3_600_000, 400_000 + k, str(k), "x") for k in range(30)]
    for index, name in enumerate(names):
        (folder / name).write_bytes(_csv(rows[index::3], False))
    return _csv(rows, False)


def test_a_file_whose_name_holds_glob_characters_is_read_as_named_on_both_engines(
        client, tmp_path):
    """Dask's workers expanded each file's name again, as a pattern: "a[1].csv" read
    a1.csv in its place (twice, with no word), and the local engine did the same for a
    name given among others."""
    folder = tmp_path / "crawl[2025]"
    folder.mkdir()
    whole = tmp_path / "whole.csv"
    whole.write_bytes(_thirds(folder, ["a[1].csv", "a1.csv", "c?.csv"]))
    expected = calculator.assess(str(whole), **COLUMNS).to_document()["readings"]
    for locations in ([str(folder)], [str(folder / "a[1].csv"), str(folder / "a1.csv"),
                                      str(folder / "c?.csv")]):
        local = calculator.assess(locations, **COLUMNS).to_document()
        on_dask = calculator.assess(locations, engine="dask", scheduler=client,
                                    **COLUMNS).to_document()
        assert on_dask == local
        assert local["readings"] == expected
        assert len({f["sha256"] for f in local["input"]["details"]["files"]}) == 3


def test_a_url_with_a_token_in_its_query_is_opened_whole_by_the_workers(client, tmp_path):
    """The workers were given the URL as messages name it, without its query: the site
    refused them, and the error came back as a traceback."""
    import functools
    import http.server
    import threading

    _thirds(tmp_path, ["a.csv"])  # the first third: 10 rows

    class TokenOnly(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            if not self.path.endswith("?token=s3cr3t"):
                self.send_error(403)
                return
            self.path = self.path.split("?", 1)[0]
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test's output is its assertions, not the server's requests."""

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(TokenOnly, directory=str(tmp_path)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_port}/a.csv?token=s3cr3t"
        local = calculator.assess(url, **COLUMNS).to_document()
        assert calculator.assess(url, engine="dask", scheduler=client,
                                 **COLUMNS).to_document() == local
        assert local["input"]["rows"] == 10
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_bad_row_on_a_local_cluster_is_one_line_on_standard_error(tmp_path):
    """The local cluster's workers logged the failed task, traceback and all, before the
    one-line answer."""
    import subprocess
    import sys

    (tmp_path / "a.csv").write_text("timestamp,posts\n2025-03-01T00:00:00Z,1\n")
    (tmp_path / "b.csv").write_text("timestamp,posts\nnot-a-time,1\n")
    program = Path(sys.executable).with_name("calculator")
    done = subprocess.run([str(program), "assess", str(tmp_path), "--engine", "dask"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"calculator: {tmp_path / 'b.csv'}: row 1, timestamp:")
