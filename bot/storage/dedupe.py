"""Which stored article a new one is: by its library and id (the canonical URL), and by
its content fingerprint (the same story under another URL). Rebuilt from the documents
whenever the file is re-read; kept in step by the store as it writes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from bot.models import Library

Key = tuple[Library, str]  # (library, article id): the same URL in two libraries is two copies


class Keys:
    def __init__(self) -> None:
        self._doc_ids: dict[Key, int] = {}
        self._by_fingerprint: dict[tuple[Library, str], str] = {}  # -> article id
        self._fingerprints: dict[Key, str] = {}
        self._last_doc_id = 0  # the highest document id remembered

    @classmethod
    def of(cls, stored: Iterable[tuple[int, Key, str]]) -> Keys:
        """The keys of documents (document id, key, fingerprint) stored in this order, as
        ``remember`` called for each would leave them, built a dictionary at a time (a
        call per document took a third of a second at 100,000 articles)."""
        rows = list(stored)
        keys = cls()
        keys._doc_ids = {key: doc_id for doc_id, key, _fingerprint in rows}
        keys._fingerprints = {key: fingerprint for _doc_id, key, fingerprint in rows}
        keys._by_fingerprint = {(key[0], fingerprint): key[1] for _d, key, fingerprint in rows}
        keys._last_doc_id = max(keys._doc_ids.values(), default=0)
        return keys

    def __len__(self) -> int:
        return len(self._doc_ids)

    def doc_id(self, key: Key) -> int | None:
        return self._doc_ids.get(key)

    def next_doc_id(self) -> int:
        return self._last_doc_id + 1

    def remember(self, key: Key, doc_id: int, fingerprint: str) -> None:
        """``key`` is stored as ``doc_id`` with this content (an update replaces the old)."""
        library, article_id = key
        old = self._fingerprints.get(key)
        if old is not None and self._by_fingerprint.get((library, old)) == article_id:
            del self._by_fingerprint[(library, old)]
        self._doc_ids[key] = doc_id
        self._last_doc_id = max(self._last_doc_id, doc_id)
        self._by_fingerprint[(library, fingerprint)] = article_id
        self._fingerprints[key] = fingerprint

    def same_story_stored(self, key: Key, fingerprint: str) -> bool:
        """Whether this content is already in the key's library, or (for a server's
        article) in the shared library under any URL, or this URL is shared already."""
        library, article_id = key
        if (library, fingerprint) in self._by_fingerprint:
            return True
        return library is not None and (
            (None, article_id) in self._doc_ids or (None, fingerprint) in self._by_fingerprint
        )

    def of_library(self, library: Library) -> Iterator[int]:
        """Document ids of ``library``'s own articles."""
        return (doc_id for (owner, _id), doc_id in self._doc_ids.items() if owner == library)

    def library_sizes(self) -> Counter[Library]:
        return Counter(library for library, _id in self._doc_ids)
