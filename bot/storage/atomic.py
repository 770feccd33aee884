"""A TinyDB storage that writes atomically and only when told to.

TinyDB's stock JSONStorage rewrites the whole file in place on every insert: loading is
quadratic and a crash mid-write corrupts the file. This storage keeps the database in
memory, and ``flush()`` writes it once per batch to a temporary file that is fsynced and
renamed over the old one, so a reader sees either the old or the new database, never
half of one.

The documents of one table (the articles) may be held without their text, which then
lives in a blob (the snapshot's, bot/storage/snapshot.py): ``flush()`` writes the file a
document at a time, reading each such text from there. So a write to a 100,000-article
database holds neither every text (2 GB as Python strings) nor the file as one string.

Any failure to read or write the file is raised as a ``StorageError``: one line naming the
database and the cause (full disk, read-only file system, no permission, not JSON).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from bot.storage.documents import TEXT, BlobTexts, without_text

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


class AtomicJSONStorage(Storage):
    """TinyDB storage: reads once, writes on ``flush()``, atomically (temp, fsync, rename).
    A document of ``detached_table`` without a text has it in ``texts``."""

    def __init__(self, path: str | os.PathLike[str], detached_table: str) -> None:
        self.path = Path(path)
        self.detached_table = detached_table
        self._data: dict[str, Any] | None = None
        self._dirty = False
        self.signature: FileSignature | None = None
        self.texts: BlobTexts | None = None

    def read(self) -> dict[str, Any] | None:
        if self._data is None:
            self.reload()
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        self._dirty = True

    def reload(self) -> None:
        """Drop the in-memory copy and read the file as it is on disk now."""
        try:
            signature, data = self._read_file()
        except FileNotFoundError:
            signature, data = None, {}
        except (OSError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
            raise StorageError("read", self.path, exc) from exc
        self.adopt(data, signature)

    def adopt(
        self,
        data: dict[str, Any],
        signature: FileSignature | None,
        texts: BlobTexts | None = None,
    ) -> None:
        """Take ``data`` as the content of the file with ``signature`` (read some other
        way, its detached texts in ``texts``)."""
        self.signature, self._data, self._dirty, self.texts = signature, data, False, texts

    def detach(self, texts: BlobTexts) -> None:
        """``texts`` now holds the detached table's texts: drop the copies held in memory.
        Documents are replaced, not changed: articles built from them stay valid."""
        self.texts = texts
        docs = (self._data or {}).get(self.detached_table, {})
        for doc_id, doc in docs.items():
            if TEXT in doc and texts.holds(doc_id):
                docs[doc_id] = without_text(doc)

    def _read_file(self) -> tuple[FileSignature, dict[str, Any]]:
        """The file's content and the signature of exactly the file read (a rename
        meanwhile cannot pair one file's signature with another's content)."""
        with self.path.open("rb") as file:
            signature = signature_of(os.fstat(file.fileno()))
            data = orjson.loads(file.read()) if signature[1] else {}
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, not {type(data).__name__}")
        return signature, data

    def changed_on_disk(self) -> bool:
        return file_signature(self.path) != self.signature

    def flush(self) -> None:
        """Write the database if it changed since the last flush.

        On failure the file on disk is untouched (no temporary file is left behind) and
        ``StorageError`` is raised; the unwritten change stays in memory until ``reload()``.
        """
        if not self._dirty or self._data is None:
            return
        try:
            replace_file(self.path, self._json(self._data), mode_of(self.path))
            fsync_dir(self.path.parent)
        except OSError as exc:
            raise StorageError("write", self.path, exc) from exc
        self.signature = file_signature(self.path)
        self._dirty = False

    def _json(self, data: dict[str, Any]) -> Iterator[bytes]:
        """``data`` as TinyDB's JSON, a document at a time, detached texts filled in."""
        yield b"{"
        for number, (name, docs) in enumerate(data.items()):
            yield b"%s%s:{" % (b"," if number else b"", orjson.dumps(name))
            detached = name == self.detached_table
            for count, (doc_id, doc) in enumerate(docs.items()):
                encoded = orjson.dumps(doc)
                if detached and TEXT not in doc:  # '{...}' becomes '{...,"text":"..."}'
                    text = self.texts.json(doc_id)  # type: ignore[union-attr]
                    comma = b"," if doc else b""
                    encoded = b'%s%s"%s":%s}' % (encoded[:-1], comma, TEXT.encode(), text)
                yield b"%s%s:%s" % (b"," if count else b"", orjson.dumps(doc_id), encoded)
            yield b"}"
        yield b"}"

    def close(self) -> None:
        self.flush()


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
