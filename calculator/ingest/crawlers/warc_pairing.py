"""Pairing WARC request records with their answers (response, revisit, resource).

A request pairs with its answer by ``WARC-Concurrent-To`` (either way round: some writers
put it on the request, some on the answer), else, when neither names the other (the header
is optional), by the same target URI and a WARC-Date within ``PAIRING_TOLERANCE_S``. Either
may come first (Heritrix writes the response, then its request), so each side waits, within
``PAIRING_WINDOW`` records, for the other.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from calculator.ingest.crawlers._common import NS

PAIRING_WINDOW = 10_000  # writers put a request next to its answer; this is ample
# Writers date a request and its answer alike (the capture start), to the second in WARC 1.0;
# a few seconds allow for a slow answer without pairing requests far apart.
PAIRING_TOLERANCE_S = 5


@dataclass
class Request:
    """A request record not yet paired with an answer."""

    record_id: str
    link: str | None
    uri: str
    date: str
    method: str | None
    number: int
    instant: int | None = None


@dataclass
class _Answer:
    """An answer record not yet paired with a request."""

    record_id: str
    link: str | None
    uri: str
    instant: int | None


class Pairing:
    """The requests and answers of a WARC waiting for their other half, and how many were
    paired each way."""

    def __init__(self) -> None:
        self.pending: OrderedDict[str, Request] = OrderedDict()
        self.pending_links: dict[str, str] = {}
        self.pending_by_uri: dict[str, list[str]] = {}  # requests that name no answer
        self.waiting: OrderedDict[str, _Answer] = OrderedDict()  # answers not yet paired
        self.answered: dict[str, str] = {}  # a record id an answer is or names -> its id
        self.waiting_by_uri: dict[str, list[str]] = {}  # answers that name no request
        self.paired: Counter[str] = Counter()

    def request(self, request: Request) -> str | None:
        """The id of the answer, written before it, that this request pairs with; else None
        (the request then waits for an answer written after it)."""
        link, record_id = request.link, request.record_id
        answer_id = self.answered.get(link) if link else None
        answer_id = answer_id or self.answered.get(record_id)
        how = "concurrent-to"
        if answer_id is None and not link:
            answer_id, how = self._waiting_same(request.uri, request.instant), "uri-and-date"
        if answer_id is not None:
            self.paired[how] += 1
            self._forget_answer(answer_id)
            return answer_id
        self.pending[record_id] = request
        if link:
            self.pending_links[link] = record_id
        else:
            self.pending_by_uri.setdefault(request.uri, []).append(record_id)
        return None

    def overflow(self) -> Iterator[Request]:
        """Requests that waited longer than the window: they will not be answered."""
        while len(self.pending) > PAIRING_WINDOW:
            yield self._take(next(iter(self.pending)))

    def remaining(self) -> Iterator[Request]:
        """At the end of the file, the requests no answer paired with."""
        while self.pending:
            yield self._take(next(iter(self.pending)))

    def answer(self, headers: Any, uri: str, instant: int | None, number: int) -> str | None:
        """The method of the request this answer pairs with; None when none is known yet
        (the answer then waits for a request written after it)."""
        answer_id = headers.get_header("WARC-Record-ID") or f"#{number}"
        link = headers.get_header("WARC-Concurrent-To")
        request_id = link if link in self.pending else self.pending_links.get(answer_id)
        how = "concurrent-to"
        if request_id is None and not link:
            request_id, how = self._pending_same(uri, instant), "uri-and-date"
        if request_id is not None and request_id in self.pending:
            self.paired[how] += 1
            return self._take(request_id).method
        self.waiting[answer_id] = _Answer(answer_id, link, uri, instant)
        self.answered[answer_id] = answer_id
        if link:
            self.answered[link] = answer_id
        else:
            self.waiting_by_uri.setdefault(uri, []).append(answer_id)
        while len(self.waiting) > PAIRING_WINDOW:
            self._forget_answer(next(iter(self.waiting)))
        return None

    def _pending_same(self, uri: str, instant: int | None) -> str | None:
        """A request naming no answer, for the same URI, dated within the tolerance."""
        for request_id in self.pending_by_uri.get(uri, ()):
            if _close(self.pending[request_id].instant, instant):
                return request_id
        return None

    def _waiting_same(self, uri: str, instant: int | None) -> str | None:
        """An answer naming no request, for the same URI, dated within the tolerance."""
        for answer_id in self.waiting_by_uri.get(uri, ()):
            if _close(self.waiting[answer_id].instant, instant):
                return answer_id
        return None

    def _take(self, request_id: str) -> Request:
        request = self.pending.pop(request_id)
        if request.link:
            self.pending_links.pop(request.link, None)
        else:
            _drop(self.pending_by_uri, request.uri, request_id)
        return request

    def _forget_answer(self, answer_id: str) -> None:
        answer = self.waiting.pop(answer_id, None)
        if answer is None:
            return
        self.answered.pop(answer_id, None)
        if answer.link:
            self.answered.pop(answer.link, None)
        else:
            _drop(self.waiting_by_uri, answer.uri, answer_id)


def _close(first: int | None, second: int | None) -> bool:
    return first is not None and second is not None and \
        abs(first - second) <= PAIRING_TOLERANCE_S * NS


def _drop(index: dict[str, list[str]], key: str, value: str) -> None:
    values = index.get(key)
    if values is not None and value in values:
        values.remove(value)
        if not values:
            del index[key]
