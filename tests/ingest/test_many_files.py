"""Many files as one log: a directory, a glob, a list, object storage; the answer is the
answer for their rows read as one log, whatever their formats, compression and order."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calculator
from calculator.cli import main
from calculator.errors import InvalidInput

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
BASE = 1_740_787_200  # 2025-03-01T00:00:00Z


def rows_of(seed: int, count: int) -> list[tuple[str, int, str]]:
    rng = np.random.default_rng(seed)
    millis = np.sort(rng.integers(0, 2 * 86_400_000, count))
    return [(f"{np.datetime64(BASE * 1000 + int(m), 'ms')}Z", int(p), str(i))
            for m, p, i in zip(millis, rng.integers(0, 400_000, count),
                               rng.integers(0, 30, count), strict=True)]


def csv_bytes(rows, header: bool = True) -> bytes:
    head = "timestamp,posts,post_id\n" if header else ""
    return (head + "".join(f"{t},{p},{i}\n" for t, p, i in rows)).encode()


ENCODERS = {
    "csv": lambda rows: csv_bytes(rows),
    "csv.gz": lambda rows: gzip.compress(csv_bytes(rows)),
    "jsonl": lambda rows: "".join(json.dumps({"timestamp": t, "posts": p, "post_id": i}) + "\n"
                                  for t, p, i in rows).encode(),
    "json.gz": lambda rows: gzip.compress(json.dumps(
        [{"timestamp": t, "posts": p, "post_id": i} for t, p, i in rows]).encode()),
    "parquet": lambda rows: _parquet(rows),
}


def _parquet(rows) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"timestamp": [r[0] for r in rows], "posts": [r[1] for r in rows],
                             "post_id": [r[2] for r in rows]}), sink)
    return sink.getvalue()


def answer(document: dict) -> dict:
    """What the log says, less what describes the bytes and the files."""
    kept = {k: v for k, v in document.items() if k not in ("input", "assumptions")}
    kept["assumptions"] = [a for a in document["assumptions"]
                           if "files as one log" not in a and "hidden file" not in a]
    return kept


@settings(max_examples=25, deadline=None)
@given(parts=st.lists(st.tuples(st.integers(1, 60), st.sampled_from(sorted(ENCODERS))),
                      min_size=1, max_size=4),
       seed=st.integers(0, 1000), count=st.sampled_from(["requested", "distinct"]))
def test_files_in_any_form_give_the_answer_of_their_concatenation(parts, seed, count):
    pieces = [rows_of(seed + n, size) for n, (size, _) in enumerate(parts)]
    whole = csv_bytes([row for piece in pieces for row in piece])
    expected = answer(calculator.assess(whole, count=count).to_document())
    with tempfile.TemporaryDirectory() as folder:
        # Named so that the listing order is not the time order.
        for n, (piece, (_, form)) in enumerate(zip(pieces, parts, strict=True)):
            Path(folder, f"{len(parts) - n:02d}-part.{form}").write_bytes(ENCODERS[form](piece))
        result = calculator.assess(folder, count=count)
    assert answer(result.to_document()) == expected
    files = result.input.details["files"]
    assert len(files) == len(parts)
    assert result.input.rows == sum(len(p) for p in pieces)


def test_a_glob_a_list_and_a_directory_are_the_same_log(tmp_path):
    first, second = rows_of(1, 50), rows_of(2, 40)
    (tmp_path / "a.csv").write_bytes(csv_bytes(first))
    (tmp_path / "b.jsonl").write_bytes(ENCODERS["jsonl"](second))
    (tmp_path / "_SUCCESS").write_bytes(b"")
    by_folder = calculator.assess(str(tmp_path))
    by_glob = calculator.assess(str(tmp_path / "*.*"))
    by_list = calculator.assess([tmp_path / "b.jsonl", tmp_path / "a.csv"])
    assert answer(by_folder.to_document()) == answer(by_glob.to_document()) == \
        answer(by_list.to_document())
    assert by_folder.input.sha256 == by_list.input.sha256  # the set of files, not the order
    assert any("1 hidden file (" in a for a in by_folder.assumptions)
    assert by_folder.input.format == "csv+jsonl"


@pytest.mark.parametrize("twice", [
    lambda d: [d / "a.csv", d / "a.csv"], lambda d: [d, d / "a.csv"],
    lambda d: [d / "*.csv", d / "a.csv"], lambda d: [d / "a.csv", d / "link.csv"],
])
def test_a_file_named_twice_is_refused_not_counted_twice(tmp_path, twice):
    """A folder and a file in it, overlapping globs, a link to a file named beside it: each
    was read again, its posts counted twice without a word."""
    (tmp_path / "a.csv").write_bytes(csv_bytes(rows_of(1, 20)))
    (tmp_path / "link.csv").symlink_to(tmp_path / "a.csv")
    with pytest.raises(InvalidInput, match=r"is named twice .*: each file of a log is read"):
        calculator.assess([str(p) for p in twice(tmp_path)])


@pytest.mark.parametrize("relative", [False, True])
def test_files_under_a_hidden_folder_are_left_out_as_hidden_files_are(tmp_path, monkeypatch,
                                                                       relative):
    """Spark leaves unfinished copies of its parts under ``_temporary/``: read with the
    parts, their rows were counted twice."""
    rows = rows_of(3, 30)
    part = csv_bytes(rows)
    for name in ("day=1/part-0.csv", "day=1/_temporary/0/part-0.csv", ".git/x.csv",
                 "day=1/.hidden/part-0.csv", "_delta_log/0.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(part if name.endswith(".csv") else b"{}")
    root = str(tmp_path)
    if relative:
        monkeypatch.chdir(tmp_path.parent)
        root = tmp_path.name
    expected = answer(calculator.assess(part).to_document())
    for location in (root, f"{root}/*/*", f"{root}/day=1/"):
        result = calculator.assess(location)
        assert result.input.rows == len(rows), location
        assert answer(result.to_document()) == expected
    assert any("4 hidden files (" in a for a in calculator.assess(root).assumptions)


def test_a_bad_row_names_its_file_and_row(tmp_path):
    (tmp_path / "a.csv").write_bytes(csv_bytes(rows_of(1, 5)))
    (tmp_path / "b.csv").write_bytes(b"timestamp,posts\n2025-03-01T10:00:00Z,1\nnot a time,2\n")
    with pytest.raises(InvalidInput) as caught:
        calculator.assess(str(tmp_path))
    assert str(tmp_path / "b.csv") in caught.value.detail
    assert "row 2, timestamp" in caught.value.detail
    assert caught.value.problems[0].row == 2


def test_nothing_found_and_a_crawler_file_among_tables_are_refused(tmp_path):
    with pytest.raises(InvalidInput, match="no files found"):
        calculator.assess(str(tmp_path / "*.parquet"))
    (tmp_path / "a.csv").write_bytes(csv_bytes(rows_of(1, 5)))
    (tmp_path / "b.log").write_bytes(
        (SAMPLES / "heritrix-crawl-log" / "ukwa_fragment-of-a-crawl.log").read_bytes())
    with pytest.raises(InvalidInput, match="cannot be read as one log"):
        calculator.assess(str(tmp_path))


def test_a_named_pipe_found_in_a_directory_is_refused_not_waited_for(tmp_path):
    """A pipe found by listing would wait for a writer that may never come; named on its
    own it is the stream it is (``calculator assess <(zcat crawl.csv.gz)``)."""
    (tmp_path / "a.csv").write_bytes(csv_bytes(rows_of(1, 5)))
    os.mkfifo(tmp_path / "b.csv")
    for listed in (str(tmp_path), str(tmp_path / "*.csv")):
        with pytest.raises(InvalidInput, match=r"b\.csv is not a regular file"):
            calculator.assess(listed)
    writer = threading.Thread(target=(tmp_path / "b.csv").write_bytes,
                              args=(csv_bytes(rows_of(1, 5)),))
    writer.start()
    named = calculator.assess(str(tmp_path / "b.csv"))
    writer.join()
    assert named.input.rows == calculator.assess(str(tmp_path / "a.csv")).input.rows == 5


def test_crawler_files_are_one_crawl(tmp_path):
    logs = sorted((SAMPLES / "heritrix-crawl-log").glob("*.log"))[:2]
    whole = b"".join(p.read_bytes() for p in logs)
    expected = calculator.assess(whole, format="heritrix").to_document()
    result = calculator.assess([str(p) for p in logs], format="heritrix").to_document()
    assert result["counts"] == expected["counts"]
    assert result["readings"] == expected["readings"]
    assert result["input"]["details"]["lines"] == expected["input"]["details"]["lines"]


def test_the_cli_reads_several_paths_and_http_several_uploads_as_one_log(runner, client,
                                                                       tmp_path):
    first, second = rows_of(3, 30), rows_of(4, 30)
    (tmp_path / "a.csv").write_bytes(csv_bytes(first))
    (tmp_path / "b.parquet").write_bytes(_parquet(second))
    expected = answer(calculator.assess(csv_bytes(first + second)).to_document())
    cli = runner.invoke(main, ["assess", str(tmp_path / "a.csv"), str(tmp_path / "b.parquet"),
                               "--json"])
    assert cli.exit_code == 0, cli.output
    assert answer(json.loads(cli.stdout)) == expected
    http = client.post("/v1/assessments", content_type="multipart/form-data", data={
        "log": [(io.BytesIO(csv_bytes(first)), "a.csv"),
                (io.BytesIO(_parquet(second)), "b.parquet")]})
    assert http.status_code == 201, http.get_json()
    stored = http.get_json()
    assert len(stored["input"]["details"]["files"]) == 2
    assert {k: v for k, v in answer(stored).items()
            if k not in ("id", "created_at", "reference")} == expected


# -- Object storage: a real S3 API (moto's server) on loopback ---------------------------

def test_a_partitioned_log_in_s3_is_read_as_one_log(s3_environment):
    store, bucket = s3_environment
    days = [rows_of(10 + n, 40) for n in range(3)]
    for n, rows in enumerate(days):
        form = ("parquet", "csv.gz", "jsonl")[n]
        with store.open(f"{bucket}/crawl/day={n}/part-0.{form}", "wb") as handle:
            handle.write(ENCODERS[form](rows))
    with store.open(f"{bucket}/crawl/_SUCCESS", "wb") as handle:
        handle.write(b"")
    expected = answer(calculator.assess(csv_bytes([r for d in days for r in d]),
                                        count="distinct").to_document())
    by_prefix = calculator.assess(f"s3://{bucket}/crawl/", count="distinct")
    by_glob = calculator.assess(f"s3://{bucket}/crawl/day=*/*", count="distinct")
    assert answer(by_prefix.to_document()) == answer(by_glob.to_document()) == expected
    assert by_prefix.input.format == "csv+jsonl+parquet"
    one = calculator.assess(f"s3://{bucket}/crawl/day=0/part-0.parquet")
    assert one.input.sha256 == by_prefix.input.details["files"][2]["sha256"] or \
        one.input.sha256 in {f["sha256"] for f in by_prefix.input.details["files"]}


def test_a_missing_object_is_answered_in_words(s3_environment):
    _, bucket = s3_environment
    with pytest.raises(InvalidInput, match="no files found"):
        calculator.assess(f"s3://{bucket}/nothing-here/")


def test_storage_without_credentials_is_answered_in_words(s3_environment, monkeypatch):
    _, bucket = s3_environment
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    for name, value in {"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                        "AWS_CONFIG_FILE": "/nonexistent",
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    with pytest.raises(InvalidInput, match=r"asked for credentials .*\(NoCredentialsError\)"
                                           r".*AWS_ACCESS_KEY_ID"):
        calculator.assess(f"s3://{bucket}/crawl/")


def test_post_ids_are_told_apart_by_their_text_across_files(tmp_path):
    # 7 and 007 are different ids; a numeric id and a text id never meet; the same id in
    # two files is one post.
    (tmp_path / "a.csv").write_bytes(b"timestamp,post_id\n2025-03-01T10:00:00Z,7\n"
                                     b"2025-03-01T10:00:01Z,007\n2025-03-01T10:00:02Z,abc\n")
    (tmp_path / "b.jsonl").write_bytes(b'{"timestamp": "2025-03-01T11:00:00Z", "post_id": 7}\n'
                                       b'{"timestamp": "2025-03-01T11:00:01Z", "post_id": "-1"}\n'
                                       b'{"timestamp": "2025-03-01T11:00:02Z", "post_id": "abc"}\n')
    result = calculator.assess(str(tmp_path), count="distinct")
    assert result.counts["distinct_posts"] == 4  # 7, 007, abc, -1
    assert result.counted["posts"] == 4


@pytest.mark.parametrize("url", [
    "https://user:s3cretpw@127.0.0.1:1/x.csv", "http://127.0.0.1:1/x.csv?token=s3cretpw",
    "http://127.0.0.1:1/logs/*.csv?X-Amz-Signature=s3cretpw",
])
def test_a_urls_credentials_and_query_are_never_named_in_a_problem(url):
    """The user name and password, a signed URL's signature or a token in the query were
    echoed in every message about the location (and in a --json problem's detail)."""
    with pytest.raises(InvalidInput) as caught:
        calculator.assess(url)
    assert "s3cretpw" not in str(caught.value) and "127.0.0.1:1/" in str(caught.value)
    assert "s3cretpw" not in json.dumps(caught.value.problem_document())


def test_a_link_to_a_folder_inside_a_listed_folder_is_named_as_such(tmp_path):
    """It was called "not a regular file (a named pipe, socket or device)"."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.csv").write_bytes(csv_bytes(rows_of(1, 5)))
    listed = tmp_path / "listed"
    listed.mkdir()
    (listed / "b.csv").write_bytes(csv_bytes(rows_of(2, 5)))
    (listed / "linked").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(InvalidInput, match="is a link to a folder, which a listing does not"):
        calculator.assess(str(listed))
    # The advice can be followed: the folder it points to and the files beside the link.
    followed = calculator.assess([str(elsewhere), str(listed / "b.csv")])
    assert followed.input.rows == 10


def test_a_storages_own_words_lose_the_urls_secrets_and_nothing_else():
    """A one-letter user name, taken out bare, took that letter out of every word."""
    from calculator.ingest.object_storage import without_secrets

    url = "https://a:s3cretpw@127.0.0.1:1/x.csv?token=s3cret#part"
    said = f"cannot reach a host as a client: GET {url} failed (also a:s3cretpw@127.0.0.1)"
    assert without_secrets(said, url) == ("cannot reach a host as a client: GET "
                                          "https://127.0.0.1:1/x.csv failed (also 127.0.0.1)")


def test_an_object_stores_folder_markers_are_no_files_of_the_log(s3_environment):
    """A zero-byte key "crawl/" (the S3 console's "Create folder") or "day=0_$folder$"
    (Hadoop's) beside the parts made the whole log "empty"."""
    store, bucket = s3_environment
    rows = rows_of(10, 40)
    store.pipe({f"{bucket}/crawl/": b"", f"{bucket}/crawl/day=0_$folder$": b"",
                f"{bucket}/crawl/day=0/": b"",
                f"{bucket}/crawl/day=0/part-0.csv": csv_bytes(rows)})
    expected = answer(calculator.assess(csv_bytes(rows)).to_document())
    assert answer(calculator.assess(f"s3://{bucket}/crawl/").to_document()) == expected


def test_files_that_hold_the_same_bytes_are_each_counted_and_said_to_be_alike(tmp_path):
    """Two copies of one file (or a hard link to it) were read and counted twice without a
    word: every amount doubled."""
    rows = rows_of(10, 40)
    for name in ("a.csv", "b.csv", "c.csv"):
        (tmp_path / name).write_bytes(csv_bytes(rows))
    (tmp_path / "d.csv").write_bytes(csv_bytes(rows_of(11, 40)))
    result = calculator.assess(str(tmp_path))
    assert result.input.rows == 160  # nothing a user sent is dropped
    assert result.warnings == (
        "files 1, 2 and 3 hold the same bytes: each was read and counted. If one is a copy "
        "of another, leave the copy out; its posts are counted again.",)


def test_a_log_whose_files_differ_in_having_posts_says_which_rows_had_none(tmp_path):
    """A log of a file with posts and one without said "The log has no posts column",
    though the first file's posts were counted."""
    (tmp_path / "a.csv").write_text("timestamp,posts\n2025-03-01T00:00:00Z,5\n")
    (tmp_path / "b.csv").write_text("timestamp\n2025-03-01T01:00:00Z\n")
    result = calculator.assess(str(tmp_path))
    assert result.counted_posts == 6
    assert "1 row gave no posts count and was counted as one post." in result.notes
    assert not any("has no posts column" in note for note in result.notes)


def _without_root_reads() -> list[str]:
    """A command prefix that runs without root's right to read any folder (as root, a
    folder's mode would not keep it out)."""
    if os.geteuid() != 0:
        return []
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]


@pytest.mark.parametrize("named", ["crawl", "crawl/**/*.csv", "crawl/*/*.csv"])
def test_a_folder_that_cannot_be_listed_stops_the_read_rather_than_dropping_its_files(
        tmp_path, named):
    """Its files were left out as if the folder were empty, without a word."""
    (tmp_path / "crawl" / "march").mkdir(parents=True)
    (tmp_path / "crawl" / "locked").mkdir()
    for folder, day in (("march", "01"), ("locked", "02")):
        (tmp_path / "crawl" / folder / "a.csv").write_text(
            f"timestamp,posts\n2025-03-{day}T00:00:00Z,5\n")
    (tmp_path / "crawl" / "locked").chmod(0)
    try:
        done = subprocess.run([*_without_root_reads(), sys.executable, "-m", "calculator",
                               "assess", named], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
    finally:
        (tmp_path / "crawl" / "locked").chmod(0o755)
    assert done.returncode == 2, done.stdout
    assert done.stderr == (f"calculator: cannot list {named} (the folder locked in it): "
                           "Permission denied\n")


def test_a_file_read_beside_its_own_gzip_is_warned_of(tmp_path):
    """A log and its gzip in one folder were counted twice without a word: their bytes
    differ, so the warning of files holding the same bytes did not see them."""
    text = b"timestamp,posts\n2025-03-01T00:00:00Z,600000\n"
    (tmp_path / "a.csv").write_bytes(text)
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(text))
    (tmp_path / "b.csv").write_bytes(text.replace(b"00:00:00", b"01:00:00"))
    result = calculator.assess(str(tmp_path))
    assert result.counted_posts == 1_800_000  # each file is still read and counted
    assert result.warnings == (
        "files 1 and 2 are named as a file and its gzip: each was read and counted. If one "
        "is the other compressed, leave it out; its posts are counted again.",)


def test_a_folder_of_hidden_files_only_says_they_are_hidden(tmp_path):
    """It said "no files found" of a folder holding _SUCCESS and .crc files."""
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / ".part-0.csv.crc").write_text("x")
    with pytest.raises(InvalidInput) as refused:
        calculator.assess(str(tmp_path))
    assert str(refused.value) == (f"no files found at {tmp_path}: 2 files there are hidden "
                                  "(names starting with . or _, such as _SUCCESS), and hidden "
                                  "files are not read")
