"""Which failed requests give their posts back, and how big a block is by default: the
middleware's two rules that a crawl test cannot reach in every case (decisions 0116, 0117)."""

from __future__ import annotations

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from twisted.internet import error

from calculator.scrapy_budget import default_batch, never_sent


@pytest.mark.parametrize("failure", [
    DownloadConnectionRefusedError("refused"), CannotResolveHostError("no such host"),
    error.NoRouteError(), error.ConnectionRefusedError(), error.DNSLookupError("x.com")])
def test_a_connection_never_made_shows_the_request_never_reached_the_site(failure):
    assert never_sent(failure)


@pytest.mark.parametrize("failure", [
    DownloadTimeoutError("took longer than 180 s"), error.TimeoutError(),
    DownloadFailedError("connection lost"), ResponseDataLossError("cut short"),
    error.ConnectionLost(), OSError("empty answer")])
def test_an_error_after_the_connection_may_have_carried_the_request_so_it_stays_counted(
        failure):
    assert not never_sent(failure)


def test_under_xs_limit_a_block_is_the_crawls_concurrency():
    assert default_batch(990_000, 16) == 16  # 0.002 % of the limit per block
    assert default_batch(1_000_000, 200) == 100  # never more than 0.01 % of it


def test_a_small_limit_is_not_tied_up_in_blocks():
    assert default_batch(4, 16) is None
    assert default_batch(150_000, 16) == 15
    assert default_batch(19_999, 16) is None  # a block of 1 is a reservation per request


def test_without_a_clause_in_force_a_block_is_the_crawls_concurrency():
    assert default_batch(None, 16) == 16
    assert default_batch(None, 1) is None
