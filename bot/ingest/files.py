"""Getting a file's bytes: from paths, directories, stdin and gzip, never more than the cap."""

from __future__ import annotations

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
TOO_LARGE = "file too large (over 64 MiB)"
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
            yield Rejection(str(path), _os_reason(exc))
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


def read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return read_capped(file)
    except OSError as exc:
        raise InputError(_os_reason(exc)) from None


def read_capped(stream: BinaryIO) -> bytes:
    """At most MAX_FILE_BYTES from ``stream``; reading stops one byte past the cap."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(TOO_LARGE)
    return data


def unpack(data: bytes, name: str) -> tuple[bytes, str]:
    """The content to parse, gunzipped when it is gzip (by its magic bytes, whatever its
    name), and the name that tells its format (without ".gz")."""
    if len(data) > MAX_FILE_BYTES:
        raise InputError(TOO_LARGE)
    if not data.startswith(GZIP_MAGIC):
        return data, name
    try:
        # GzipFile inflates only as much as is read, so a zip bomb stops at the cap.
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as file:
            content = read_capped(file)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"broken gzip file ({exc})") from None
    return content, name[:-3] if name.lower().endswith(".gz") else name


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    return (exc.strerror or str(exc)).lower()
