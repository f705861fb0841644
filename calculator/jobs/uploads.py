"""Where a job's upload waits for its worker: a folder on disk, or object storage.

The body is copied from the request in blocks as it arrives (never held whole in memory),
hashed as it is copied, and refused past the job limit. The folder is the instance's
``jobs/`` by default, private to the service's user; for workers on several hosts it is an
fsspec URL they all reach (``s3://bucket/calculator-jobs``; credentials from the usual
environment) or a shared filesystem. An upload is deleted once its job ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from calculator.errors import InputTooLarge, StorageUnavailable
from calculator.ingest.object_storage import filesystem
from calculator.storage.engine import FILE_MODE, private_folder

BLOCK = 1 << 20  # bytes copied at a time: the memory an upload takes, whatever its size


@dataclass(frozen=True)
class Spooled:
    """One upload, kept: where, how many bytes, and their sha256 (as received)."""

    location: str
    size: int
    sha256: str


class Uploads:
    """The uploads folder (a local path or an fsspec URL)."""

    def __init__(self, location: str | os.PathLike[str]) -> None:
        self.location = os.fspath(location).rstrip("/")
        self.local = "://" not in self.location or self.location.startswith("file://")

    def _fs(self) -> Any:
        return filesystem(self.location)[0]

    def path(self, name: str) -> str:
        return f"{self.location}/{name}"

    def spool(self, stream: BinaryIO, name: str, limit: int | None) -> Spooled:
        """Copy ``stream`` to ``name`` in the folder; ``InputTooLarge`` past ``limit``
        bytes (the partial copy is removed)."""
        target = self.path(name)
        size = 0
        try:
            with self._open_for_writing(target) as out, _Writer(out) as writer:
                while block := stream.read(BLOCK):
                    size += len(block)
                    if limit is not None and size > limit:
                        raise InputTooLarge(
                            f"the log is larger than the limit of {limit:,} bytes "
                            f"({limit / 2**30:,.1f} GiB) for a job; split it by period and "
                            "send the parts", limit=limit)
                    writer.put(block)
        except BaseException as exc:
            delete_upload(target)
            if isinstance(exc, OSError):
                raise StorageUnavailable(f"the upload could not be kept for its job "
                                         f"({exc.strerror or type(exc).__name__}); try "
                                         "again later") from None
            raise
        return Spooled(target, size, writer.digest.hexdigest())

    @contextlib.contextmanager
    def _open_for_writing(self, target: str) -> Any:
        if self.local:
            path = Path(target.removeprefix("file://"))
            private_folder(path.parent)
            # The upload is the user's log: readable by the service's user alone.
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
            with os.fdopen(descriptor, "wb") as out:
                yield out
            return
        with self._fs().open(target, "wb") as out:
            yield out


class _Writer:
    """Hashes and writes the blocks of an upload on a thread of its own, so that the disk
    (or object storage) works while the next block comes off the socket: both release the
    interpreter's lock, and one core reads while the other writes. At most ``DEPTH`` blocks
    wait between them (the memory an upload takes stays a few blocks). An error of the
    writing is raised in the reading thread, at its next block or at the end."""

    DEPTH = 4

    def __init__(self, out: Any) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.error: BaseException | None = None
        self._blocks: queue.Queue[bytes | None] = queue.Queue(self.DEPTH)
        self._thread = threading.Thread(target=self._run, name="upload-writer", daemon=True)

    def __enter__(self) -> _Writer:
        self._thread.start()
        return self

    def put(self, block: bytes) -> None:
        if self.error is not None:
            raise self.error
        self._blocks.put(block)

    def _run(self) -> None:
        while (block := self._blocks.get()) is not None:
            if self.error is not None:
                continue  # drained, so that the reading thread never waits on a full queue
            try:
                self.digest.update(block)
                self.out.write(block)
            except BaseException as exc:
                self.error = exc

    def __exit__(self, kind: object, *exc: object) -> None:
        self._blocks.put(None)
        self._thread.join()
        if kind is None and self.error is not None:
            raise self.error


class Chained:
    """Reads a held beginning to its end, then the rest of the stream it was read from."""

    def __init__(self, held: BinaryIO, rest: BinaryIO) -> None:
        self.held: BinaryIO | None = held
        self.rest = rest
        self._spool = held

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return (self.held.read() if self.held else b"") + self.rest.read()
        if self.held is not None:
            if block := self.held.read(size):
                return block
            self.held = None
        return self.rest.read(size)

    def close(self) -> None:
        self._spool.close()


def hold(stream: BinaryIO, limit: int) -> tuple[BinaryIO, int, bool]:
    """Read ``stream`` as it arrives, up to ``limit`` bytes and one more, into a spool (in
    memory up to a block, then an unnamed temporary file); (what reads the whole stream
    again from its start, bytes held, whether it goes on past ``limit``). A body whose length
    is not said (chunked) is measured so, without holding more than ``limit`` of it."""
    spool = tempfile.SpooledTemporaryFile(max_size=BLOCK)  # noqa: SIM115 - the caller's
    size = 0
    try:
        while size <= limit and (block := stream.read(min(BLOCK, limit + 1 - size))):
            spool.write(block)
            size += len(block)
        spool.seek(0)
    except BaseException as exc:
        spool.close()
        if isinstance(exc, OSError):
            raise StorageUnavailable(f"the upload could not be held while it was measured "
                                     f"({exc.strerror or type(exc).__name__}); try again "
                                     "later") from None
        raise
    if size <= limit:
        return spool, size, False  # type: ignore[return-value]
    return Chained(spool, stream), size, True  # type: ignore[arg-type, return-value]


def open_upload(location: str) -> BinaryIO:
    """An upload for reading, in blocks."""
    if "://" not in location:
        return open(location, "rb")
    store, path = filesystem(location)
    return store.open(path, "rb")


def delete_upload(location: str) -> None:
    """Remove an upload; one already gone is fine (a job's end may be seen twice)."""
    try:
        if "://" not in location:
            os.unlink(location)
            return
        store, path = filesystem(location)
        store.rm(path)
    except FileNotFoundError:
        pass
