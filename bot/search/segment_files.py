"""Index segments kept beside the database, so a start or a change does not index the
archive again.

Derived data only. ``db.json.index/`` holds one directory per segment (its arrays as .npy
files, memory-mapped when read, and ``meta.json``: its articles' keys and its words; the
``.weights.npy`` files and average lengths older versions wrote are not read),
``terms.txt`` (the archive's terms, one a line, in id order, only ever appended to) and
``segments.json`` (the segments of the current index, and how many terms and bytes of
``terms.txt`` are valid). A segment is written whole to a temporary directory and renamed
into place, and the list replaced atomically, so a reader finds the old list or the new
one; a segment missing or damaged is left out, and the articles it held are indexed
again. Writers hold a file lock and start from what is on disk, so two processes adding
segments lose nothing.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import orjson
from filelock import FileLock

from bot.search.postings import SegmentPostings
from bot.search.segment import Segment, Terms
from bot.storage.atomic import replace_file

log = logging.getLogger(__name__)
FORMAT_VERSION = 2
LIST = "segments.json"
TERMS = "terms.txt"
META = "meta.json"
LOCK_TIMEOUT_S = 600  # a writer waits this long for another's segment (a bulk load's)
_ARRAYS = ("sent_article", "sent_start", "sent_end", "sent_question", "article_first",
           "stories")
_POSTINGS = ("sentences", "articles")
_POSTING_ARRAYS = ("terms", "indptr", "docs", "tf", "lengths")

Named = list[tuple[str, Segment]]  # segments in index order, with their directory names


def index_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".index")


class SegmentFiles:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_S)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            yield

    def signature(self) -> tuple[int, int] | None:
        """Changes whenever the list is replaced (None: no list)."""
        try:
            found = (self.path / LIST).stat()
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns

    def load(self) -> tuple[Named, Terms]:
        """The listed segments that can be read, and the terms."""
        names, terms = self.listed()
        named = [(name, segment) for name in names
                 if (segment := read(self.path / name)) is not None]
        return named, terms

    def listed(self) -> tuple[list[str], Terms]:
        """The names of the listed segments (none read) and the terms; none of either
        when the list or the terms cannot be read."""
        try:
            listed = orjson.loads((self.path / LIST).read_bytes())
            if listed.get("version") != FORMAT_VERSION:
                return [], Terms()
            with (self.path / TERMS).open("rb") as file:
                terms = file.read(int(listed["terms_bytes"])).decode().split("\n")[:-1]
            if len(terms) != int(listed["terms"]):
                raise ValueError("terms.txt is shorter than its list says")
            names = [str(name) for name in listed["segments"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            if (self.path / LIST).exists():
                log.info("index segments in %s unusable (%s): indexing again", self.path, exc)
            return [], Terms()
        return names, Terms(terms)

    def add(self, names: list[str], segment: Segment, terms: Terms) -> bool:
        """Write ``segment`` and list it after ``names`` (as ``listed`` gave them, with
        ``terms`` extended by building it); no other segment is read. Call with the lock
        held since ``listed``. Whether it was saved (failing costs speed: its articles are
        indexed again by the next index assembled)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._write_list([*names, _write(self.path, segment)], terms)
        except OSError as exc:
            log.warning("could not save the index segments in %s: %s", self.path, exc)
            return False
        return True

    def save(self, named: Sequence[tuple[str | None, Segment]], terms: Terms) -> Named:
        """Write the segments not yet on disk (named None), the new terms, then the list;
        delete the segments no longer listed; the segments, those written now read back
        from their files. Call with the lock held. Failing costs speed, not answers (the
        segments are then kept in memory only)."""
        written: Named = []
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            for name, segment in named:
                if name:
                    written.append((name, segment))
                    continue
                # Served from its mapped files, a built segment holds in memory only the
                # pages questions touch (not 1.5 GB at 100,000 articles).
                name = _write(self.path, segment)
                written.append((name, read(self.path / name) or segment))
            self._write_list([name for name, _s in written], terms)
        except OSError as exc:
            log.warning("could not save the index segments in %s: %s", self.path, exc)
            return [(name or "", segment) for name, segment in named]
        keep = {name for name, _s in written}
        for old in self.path.iterdir():  # processes that mapped them keep reading them
            if old.is_dir() and old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)
        return written

    def _write_list(self, names: list[str], terms: Terms) -> None:
        """Append the new terms, then replace the list with ``names``."""
        count, size = self._append_terms(terms)
        replace_file(self.path / LIST, [orjson.dumps({
            "version": FORMAT_VERSION, "segments": names, "terms": count, "terms_bytes": size,
        })], 0o644)

    def _append_terms(self, terms: Terms) -> tuple[int, int]:
        """Append the terms the file lacks (past the listed ones: a torn append from a
        killed writer is cut off first); the count and bytes now valid."""
        try:
            listed = orjson.loads((self.path / LIST).read_bytes())
            count, size = int(listed["terms"]), int(listed["terms_bytes"])
            if listed.get("version") != FORMAT_VERSION:
                count = size = 0
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            count = size = 0
        new = terms.since(count)
        with (self.path / TERMS).open("a+b") as file:
            file.truncate(size)
            if new:
                file.write("".join(f"{term}\n" for term in new).encode())
            file.flush()
            os.fsync(file.fileno())
            return len(terms), file.tell()


def read(directory: Path) -> Segment | None:
    try:
        meta = orjson.loads((directory / META).read_bytes())

        def array(name: str) -> np.ndarray:
            # A plain ndarray over the mapping: numpy.memmap's Python-level indexing costs
            # microseconds per element read, and questions read thousands.
            return np.asarray(np.load(directory / f"{name}.npy", mmap_mode="r"))

        postings = {
            name: SegmentPostings(*(array(f"{name}.{a}") for a in _POSTING_ARRAYS))
            for name in _POSTINGS
        }
        return Segment(
            keys=tuple((k[0], k[1], k[2]) for k in meta["keys"]),
            **{name: array(name) for name in _ARRAYS},
            **postings,
            words=meta["words"],
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        log.info("index segment %s unusable (%s): indexing its articles again", directory, exc)
        return None


def _write(path: Path, segment: Segment) -> str:
    name = f"seg-{uuid.uuid4().hex[:12]}"
    fresh = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=path))
    try:
        for field in _ARRAYS:
            _save(fresh / f"{field}.npy", getattr(segment, field))
        for field in _POSTINGS:
            postings = getattr(segment, field)
            for array in _POSTING_ARRAYS:
                _save(fresh / f"{field}.{array}.npy", getattr(postings, array))
        replace_file(fresh / META, [orjson.dumps({"keys": segment.keys, "words": segment.words})],
                     0o644)
        fresh.chmod(0o755)
        fresh.rename(path / name)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return name


def _save(path: Path, array: np.ndarray) -> None:
    """One array as a durable .npy file (the list that names it is fsynced after it)."""
    with path.open("wb") as file:
        np.save(file, array)
        file.flush()
        os.fsync(file.fileno())
