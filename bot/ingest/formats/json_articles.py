"""JSON input: one object, a list of objects, or JSON Lines (one object per line)."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

from bot.ingest.detect import is_json
from bot.ingest.normalize import build_article, type_name
from bot.models import Article, Rejection


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


def _parse_lines(data: bytes, name: str, now: datetime) -> Iterator[Article | Rejection]:
    for number, line in enumerate(io.BytesIO(data), 1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
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
