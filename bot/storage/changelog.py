"""The database's changes since its JSON file was last written, appended to a log beside it.

Rewriting a 1 GB TinyDB file to add one article wrote 1.8 GB at 100,000 articles. Instead
a write appends one record (the documents it adds, replaces or removes, and their texts)
and fsyncs it; the storage rewrites the JSON file only when the log has grown as large as
it (bot/storage/json_storage.py), then starts a fresh log.

A log names the JSON file it continues in its first record: a generation, a random name
that each rewrite of the file stores in it (table ``_log``), so a log left over from before
a rewrite (a crash between the rename of the new file and the log's replacement) is
ignored, as that file already holds its changes, while a copy of both files elsewhere (a
backup) still reads whole.

A record is a header, the texts (each a JSON string, so a reader maps them from the log as
it does from the snapshot's blob), then the fields: the documents without their texts and
each text's span and CRC-32. The texts are written one at a time as they are encoded (a
bulk load's batch is never held twice), the fields after them; the header, which alone
makes the record visible, is written last, after the rest is fsynced, and fsynced in turn.
So a writer killed at any moment leaves a header of zeros (the log ends there), and a
reader catching up reads only headers and fields: the texts' CRCs are checked when a text
is read (bot/storage/documents.py), not every start. The next writer cuts off a torn record
before appending.
"""

from __future__ import annotations

import contextlib
import os
import struct
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from bot.storage.atomic import fsync_dir, replace_file
from bot.storage.documents import Span

GENERATION_TABLE = "_log"  # in the JSON file: {"1": {"generation": ...}}
HEADER = struct.Struct("<QQI")  # texts' length, fields' length, CRC-32 of the fields
UNWRITTEN = bytes(HEADER.size)  # a record being written: no fields yet, so no record
Changes = dict[str, dict[str, Any]]  # table -> document id -> document, or None: removed
WRITE_BUFFER = 1 << 20


def log_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".log")


@dataclass(frozen=True, slots=True)
class Record:
    """One write: ``tables``' changes, and where in the log file the texts of documents
    of the detached table are."""

    tables: Changes
    texts: dict[str, Span]


@dataclass(frozen=True, slots=True)
class Position:
    """How far a reader has read a log: which file (inode) and up to which byte."""

    inode: int
    end: int


def generation_of(tables: dict[str, Any]) -> str | None:
    """The generation a database's tables name (None: written before logs were)."""
    return tables.get(GENERATION_TABLE, {}).get("1", {}).get("generation")


def new_generation(tables: dict[str, Any]) -> str:
    """Name ``tables`` as a new generation (about to be written whole)."""
    generation = uuid.uuid4().hex
    tables[GENERATION_TABLE] = {"1": {"generation": generation}}
    return generation


def _header(texts_size: int, fields: bytes) -> bytes:
    return HEADER.pack(texts_size, len(fields), zlib.crc32(fields))


def start(path: Path, base: str, mode: int) -> Position:
    """A fresh log continuing the JSON file of generation ``base``, swapped in whole."""
    first = orjson.dumps({"base": base})
    replace_file(path, [_header(0, first), first], mode)
    fsync_dir(path.parent)
    return Position(os.stat(path).st_ino, HEADER.size + len(first))


def append(
    path: Path, at: Position, tables: Changes, texts: Iterable[tuple[str, bytes]]
) -> tuple[Position, dict[str, Span]]:
    """Append a record of ``tables`` and ``texts`` (document id, text as a JSON string,
    each encoded when asked for) at ``at.end``, cutting off whatever follows it (a torn
    record): the log's new end and the texts' spans in it."""
    fd = os.open(path, os.O_WRONLY)
    try:
        if os.fstat(fd).st_ino != at.inode:
            raise OSError(f"the log {path} was replaced meanwhile")
        os.ftruncate(fd, at.end)
        os.lseek(fd, at.end, os.SEEK_SET)
        try:
            end, spans = _write_record(fd, at.end, tables, texts)
        except BaseException:
            _cut(fd, at.end)
            raise
    finally:
        os.close(fd)
    return Position(at.inode, end), spans


def _write_record(
    fd: int, start_at: int, tables: Changes, texts: Iterable[tuple[str, bytes]]
) -> tuple[int, dict[str, Span]]:
    spans: dict[str, Span] = {}
    with open(fd, "wb", buffering=WRITE_BUFFER, closefd=False) as out:
        out.write(UNWRITTEN)
        at = start_at + HEADER.size
        for doc_id, text in texts:
            out.write(text)
            spans[doc_id] = (at, len(text), zlib.crc32(text))
            at += len(text)
        texts_size = at - start_at - HEADER.size
        fields = orjson.dumps({"tables": tables, "texts": spans})
        out.write(fields)
    os.fsync(fd)
    os.pwrite(fd, _header(texts_size, fields), start_at)
    os.fsync(fd)
    return at + len(fields), spans


def _cut(fd: int, end: int) -> None:
    """Best effort, for tidiness: a record whose write failed is invisible anyway (its
    header is zeros, or not durable), and the next writer cuts it off."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, end)


def read(
    path: Path, base: str, since: Position | None
) -> tuple[list[Record], Position] | None:
    """The complete records after ``since`` (from the start when None: then the log must
    continue ``base``); None when there is no log, or it continues another file, or it is
    not the file ``since`` read."""
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return None
    with file:
        inode = os.fstat(file.fileno()).st_ino
        if since is not None and since.inode != inode:
            return None
        at = since.end if since else 0
        if since is None:  # the first record names the base only
            first = _next(file, at)
            if first is None or first[0].get("base") != base:
                return None  # another file's log, or one being started
            at = first[1]
        records = []
        while (found := _next(file, at)) is not None:
            fields, at = found
            spans = {doc_id: (a, n, crc) for doc_id, (a, n, crc) in fields["texts"].items()}
            records.append(Record(fields["tables"], spans))
    return records, Position(inode, at)


def position(path: Path, base: str, end: int) -> Position | None:
    """Where a reader stands that has read the log continuing ``base`` up to ``end`` (a
    record's end); None when there is no such log."""
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return None
    with file:
        first = _next(file, 0)
        if first is None or first[0].get("base") != base or not first[1] <= end:
            return None
        status = os.fstat(file.fileno())
        return None if status.st_size < end else Position(status.st_ino, end)


def _next(file: BinaryIO, at: int) -> tuple[dict, int] | None:
    """The fields of the record at ``at`` and where it ends; None at the end of the log or
    at a record not (yet, or not wholly) written."""
    file.seek(at)
    head = file.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    texts_size, fields_size, crc = HEADER.unpack(head)
    if not fields_size:
        return None
    file.seek(at + HEADER.size + texts_size)
    fields = file.read(fields_size)
    if len(fields) < fields_size or zlib.crc32(fields) != crc:
        return None
    try:
        decoded = orjson.loads(fields)
    except ValueError:
        return None
    return decoded, at + HEADER.size + texts_size + fields_size
