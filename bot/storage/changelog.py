"""The database's changes since its JSON file was last written, appended to a log beside it.

Rewriting a 1 GB TinyDB file to add one article wrote 1.8 GB at 100,000 articles. Instead
a write appends one record (the documents it adds, replaces or removes, and their texts)
and fsyncs it; the storage rewrites the JSON file only when the log has grown as large as
it (bot/storage/atomic.py), then starts a fresh log.

A log names the JSON file it continues in its first record: a generation, a random name
that each rewrite of the file stores in it (table ``_log``), so a log left over from before
a rewrite (a crash between the rename of the new file and the log's replacement) is
ignored, as that file already holds its changes, while a copy of both files elsewhere (a
backup) still reads whole.
Each record carries its length and a CRC-32; a torn last record (a writer killed while
appending) ends the log, and the next writer cuts it off before appending. Texts sit in a
record as JSON strings after its fields, so a reader maps them from the log as it does
from the snapshot's blob, without holding them.
"""

from __future__ import annotations

import contextlib
import os
import struct
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bot.storage.atomic import fsync_dir, replace_file

GENERATION_TABLE = "_log"  # in the JSON file: {"1": {"generation": ...}}
HEADER = struct.Struct("<QQI")  # fields' length, texts' length, CRC-32 of both
Changes = dict[str, dict[str, Any]]  # table -> document id -> document, or None: removed
READ_CHUNK = 1 << 20


def log_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".log")


@dataclass(frozen=True, slots=True)
class Record:
    """One write: ``tables``' changes, and where in the log file the texts of documents
    of the detached table are (offset, length), each a JSON string."""

    tables: Changes
    texts: dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Position:
    """How far a reader has read a log: which file (inode) and up to which byte."""

    inode: int
    end: int


def encode(
    tables: Changes, texts: dict[str, bytes]
) -> tuple[bytes, list[bytes], dict[str, tuple[int, int]]]:
    """A record's header and fields, its texts, and their spans counted from the first."""
    spans, at = {}, 0
    for doc_id, text in texts.items():
        spans[doc_id] = (at, len(text))
        at += len(text)
    fields = orjson.dumps({"tables": tables, "texts": spans})
    crc = zlib.crc32(fields)
    for text in texts.values():
        crc = zlib.crc32(text, crc)
    head = HEADER.pack(len(fields), at, crc) + fields
    return head, list(texts.values()), spans


def generation_of(tables: dict[str, Any]) -> str | None:
    """The generation a database's tables name (None: written before logs were)."""
    return tables.get(GENERATION_TABLE, {}).get("1", {}).get("generation")


def new_generation(tables: dict[str, Any]) -> str:
    """Name ``tables`` as a new generation (about to be written whole)."""
    generation = uuid.uuid4().hex
    tables[GENERATION_TABLE] = {"1": {"generation": generation}}
    return generation


def start(path: Path, base: str, mode: int) -> Position:
    """A fresh log continuing the JSON file of generation ``base``, swapped in whole."""
    first = orjson.dumps({"base": base})
    head = HEADER.pack(len(first), 0, zlib.crc32(first)) + first
    replace_file(path, [head], mode)
    fsync_dir(path.parent)
    return Position(os.stat(path).st_ino, len(head))


def append(path: Path, at: Position, head: bytes, texts: list[bytes]) -> tuple[Position, int]:
    """Append a record (from ``encode``) at ``at.end``, cutting off whatever follows it (a
    torn record), and fsync it: the record's new position and where its texts begin."""
    fd = os.open(path, os.O_WRONLY)
    try:
        if os.fstat(fd).st_ino != at.inode:
            raise OSError(f"the log {path} was replaced meanwhile")
        os.ftruncate(fd, at.end)
        os.lseek(fd, at.end, os.SEEK_SET)
        end = at.end
        try:
            for chunk in (head, *texts):
                end += os.write(fd, chunk)
            os.fsync(fd)
        except OSError:
            _cut(fd, at.end)  # the record was not written: readers must not see it
            raise
    finally:
        os.close(fd)
    return Position(at.inode, end), at.end + len(head)


def _cut(fd: int, end: int) -> None:
    """Best effort: a record whose write failed must not look committed to a reader (a
    disk that refuses even this keeps it: written, if perhaps not durable)."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, end)


def read(
    path: Path, base: str, since: Position | None
) -> tuple[list[Record], Position] | None:
    """The complete records after ``since`` (from the start when None: then the log must
    continue ``base``); None when there is no log, or it continues another file, or it is
    not the file ``since`` read."""
    try:
        file = path.open("rb", buffering=0)
    except FileNotFoundError:
        return None
    with file:
        inode = os.fstat(file.fileno()).st_ino
        if since is not None and since.inode != inode:
            return None
        at = since.end if since else 0
        file.seek(at)
        if since is None:  # the first record names the base only
            first = _next(file, at)
            if first is None or first[0].get("base") != base:
                return None  # another file's log, or one being started
            at = first[2]
        records = []
        while (found := _next(file, at)) is not None:
            fields, texts_at, at = found
            spans = {k: (texts_at + rel, n) for k, (rel, n) in fields["texts"].items()}
            records.append(Record(fields["tables"], spans))
    return records, Position(inode, at)


def _next(file: Any, at: int) -> tuple[dict, int, int] | None:
    """The record at ``at``: (its fields, where its texts begin, where it ends); None at
    the end of the log or at a torn or damaged record."""
    head = file.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    fields_size, texts_size, crc = HEADER.unpack(head)
    fields = file.read(fields_size)
    if len(fields) < fields_size:
        return None
    check = zlib.crc32(fields)
    left = texts_size
    while left:
        chunk = file.read(min(left, READ_CHUNK))
        if not chunk:
            return None
        check = zlib.crc32(chunk, check)
        left -= len(chunk)
    if check != crc:
        return None
    try:
        decoded = orjson.loads(fields)
    except ValueError:
        return None
    texts_at = at + HEADER.size + fields_size
    return decoded, texts_at, texts_at + texts_size
