"""The reads of a log's files summed into the read of the whole log: a table's counts and
notes, a crawler reader's report, and how a message names the files it concerns."""

from __future__ import annotations

from calculator.ingest.events import ReadReport
from calculator.ingest.table_read import TableRead, names_within_bounds
from calculator.ingest.volume import Volume


def merge_tables(reads: list[TableRead]) -> TableRead:
    """One file's reads summed into the read of the whole log."""
    formats = sorted({r.format for r in reads})
    whole = TableRead(format="+".join(formats), volume=Volume.empty())
    whole.column_map = reads[0].column_map
    columns: dict[str, None] = {}
    for read in reads:
        whole.rows += read.rows
        columns.update(dict.fromkeys(read.columns))
        for column in read.ignored_columns:
            whole.ignore(column)
        for reason in whole.excluded_rows:
            whole.excluded_rows[reason] += read.excluded_rows[reason]
            whole.excluded_posts[reason] += read.excluded_posts[reason]
        whole.platform_missing += read.platform_missing
        whole.authorized_missing += read.authorized_missing
        whole.posts_missing += read.posts_missing
        whole.present |= read.present
        for column, rows in read.absent.items():
            whole.absent[column] += rows
        whole.post_id_missing += read.post_id_missing
        whole.delimiters |= read.delimiters
        stamps, seen = whole.timestamps, read.timestamps
        stamps.naive += seen.naive
        stamps.ambiguous += seen.ambiguous
        stamps.nonexistent += seen.nonexistent
        stamps.epoch += seen.epoch
        stamps.kinds |= seen.kinds
    whole.has_posts_column = all(r.has_posts_column for r in reads if r.rows)
    whole.columns = list(columns)
    names_within_bounds(list(dict.fromkeys([*whole.columns, *whole.ignored_columns])),
                        "the log's files name")
    return whole


def merge_reports(reports: list[ReadReport]) -> ReadReport:
    """The crawler readers' reports of every file as one."""
    whole = ReadReport(format="+".join(sorted({r.format for r in reports})))
    kinds = {r.time_kind for r in reports if r.time_kind}
    whole.time_kind = kinds.pop() if len(kinds) == 1 else None
    warned: dict[str, list[int]] = {}  # each warning, and the files it was given for
    for number, report in enumerate(reports, start=1):
        whole.lines += report.lines
        whole.unparsed += report.unparsed
        for line, why in report.unparsed_examples:
            if len(whole.unparsed_examples) < 5:
                whole.unparsed_examples.append((line, f"file {number}: {why}"))
        for reason, skipped in report.skipped.items():
            whole.skip(reason, skipped)
        for warning in report.warnings:
            warned.setdefault(warning, []).append(number)
        whole.assumptions += [a for a in report.assumptions if a not in whole.assumptions]
    # Said once for all the files it concerns, and of which (a cut file by its number).
    whole.warnings += [warning if len(reports) == 1 else f"{files_named(numbers)}: {warning}"
                       for warning, numbers in warned.items()]
    if len({r.time_kind for r in reports if r.time_kind}) > 1:
        whole.warnings.append("The files record different instants ("
                              + ", ".join(sorted({r.time_kind for r in reports
                                                  if r.time_kind})) + "); each is read as "
                              "its own format records it.")
    return whole


def files_named(numbers: list[int], shown: int = 5) -> str:
    """``file 3``, ``files 1 and 3``, ``files 1, 2, 3, 4, 5 and 7 more``."""
    if len(numbers) == 1:
        return f"file {numbers[0]}"
    listed = ", ".join(str(n) for n in numbers[:shown])
    if len(numbers) > shown:
        return f"files {listed} and {len(numbers) - shown} more"
    head, _, last = listed.rpartition(", ")
    return f"files {head} and {last}"
