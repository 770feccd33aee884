"""Writing files atomically (temporary file, fsync, rename) and naming a file's version.

A reader sees a file replaced this way either old or new, never half of one. Any failure
to read or write the database is raised as a ``StorageError``: one line naming the
database and the cause (full disk, read-only file system, no permission, not JSON).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

FileSignature = tuple[int, int, int]  # inode, size, mtime_ns
WRITE_BUFFER = 1 << 20


class StorageError(OSError):
    """The database file could not be read or written; ``str()`` is one line for users."""

    def __init__(self, action: str, path: Path, cause: BaseException) -> None:
        reason = _reason(cause)
        super().__init__(getattr(cause, "errno", None), reason, str(path))
        self.path = path
        self.message = f"cannot {action} the database {path}: {reason}"

    def __str__(self) -> str:
        return self.message


def _reason(cause: BaseException) -> str:
    """The cause in words, on one line: "No space left on device", not "[Errno 28] ..."."""
    if isinstance(cause, OSError) and cause.strerror:
        text = cause.strerror
    elif isinstance(cause, ValueError):
        text = f"not a valid database file ({cause})"
    else:
        text = str(cause) or type(cause).__name__
    return " ".join(text.split())


def file_signature(path: Path) -> FileSignature | None:
    try:
        return signature_of(path.stat())
    except FileNotFoundError:
        return None


def signature_of(st: os.stat_result) -> FileSignature:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def replace_file(path: Path, chunks: Iterable[bytes], mode: int) -> None:
    """Write ``chunks`` to a temporary file, fsync it and rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp's 0600 would lock out a group
        with os.fdopen(fd, "wb", buffering=WRITE_BUFFER) as out:
            out.writelines(chunks)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_named(directory: Path, name: str, body: bytes, meta: Path, named: bytes,
                  mode: int) -> None:
    """Write ``body`` as ``directory/name``, then ``named`` (which names it) over ``meta``,
    each atomically, and make both durable: a reader sees the old ``meta`` or the new one,
    and whichever it sees names a whole file. On failure the new file is deleted."""
    replace_file(directory / name, [body], mode)
    try:
        replace_file(meta, [named], mode)
    except BaseException:
        (directory / name).unlink(missing_ok=True)
        raise
    fsync_dir(directory)


def mode_of(path: Path) -> int:
    """The database's permission bits, kept across rewrites (0644 for a new file)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return 0o644


def fsync_dir(directory: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
