"""Blocks are parsed and counted in order, whether a log is one block (counted on the
reading thread) or many (on two workers), and a block that cannot be parsed stops the read
where it is counted, as its turn comes."""

from __future__ import annotations

import threading

import pytest

from calculator.ingest.pipeline import pipelined


def run(blocks: list[int]) -> tuple[list[int], set[str]]:
    counted: list[int] = []
    threads: set[str] = set()

    def parse(block: int) -> int:
        if block < 0:
            raise ValueError(f"block {block}")
        return block * 10

    def count(block: int, parsed) -> None:
        threads.add(threading.current_thread().name)
        counted.append(parsed.result() + block)

    pipelined(iter(blocks), parse, count)
    return counted, threads


@pytest.mark.parametrize("blocks", [[], [1], [1, 2], list(range(1, 40))])
def test_every_block_is_counted_once_in_order(blocks):
    counted, threads = run(blocks)
    assert counted == [11 * b for b in blocks]
    # A log of one block starts no worker: its count runs on the reading thread.
    assert (threads == {threading.current_thread().name}) == (len(blocks) == 1)


@pytest.mark.parametrize("blocks", [[-1], [1, -2, 3], [1, 2, 3, -4]])
def test_a_block_that_cannot_be_parsed_stops_the_read_in_its_turn(blocks):
    with pytest.raises(ValueError, match=f"block {min(blocks)}"):
        run(blocks)
