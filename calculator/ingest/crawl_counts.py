"""A crawler's access events folded into the three counts an assessment can price.

``requested`` and ``accessed`` are posts per instant; ``distinct`` counts the different
post ids obtained at each instant and keeps their coverage (decision 0122), with ids
replaced by sequence numbers so that no post id is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from calculator.errors import FieldProblem, InvalidInput
from calculator.ingest import progress
from calculator.ingest.events import AccessEvent
from calculator.ingest.post_occurrences import PostOccurrences
from calculator.ingest.timestamps import EARLIEST_NS, LATEST_NS
from calculator.ingest.volume import Volume, VolumeBuilder
from calculator.timeutil import SUPPORTED_YEARS

_FLUSH = 200_000  # events held as Python lists before they are folded into arrays


@dataclass
class CrawlCounts:
    requested: Volume
    accessed: Volume
    distinct: Volume  # posts per instant are that instant's distinct ids; see coverage
    requests: int = 0  # requests to the platform (events), whatever their answer
    responses: int = 0  # of those, answered with content
    distinct_posts: int = 0  # different post ids obtained, over the whole log
    embedded_posts: int = 0  # quoted and reposted posts carried, counted or not
    events: int = 0  # every event of the log, whatever its host
    log_responses: int = 0  # of those, answered with content
    excluded_rows: dict[str, int] = field(default_factory=dict)
    excluded_posts: dict[str, int] = field(default_factory=dict)
    post_ids: list[str] = field(default_factory=list)  # distinct's post number k is [k]
    # Every (instant, post number) obtained, when asked for instead of ``distinct`` (a Dask
    # worker shuffles them).
    occurrences: tuple[np.ndarray, np.ndarray] | None = None


_REPORT_EVERY = 8192  # events between two progress reports

class _Series:
    """Instants and posts gathered in lists, folded into arrays every ``_FLUSH`` events."""

    def __init__(self) -> None:
        self.instants: list[int] = []
        self.posts: list[int] = []
        self.builder = VolumeBuilder()

    def add(self, instant: int, posts: int) -> None:
        self.instants.append(instant)
        self.posts.append(posts)
        if len(self.instants) >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.instants:
            self.builder.add(np.array(self.instants, dtype=np.int64),
                             np.array(self.posts, dtype=np.int64))
            self.instants, self.posts = [], []

    def build(self) -> Volume:
        self.flush()
        return self.builder.build()


def count_events(events: Iterable[AccessEvent], platform: str, embedded_posts: bool,
                 keep_occurrences: bool = False) -> CrawlCounts:
    """Fold the events of ``platform`` into requested, accessed and distinct counts; every
    other event is counted as left out, by reason. ``keep_occurrences``: every occurrence
    of a post instead of the distinct volume (a Dask worker shuffles them)."""
    requested, accessed = _Series(), _Series()
    occurrences = PostOccurrences()  # in memory up to a bound, then on disk by post
    occurrence_instants: list[int] = []
    occurrence_ids: list[int] = []
    ids: dict[str, int] = {}
    result = CrawlCounts(Volume.empty(), Volume.empty(), Volume.empty())
    rows = {"other_platforms": 0, "unattributed": 0, "authorized": 0}
    posts = dict.fromkeys(rows, 0)
    for event in events:
        result.events += 1
        if not EARLIEST_NS <= event.instant_ns <= LATEST_NS:
            # As a table's timestamp is: a date in 2300 (or 1600) overflowed the counts'
            # 64-bit nanoseconds with a traceback.
            raise InvalidInput(f"line or record {event.line}: its time is outside "
                               f"{SUPPORTED_YEARS}, the instants this service reads",
                               problems=[FieldProblem(f"its time is outside {SUPPORTED_YEARS}",
                                                      row=event.line)])
        if not result.events % _REPORT_EVERY:
            progress.rows_read(_REPORT_EVERY)
        result.log_responses += event.accessed
        reason = None
        if event.platform is None:
            reason = "unattributed"
        elif event.platform != platform:
            reason = "other_platforms"
        elif event.authorized:
            reason = "authorized"
        if reason is not None:
            rows[reason] += 1
            posts[reason] += event.posts
            continue
        result.embedded_posts += len(event.embedded_post_ids)
        if event.requested:
            result.requests += 1
            requested.add(event.instant_ns, event.posts)
        if event.accessed:
            result.responses += 1
            accessed.add(event.instant_ns, event.posts)
            obtained = event.post_ids + (event.embedded_post_ids if embedded_posts else ())
            for post_id in obtained:
                occurrence_instants.append(event.instant_ns)
                occurrence_ids.append(ids.setdefault(post_id, len(ids)))
            if len(occurrence_ids) >= _FLUSH:  # Python lists cost ~80 bytes an occurrence
                occurrences.add(np.array(occurrence_instants, dtype=np.int64),
                                np.array(occurrence_ids, dtype=np.int64))
                occurrence_instants, occurrence_ids = [], []
    progress.rows_read(result.events % _REPORT_EVERY)
    result.requested = requested.build()
    result.accessed = accessed.build()
    occurrences.add(np.array(occurrence_instants, dtype=np.int64),
                    np.array(occurrence_ids, dtype=np.int64))
    if keep_occurrences:
        result.occurrences = occurrences.all()
    else:
        result.distinct = occurrences.volume()
    result.distinct_posts = len(ids)
    result.post_ids = list(ids)
    result.excluded_rows, result.excluded_posts = rows, posts
    return result
