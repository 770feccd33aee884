"""A TinyDB storage that writes atomically and only when told to.

TinyDB's stock JSONStorage rewrites the whole file in place on every insert: loading is
quadratic and a crash mid-write corrupts the file. This storage keeps the database in
memory, and ``flush()`` writes it once per batch to a temporary file that is fsynced and
renamed over the old one, so a reader sees either the old or the new database, never
half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

FileSignature = tuple[int, int, int]  # inode, size, mtime_ns


def file_signature(path: Path) -> FileSignature | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class AtomicJSONStorage(Storage):
    """TinyDB storage: reads once, writes on ``flush()``, atomically (temp, fsync, rename)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._data: dict[str, Any] | None = None
        self._dirty = False
        self.signature: FileSignature | None = None

    def read(self) -> dict[str, Any] | None:
        if self._data is None:
            self.reload()
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        self._dirty = True

    def reload(self) -> None:
        """Drop the in-memory copy and read the file as it is on disk now."""
        self.signature = file_signature(self.path)
        if self.signature is None or self.signature[1] == 0:
            self._data = {}
        else:
            self._data = orjson.loads(self.path.read_bytes())
        self._dirty = False

    def changed_on_disk(self) -> bool:
        return file_signature(self.path) != self.signature

    def flush(self) -> None:
        """Write the database if it changed since the last flush."""
        if not self._dirty or self._data is None:
            return
        payload = orjson.dumps(self._data)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)
        self.signature = file_signature(self.path)
        self._dirty = False

    def close(self) -> None:
        self.flush()


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
