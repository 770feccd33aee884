"""JSON input: one object, a list of objects, or JSON Lines (one object per line).

Files that fit in PROBE_BYTES are read whole. Larger ones are streams, however large: a
JSON array item by item (ijson), JSON Lines as runs of whole lines (``Lines``) that can be
parsed apart, in worker processes, so memory stays flat; only a document that is neither
(one pretty-printed object) is read whole, within the cap.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

import ijson
import orjson

from bot.ingest.detect import is_json
from bot.ingest.files import MAX_FILE_BYTES, read_capped
from bot.ingest.normalize import build_article, type_name
from bot.models import Article, Rejection

PROBE_BYTES = 4 << 20  # larger than any one article's object (texts are capped at 1M chars)
RUN_BYTES = 4 << 20  # JSON Lines are parsed this much at a time
MAX_LINE_BYTES = MAX_FILE_BYTES  # a line may be as large as a file read whole
LINE_TOO_LONG = f"line too long (over {MAX_LINE_BYTES >> 20} MiB)"


@dataclass(frozen=True, slots=True)
class Lines:
    """Whole JSON lines of one file, the first of them line ``first``: parsed apart from
    the rest of the file (in a worker process during bulk loads)."""

    name: str
    first: int
    data: bytes

    def parse(self, now: datetime) -> list[Article | Rejection]:
        return list(_parse_lines(self.data, self.name, now, self.first))


def stream(
    source: BinaryIO, name: str, now: datetime, *, lines: bool
) -> Iterator[Article | Rejection | Lines]:
    """What ``source`` holds, read in flat memory however large: its articles, and for
    JSON Lines, runs of ``Lines`` still to parse (``Lines.parse``)."""
    probe = source.read(PROBE_BYTES)
    if len(probe) < PROBE_BYTES:  # all of it
        yield from parse(probe, name, now, lines=lines)
        return
    probe = probe.removeprefix(codecs.BOM_UTF8)
    rest = io.BufferedReader(_Rejoined(probe, source))
    body = probe.lstrip()
    first_line_ok = is_json(body.split(b"\n", 1)[0])
    if body[:1] == b"[" and not (lines and first_line_ok):
        yield from _stream_array(rest, name, now)
    elif lines or first_line_ok:
        yield from _runs(rest, name)
    else:  # one document, pretty-printed
        yield from parse(read_capped(rest), name, now, lines=False)


class _Rejoined(io.RawIOBase):
    """What was read to look at the stream, then the rest of it."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head: memoryview | None = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def,override]
        if self._head is None:
            return self._rest.readinto(buffer)  # type: ignore[attr-defined]
        size = min(len(buffer), len(self._head))
        buffer[:size] = self._head[:size]
        self._head = self._head[size:] if size < len(self._head) else None
        return size


def _runs(source: BinaryIO, name: str) -> Iterator[Lines]:
    """RUN_BYTES or so of whole lines at a time."""
    number = 1
    while data := source.read(RUN_BYTES):
        if not data.endswith(b"\n"):
            data += _rest_of_line(source)
        yield Lines(name, number, data)
        number += data.count(b"\n")


def _rest_of_line(source: BinaryIO) -> bytes:
    """The rest of the line being read, through its newline. Of a line too long to parse,
    only its first MAX_LINE_BYTES + 1 bytes (so it is rejected), the rest skipped."""
    tail = source.readline(MAX_LINE_BYTES + 1)
    if len(tail) <= MAX_LINE_BYTES or tail.endswith(b"\n"):
        return tail
    while (more := source.readline(MAX_LINE_BYTES + 1)) and not more.endswith(b"\n"):
        pass
    return tail + b"\n"


def _stream_array(source: BinaryIO, name: str, now: datetime) -> Iterator[Article | Rejection]:
    index = 0
    try:
        for value in ijson.items(source, "item", use_float=True):
            yield _record(value, f"{name}[{index}]", now)
            index += 1
    except (ijson.JSONError, UnicodeDecodeError) as exc:  # where the rest starts is lost
        yield Rejection(f"{name}[{index}]", f"invalid JSON, reading stopped: {exc}")


def parse(data: bytes, name: str, now: datetime, *, lines: bool) -> Iterator[Article | Rejection]:
    """Read ``data`` as JSON Lines when ``lines`` (the name says so) or when it is not one JSON
    document but its first line is, so that a broken line costs only that line; otherwise
    as one document. A pretty-printed document in a .jsonl file is still read whole."""
    data = data.removeprefix(codecs.BOM_UTF8)
    first_line_ok = is_json(data.lstrip().split(b"\n", 1)[0])
    if lines and first_line_ok:
        yield from _parse_lines(data, name, now)
        return
    try:
        document = _load(data)
    except ValueError as exc:
        if lines or first_line_ok:
            yield from _parse_lines(data, name, now)
        else:
            yield Rejection(name, _reason(exc))
        return
    if isinstance(document, list):
        for index, value in enumerate(document):
            yield _record(value, f"{name}[{index}]", now)
    else:
        yield _record(document, name, now)


def _parse_lines(
    data: bytes, name: str, now: datetime, first: int = 1
) -> Iterator[Article | Rejection]:
    for number, line in enumerate(io.BytesIO(data), first):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        if len(line) > MAX_LINE_BYTES:
            yield Rejection(where, LINE_TOO_LONG)
            continue
        try:
            value = _load(line)
        except ValueError as exc:
            yield Rejection(where, _reason(exc))
            continue
        yield _record(value, where, now)


def _record(value: Any, where: str, now: datetime) -> Article | Rejection:
    if not isinstance(value, dict):
        return Rejection(where, f"expected a JSON object, not {type_name(value)}")
    return build_article(value, where=where, now=now)


def _load(data: bytes) -> Any:
    """Decoded first, so bad UTF-8 is reported by byte offset. orjson limits nesting depth,
    so deeply nested input is a JSONDecodeError rather than a RecursionError."""
    return orjson.loads(data.decode("utf-8"))


def _reason(exc: ValueError) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"invalid UTF-8 at byte {exc.start}"
    return f"invalid JSON: {exc}"
