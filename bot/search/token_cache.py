"""Tokens of runs of articles, kept beside the index cache: a rebuild after a change
re-tokenizes only the runs that changed (adding an article to 100,000 changes the last of
50 runs), while the index itself is recomputed whole, so BM25 statistics stay exact.

Derived data only: a run whose file is missing or unreadable is tokenized again.
"""

from __future__ import annotations

import io
import logging
from array import array
from pathlib import Path

import numpy as np
import orjson

from bot.search.tokens import Tokens
from bot.storage.atomic import replace_file

log = logging.getLogger(__name__)
_DTYPES = {"i": np.int32, "b": np.int8}
_ARRAYS = {  # field -> array typecode
    "sent_terms": "i", "sent_sizes": "i", "sent_start": "i", "sent_end": "i",
    "sent_question": "b", "article_sentences": "i", "title_terms": "i", "title_sizes": "i",
}


class TokenCache:
    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, key: str) -> Tokens | None:
        try:
            with np.load(self.path / f"{key}.npz") as arrays:
                packed = {name: array(code, arrays[name].tobytes())
                          for name, code in _ARRAYS.items()}
            strings = orjson.loads((self.path / f"{key}.json").read_bytes())
            return Tokens(**packed, **strings)
        except (OSError, ValueError, KeyError, TypeError):  # missing or damaged: tokenize
            return None

    def put(self, key: str, tokens: Tokens) -> None:
        """Keep ``tokens`` (failing costs only speed)."""
        strings = {"terms": tokens.terms, "words": tokens.words, "stories": tokens.stories}
        packed = io.BytesIO()
        np.savez(packed, **{name: np.frombuffer(getattr(tokens, name), _DTYPES[code])
                            for name, code in _ARRAYS.items()})
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            replace_file(self.path / f"{key}.json", [orjson.dumps(strings)], 0o644)
            replace_file(self.path / f"{key}.npz", [packed.getvalue()], 0o644)
        except OSError as exc:
            log.warning("could not save the tokens cache %s: %s", self.path, exc)

    def keep_only(self, keys: set[str]) -> None:
        """Delete the runs of articles no longer held."""
        if not self.path.is_dir():
            return
        for file in self.path.iterdir():
            if file.name.split(".")[0] not in keys:
                file.unlink(missing_ok=True)
