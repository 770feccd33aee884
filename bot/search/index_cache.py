"""The index persisted beside the database, so a start does not re-tokenize every article.

Derived data only: the cache names the exact articles it was built from (the store's
content key) and is rebuilt whenever that key differs.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
import orjson

from bot.search.index import Index, build_index
from bot.search.libraries import Libraries
from bot.search.postings import Postings
from bot.search.token_cache import TokenCache
from bot.storage.documents import Articles

log = logging.getLogger(__name__)
FORMAT_VERSION = 6
META = "meta.json"
_ARRAYS = (
    "sent_article", "sent_start", "sent_end", "article_first", "article_story", "article_day",
    "sent_question",
)
_POSTINGS = ("sentences", "article_postings")


def cache_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".index")


def load_or_build(articles: Articles, key: str, path: Path | None, workers: int = 0) -> Index:
    """The cached index when it was built from the articles ``key`` names, else a fresh
    one (then cached), tokenized by ``workers`` processes if it is large."""
    key = f"v{FORMAT_VERSION}:{key}"
    if path is not None:
        cached = _load(path, key, articles)
        if cached is not None:
            return cached
    tokens = TokenCache(path.with_name(path.name + ".tokens")) if path is not None else None
    index = build_index(articles, workers=workers, cache=tokens)
    if path is not None:
        try:
            _save(index, path, key)
        except OSError as exc:  # a read-only or full disk costs speed, not answers
            log.warning("could not save the index cache %s: %s", path, exc)
            return index
        # Served from the cache's mapped files, the index holds in memory only the pages
        # questions touch (not 2 GB at 100,000 articles), so the next rebuild fits beside it.
        return _load(path, key, articles) or index
    return index


def _save(index: Index, path: Path, key: str) -> None:
    """Write every array as its own .npy file in a fresh directory, then swap it in, so a
    reader sees the old cache or the new one, whole."""
    arrays = {name: getattr(index, name) for name in _ARRAYS}
    for name in _POSTINGS:
        postings: Postings = getattr(index, name)
        arrays[f"{name}.indptr"] = postings.indptr
        arrays[f"{name}.docs"] = postings.docs
        arrays[f"{name}.weights"] = postings.weights
        arrays[f"{name}.n_docs"] = np.asarray(postings.n_docs)
    meta = {"key": key, "term_ids": index.term_ids, "vocabulary": index.vocabulary}
    fresh = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        for name, array in arrays.items():
            np.save(fresh / f"{name}.npy", array)
        (fresh / META).write_bytes(orjson.dumps(meta))
        _swap_in(fresh, path)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def _swap_in(fresh: Path, path: Path) -> None:
    old = path.with_name(f".{path.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if path.is_dir():
        path.rename(old)  # processes that mapped the old files keep reading them
    elif path.exists():
        path.unlink()  # a cache of an older format, in one file
    fresh.rename(path)
    shutil.rmtree(old, ignore_errors=True)


def _load(path: Path, key: str, articles: Articles) -> Index | None:
    """The cached index, its arrays memory-mapped: a start reads only the vocabulary,
    and only the pages questions touch count towards memory."""
    try:
        meta = orjson.loads((path / META).read_bytes())
        if meta.get("key") != key:
            return None

        def array(name: str) -> np.ndarray:
            # A plain ndarray over the mapping: numpy.memmap's Python-level indexing costs
            # microseconds per element read, and questions read thousands.
            return np.asarray(np.load(path / f"{name}.npy", mmap_mode="r"))

        postings = {
            name: Postings(
                array(f"{name}.indptr"),
                array(f"{name}.docs"),
                array(f"{name}.weights"),
                int(array(f"{name}.n_docs")),
            )
            for name in _POSTINGS
        }
        arrays = {name: array(name) for name in _ARRAYS}
    except (OSError, ValueError, KeyError) as exc:
        log.info("index cache %s unusable (%s): rebuilding", path, exc)
        return None
    return Index(
        articles=articles,
        term_ids=meta["term_ids"],
        vocabulary=meta["vocabulary"],
        libraries=Libraries.of(articles),
        **arrays,
        **postings,
    )
