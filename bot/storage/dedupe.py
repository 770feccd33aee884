"""Which stored article a new one is: by its library and id (the canonical URL), and by
its content fingerprint (the same story under another URL). Rebuilt from the documents
whenever the file is re-read; kept in step by the store as it writes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from bot.models import Library

Key = tuple[Library, str]  # (library, article id): the same URL in two libraries is two copies


def same_story(
    key: Key, fingerprint: str, stored: Callable[[Key], bool],
    story_stored: Callable[[tuple[Library, str]], bool],
) -> bool:
    """The dedupe rule: whether this content is already in the key's library, or (for a
    server's article) in the shared library under any URL, or this URL is shared
    already; ``stored`` tells a held (library, id), ``story_stored`` a held (library,
    fingerprint)."""
    library, article_id = key
    if story_stored((library, fingerprint)):
        return True
    return library is not None and (stored((None, article_id)) or story_stored((None, fingerprint)))


class Keys:
    def __init__(
        self,
        doc_ids: Callable[[], dict[Key, int]] = dict,
        stored: Callable[[], Iterable[tuple[Key, str]]] = tuple,
        last_doc_id: int = 0,
    ) -> None:
        """The keys of documents stored as ``doc_ids()`` says, in its order, as
        ``remember`` called for each would leave them. Both the ids and the fingerprints
        (from ``stored``) are read when first needed: a serving start at a million articles
        needs neither (1.5 s and 2.7 s). What they give must not change before the first
        write. ``last_doc_id``: the highest document id used elsewhere (the keys of a log's
        tail over ``key_columns``), if higher than these."""
        self._read_doc_ids = doc_ids
        self._doc_ids: dict[Key, int] | None = None
        self._stored = stored  # (key, fingerprint) of each document, in the order stored
        self._by_fingerprints: tuple[dict[tuple[Library, str], str], dict[Key, str]] | None = None
        self._last_doc_id = last_doc_id

    def _ids(self) -> dict[Key, int]:
        """Key -> document id."""
        if self._doc_ids is None:
            self._doc_ids = self._read_doc_ids()
            self._last_doc_id = max(max(self._doc_ids.values(), default=0), self._last_doc_id)
        return self._doc_ids

    def _fingerprinted(self) -> tuple[dict[tuple[Library, str], str], dict[Key, str]]:
        """(library, fingerprint) -> article id, and key -> fingerprint."""
        if self._by_fingerprints is None:
            rows = list(self._stored())
            self._by_fingerprints = (
                {(key[0], fingerprint): key[1] for key, fingerprint in rows},
                dict(rows),
            )
        return self._by_fingerprints

    def __len__(self) -> int:
        return len(self._ids())

    def doc_id(self, key: Key) -> int | None:
        return self._ids().get(key)

    def next_doc_id(self) -> int:
        self._ids()
        return self._last_doc_id + 1

    def remember(self, key: Key, doc_id: int, fingerprint: str) -> None:
        """``key`` is stored as ``doc_id`` with this content (an update replaces the old)."""
        library, article_id = key
        by_fingerprint, fingerprints = self._fingerprinted()
        old = fingerprints.get(key)
        if old is not None and by_fingerprint.get((library, old)) == article_id:
            del by_fingerprint[(library, old)]
        self._ids()[key] = doc_id
        self._last_doc_id = max(self._last_doc_id, doc_id)
        by_fingerprint[(library, fingerprint)] = article_id
        fingerprints[key] = fingerprint

    def persisted(self) -> tuple[Iterable[Key], Iterable[tuple[Library, str]], int]:
        """What ``key_columns`` holds of these: each key, each (library, fingerprint) looked
        up, and the highest document id."""
        return self._ids().keys(), self._fingerprinted()[0].keys(), self._last_doc_id

    def same_story_stored(self, key: Key, fingerprint: str) -> bool:
        return same_story(key, fingerprint, self._ids().__contains__,
                          self._fingerprinted()[0].__contains__)

    def of_library(self, library: Library) -> Iterator[int]:
        """Document ids of ``library``'s own articles."""
        return (doc_id for (owner, _id), doc_id in self._ids().items() if owner == library)

    def library_sizes(self) -> Counter[Library]:
        return Counter(library for library, _id in self._ids())
