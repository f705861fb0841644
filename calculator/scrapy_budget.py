"""A Scrapy downloader middleware that asks a live budget before each fetch of a post.

In a Scrapy project's ``settings.py``::

    DOWNLOADER_MIDDLEWARES = {"calculator.scrapy_budget.BudgetMiddleware": 950}
    CALCULATOR_BUDGET_URL = "https://calculator.example"
    CALCULATOR_BUDGET_NAME = "fleet"

and the API key in the environment (``CALCULATOR_BUDGET_KEY``) or in the setting of that name.
Before each request to one of the budget platform's post URLs, the middleware reserves the
posts the request will count (one for a post's page; the ids or page size an API URL names),
recognized exactly as the calculator's log readers recognize them, with the hosts the
service's own rules list for the platform. When the budget is spent it holds the request
back until the service's ``Retry-After`` (other requests go on), or closes the spider when
``CALCULATOR_BUDGET_CLOSE_SPIDER`` is set or the wait would be longer than
``CALCULATOR_BUDGET_MAX_WAIT`` seconds. An X API answer decides what it held: posts beyond
those reserved are recorded with the service; an API call whose URL names no page size
reserves ``CALCULATOR_BUDGET_UNSIZED_POSTS`` (default 1) first. Stats:
``calculator_budget/granted`` (posts), ``/deferred`` (waits), ``/deferred_seconds``,
``/not_counted`` (requests of no post of the platform), ``/recorded_after`` and ``/unused``
(posts an answer held beyond or below its reservation), ``/dropped``, ``/unavailable``.

Reservations are made in blocks (``CALCULATOR_BUDGET_BATCH`` posts, by default the crawl's
``CONCURRENT_REQUESTS`` when that is at most 0.01 % of the limit, else one reservation per
request), handed out locally and given back unused after ``CALCULATOR_BUDGET_HOLD`` seconds
(default 2). The posts of a request that failed before reaching the site (connection refused,
a name that does not resolve) are given back, and with ``CALCULATOR_BUDGET_COUNT =
"accessed"`` also those of any download error and of answers without content (not 2xx or 304).
Stats: ``/reservations`` and ``/returns`` (round trips to the service), ``/block_returned``
(a block's unused posts), ``/given_back`` (posts of requests that did not fetch them) and
``/kept_failed`` (posts of failed requests kept: the budget's reading still counts them).
See docs/decisions/0104, 0105, 0116 and 0117.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    IgnoreRequest,
    NotConfigured,
    UnsupportedURLSchemeError,
)
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import error as net
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall, deferLater
from twisted.internet.threads import deferToThread

from calculator.guard import Budget, BudgetError, BudgetSpent, BudgetUnavailable, Grant
from calculator.ingest.crawlers.requested import READINGS, RequestedPosts, answer_counts

logger = logging.getLogger(__name__)

T = TypeVar("T")

SPENT = "calculator_budget_spent"  # the spider's close reason when the budget is spent
FAILED = "calculator_budget_error"  # ... when the service refuses the budget itself
UNAVAILABLE_WAIT = 5.0  # seconds before asking again a service that did not answer
TICK = 1.0  # a waiting request looks this often whether the crawl is closing
RESERVED = "calculator_budget"  # request.meta key: the request's Reserved
DEFAULT_HOLD = 2.0  # seconds a block is handed out before its unused posts go back
# A block is at most this share of the limit by default: blocks the fleet's spiders hold at
# once take a negligible part of it (decision 0116).
BLOCK_SHARE = 10_000


@dataclass(frozen=True)
class Reserved:
    """What a request holds: its posts, and the grant they came from (None: no post)."""

    posts: int
    grant: Grant | None = None


def default_batch(limit: int | None, concurrency: int) -> int | None:
    """The block size when the crawl does not set one: as many posts as the crawl has
    requests in flight, if that is at most 0.01 % of the limit; else None (one reservation
    per request: a small limit is not tied up in blocks)."""
    size = concurrency if limit is None else min(concurrency, limit // BLOCK_SHARE)
    return size if size >= 2 else None


# Download errors that show no request reached the site: the connection was never made.
# Scrapy wraps Twisted's errors in its own; errors it leaves unwrapped (no route to the
# host...) are Twisted's connection errors, bar the timeout, which may come after sending.
NEVER_SENT = (DownloadConnectionRefusedError, CannotResolveHostError,
              UnsupportedURLSchemeError, net.DNSLookupError)


def never_sent(failure: BaseException) -> bool:
    """Whether a download error shows that the request never reached the site (refused,
    no route, a name that does not resolve). A timeout, or a connection lost or a download
    failed later, may have carried the request: its posts stay counted (decision 0116)."""
    return isinstance(failure, NEVER_SENT) or (
        isinstance(failure, net.ConnectError) and not isinstance(failure, net.TimeoutError))


def _setting(settings: Any, name: str, kind: type, default: float,
             fits: Callable[[float], bool], expected: str) -> float:
    """A numeric setting, refused in words naming it when it is not ``expected`` (Scrapy's
    own getters raised a bare "invalid literal for int()" that named no setting, and a
    negative wait was taken as it was)."""
    raw = settings.get(name)
    try:
        value = (settings.getint if kind is int else settings.getfloat)(name, default)
    except (TypeError, ValueError):
        value = None
    if value is None or not math.isfinite(value) or not fits(value):
        raise ValueError(f"{name} is {expected}, not {raw!r}")
    return value


class BudgetMiddleware:
    """Reserves posts with a calculator service's live budget before they are fetched."""

    def __init__(self, crawler: Crawler, budget: Budget, posts: RequestedPosts, *,
                 close_spider: bool = False, max_wait: float | None = None,
                 unsized: int = 1, reading: str = "requested") -> None:
        self.crawler = crawler
        self.budget = budget
        self.posts = posts
        self.unsized = unsized
        self.reading = reading
        self.expiry: LoopingCall | None = None
        self.close_spider = close_spider
        self.max_wait = max_wait
        self.stats = crawler.stats
        self.closing = False
        # Seconds from asking to the answer of a granted request, the longest seen: a wait
        # ends this much later, so that posts fetched (and logged) late in one window never
        # share a window of the crawl's own log with posts granted at its end (0105).
        self.lag = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BudgetMiddleware:
        settings = crawler.settings
        if not settings.getbool("CALCULATOR_BUDGET_ENABLED", True):
            raise NotConfigured("CALCULATOR_BUDGET_ENABLED is off")
        url, name = settings.get("CALCULATOR_BUDGET_URL"), settings.get("CALCULATOR_BUDGET_NAME")
        missing = [s for s, v in (("CALCULATOR_BUDGET_URL", url),
                                  ("CALCULATOR_BUDGET_NAME", name)) if not v]
        if missing:
            # Listed but not told where to ask: crawling unguarded would be the silent choice.
            raise ValueError(f"{' and '.join(missing)} must be set for the calculator's "
                             "budget middleware (or CALCULATOR_BUDGET_ENABLED = False)")
        key = settings.get("CALCULATOR_BUDGET_KEY") or os.environ.get("CALCULATOR_BUDGET_KEY")
        max_wait = _setting(settings, "CALCULATOR_BUDGET_MAX_WAIT", float, 0,
                            lambda v: v >= 0, "a number of seconds, 0 or more") or None
        unsized = int(_setting(settings, "CALCULATOR_BUDGET_UNSIZED_POSTS", int, 1,
                               lambda v: v >= 0, "a whole number of posts, 0 or more"))
        hold = _setting(settings, "CALCULATOR_BUDGET_HOLD", float, DEFAULT_HOLD,
                        lambda v: v > 0, "a number of seconds above 0")
        reading = settings.get("CALCULATOR_BUDGET_COUNT") or "requested"
        if reading not in READINGS:
            raise ValueError(f"CALCULATOR_BUDGET_COUNT is one of {', '.join(READINGS)}, "
                             f"not {reading!r}")
        batch = None if settings.get("CALCULATOR_BUDGET_BATCH") is None else int(_setting(
            settings, "CALCULATOR_BUDGET_BATCH", int, 0, lambda v: v >= 0,
            "a whole number of posts, 0 or more (0 or 1: one reservation per request)"))
        posts, limit = recognition(url, Budget(url, name, key))
        size = (default_batch(limit, settings.getint("CONCURRENT_REQUESTS", 16))
                if batch is None else batch)
        budget = Budget(url, name, key, batch=size if size and size > 1 else None, hold=hold)
        middleware = cls(crawler, budget, posts, max_wait=max_wait, unsized=unsized,
                         reading=reading,
                         close_spider=settings.getbool("CALCULATOR_BUDGET_CLOSE_SPIDER"))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    async def process_request(self, request: Request) -> None:
        posts = self.posts.count(request.url)
        if posts == 0 and self.posts.reads_answer(request.url):
            # An API call whose URL names no id and no page size: only its answer will say
            # how many posts it held (process_response records them); reserving some first
            # keeps it from being fetched while the budget is spent.
            posts = self.unsized
        if posts == 0:
            self.stats.inc_value("calculator_budget/not_counted")
            request.meta[RESERVED] = Reserved(0)  # seen on its way to the site
            return
        while not self.closing:
            try:
                # Returnable, so that a request that fails can give its posts back.
                grant = await self.ask(self.budget.reserve, posts, True)
            except BudgetSpent as spent:
                await self.wait(request, spent)
                continue
            except BudgetUnavailable as down:
                self.stats.inc_value("calculator_budget/unavailable")
                logger.warning("calculator budget %r: %s; nothing is fetched until it "
                               "answers (asking again in %.0f s)", self.budget.name, down,
                               UNAVAILABLE_WAIT)
                await self.sleep(UNAVAILABLE_WAIT)
                continue
            except BudgetError as refused:
                self.refused(request, refused)
            self.stats.inc_value("calculator_budget/granted", posts)
            request.meta[RESERVED] = Reserved(posts, grant)
            return
        self.drop(request, "the spider is closing")

    async def process_response(self, request: Request, response: Response) -> Response:
        held = request.meta.get(RESERVED)
        if not isinstance(held, Reserved) or "cached" in response.flags:
            return response  # answered by a middleware before this one (the HTTP cache)
        reserved = held.posts
        if held.grant is not None and held.grant.taken is not None:
            # From the grant (a block's: when the block was asked) to the answer.
            self.lag = max(self.lag, time.monotonic() - held.grant.taken)
        if reserved and not answer_counts(self.reading, response.status):
            # An answer the budget's reading does not count (decision 0116).
            await self.give_back(request, held, f"answered {response.status}")
            return response
        if reserved and response.status >= 400:
            self.stats.inc_value("calculator_budget/kept_failed", reserved)
            return response  # requested all the same: it stays counted
        if self.posts.reads_answer(request.url):
            # The answer decides what an API call counts (decision 0011): posts beyond those
            # reserved are recorded as fetched; fewer are counted as reserved all the same.
            held = self.posts.count_answer(request.url, response.body)
            if held > reserved:
                await self.record(held - reserved, request)
            elif held < reserved:
                self.stats.inc_value("calculator_budget/unused", reserved - held)
        return response

    async def process_exception(self, request: Request, exception: BaseException) -> None:
        """A download error: no answer came. Posts of a request that never reached the site
        go back to the budget; under the accessed reading, those of any download error."""
        held = request.meta.get(RESERVED)
        if not isinstance(held, Reserved) or held.grant is None or held.posts == 0:
            return
        request.meta[RESERVED] = Reserved(0)  # handled once, whatever retries it
        if self.reading == "accessed" or never_sent(exception):
            await self.give_back(request, held, type(exception).__name__)
        else:
            self.stats.inc_value("calculator_budget/kept_failed", held.posts)

    async def give_back(self, request: Request, held: Reserved, why: str) -> None:
        """Give a failed request's posts back: to its block, or to the service."""
        assert held.grant is not None
        request.meta[RESERVED] = Reserved(0)
        try:
            await self.ask(self.budget.release, held.grant)
        except (BudgetError, ValueError) as error:  # ValueError: granted not returnable
            # Kept: more counted than fetched is the safe side.
            self.stats.inc_value("calculator_budget/kept_failed", held.posts)
            logger.warning("calculator budget %r: %s (%s) could not give back its %d posts: "
                           "%s", self.budget.name, request, why, held.posts, error)
            return
        self.stats.inc_value("calculator_budget/given_back", held.posts)
        logger.debug("calculator budget %r: %s (%s) gave back its %d posts", self.budget.name,
                     request, why, held.posts)

    async def ask(self, call: Callable[..., T], *args: Any) -> T:
        """A call to the service, off the reactor; its round trips counted in the stats."""
        try:
            return await in_thread(call, *args)
        finally:
            self.note_calls()

    def note_calls(self) -> None:
        calls = self.budget.calls
        self.stats.set_value("calculator_budget/reservations", calls["reserve"])
        if calls["return"]:
            self.stats.set_value("calculator_budget/returns", calls["return"])

    async def record(self, posts: int, request: Request) -> None:
        """Tell the service about posts an answer held beyond those reserved for it."""
        try:
            usage = await self.ask(self.budget.record_usage, posts)
        except BudgetError as error:
            self.stats.inc_value("calculator_budget/unrecorded", posts)
            logger.error("calculator budget %r: %s held %d posts more than reserved, and "
                         "they could not be recorded: %s", self.budget.name, request, posts,
                         error)
            return
        self.stats.inc_value("calculator_budget/recorded_after", posts)
        if usage.over_limit:
            logger.warning("calculator budget %r: %s held %d posts more than reserved; with "
                           "them the budget is over its limit by %d posts (over the "
                           "clause's threshold by %d)", self.budget.name, request, posts,
                           usage.over_by, usage.over_threshold_by)

    async def wait(self, request: Request, spent: BudgetSpent) -> None:
        """Hold a request back until its posts fit, or close the spider if told to."""
        seconds = spent.retry_after + math.ceil(self.lag) + 1
        if self.close_spider or (self.max_wait is not None and seconds > self.max_wait):
            why = f"the budget {self.budget.name!r} is spent: {spent}"
            if not self.close_spider:
                why += (f"; waiting {seconds:,.0f} s would be longer than "
                        f"CALCULATOR_BUDGET_MAX_WAIT ({self.max_wait:,.0f} s)")
            self.close(SPENT, why)
            self.drop(request, "the budget is spent and the spider closes")
        self.stats.inc_value("calculator_budget/deferred")
        self.stats.inc_value("calculator_budget/deferred_seconds", round(seconds, 3))
        logger.debug("calculator budget %r spent: %s is held back %.0f s", self.budget.name,
                     request, seconds)
        await self.sleep(seconds)

    def refused(self, request: Request, refused: BudgetError) -> NoReturn:
        """A refusal other than a spent budget: waiting cannot help."""
        if refused.status == 422:  # more posts in one request than the whole limit
            self.drop(request, str(refused))
        self.close(FAILED, f"the service refused the budget {self.budget.name!r}: {refused}")
        self.drop(request, "the budget service refused the budget")

    def drop(self, request: Request, why: str) -> NoReturn:
        self.stats.inc_value("calculator_budget/dropped")
        logger.warning("calculator budget %r: not fetching %s: %s", self.budget.name,
                       request, why)
        raise IgnoreRequest(why)

    def close(self, reason: str, why: str) -> None:
        if self.closing:
            return
        self.closing = True
        logger.error("calculator budget: closing the spider: %s", why)
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))

    async def sleep(self, seconds: float) -> None:
        """Sleep without holding the reactor, waking early when the crawl closes."""
        end = time.monotonic() + seconds
        engine = self.crawler.engine
        while not self.closing and (engine is None or engine.running):
            left = end - time.monotonic()
            if left <= 0:
                return
            await maybe_deferred_to_future(deferLater(reactor, min(left, TICK), lambda: None))
        self.closing = True

    def spider_opened(self, spider: Spider) -> None:
        if self.budget.batch is not None:
            self.expiry = LoopingCall(self.expire)
            self.expiry.start(min(TICK, self.budget.hold), now=False)

    def expire(self) -> Deferred:
        """Give back a block nobody has drawn on for ``hold`` seconds."""
        asked = deferToThread(self.budget.give_back_expired)
        asked.addCallbacks(self.block_returned,
                           lambda failure: self.not_returned(failure.getErrorMessage()))
        return asked

    def block_returned(self, posts: int) -> None:
        self.note_calls()
        if posts:
            self.stats.inc_value("calculator_budget/block_returned", posts)

    def not_returned(self, why: str) -> None:
        # Kept until the next try: the service has them counted, the safe side.
        logger.warning("calculator budget %r: an unused block could not be given back: %s",
                       self.budget.name, why)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.closing = True
        if self.expiry is not None and self.expiry.running:
            self.expiry.stop()
        try:
            self.block_returned(self.budget.give_back())
        except BudgetError as error:
            self.not_returned(str(error))
        finally:
            self.budget.close()


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run a blocking call (the budget client's HTTP) off the reactor thread."""
    return await maybe_deferred_to_future(deferToThread(function, *args))


def recognition(url: str, budget: Budget) -> tuple[RequestedPosts, int | None]:
    """The budget's platform and that platform's hosts, as the service's rules list them,
    and the budget's limit now (None: no clause in force). ``budget`` is closed after.

    Asked once, when the crawl starts: a wrong URL, name or key stops the crawl here with the
    service's own words, before any request is made."""
    try:
        shown = budget.show()
        platform = shown["platform"]
        document = budget.platform(platform)
    except BudgetError as error:
        raise RuntimeError(f"calculator budget {budget.name!r} at {url}: {error}") from error
    finally:
        budget.close()
    posts = RequestedPosts.from_platform_document(document)
    if not posts.recognizes_posts:
        logger.warning("calculator budget %r is for %s, whose posts the calculator does not "
                       "recognize in URLs: no request will reserve anything", budget.name,
                       platform)
    limit = shown.get("limit")
    return posts, int(limit["posts"]) if limit else None
