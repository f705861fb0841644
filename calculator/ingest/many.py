"""Many files read as one log: a directory, a glob, a list of paths, or object storage.

Locations are local paths or fsspec URLs (``s3://``, ``gs://``, ``az://``, ``https://``,
``file://``); the protocols other than local files and HTTP need their fsspec package
(``s3fs``, ``gcsfs``, ``adlfs``), which read credentials from the usual environment (for
S3: ``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL``...). Files are streamed
one after another, never all at once, each in its own format and compression.

The answer is the answer for the files' rows read as one log: counts per instant add up
across files, post ids are told apart across files, and windows run over the whole
time line whatever order the files come in. The digest of the whole is the sha256 of
the files' own digests, sorted (so it names the set of files, not their names or order);
each file's digest, size and format are listed, never its name.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from calculator.errors import InvalidArgument, InvalidInput
from calculator.ingest.crawlers import CRAWLER_FORMATS, HostMap
from calculator.ingest.events import ReadReport
from calculator.ingest.formats import (
    COUNTS,
    LogRead,
    ReadChoices,
    crawler_options,
    crawler_read,
    detect_format,
    from_table,
    read_any_table,
    read_crawler_source,
)
from calculator.ingest.merged_reads import files_named, merge_reports, merge_tables
from calculator.ingest.object_storage import (
    filesystem,
    nothing_found,
    shown_location,
    storage_refused,
    without_secrets,
)
from calculator.ingest.source import LogSource, open_source
from calculator.ingest.tabular import Collector, TableRead, finish_table, plural
from calculator.ingest.volume import Volume

_GLOB = set("*?[")


@dataclass(frozen=True)
class LogFile:
    """One file of a log: a name for messages, and how to open it."""

    name: str
    open: Callable[[], LogSource]


@dataclass
class FileRead:
    """What was read from one file, for the document: never its name."""

    sha256: str
    bytes: int
    format: str
    compressed: bool

    def as_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "bytes": self.bytes, "format": self.format,
                "compressed": self.compressed}


@dataclass
class ManyRead:
    """The log read from all the files, and what identifies them."""

    read: LogRead
    files: list[FileRead] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return digest_of_files([f.sha256 for f in self.files])

    @property
    def size(self) -> int:
        return sum(f.bytes for f in self.files)

    @property
    def compressed(self) -> bool:
        return any(f.compressed for f in self.files)


def digest_of_files(digests: list[str]) -> str:
    """One file's own digest; of several, the sha256 of their hex digests sorted, one a
    line (``sha256sum * | cut -c1-64 | sort | sha256sum`` without the last newline)."""
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("\n".join(sorted(digests)).encode()).hexdigest()


def is_many(source: object) -> bool:
    """Whether an assessment's source names several files or a place to list them (a
    directory, a glob, a URL) rather than one local file, standard input or bytes."""
    if isinstance(source, list | tuple):
        return True
    if not isinstance(source, str | os.PathLike):
        return False
    text = os.fspath(source)
    if text == "-" or os.path.isfile(text):
        return False
    return "://" in text or bool(_GLOB & set(text)) or os.path.isdir(text)


def _hidden(path: str, root: str) -> bool:
    """Files that writers leave beside the data (``_SUCCESS``, ``.crc``, ``.DS_Store``), and
    every file under a folder so named below ``root`` (the folder listed, or where a glob
    starts): Spark's ``_temporary/`` holds unfinished copies of the parts beside it, which
    were read and counted twice, and a Delta table's ``_delta_log/`` holds no log rows."""
    if path.endswith(("/", "_$folder$")):
        # An object store's marker of a folder (the S3 console's "Create folder" writes a
        # key ending in "/", Hadoop one ending in "_$folder$"): empty, it made the whole
        # log "empty" where its folder held the parts.
        return True
    below = path[len(root):] if path.startswith(root) else os.path.basename(path)
    return any(part.startswith(("_", ".")) for part in below.split("/") if part)


def expand(locations: Sequence[str | os.PathLike[str] | bytes | BinaryIO],
           max_bytes: int | None = None) -> tuple[list[LogFile], int]:
    """The files that locations name, in name order (directories listed through, hidden
    files left out and counted), and how many were left out. Bytes and open files (the
    uploads of one request) are files themselves, named by their place in the list."""
    files: list[LogFile] = []
    hidden = 0
    seen: dict[str, str] = {}  # each file found, by its real path or URL: the location named
    for number, location in enumerate(locations, start=1):
        if not isinstance(location, str | os.PathLike):
            name = f"file {number}"
            files.append(LogFile(name, lambda item=location, name=name: open_source(
                item, name, max_bytes)))
            continue
        text = os.fspath(location)
        if text == "-":  # it was looked for as a file named "-": "no files found at -"
            raise InvalidArgument("- (standard input) is a log on its own: give it alone, or "
                                  "name files")
        fs, path = filesystem(text)
        shown = shown_location(text)  # a URL's credentials and query are never named
        try:
            # A name holding glob characters that names a file or folder as it stands is
            # that one: read as a pattern, "a[1].csv" read a1.csv in its place.
            levels: int | None = 0  # how deep a listing goes below root (None: all)
            if _GLOB & set(path) and not fs.exists(path):
                matches = sorted(p for p in fs.glob(path) if not fs.isdir(p))
                root = path[:min(path.find(c) for c in _GLOB if c in path)]
                root = root[:root.rfind("/") + 1]
                pattern = path[len(root):]
                levels = None if "**" in pattern else pattern.count("/")
            elif fs.isdir(path):
                matches = sorted(fs.find(path))
                root, levels = path, None
            else:
                matches = [path] if fs.exists(path) else []
                root, levels = os.path.dirname(path), -1  # named, not listed
        except (OSError, PermissionError) as exc:
            raise InvalidInput(f"cannot list {shown}: {without_secrets(str(exc), text)}") \
                from None
        except Exception as exc:  # each storage's package has errors of its own
            raise storage_refused(shown, exc) from None
        local = "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))
        if local and levels != -1 and os.path.isdir(root or "."):
            _readable_throughout(root or ".", shown, levels)
        kept = [p for p in matches if not _hidden(p, root)]
        hidden += len(matches) - len(kept)
        if not kept and matches:  # only files that writers leave beside the data
            raise InvalidInput(f"no files found at {shown}: {plural(len(matches), 'file')} "
                               f"there {'is' if len(matches) == 1 else 'are'} hidden (names "
                               "starting with . or _, such as _SUCCESS), and hidden files are "
                               "not read")
        if not kept:
            raise nothing_found(fs, path, shown)
        if local and kept != [path]:  # found by a listing, not named
            _regular_files_only(kept)
        for match in kept:
            name = match if local else shown_location(fs.unstrip_protocol(match))
            same = os.path.realpath(match) if local else name
            if same in seen:
                # A file named twice (a folder and a file in it, overlapping globs) was read
                # twice, and its posts counted twice without a word.
                raise InvalidInput(f"{name} is named twice ({seen[same]} and {shown}): each "
                                   "file of a log is read once; name it once")
            seen[same] = shown
            files.append(LogFile(name, _opener(fs, match, name, local, max_bytes)))
    return files, hidden


def _readable_throughout(root: str, shown: str, levels: int | None) -> None:
    """Refuse a local folder with a folder in it that cannot be listed, down to ``levels``
    below ``root`` (None: all), as deep as the listing went: fsspec's listing leaves such a
    folder out as if it were empty (only for the top folder can that be changed), and a
    log was assessed without the files in it, and said nothing."""
    def refuse(exc: OSError) -> None:
        inside = os.path.relpath(exc.filename or root, root)
        where = "" if inside == "." else f" (the folder {inside} in it)"
        raise InvalidInput(f"cannot list {shown}{where}: {exc.strerror}") from None

    for folder, folders, _ in os.walk(root, onerror=refuse):
        inside = os.path.relpath(folder, root)
        if levels is not None and (0 if inside == "." else inside.count(os.sep) + 1) >= levels:
            folders.clear()  # the listing went no deeper


def _opener(fs: Any, path: str, name: str, local: bool, max_bytes: int | None
            ) -> Callable[[], LogSource]:
    def open_file() -> LogSource:
        if local:
            return open_source(path, name, max_bytes)
        try:
            handle = fs.open(path, "rb", block_size=8 << 20)
        except (OSError, PermissionError) as exc:
            raise InvalidInput(f"cannot read {name}: {without_secrets(str(exc), path)}") \
                from None
        except Exception as exc:  # as in ``expand``
            raise storage_refused(name, exc) from None
        return LogSource(handle, name, owned=True, max_bytes=max_bytes)
    return open_file


def _regular_files_only(paths: list[str]) -> None:
    """Files found by listing a directory or a glob must be plain files: reading a named
    pipe found that way would wait for a writer that may never come. A pipe named on its
    own (``<(zcat log.gz)``) is read as the stream it is."""
    for found in paths:
        try:
            mode = os.stat(found).st_mode
        except OSError as exc:
            raise InvalidInput(f"cannot read {found}: {exc.strerror}") from None
        if stat.S_ISDIR(mode):  # a link to a folder: the listing does not go into it
            # Naming the folder as well did not help, as this said it would: the listing
            # still came to the link. What does is naming what the listing would have read.
            raise InvalidInput(f"{found} is a link to a folder, which a listing does not "
                               "follow (links can loop); name the folder it points to and "
                               "the files beside the link, in place of the folder holding it")
        if not stat.S_ISREG(mode):
            raise InvalidInput(f"{found} is not a regular file (a named pipe, socket or "
                               "device); name it on its own to read it as a stream")


def mixed_forms(name: str, crawler: bool) -> InvalidInput:
    """The refusal of a file whose kind (a crawler's, a table) is not the first file's."""
    return InvalidInput(f"{name}: a crawler's file and a table cannot be read as one log (the "
                        f"first file is {'a crawler' if crawler else 'a table'}'s); assess "
                        "them apart")


def _in_file(name: str, exc: InvalidInput) -> InvalidInput:
    """The error, saying which file it is in."""
    return InvalidInput(f"{name}: {exc.detail}", heading=exc.heading, problems=[
        replace(p, file=name) for p in exc.problems], **exc.extensions)


def read_many(files: list[LogFile], fmt: str | None, choices: ReadChoices, hosts: HostMap,
              hidden: int = 0) -> ManyRead:
    """Read the files as one log (see the module's notes)."""
    if choices.count not in COUNTS:
        raise InvalidArgument(f"count: '{choices.count}' is not one of {', '.join(COUNTS)}")
    result = ManyRead(read=None)  # type: ignore[arg-type]
    first = files[0].open()
    try:
        kind = detect_format(first, fmt, choices)
    except InvalidInput as exc:
        first.close()
        raise _in_file(files[0].name, exc) from None
    if kind in CRAWLER_FORMATS:
        result.read = _crawler_files(files, first, fmt, choices, hosts, result)
    else:
        result.read = _table_files(files, first, fmt, choices, result)
    note_files(result.read, result.files, hidden, [f.name for f in files])
    return result


def note_files(read: LogRead, files: list[FileRead], hidden: int, names: list[str]) -> None:
    """Say, with the notes of ``read``, how many files were read and how many left out;
    warn of files that hold the same bytes (a copy of a file, or a hard link to it, was
    read and counted twice without a word), and of a file read beside its own gzip
    (``a.csv`` and ``a.csv.gz``: their bytes differ, and the log was counted twice)."""
    if hidden:
        read.notes.append(f"{plural(hidden, 'hidden file')} (names starting with . or _, such "
                          "as _SUCCESS, and object stores' folder markers) were not read.")
    read.notes.append(f"The log was read from {len(files):,} files as one log.")
    alike: dict[str, list[int]] = {}
    for number, file in enumerate(files, start=1):
        alike.setdefault(file.sha256, []).append(number)
    for numbers in (n for n in alike.values() if len(n) > 1):
        read.warnings.append(
            f"{files_named(numbers)} hold the same bytes: each was read and counted. If one is "
            "a copy of another, leave the copy out; its posts are counted again.")
    number_of = {name: number for number, name in enumerate(names, start=1)}
    for number, name in enumerate(names, start=1):
        plain = number_of.get(name.removesuffix(".gz")) if name.endswith(".gz") else None
        if plain is not None and files[plain - 1].compressed != files[number - 1].compressed:
            read.warnings.append(
                f"{files_named([plain, number])} are named as a file and its gzip: each was "
                "read and counted. If one is the other compressed, leave it out; its posts "
                "are counted again.")


def _each(files: list[LogFile], first: LogSource, fmt: str | None, choices: ReadChoices,
          crawler: bool, result: ManyRead) -> Iterator[tuple[LogSource, str, str]]:
    """Each file opened with its format and name, in turn; its digest is kept once it is
    read (the caller reads it between two steps, and names the file in its errors)."""
    for index, log_file in enumerate(files):
        source = first if index == 0 else log_file.open()
        with source:
            try:
                kind = detect_format(source, fmt, choices)
            except InvalidInput as exc:
                raise _in_file(log_file.name, exc) from None
            if (kind in CRAWLER_FORMATS) != crawler:
                raise mixed_forms(log_file.name, crawler)
            yield source, kind, log_file.name
            source.finish()
        result.files.append(FileRead(source.sha256, source.size, kind, source.compressed))


def _table_files(files: list[LogFile], first: LogSource, fmt: str | None,
                 choices: ReadChoices, result: ManyRead) -> LogRead:
    collector = Collector(TableRead(format="", volume=Volume.empty()), choices.platform_values(),
                          choices.assume_tz, occurrences=choices.count == "distinct")
    reads = []
    for source, kind, name in _each(files, first, fmt, choices, False, result):
        try:
            reads.append(read_any_table(source, kind, choices, shared=collector))
        except InvalidInput as exc:
            raise _in_file(name, exc) from None
    whole = merge_tables(reads)
    collector.result = whole
    return from_table(finish_table(whole, collector, True), choices)


def _crawler_files(files: list[LogFile], first: LogSource, fmt: str | None,
                   choices: ReadChoices, hosts: HostMap, result: ManyRead) -> LogRead:
    options = crawler_options(choices, hosts)
    reports: list[ReadReport] = []

    def events() -> Iterator:
        for source, kind, name in _each(files, first, fmt, choices, True, result):
            try:  # every gzip layer counted against this file's budget (decision 0050)
                found, report = read_crawler_source(source, kind,
                                                    replace(options, budget=source.budget))
                reports.append(report)
                yield from found
            except InvalidInput as exc:
                raise _in_file(name, exc) from None

    read = crawler_read(events(), lambda: merge_reports(reports), "", choices)
    read.format = "+".join(sorted({f.format for f in result.files}))
    return read
