"""Blocks are parsed and counted in order, whether a log is one block (counted on the
reading thread) or many (on two workers), and a block that cannot be parsed stops the read
where it is counted, as its turn comes."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from calculator.ingest.pipeline import pipelined


@dataclass
class Block:
    number: int  # a negative one cannot be parsed
    nbytes: int


def run(blocks: list[int], size: int = 1) -> tuple[list[int], set[str]]:
    counted: list[int] = []
    threads: set[str] = set()

    def parse(block: Block) -> int:
        if block.number < 0:
            raise ValueError(f"block {block.number}")
        return block.number * 10

    def count(block: Block, parsed) -> None:
        threads.add(threading.current_thread().name)
        counted.append(parsed.result() + block.number)

    pipelined((Block(n, size) for n in blocks), parse, count)
    return counted, threads


@pytest.mark.parametrize("blocks", [[], [1], [1, 2], list(range(1, 40))])
@pytest.mark.parametrize("size", [1, 8 << 20])
def test_every_block_is_counted_once_in_order(blocks, size):
    counted, threads = run(blocks, size)
    assert counted == [11 * b for b in blocks]
    # A log of one small block starts no worker: its count runs on the reading thread. A
    # large first block goes to the workers at once, without waiting for a second.
    assert (threads == {threading.current_thread().name}) == (len(blocks) == 1 and size == 1)


@pytest.mark.parametrize("blocks", [[-1], [1, -2, 3], [1, 2, 3, -4]])
def test_a_block_that_cannot_be_parsed_stops_the_read_in_its_turn(blocks):
    with pytest.raises(ValueError, match=f"block {min(blocks)}"):
        run(blocks)
