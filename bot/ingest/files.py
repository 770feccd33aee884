"""Getting a file's bytes: from paths, directories, stdin and gzip, as a stream (JSON is
read from it however large) or whole, never more than the cap."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from bot.ingest.detect import EXTENSIONS
from bot.models import Rejection, Skipped

MAX_FILE_BYTES = 64 * 1024 * 1024
TOO_LARGE = "file too large (over 64 MiB; a larger dump loads as JSON Lines, .jsonl)"
STREAM_BUFFER = 1 << 16
STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"


class InputError(Exception):
    """A file that cannot be read; the message is the rejection reason."""


def walk(paths: Iterable[str | Path]) -> Iterator[Path | Rejection | Skipped]:
    """Every file to read: files as given (even missing ones, so they get reported), the
    files in article formats under directories (the others Skipped), and Path("-") for
    stdin. Unlistable directories are Rejections."""
    for path in paths:
        if str(path) == STDIN:
            yield Path(STDIN)
        else:
            yield from _walk_tree(Path(path))


def _walk_tree(top: Path) -> Iterator[Path | Rejection | Skipped]:
    """Depth-first, in sorted order."""
    pending = [top]
    while pending:
        path = pending.pop()
        if not _is_dir(path):
            yield path if path == top or _is_article_file(path) else Skipped(str(path))
            continue
        try:
            children = sorted(_listing(path))
        except OSError as exc:
            yield Rejection(str(path), os_reason(exc))
            continue
        pending.extend(reversed(children))


def _is_article_file(path: Path) -> bool:
    """In a directory: article formats (and their .gz), not Markdown (READMEs are)."""
    suffix = Path(path.name.lower().removesuffix(".gz")).suffix
    return suffix in EXTENSIONS and suffix != ".md"


def _listing(directory: Path) -> list[Path]:
    """Entries without hidden names and without symlinked directories (they could loop)."""
    with os.scandir(directory) as entries:
        return [
            Path(entry.path)
            for entry in entries
            if not entry.name.startswith(".") and not (entry.is_symlink() and entry.is_dir())
        ]


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # e.g. no permission: reported when reading it fails
        return False


def open_stream(source: BinaryIO, name: str) -> tuple[BinaryIO, str]:
    """``source`` as a stream that can peek, gunzipped as it is read when it is gzip (by
    its magic bytes, whatever its name), and the name that tells its format (without
    ".gz"). A damaged gzip stream raises InputError when the damage is read."""
    buffered = source if hasattr(source, "peek") else _Peekable(source)  # type: ignore[arg-type]
    if buffered.peek(2)[:2] != GZIP_MAGIC:  # type: ignore[attr-defined]
        return buffered, name
    unpacked = io.BufferedReader(_GzipReader(buffered), STREAM_BUFFER)
    return unpacked, name[:-3] if name.lower().endswith(".gz") else name  # type: ignore[return-value]


class _Peekable(io.BufferedReader):
    """A buffered view of the caller's stream that leaves it open."""

    def close(self) -> None:
        with contextlib.suppress(ValueError):  # already let go
            self.detach()


class _GzipReader(io.RawIOBase):
    """Inflates as it is read (so a zip bomb costs only what is read), its damage an
    InputError (the rejection reason)."""

    def __init__(self, packed: BinaryIO) -> None:
        self._file = gzip.GzipFile(fileobj=packed, mode="rb")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def,override]
        try:
            return self._file.readinto(buffer)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"broken gzip file ({exc})") from None


def read_capped(stream: BinaryIO) -> bytes:
    """At most MAX_FILE_BYTES from ``stream``; reading stops one byte past the cap."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(TOO_LARGE)
    return data


def os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    return (exc.strerror or str(exc)).lower()
