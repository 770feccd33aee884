"""Which library each indexed article belongs to, and which articles one reader may see.

A reader in a server sees the shared library and that server's; in a direct message, the
shared library alone. The index numbers each library's articles consecutively
(``Articles.by_library``), so what a reader sees is a few ranges of document numbers:
``Postings.score`` reads only those parts of each posting list, and counts BM25's
statistics within them, so another server's articles neither take a candidate's place
nor cost a question time nor change a score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from bot.models import Library

SHARED = 0  # the shared library's number in ``Libraries.codes``
DEAD = "\x00dead"  # in place of a library: an indexed article removed or replaced since
DEAD_CODE = -1


@dataclass(frozen=True, slots=True)
class View:
    """The articles one reader may see: as a mask over article numbers, and as the
    ranges [start, stop) of consecutive article numbers that mask is true on."""

    allowed: np.ndarray
    spans: np.ndarray  # (ranges, 2) int64, in increasing order

    def sentence_spans(self, article_first: np.ndarray) -> np.ndarray:
        """The same ranges in sentence numbers (an article's sentences are consecutive)."""
        return article_first[self.spans].astype(np.int64)


def _spans(mask: np.ndarray) -> np.ndarray:
    """The ranges [start, stop) where ``mask`` is true."""
    if not len(mask):
        return np.empty((0, 2), np.int64)
    edges = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    bounds = np.r_[0, edges, len(mask)]
    spans = np.column_stack((bounds[:-1], bounds[1:])).astype(np.int64)
    return spans[mask[spans[:, 0]]]


@dataclass(frozen=True, slots=True)
class Libraries:
    codes: np.ndarray  # article number -> its library's number (SHARED; DEAD_CODE: dead)
    numbers: dict[str, int]  # server library id -> its number
    _views: dict[Library, View | None] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, libraries: Iterable[Library]) -> Libraries:
        """From each indexed article's library (None: shared; DEAD: dead)."""
        numbers: dict[str, int] = {}
        codes = np.fromiter(
            (SHARED if library is None else DEAD_CODE if library == DEAD
             else numbers.setdefault(library, len(numbers) + 1) for library in libraries),
            np.int32,
        )
        return cls(codes, numbers)

    def live_spans(self) -> np.ndarray | None:
        """The live articles' ranges; None when every article is live."""
        live = self.codes != DEAD_CODE
        return None if live.all() else _spans(live)

    def visible(self, library: Library) -> View | None:
        """What a reader in ``library`` (None: a direct message) may see; None when that
        is every article (no server has any, none is dead). Worked out once per library
        (a pass over every article)."""
        if library not in self._views:
            self._views[library] = self._view(library)
        return self._views[library]

    def _view(self, library: Library) -> View | None:
        own = self.numbers.get(library) if library is not None else None
        allowed = self.codes == SHARED
        if own is not None:
            allowed |= self.codes == own
        if allowed.all():
            return None
        return View(allowed, _spans(allowed))
