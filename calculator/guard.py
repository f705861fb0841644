"""Ask a live budget before fetching: the Python client of ``/v1/budgets``.

    from calculator.guard import Budget

    budget = Budget("https://calculator.example", "fleet", key)
    budget.wait_and_reserve(1)   # sleeps until the budget has room, then holds one post
    fetch(url)

``reserve(n)`` asks once and raises ``BudgetSpent`` (with ``retry_after`` seconds and the
posts left now) when the fleet's budget has no room; ``wait_and_reserve(n)`` sleeps as the
service's ``Retry-After`` says and asks again. ``record_usage(n)`` tells the service about
posts fetched without asking. With ``batch=N`` the client reserves blocks of N posts and
hands them out locally, so a fast crawler asks the service once per block instead of once per
post; what a block did not use goes back to the service when the block is older than
``hold`` seconds (``give_back_expired()`` checks), or when the client is closed. A grant from
a block, or one reserved with ``returnable=True``, can be given back with ``release(grant)``
when the fetch it was for never happened. See docs/decisions/0101-the-budget-clients.md and
0116-a-crawl-gives-back-what-it-did-not-fetch.md.

One client keeps its connections to the service open between calls (an ``httpx`` pool), so a
crawler pays the TCP handshake once, not per reservation, wherever the server keeps them
alive.

The client needs only the service's URL, the budget's name and an API key; it imports no part
of the calculator's core, so a crawler host does not load the rules or pandas to use it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, NoReturn
from urllib.parse import quote

import httpx

__all__ = ["Budget", "BudgetError", "BudgetSpent", "BudgetUnavailable", "Grant", "Usage"]

DEFAULT_TIMEOUT = 10.0  # seconds for one call to the service
DEFAULT_HOLD = 5.0  # seconds a reserved block is handed out before its rest goes back


class BudgetError(Exception):
    """The service refused the call: its RFC 9457 problem document, and the status."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        title = problem.get("title") or f"HTTP {status}"
        detail = problem.get("detail")
        super().__init__(f"{title}: {detail}" if detail else title)


class BudgetSpent(BudgetError):
    """429: the posts asked for would put a window over the limit. ``retry_after`` is how
    many seconds to wait before they fit (if nobody else takes them first); ``left_now`` how
    many posts fit now."""

    def __init__(self, status: int, problem: dict[str, Any], retry_after: float) -> None:
        super().__init__(status, problem)
        self.retry_after = retry_after
        self.left_now: int = int(problem.get("left_now") or 0)
        self.posts: int = int(problem.get("posts") or 0)
        retry_at = problem.get("retry_at")
        self.retry_at: datetime | None = _instant(retry_at) if retry_at else None


class BudgetUnavailable(BudgetError):
    """The service could not be reached or did not answer in time. A crawler decides whether
    to wait (the safe choice: nothing is granted) or to fetch without asking and report the
    posts later with ``record_usage``."""

    def __init__(self, reason: str) -> None:
        super().__init__(0, {"title": "The budget service is unavailable", "detail": reason})


@dataclass(frozen=True)
class Grant:
    """Posts granted: fetch them. ``left`` is None for a budget without limit (no damages
    clause in force)."""

    posts: int
    used: int  # posts in the trailing window, these included
    left: int | None
    at: datetime
    document: dict[str, Any]  # the service's whole answer
    # The returnable reservation the posts belong to (a block, or ``returnable=True``): what
    # ``release`` gives them back to. None: a plain reservation, kept whatever happens.
    reservation: str | None = None
    # The client's clock when it asked for them (a block's posts: when the block was asked):
    # how long a crawler has held them before fetching.
    taken: float | None = None


@dataclass(frozen=True)
class Usage:
    """Posts recorded after the fact: ``over_by`` is how far the busiest window containing
    them is now over the limit (0: within it)."""

    posts: int
    over_by: int  # over the budget's limit (the threshold × its margin)
    over_threshold_by: int  # over the clause's threshold itself: damages are owed if above 0
    document: dict[str, Any]

    @property
    def over_limit(self) -> bool:
        return self.over_by > 0


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _retry_after(answer: httpx.Response, problem: dict[str, Any]) -> float:
    """Seconds to wait: the ``Retry-After`` header (seconds or an HTTP date), else the
    problem's ``retry_at``; at least one second, as the service counts whole seconds."""
    header = answer.headers.get("Retry-After", "").strip()
    if header.isdigit():
        return max(1.0, float(header))
    if header:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(1.0, (when - datetime.now(UTC)).total_seconds())
    retry_at = problem.get("retry_at")
    if retry_at:
        return max(1.0, (_instant(retry_at) - datetime.now(UTC)).total_seconds())
    return 1.0


class Budget:
    """One named budget of a calculator service, shared by every worker that uses its name.

    Safe to share between threads. ``sleep`` and ``clock`` (monotonic seconds) may be given
    for tests and simulations; ``transport`` is an ``httpx`` transport (e.g. for a proxy)."""

    def __init__(self, url: str, name: str, key: str | None = None, *,
                 batch: int | None = None, hold: float = DEFAULT_HOLD,
                 timeout: float = DEFAULT_TIMEOUT,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if batch is not None and (isinstance(batch, bool) or batch < 1):
            raise ValueError("batch is a whole number of posts of at least 1")
        if hold <= 0:
            raise ValueError("hold is a number of seconds above 0")
        self.name = name
        self.batch = batch
        self.hold = hold
        self._sleep = sleep
        self._clock = clock
        headers = {"Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout,
                                  transport=transport)
        self._path = f"/v1/budgets/{quote(name, safe='')}"
        self._lock = threading.Lock()
        self._block: _Block | None = None
        # Round trips to the service, by kind ("reserve", "return", ...): what a batching
        # crawler saves is measured, not assumed.
        self.calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()

    # -- the service's calls ---------------------------------------------------------------

    def create(self, platform: str, region: str | None = None,
               margin_percent: int = 100) -> dict[str, Any]:
        """Create the budget (409 ``BudgetError`` if the name exists for this key)."""
        body: dict[str, Any] = {"platform": platform, "margin_percent": margin_percent}
        if region is not None:
            body["region"] = region
        return self._call("PUT", self._path, body).json()

    def show(self) -> dict[str, Any]:
        """The budget now: its limit, used, left and the trailing-window curve."""
        return self._call("GET", self._path).json()

    def delete(self) -> None:
        self._call("DELETE", self._path)

    def platform(self, platform: str) -> dict[str, Any]:
        """The service's document of a platform (its hosts, as its rules list them)."""
        return self._call("GET", f"/v1/platforms/{quote(platform, safe='')}").json()

    def reserve(self, posts: int = 1, returnable: bool = False) -> Grant:
        """Hold ``posts`` posts now, or raise ``BudgetSpent`` saying when they fit. In batch
        mode the posts come from the local block when it has them (and can always be given
        back with ``release``); otherwise ``returnable`` asks the service to keep the
        reservation so that ``release`` can give it back."""
        _check_posts(posts)
        if self.batch is None:
            taken = self._clock()
            return self._grant(self._reserve(posts, returnable), taken)
        with self._lock:
            block = self._block
            if block is not None and (block.left < posts or self._expired(block)):
                self._return_locked()
                block = None
            if block is None:
                block = self._new_block(posts)
            block.left -= posts
            return Grant(posts, block.grant.used, block.grant.left, block.grant.at,
                         block.grant.document, block.id, block.grant.taken)

    def release(self, grant: Grant) -> None:
        """Give back the posts of a grant whose fetch never happened (a request that failed
        before it reached the site). Posts of the block still being handed out go back into
        it (and to the service with the block's rest); others go to the service against
        their reservation. Raises ``ValueError`` for a plain grant (nothing to give back
        to) and ``BudgetError`` (404) once the service has forgotten the reservation, one
        window after it was made."""
        if grant.reservation is None:
            raise ValueError("a plain reservation cannot be given back: reserve with "
                             "returnable=True (or in batch mode)")
        with self._lock:
            block = self._block
            if block is not None and block.id == grant.reservation:
                block.left += grant.posts
                return
        self._give_back(grant.reservation, grant.posts)

    def give_back_expired(self) -> int:
        """Return the unused posts of a block older than ``hold`` (batch mode): a crawler
        that stops asking for a while does not keep posts the rest of its fleet could use.
        The number returned."""
        with self._lock:
            block = self._block
            if block is None or not self._expired(block):
                return 0
            return self._return_locked()

    def wait_and_reserve(self, posts: int = 1, max_wait: float | None = None) -> Grant:
        """Reserve, sleeping as long as the service says whenever the budget is spent.
        Raises ``BudgetSpent`` only if the next wait would go past ``max_wait`` seconds."""
        began = self._clock()
        while True:
            try:
                return self.reserve(posts)
            except BudgetSpent as spent:
                waited = self._clock() - began
                if max_wait is not None and waited + spent.retry_after > max_wait:
                    raise
                (self._sleep or time.sleep)(spent.retry_after)

    def record_usage(self, posts: int, at: datetime | None = None) -> Usage:
        """Record posts fetched without asking (at ``at``, default now). They count like
        reserved ones and may put the budget over its limit: ``over_by`` says by how much."""
        _check_posts(posts)
        body: dict[str, Any] = {"posts": posts}
        if at is not None:
            if at.tzinfo is None:
                raise ValueError("at must be timezone-aware")
            body["at"] = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        document = self._call("POST", f"{self._path}/usage", body).json()
        recorded = document["recorded"]
        return Usage(posts, int(recorded["over_by"]), int(recorded["over_threshold_by"]),
                     document)

    def log_csv(self) -> bytes:
        """The recorded usage as CSV (``timestamp,platform,posts``): a crawl log the
        calculator reads."""
        return b"".join(self.log_chunks())

    def log_chunks(self) -> Iterator[bytes]:
        """The same CSV in pieces as the service streams it (a long log is never held)."""
        path = f"{self._path}/log"
        try:
            with self._http.stream("GET", path, headers={"Accept": "text/csv"}) as answer:
                if answer.status_code >= 400:
                    answer.read()
                    self._refuse(answer, "GET", path)
                yield from answer.iter_bytes()
        except httpx.TransportError as exc:
            raise BudgetUnavailable(f"GET {path}: {exc or type(exc).__name__}") from exc

    def give_back(self) -> int:
        """Return the unused posts of the current block to the service (batch mode); the
        number returned."""
        with self._lock:
            return self._return_locked()

    def close(self) -> None:
        """Return what the block did not use, and close the connection."""
        try:
            self.give_back()
        finally:
            self._http.close()

    def __enter__(self) -> Budget:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- helpers ---------------------------------------------------------------------------

    def _reserve(self, posts: int, returnable: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"posts": posts}
        if returnable:
            body["returnable"] = True
        self._count("reserve")
        return self._call("POST", f"{self._path}/reservations", body).json()

    def _give_back(self, reservation: str, posts: int) -> None:
        self._count("return")
        self._call("POST", f"{self._path}/reservations/{reservation}/return", {"posts": posts})

    def _count(self, kind: str) -> None:
        with self._calls_lock:
            self.calls[kind] += 1

    @staticmethod
    def _grant(document: dict[str, Any], taken: float | None = None) -> Grant:
        reservation = document.get("reservation")
        return Grant(int(document["posts"]), int(document["used"]), document.get("left"),
                     _instant(document["at"]), document,
                     reservation["id"] if reservation else None, taken)

    def _new_block(self, posts: int) -> _Block:
        """A block of ``batch`` posts (at least ``posts``); when the budget has fewer left
        than a whole block but enough for ``posts``, a block of what is left."""
        size = max(posts, self.batch or posts)
        taken = self._clock()
        try:
            document = self._reserve(size, returnable=True)
        except BudgetSpent as spent:
            if size == posts or spent.left_now < posts:
                raise
            document = self._reserve(spent.left_now, returnable=True)
        block = _Block(self._grant(document, taken), document["reservation"]["id"],
                       int(document["posts"]), taken)
        self._block = block
        return block

    def _expired(self, block: _Block) -> bool:
        return self._clock() - block.taken >= self.hold

    def _return_locked(self) -> int:
        block, self._block = self._block, None
        if block is None or block.left == 0:
            return 0
        self._give_back(block.id, block.left)
        return block.left

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              accept: str = "application/json") -> httpx.Response:
        try:
            answer = self._http.request(method, path, json=body, headers={"Accept": accept})
        except httpx.TransportError as exc:
            raise BudgetUnavailable(f"{method} {path}: {exc or type(exc).__name__}") from exc
        if answer.status_code < 400:
            return answer
        self._refuse(answer, method, path)

    @staticmethod
    def _refuse(answer: httpx.Response, method: str, path: str) -> NoReturn:
        """Raise the error an answer of 400 or more stands for."""
        try:
            problem = answer.json()
            if not isinstance(problem, dict):
                raise ValueError
        except ValueError:
            problem = {"title": f"HTTP {answer.status_code}",
                       "detail": answer.text[:200] or answer.reason_phrase}
        if answer.status_code == 429:
            raise BudgetSpent(429, problem, _retry_after(answer, problem))
        if answer.status_code >= 500 and answer.status_code != 501:
            raise BudgetUnavailable(f"{method} {path}: HTTP {answer.status_code}: "
                                    f"{problem.get('detail') or problem.get('title')}")
        raise BudgetError(answer.status_code, problem)


@dataclass
class _Block:
    """A reserved block of posts handed out locally."""

    grant: Grant
    id: str  # the reservation's id, to return what is unused
    left: int
    taken: float  # clock() when reserved


def _check_posts(posts: int) -> None:
    if isinstance(posts, bool) or not isinstance(posts, int) or posts < 1:
        raise ValueError("posts is a whole number of at least 1")

