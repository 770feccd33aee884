"""TinyDB's JSON file read as a stream: one table's documents handed over one at a time.

Parsing a 1 GB database whole holds the file's bytes and every parsed text at once (4 GB
at 100,000 articles); ijson's C parser reads it in 3 s holding one document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import ijson

Event = tuple[str, Any]


def read_tables(
    file: BinaryIO, streamed: str, keep: Callable[[str, dict], dict]
) -> dict[str, Any]:
    """Every table of the database in ``file``; each document of table ``streamed`` is
    passed to ``keep`` as it is read, and what ``keep`` returns is held instead.
    Raises ValueError for anything but a JSON object of tables."""
    events = ijson.basic_parse(file, use_float=True, buf_size=1 << 20)
    try:
        tables = _tables(events, streamed, keep)
        if next(events, None) is not None:
            raise ValueError("data after the database object")
    except ijson.JSONError as exc:
        raise ValueError(_first_line(exc)) from None
    return tables


def _first_line(error: Exception) -> str:
    """yajl's message, without the lines drawing where the error is (sometimes bytes)."""
    message = error.args[0] if error.args else ""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    lines = str(message).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _tables(
    events: Iterator[Event], streamed: str, keep: Callable[[str, dict], dict]
) -> dict[str, Any]:
    if next(events, None) != ("start_map", None):
        raise ValueError("expected a JSON object")
    tables: dict[str, Any] = {}
    for event, name in events:
        if event == "end_map":
            return tables
        if name != streamed:
            tables[name] = _value(events)
            continue
        if next(events) != ("start_map", None):
            raise ValueError(f"table {name!r} is not a JSON object")
        docs = tables[name] = {}
        for event, doc_id in events:
            if event == "end_map":
                break
            doc = _value(events)
            if not isinstance(doc, dict):
                raise ValueError(f"document {doc_id} of {name!r} is not a JSON object")
            docs[doc_id] = keep(doc_id, doc)
    raise ValueError("the database object is not closed")


def _value(events: Iterator[Event]) -> Any:
    """The next JSON value, built from its events."""
    builder = ijson.ObjectBuilder()
    depth = 0
    for event, value in events:
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
        if depth == 0:
            return builder.value
    raise ValueError("the database ends inside a value")
