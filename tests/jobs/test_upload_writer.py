"""An upload is written on a thread of its own while the next block is read: the same bytes
and sha256 as received, a full disk is said as such (never a hang), the limit still holds."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from calculator.errors import InputTooLarge
from calculator.jobs.uploads import BLOCK, Uploads, _Writer


def body(blocks: float) -> bytes:
    return os.urandom(int(BLOCK * blocks))


@pytest.mark.parametrize("blocks", [0, 0.5, 1, 7.3])
def test_the_kept_upload_is_every_byte_received_with_its_sha256(tmp_path, blocks):
    data = body(blocks)
    kept = Uploads(tmp_path / "jobs").spool(io.BytesIO(data), "j-0.log", None)
    assert Path(kept.location).read_bytes() == data
    assert (kept.size, kept.sha256) == (len(data), hashlib.sha256(data).hexdigest())


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_full_disk_is_raised_to_the_reader_without_hanging_it():
    with open("/dev/full", "wb", buffering=0) as full, \
            pytest.raises(OSError) as raised, _Writer(full) as writer:
        for _ in range(_Writer.DEPTH * 10):  # far more blocks than may wait
            writer.put(b"x" * BLOCK)
    assert raised.value.errno == 28  # ENOSPC


def test_past_the_limit_the_partial_copy_is_removed(tmp_path):
    uploads = Uploads(tmp_path / "jobs")
    with pytest.raises(InputTooLarge):
        uploads.spool(io.BytesIO(body(3)), "j-0.log", BLOCK * 2)
    assert list((tmp_path / "jobs").iterdir()) == []
