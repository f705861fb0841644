"""A large log's read leaves freed memory in the allocator's heaps; it is given back before
the log is priced, so the peak follows the pricing and not how many rows were read."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from calculator.heap import TRIM_AFTER_BYTES, release_after_read

GLIBC = ctypes.util.find_library("c") is not None and sys.platform.startswith("linux")

# Has glibc serve blocks of up to 64 MB from its heap and keep what is freed there (as it
# does after a long read, once its threshold for giving large blocks their own mappings has
# risen), fills the heap with 1 MB blocks kept apart by small live ones, frees the blocks,
# and prints the resident memory before and after the release.
CHILD = r"""
import ctypes, ctypes.util
import numpy as np
from calculator.heap import release_after_read

libc = ctypes.CDLL(ctypes.util.find_library("c"))
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
libc.mallopt(M_MMAP_THRESHOLD, 64 << 20)
libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)

def resident():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:")) * 1024

blocks, pins = [], []
for k in range(300):
    blocks.append(np.ones(1 << 20, dtype=np.uint8))
    pins.append(bytearray(4096))  # over pymalloc's 512 bytes: on the same heap
del blocks
before = resident()
asked = release_after_read(1 << 30)
print(before, resident(), asked)
"""


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's; elsewhere nothing is asked")
def test_memory_freed_by_a_large_read_goes_back_to_the_system_before_pricing():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         check=True).stdout.split()
    before, after, asked = int(out[0]), int(out[1]), out[2]
    assert asked == "True"
    assert before - after >= 200 << 20  # most of the 300 MB of freed blocks went back


def test_a_small_read_does_not_pay_for_a_trim():
    assert release_after_read(TRIM_AFTER_BYTES - 1) is False
