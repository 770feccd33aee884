"""The dedupe keys of every stored article as sorted 64-bit hashes, beside the snapshot.

A write of one article to a million-article database needs to know only whether it is
there already (its library and id, its content fingerprint): reading the million documents
to find out took 6 s, building the fingerprint lookups 2.7 s more. This file holds, for
the database as of one point of its log, the hashes of each stored (library, id) key and
of each (library, fingerprint) the dedupe lookups hold (``dedupe.Keys``), sorted, so a
lookup is a binary search. A hash can collide, never miss: a key absent here is not
stored; one found here may be (``bot/storage/appending.py`` then reads the store whole).

``keys.json`` names what it covers (the database file's signature, its log's generation
and how far into the log) and the columns file (``keys-*.bin``: the key hashes, then the
fingerprint hashes, little-endian uint64) with its length and CRC-32. Both are replaced
atomically; a file that fails its check is never used (the store is then read whole, and
its next write writes the file afresh). Derived data, like the snapshot: deleting it costs
speed, never data.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from bot.models import Library
from bot.storage.atomic import FileSignature, mode_of, replace_named
from bot.storage.dedupe import Key
from bot.storage.snapshot import snapshot_path

log = logging.getLogger(__name__)
VERSION = 1
META = "keys.json"
PREFIX, SUFFIX = "keys-", ".bin"
HASH = np.dtype("<u8")


@dataclass(frozen=True, slots=True)
class Cover:
    """The state of the database the columns hold: its file, its log's generation and
    the log's end then (every record before it is in the columns)."""

    signature: FileSignature
    generation: str
    log_end: int
    last_doc_id: int  # the highest document id then (the next is one more)
    articles: int  # how many were stored then


@dataclass(frozen=True, slots=True)
class Columns:
    cover: Cover
    keys: np.ndarray  # sorted hashes of each stored (library, id)
    fingerprints: np.ndarray  # sorted hashes of each (library, fingerprint) looked up

    def holds_key(self, key: Key) -> bool:
        return _holds(self.keys, key_hash(key))

    def holds_fingerprint(self, story: tuple[Library, str]) -> bool:
        """Whether (library, fingerprint) may be stored."""
        return _holds(self.fingerprints, key_hash(story))


def key_hash(pair: tuple[Library, str]) -> int:
    """A stable 64-bit hash of (library, id) or (library, fingerprint)."""
    digest = hashlib.blake2b(orjson.dumps(pair), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def hashes(pairs: Iterable[tuple[Library, str]]) -> np.ndarray:
    """The pairs' hashes, sorted."""
    found = np.fromiter(map(key_hash, pairs), HASH)
    found.sort()
    return found


def merged(sorted_hashes: np.ndarray, more: Iterable[tuple[Library, str]]) -> np.ndarray:
    """``sorted_hashes`` with the hashes of ``more``, sorted, each once."""
    added = hashes(more)
    return np.union1d(sorted_hashes, added) if len(added) else sorted_hashes


def _holds(column: np.ndarray, value: int) -> bool:
    at = int(np.searchsorted(column, np.uint64(value)))
    return at < len(column) and int(column[at]) == value


def write(db_path: Path, cover: Cover, keys: np.ndarray, fingerprints: np.ndarray) -> None:
    """Replace the columns on disk (raises OSError; the old ones then stay)."""
    path = snapshot_path(db_path)
    path.mkdir(exist_ok=True)
    body = keys.astype(HASH).tobytes() + fingerprints.astype(HASH).tobytes()
    name = f"{PREFIX}{uuid.uuid4().hex[:12]}{SUFFIX}"
    meta = {
        "version": VERSION,
        "signature": cover.signature,
        "generation": cover.generation,
        "log_end": cover.log_end,
        "last_doc_id": cover.last_doc_id,
        "articles": cover.articles,
        "file": name,
        "keys": len(keys),
        "fingerprints": len(fingerprints),
        "crc": zlib.crc32(body),
    }
    replace_named(path, name, body, path / META, orjson.dumps(meta), mode_of(db_path))
    for old in path.glob(f"{PREFIX}*{SUFFIX}"):
        if old.name != name:
            old.unlink(missing_ok=True)


def read(db_path: Path) -> Columns | None:
    """The columns on disk; None when missing or damaged."""
    path = snapshot_path(db_path)
    try:
        meta = orjson.loads((path / META).read_bytes())
        if meta["version"] != VERSION:
            return None
        body = (path / str(meta["file"])).read_bytes()
        n_keys, n_fingerprints = int(meta["keys"]), int(meta["fingerprints"])
        expected = HASH.itemsize * (n_keys + n_fingerprints)
        if len(body) != expected or zlib.crc32(body) != meta["crc"]:
            raise ValueError("the columns file is not what keys.json names")
        column = np.frombuffer(body, HASH)
        cover = _cover(meta)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.info("dedupe keys of %s unusable (%s): reading the database", db_path, exc)
        return None
    return Columns(cover, column[:n_keys], column[n_keys:])


def cover_on_disk(db_path: Path) -> Cover | None:
    """What the columns on disk cover, without reading them (None: none, or unreadable)."""
    try:
        return _cover(orjson.loads((snapshot_path(db_path) / META).read_bytes()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _cover(meta: dict) -> Cover:
    return Cover(
        tuple(meta["signature"]), str(meta["generation"]), int(meta["log_end"]),
        int(meta["last_doc_id"]), int(meta["articles"]),
    )
