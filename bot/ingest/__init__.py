"""Article ingestion: files in any supported format in, Articles and Rejections out.

Bad input never raises: every problem is a Rejection saying where (file, "file:line",
"file[index]" or "file entry N") and why, and the next line, item or file is read.
JSON (arrays and JSON Lines) is read as a stream, however large; the other formats are
parsed whole, within the cap.
"""

from __future__ import annotations

import importlib
import io
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, Protocol

from bot.ingest.decoding import is_binary
from bot.ingest.detect import SNIFF_BYTES, Format, detect_format
from bot.ingest.files import (
    MAX_FILE_BYTES,
    STDIN,
    InputError,
    open_stream,
    os_reason,
    read_capped,
    walk,
)
from bot.ingest.normalize import quote
from bot.models import Article, Rejection, Skipped

__all__ = [
    "MAX_FILE_BYTES", "STDIN", "Item", "Piece", "iter_paths", "parse_bytes", "parse_path",
    "read_path", "walk",
]

Item = Article | Rejection | Skipped


class Run(Protocol):
    """Part of a file still to parse, on its own (json_articles.Lines): in a worker."""

    def parse(self, now: datetime) -> list[Article | Rejection]: ...


Piece = Item | Run  # what a stream is read into
STDIN_NAME = "<stdin>"
BINARY = "binary file, not an article format"

Parser = Callable[[bytes, str, datetime], Iterator[Item]]
# Each format's module and the options of its parse(), imported when the format is first
# met: a broken optional dependency (trafilatura, feedparser) costs only its own format.
_PARSERS: dict[Format, tuple[str, dict[str, Any]]] = {
    Format.JSON: ("bot.ingest.formats.json_articles", {"lines": False}),
    Format.JSONL: ("bot.ingest.formats.json_articles", {"lines": True}),
    Format.FEED: ("bot.ingest.formats.feed", {}),
    Format.HTML: ("bot.ingest.formats.html", {}),
    Format.TEXT: ("bot.ingest.formats.plaintext", {}),
}
STREAMED = {Format.JSON, Format.JSONL}  # their modules' stream() reads any size


class ParserUnavailable(Exception):
    """A format's parser cannot be imported; the message is the rejection reason."""


def module_for(fmt: Format) -> ModuleType:
    """The module reading ``fmt``; ParserUnavailable when it cannot be imported."""
    try:
        return importlib.import_module(_PARSERS[fmt][0])
    except ImportError as exc:
        raise ParserUnavailable(
            f"{fmt} files cannot be read: {quote(str(exc), limit=120)} "
            "(reinstall newsbot: pip install -c requirements.lock .)"
        ) from None


def parser_for(fmt: Format) -> Parser:
    """The parse function of ``fmt``; ParserUnavailable when its module cannot import."""
    return partial(module_for(fmt).parse, **_PARSERS[fmt][1])


def parse_bytes(data: bytes, name: str, *, now: datetime | None = None) -> Iterator[Item]:
    """The articles in one file's bytes; ``name`` gives the extension and the ``where``."""
    return _items(read_stream(io.BytesIO(data), name, now or datetime.now(UTC)), now)


def iter_paths(
    paths: Iterable[str | Path],
    *,
    stdin: BinaryIO | None = None,
    now: datetime | None = None,
) -> Iterator[Item]:
    """The articles in files and directories (recursively, sorted, hidden names skipped);
    "-" reads ``stdin`` (default: the process's stdin)."""
    now = now or datetime.now(UTC)
    for path in walk(paths):
        if isinstance(path, Rejection | Skipped):
            yield path
        else:
            yield from parse_path(path, now, stdin)


def parse_path(path: Path, now: datetime, stdin: BinaryIO | None = None) -> Iterator[Item]:
    """The articles in one file, or in ``stdin`` for "-"."""
    return _items(read_path(path, now, stdin), now)


def read_path(path: Path, now: datetime, stdin: BinaryIO | None = None) -> Iterator[Piece]:
    """``read_stream`` of one file, or of ``stdin`` for "-"."""
    if str(path) == STDIN:
        yield from read_stream(stdin or sys.stdin.buffer, STDIN_NAME, now)
        return
    try:
        file = path.open("rb")
    except OSError as exc:
        yield Rejection(str(path), os_reason(exc))
        return
    with file:
        yield from read_stream(file, str(path), now)


def read_stream(source: BinaryIO, name: str, now: datetime) -> Iterator[Piece]:
    """The articles in one stream (gunzipped if need be), and runs of JSON lines still to
    parse (``items_of``); only formats parsed whole are read whole."""
    try:
        stream, inner_name = open_stream(source, name)
        head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]  # type: ignore[attr-defined]
        fmt = detect_format(head, inner_name)
        if is_binary(head):
            yield Rejection(name, BINARY)
        elif fmt in STREAMED:
            yield from module_for(fmt).stream(stream, name, now, lines=fmt is Format.JSONL)
        else:
            yield from _parse_whole(read_capped(stream), name, inner_name, now)
    except (InputError, ParserUnavailable) as exc:
        yield Rejection(name, str(exc))
    except OSError as exc:
        yield Rejection(name, os_reason(exc))
    except Exception as exc:  # a third-party parser failing on hostile input ends this file only
        yield Rejection(name, f"could not parse: {quote(exc, limit=200)}")


def _parse_whole(content: bytes, name: str, inner_name: str, now: datetime) -> Iterator[Item]:
    if is_binary(content):
        yield Rejection(name, BINARY)
    else:
        yield from parser_for(detect_format(content, inner_name))(content, name, now)


def items_of(piece: Piece, now: datetime) -> Iterable[Item]:
    """A piece's articles: the piece itself, or its lines parsed."""
    return (piece,) if isinstance(piece, Article | Rejection | Skipped) else piece.parse(now)


def _items(pieces: Iterable[Piece], now: datetime | None) -> Iterator[Item]:
    now = now or datetime.now(UTC)
    for piece in pieces:
        yield from items_of(piece, now)
