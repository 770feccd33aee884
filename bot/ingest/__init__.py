"""Article ingestion: files in any supported format in, Articles and Rejections out.

Bad input never raises: every problem is a Rejection saying where (file, "file:line",
"file[index]" or "file entry N") and why, and the next line, item or file is read.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

from bot.ingest.decoding import is_binary
from bot.ingest.detect import Format, detect_format
from bot.ingest.files import (
    MAX_FILE_BYTES,
    STDIN,
    InputError,
    read_capped,
    read_file,
    unpack,
    walk,
)
from bot.ingest.normalize import quote
from bot.models import Article, Rejection, Skipped

__all__ = [
    "MAX_FILE_BYTES", "STDIN", "Item", "iter_paths", "parse_bytes", "parse_path",
    "walk",
]

Item = Article | Rejection | Skipped
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
    now = now or datetime.now(UTC)
    try:
        content, inner_name = unpack(data, name)
    except InputError as exc:
        yield Rejection(name, str(exc))
        return
    if is_binary(content):
        yield Rejection(name, BINARY)
        return
    try:
        parser = parser_for(detect_format(content, inner_name))
    except ParserUnavailable as exc:
        yield Rejection(name, str(exc))
        return
    try:
        yield from parser(content, name, now)
    except Exception as exc:  # a third-party parser failing on hostile input ends this file only
        yield Rejection(name, f"could not parse: {quote(exc, limit=200)}")


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
    is_stdin = str(path) == STDIN
    name = STDIN_NAME if is_stdin else str(path)
    try:
        data = read_capped(stdin or sys.stdin.buffer) if is_stdin else read_file(path)
    except InputError as exc:
        yield Rejection(name, str(exc))
        return
    yield from parse_bytes(data, name, now=now)
