"""The index persisted beside the database, so a start does not re-tokenize every article.

Derived data only: the cache names the exact articles it was built from (the store's
content key) and is rebuilt whenever that key differs.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import orjson

from bot.engine.index import Index, Postings, build_index
from bot.engine.models import Article

log = logging.getLogger(__name__)
FORMAT_VERSION = 3
_ARRAYS = ("sent_article", "sent_start", "sent_end", "article_first", "article_story")
_POSTINGS = ("sentences", "article_postings")


def cache_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".index")


def load_or_build(articles: Sequence[Article], key: str, path: Path | None) -> Index:
    """The cached index when it was built from the articles ``key`` names, else a fresh
    one (then cached)."""
    key = f"v{FORMAT_VERSION}:{key}"
    if path is not None:
        cached = _load(path, key, articles)
        if cached is not None:
            return cached
    index = build_index(articles)
    if path is not None:
        try:
            _save(index, path, key)
        except OSError as exc:  # a read-only or full disk costs speed, not answers
            log.warning("could not save the index cache %s: %s", path, exc)
    return index


def _save(index: Index, path: Path, key: str) -> None:
    arrays = {name: getattr(index, name) for name in _ARRAYS}
    for name in _POSTINGS:
        postings: Postings = getattr(index, name)
        arrays[f"{name}.indptr"] = postings.indptr
        arrays[f"{name}.docs"] = postings.docs
        arrays[f"{name}.weights"] = postings.weights
        arrays[f"{name}.n_docs"] = np.asarray(postings.n_docs)
    meta = {"key": key, "term_ids": index.term_ids, "vocabulary": index.vocabulary}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, meta=np.frombuffer(orjson.dumps(meta), np.uint8), **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(path: Path, key: str, articles: Sequence[Article]) -> Index | None:
    try:
        with np.load(path) as data:
            meta = orjson.loads(data["meta"].tobytes())
            if meta.get("key") != key:
                return None
            postings = {
                name: Postings(
                    data[f"{name}.indptr"],
                    data[f"{name}.docs"],
                    data[f"{name}.weights"],
                    int(data[f"{name}.n_docs"]),
                )
                for name in _POSTINGS
            }
            arrays = {name: data[name] for name in _ARRAYS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, io.UnsupportedOperation) as exc:
        log.info("index cache %s unusable (%s): rebuilding", path, exc)
        return None
    return Index(
        articles=tuple(articles),
        term_ids=meta["term_ids"],
        vocabulary=meta["vocabulary"],
        **arrays,
        **postings,
    )
