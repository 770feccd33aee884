"""Plain data passed between the engine's stages and to its front ends."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

Library = str | None  # a server's library (its guild id as text); None: the shared library


def library_of(guild_id: int | None) -> Library:
    """The library of the server ``guild_id``: what its admins load and feeds bring, read
    there with the shared one (None, outside any server: the shared library alone)."""
    return None if guild_id is None else str(guild_id)


@dataclass(frozen=True, slots=True)
class Article:
    """One stored news article. ``text`` keeps paragraphs separated by blank lines."""

    id: str
    url: str
    title: str
    source: str
    published: datetime | None
    authors: tuple[str, ...]
    text: str
    added_at: datetime
    # normalize.content_fingerprint(text), when whoever built the article computed it
    # (parsers do, in worker processes during bulk loads); empty when not known. A copy
    # with another text must not keep it.
    fingerprint: str = field(default="", compare=False, repr=False)
    library: Library = None  # whose it is: a server's library id, None for the shared library

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p.strip()]

    def __reduce__(self) -> tuple[type[Article], tuple]:
        """Pickled as its fields in order (bulk loads send every article from a parsing
        worker): a slotted dataclass's own pickling looks its fields up for each one."""
        return (Article, tuple(getattr(self, name) for name in _ARTICLE_FIELDS))


_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))


@dataclass(frozen=True, slots=True)
class Citation:
    article_id: str
    title: str
    source: str
    url: str
    published: datetime | None


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A quoted passage: the matched sentence with just enough neighbouring context.

    ``highlights`` are (start, end) character spans in ``text`` holding question words;
    ``answer_span`` the span the engine believes answers the question (None: no span of
    the kind asked). ``also_in`` counts other outlets that carried the same story.
    """

    text: str
    highlights: tuple[tuple[int, int], ...]
    citation: Citation
    score: float
    also_in: int = 0
    answer_span: tuple[int, int] | None = None

    @property
    def answer(self) -> str | None:
        return self.text[slice(*self.answer_span)] if self.answer_span else None


def marks(excerpt: Excerpt) -> list[tuple[int, int, bool]]:
    """The excerpt's marked spans in order, as (start, end, is_answer): the answer, and
    the question words outside it."""
    answer = excerpt.answer_span
    spans = [(start, end, False) for start, end in excerpt.highlights
             if answer is None or end <= answer[0] or start >= answer[1]]
    return sorted(spans + ([(*answer, True)] if answer else []))


RelatedArticle = Citation  # a related link names an article the same way a citation does


@dataclass(frozen=True, slots=True)
class Answer:
    """The engine's reply to one question. ``answered`` is False when nothing matched well:
    ``excerpts`` is then empty and ``related`` holds the closest articles."""

    question: str
    answered: bool
    excerpts: tuple[Excerpt, ...]
    related: tuple[RelatedArticle, ...]
    confidence: float


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one input item could not be loaded: ``where`` is file, line or item."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file in a loaded directory that is not in an article format (README.md is)."""

    where: str


@dataclass(slots=True)
class LoadReport:
    loaded: int = 0
    updated: int = 0
    duplicate: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)
    stored: list[tuple[Library, str]] = field(default_factory=list)  # (library, id) of each
    skipped: int = 0  # files in directories, not in an article format

    def summary(self) -> str:
        skipped = f", skipped {self.skipped} non-article files" if self.skipped else ""
        return (
            f"loaded {self.loaded}, updated {self.updated}, "
            f"duplicate {self.duplicate}, rejected {len(self.rejected)}{skipped}"
        )


@dataclass(frozen=True, slots=True)
class RecentPage:
    articles: tuple[Article, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts of what one reader sees: the shared library and, in a server, its own
    (``own``: its articles; 0 for the shared library alone)."""

    articles: int
    shared: int
    own: int
    sentences: int
    sources: int
    newest: datetime | None
    oldest: datetime | None
    db_path: str
    db_bytes: int
