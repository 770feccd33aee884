"""A copy of the database that opens without parsing its JSON: derived data, beside it.

Parsing a 1 GB TinyDB file takes seconds and, for a moment, holds the file's bytes and
every parsed object at once. The snapshot keeps the same tables with each article's text
moved out to a blob (``texts-*.bin``, each text as a JSON string, so rewriting the database
copies it as it is), the tables so stripped marshalled to ``tables-*.marshal``, and
``meta.json`` for the rest. It names
the database file it copies by signature (inode, size, modification time): one that does
not match the file as it is now is never used, and the store parses the file instead.

Opening reads ``meta.json``, checks that the blob holds every span it names and the CRCs
of a few texts spread over it (a blob overwritten or truncated is never used); each text's
CRC-32 is checked when it is read (bot/storage/documents.py), not every text at every start:
that cost a second a gigabyte. A text that fails its check deletes ``meta.json``, so the
next start rebuilds the snapshot from the database file.
The blob is append-only: a write appends the texts of new and changed articles, writes
a new tables file and replaces ``meta.json`` atomically, so a reader holding an older
``meta.json`` still finds every span it names. A fresh blob (first write, or one mostly
made of replaced texts) gets a new name; the old one is then deleted.
"""

from __future__ import annotations

import base64
import logging
import marshal
import os
import tempfile
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from bot.storage import table_reader as jsonstream
from bot.storage.atomic import FileSignature, mode_of, replace_named, signature_of
from bot.storage.documents import (
    SPAN_COLUMNS,
    TEXT,
    BlobTexts,
    Span,
    Spans,
    Texts,
    without_text,
)

log = logging.getLogger(__name__)
FORMAT_VERSION = 5  # 2: texts as JSON strings; 3: each with its CRC-32; 4: spans packed;
READABLE = (3, 4, 5)  # 5: the tables in a file of their own, marshalled
# Version 4 packs the spans as one base64 string of little-endian columns (SPAN_COLUMNS):
# parsed as JSON lists they took half of opening's 0.6 s at 100,000 articles. They stay
# columns once read (``documents.Spans``).
META = "meta.json"
BLOB_PREFIX, BLOB_SUFFIX = "texts-", ".bin"
# Version 5 keeps the tables (the documents without their texts) in ``tables-*.marshal``,
# named by meta.json with its length and CRC-32: at a million articles, parsing them as
# JSON took 4.8 s of a start, unmarshalling them 1.8 s. Only this program reads them (the
# database file stays the JSON others read), and a file that fails its check, or that
# another Python cannot read, is not used: the snapshot is rebuilt from the database.
TABLES_PREFIX, TABLES_SUFFIX = "tables-", ".marshal"
SPOT_CHECKS = 16  # texts whose CRCs opening checks


@dataclass(slots=True)
class Snapshot:
    """What one ``meta.json`` says: the texts of ``table``'s documents, by document id,
    as spans of the blob."""

    signature: FileSignature | None  # None: of no database file yet
    blob: str
    blob_bytes: int
    spans: dict[str, Span] | Spans
    live_bytes: int = -1  # the spans' total length (-1: count them)

    def __post_init__(self) -> None:
        if self.live_bytes < 0:
            self.live_bytes = Spans.of(self.spans).total_length()

    def add(self, blob: BinaryIO, doc_id: str, text: bytes) -> None:
        """Append ``text`` (a JSON string) to the blob, open at its end, as the document's."""
        self.spans[doc_id] = (self.blob_bytes, len(text), zlib.crc32(text))
        blob.write(text)
        self.blob_bytes += len(text)
        self.live_bytes += len(text)

    def forget(self, doc_id: int) -> None:
        """The document's text changed or it was removed: its span no longer applies."""
        self.live_bytes -= self.spans.pop(str(doc_id), (0, 0, 0))[1]


def snapshot_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".snapshot")


def texts_of(db_path: Path, snapshot: Snapshot) -> BlobTexts:
    """The texts ``snapshot`` holds, read on demand from its blob."""
    meta = snapshot_path(db_path) / META
    return BlobTexts(
        snapshot_path(db_path) / snapshot.blob, snapshot.spans,
        damaged=lambda: meta.unlink(missing_ok=True),
    )


@dataclass(frozen=True, slots=True)
class Opened:
    """A snapshot as read: the tables, ``table``'s documents without their texts, which
    ``texts`` reads on demand."""

    snapshot: Snapshot
    tables: dict[str, Any]
    texts: BlobTexts
    version: int = FORMAT_VERSION  # of its meta.json


def read(db_path: Path, signature: FileSignature, table: str) -> Opened | None:
    """The snapshot of the file with this ``signature``; None when it is missing, stale or
    damaged (then the file must be parsed)."""
    path = snapshot_path(db_path)
    try:
        meta = orjson.loads((path / META).read_bytes())
        if meta["version"] not in READABLE or tuple(meta["signature"]) != tuple(signature):
            return None
        spans = _unpacked(meta["spans"]) if meta["version"] >= 4 else Spans.of({
            i: (int(at), int(n), int(crc)) for i, (at, n, crc) in meta["spans"].items()
        })
        tables: dict[str, Any] = meta["tables"] if meta["version"] < 5 else _tables(path, meta)
        blob_bytes = int(meta["blob_bytes"])
        opened = Snapshot(tuple(signature), meta["blob"], blob_bytes, spans)
        texts = texts_of(db_path, opened)
        if spans.max_end() > blob_bytes or texts.size < blob_bytes:
            raise ValueError("the blob does not hold the texts meta.json names")
        _spot_check(texts, spans.spread(SPOT_CHECKS))
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:  # JSONDecodeError too
        log.info("database snapshot %s unusable (%s): reading the database", path, exc)
        return None
    tables.setdefault(table, {})
    return Opened(opened, tables, texts, meta["version"])


def upgrade(db_path: Path, opened: Opened, table: str) -> None:
    """Rewrite the ``meta.json`` of a snapshot just read (``opened``, before any change to
    its tables) in this format; its blob stays. Call with the database's write lock held
    (a writer may be replacing the snapshot). Raises OSError; the old one then stays."""
    _write_meta(db_path, opened.snapshot, opened.tables, table)


def write(
    db_path: Path,
    signature: FileSignature,
    tables: dict[str, Any],
    table: str,
    previous: Snapshot | None,
    texts: Texts | None,
) -> Snapshot:
    """Snapshot ``tables`` (the file with ``signature``), appending to ``previous``'s blob
    the texts it lacks (a document without one has it in ``texts``). Raises OSError; the
    old snapshot then stays as it was."""
    snapshot = append_texts(db_path, signature, tables, table, previous, texts)
    _write_meta(db_path, snapshot, tables, table)
    return snapshot


def build(db_path: Path, table: str) -> Opened:
    """Snapshot the database file as it is now, reading it as a stream: each text goes to
    a fresh blob as it is read, so neither the file nor its texts are ever held whole.
    Raises ValueError for a file that is not a TinyDB database, OSError when it cannot be
    read or the snapshot cannot be written."""
    path = snapshot_path(db_path)
    path.mkdir(exist_ok=True)
    fd, snapshot = _fresh_blob(path, mode_of(db_path), None)
    try:
        with db_path.open("rb") as db, os.fdopen(fd, "ab") as blob:
            snapshot.signature = signature_of(os.fstat(db.fileno()))

            def keep(doc_id: str, doc: dict) -> dict:
                if TEXT in doc:
                    snapshot.add(blob, doc_id, orjson.dumps(doc[TEXT]))
                return without_text(doc)

            tables = jsonstream.read_tables(db, table, keep) if snapshot.signature[1] else {}
            blob.flush()
            os.fsync(blob.fileno())
        tables.setdefault(table, {})
        _write_meta(db_path, snapshot, tables, table)
    except BaseException:
        (path / snapshot.blob).unlink(missing_ok=True)
        raise
    return Opened(snapshot, tables, texts_of(db_path, snapshot))


def _write_meta(db_path: Path, snapshot: Snapshot, tables: dict[str, Any], table: str) -> None:
    """Name ``snapshot``'s texts (appended and synced) and a new tables file as the
    snapshot on disk."""
    path = snapshot_path(db_path)
    marshalled = _marshalled({  # the small tables as JSON reads them back: lists, not tuples
        name: {i: without_text(d) for i, d in rows.items()} if name == table
        else orjson.loads(orjson.dumps(rows))
        for name, rows in tables.items()
    })
    tables_file = f"{TABLES_PREFIX}{uuid.uuid4().hex[:12]}{TABLES_SUFFIX}"
    meta = {
        "version": FORMAT_VERSION,
        "signature": snapshot.signature,
        "blob": snapshot.blob,
        "blob_bytes": snapshot.blob_bytes,
        "spans": _packed(snapshot.spans),
        "tables_file": tables_file,
        "tables_bytes": len(marshalled),
        "tables_crc": zlib.crc32(marshalled),
    }
    replace_named(path, tables_file, marshalled, path / META, orjson.dumps(meta),
                  mode_of(db_path))
    _delete_others(path, BLOB_PREFIX, BLOB_SUFFIX, snapshot.blob)
    _delete_others(path, TABLES_PREFIX, TABLES_SUFFIX, tables_file)


def _marshalled(tables: dict[str, Any]) -> bytes:
    try:
        return marshal.dumps(tables)
    except ValueError as exc:  # a value JSON holds but marshal cannot: no snapshot, then
        raise OSError(f"the tables cannot be snapshotted: {exc}") from exc


def _tables(path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """The tables a version 5 ``meta.json`` names (ValueError: not as written)."""
    marshalled = (path / str(meta["tables_file"])).read_bytes()
    if len(marshalled) != meta["tables_bytes"] or zlib.crc32(marshalled) != meta["tables_crc"]:
        raise ValueError("the tables file is not what meta.json names")
    tables = marshal.loads(marshalled)
    if not isinstance(tables, dict):
        raise ValueError("the tables file holds no tables")
    return tables


def _packed(spans: dict[str, Span] | Spans) -> str:
    return base64.b64encode(Spans.of(spans).columns().tobytes()).decode()


def _unpacked(packed: str) -> Spans:
    return Spans(np.frombuffer(base64.b64decode(packed, validate=True), SPAN_COLUMNS))


def append_texts(
    db_path: Path,
    signature: FileSignature | None,
    tables: dict[str, Any],
    table: str,
    previous: Snapshot | None,
    texts: Texts | None,
) -> Snapshot:
    """Append to ``previous``'s blob (or a fresh one) the texts of ``table``'s documents
    it lacks, fsynced. Readers go on using the ``meta.json`` on disk, which
    names only the blob's bytes before these; until ``write`` names them too, the snapshot
    returned holds texts of no database file yet (``signature``: the file as it was)."""
    path = snapshot_path(db_path)
    path.mkdir(exist_ok=True)
    docs: dict[str, dict] = tables.get(table, {})
    fd, snapshot = _open_appendable(path, previous, signature) or _fresh_blob(
        path, mode_of(db_path), signature
    )
    with os.fdopen(fd, "ab") as blob:
        for doc_id, doc in docs.items():
            if doc_id not in snapshot.spans:
                text = orjson.dumps(doc[TEXT]) if TEXT in doc else texts.json(doc_id)  # type: ignore[union-attr]
                snapshot.add(blob, doc_id, text)
        blob.flush()
        os.fsync(blob.fileno())
    return snapshot


def _open_appendable(
    path: Path, previous: Snapshot | None, signature: FileSignature | None
) -> tuple[int, Snapshot] | None:
    """``previous``'s blob opened for appending, if the blob is exactly as ``previous``
    left it and not mostly dead text; else None."""
    if previous is None:
        return None
    try:  # never O_CREAT: a blob deleted meanwhile must not come back empty
        fd = os.open(path / previous.blob, os.O_WRONLY | os.O_APPEND)
    except FileNotFoundError:
        return None
    size = os.fstat(fd).st_size
    if size != previous.blob_bytes or size > 2 * previous.live_bytes + (1 << 20):
        os.close(fd)
        return None
    spans = previous.spans.to_dict() if isinstance(previous.spans, Spans) else dict(previous.spans)
    return fd, Snapshot(signature, previous.blob, size, spans, previous.live_bytes)


def _fresh_blob(
    path: Path, mode: int, signature: FileSignature | None
) -> tuple[int, Snapshot]:
    fd, name = tempfile.mkstemp(prefix=BLOB_PREFIX, suffix=BLOB_SUFFIX, dir=path)
    os.fchmod(fd, mode)
    return fd, Snapshot(signature, Path(name).name, 0, {})


def _spot_check(texts: BlobTexts, doc_ids: list[str]) -> None:
    """Check the CRCs of these texts, spread over the blob (StorageError if one fails):
    a blob overwritten whole is found at once; other damage when its text is read."""
    for doc_id in doc_ids:
        texts.json(doc_id)


def _delete_others(path: Path, prefix: str, suffix: str, keep: str) -> None:
    """A reader that read an older ``meta.json`` and then finds its blob or tables gone
    falls back to parsing the database: safe, only slower."""
    for old in path.glob(f"{prefix}*{suffix}"):
        if old.name != keep:
            old.unlink(missing_ok=True)
