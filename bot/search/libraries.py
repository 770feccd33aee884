"""Which library each indexed article belongs to, and which articles one reader may see.

A reader in a server sees the shared library and that server's; in a direct message, the
shared library alone. The index numbers each library's articles consecutively
(``Articles.by_library``), so what a reader sees is a few ranges of document numbers:
``Postings.score`` reads only those parts of each posting list, and counts BM25's
statistics within them, so another server's articles neither take a candidate's place
nor cost a question time nor change a score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.models import Library
from bot.storage.documents import Articles

SHARED = 0  # the shared library's number in ``Libraries.codes``


@dataclass(frozen=True, slots=True)
class View:
    """The articles one reader may see: as a mask over article numbers, and as the
    ranges [start, stop) of consecutive article numbers that mask is true on."""

    allowed: np.ndarray
    spans: np.ndarray  # (ranges, 2) int64, in increasing order

    def sentence_spans(self, article_first: np.ndarray) -> np.ndarray:
        """The same ranges in sentence numbers (an article's sentences are consecutive)."""
        return article_first[self.spans].astype(np.int64)


@dataclass(frozen=True, slots=True)
class Libraries:
    codes: np.ndarray  # article number -> its library's number (SHARED: the shared library)
    numbers: dict[str, int]  # server library id -> its number

    @classmethod
    def of(cls, articles: Articles) -> Libraries:
        numbers: dict[str, int] = {}
        codes = np.fromiter(
            (SHARED if h.library is None else numbers.setdefault(h.library, len(numbers) + 1)
             for h in articles.headers()),
            np.int32, len(articles),
        )
        return cls(codes, numbers)

    def visible(self, library: Library) -> View | None:
        """What a reader in ``library`` (None: a direct message) may see; None when that
        is every article (no server has any)."""
        if not self.numbers:
            return None
        own = self.numbers.get(library) if library is not None else None
        allowed = self.codes == SHARED
        if own is not None:
            allowed |= self.codes == own
        edges = np.flatnonzero(np.diff(allowed.astype(np.int8))) + 1
        bounds = np.r_[0, edges, len(allowed)]
        spans = np.column_stack((bounds[:-1], bounds[1:]))
        return View(allowed, spans[allowed[spans[:, 0]]] if len(allowed) else spans[:0])
