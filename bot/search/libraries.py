"""Which library each indexed article belongs to, and which articles one reader may see.

A reader in a server sees the shared library and that server's; in a direct message, the
shared library alone. The mask this gives is applied where candidates are chosen
(``Postings.score``), so another server's articles never take a candidate's place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.models import Library
from bot.storage.documents import Articles

SHARED = 0  # the shared library's number in ``Libraries.codes``
Admit = Callable[[np.ndarray], np.ndarray]  # document numbers -> which of them may be shown


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

    def visible(self, library: Library) -> np.ndarray | None:
        """Which articles a reader in ``library`` (None: a direct message) may see, as a
        mask over article numbers; None when that is every article (no server has any)."""
        if not self.numbers:
            return None
        own = self.numbers.get(library) if library is not None else None
        if own is None:
            return self.codes == SHARED
        return (self.codes == SHARED) | (self.codes == own)


def admit_articles(allowed: np.ndarray | None) -> Admit | None:
    """``Postings.score``'s filter over article numbers."""
    return None if allowed is None else allowed.__getitem__


def admit_sentences(allowed: np.ndarray | None, sent_article: np.ndarray) -> Admit | None:
    """``Postings.score``'s filter over sentence numbers (by their articles)."""
    if allowed is None:
        return None
    return lambda sentences: allowed[sent_article[sentences]]
