"""Answer composition: ranked hits -> cited excerpts with marked words and related links."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from bot.engine.index import Index
from bot.engine.models import Answer, Article, Citation, Excerpt, RelatedArticle
from bot.engine.query import Query
from bot.engine.ranking import Hit, coverage, rank
from bot.engine.text import WORD_RE, stem, terms

MAX_EXCERPTS = 3
MAX_RELATED = 5
MIN_COVERAGE = 0.4  # below this share of the question's terms, the engine abstains
UNKNOWN_NAME_FACTOR = 0.5  # per name or number asked about that no article contains
RELATED_MIN_SHARE = 0.3  # a related article scores at least this share of the best match


def compose(query: Query, index: Index, min_coverage: float = MIN_COVERAGE) -> Answer:
    hits = rank(query, index)
    penalty = UNKNOWN_NAME_FACTOR ** len(query.unknown_names)
    chosen = _pick(list(_covered(query, index, hits, min_coverage / penalty)))
    confidence = coverage(query, chosen[0].text(index)) * penalty if chosen else 0.0
    if not chosen or confidence < min_coverage:
        related = closest_articles(query, index, exclude=set(), limit=MAX_RELATED)
        return Answer(query.text, False, (), related, confidence)
    excerpts = tuple(_excerpt(query, index, hit) for hit in chosen)
    cited = {hit.article for hit in chosen}
    related = closest_articles(
        query, index, exclude=cited, limit=MAX_RELATED, like=[index.articles[a] for a in cited]
    )
    return Answer(query.text, True, excerpts, related, confidence)


def _covered(query: Query, index: Index, hits: list[Hit], floor: float) -> Iterator[Hit]:
    """Hits holding at least ``floor`` of the question's words, best first, until three
    articles are represented (coverage is only computed as far as needed)."""
    articles: set[int] = set()
    for hit in hits:
        if coverage(query, hit.text(index)) >= floor:
            yield hit
            articles.add(hit.article)
            if len(articles) == MAX_EXCERPTS:
                return


def _pick(hits: list[Hit]) -> list[Hit]:
    """Up to three excerpts, one per article where possible, never overlapping."""
    chosen: list[Hit] = []
    for hit in hits:
        if hit.article not in {c.article for c in chosen}:
            chosen.append(hit)
        if len(chosen) == MAX_EXCERPTS:
            return chosen
    for hit in hits:
        if len(chosen) == MAX_EXCERPTS:
            break
        if all(hit.last < c.first or hit.first > c.last or hit.article != c.article
               for c in chosen):
            chosen.append(hit)
    return sorted(chosen, key=lambda h: -h.score)


def _excerpt(query: Query, index: Index, hit: Hit) -> Excerpt:
    article = index.articles[hit.article]
    text = " ".join(hit.text(index).split())
    return Excerpt(text, highlight_spans(query, text), citation(article), round(hit.score, 4))


def highlight_spans(query: Query, text: str) -> tuple[tuple[int, int], ...]:
    """Character spans of the words in ``text`` that the question asked about."""
    return tuple(
        (m.start(), m.end())
        for m in WORD_RE.finditer(text)
        if stem(m.group().lower()) in query.stems
    )


def citation(article: Article) -> Citation:
    return Citation(article.id, article.title, article.source, article.url, article.published)


def related_entry(article: Article) -> RelatedArticle:
    return RelatedArticle(article.id, article.title, article.source, article.url, article.published)


def closest_articles(
    query: Query,
    index: Index,
    exclude: set[int],
    limit: int,
    like: list[Article] | None = None,
) -> tuple[RelatedArticle, ...]:
    """Articles most similar to the question and, when given, to the cited articles' titles;
    only those scoring a fair share of the best match, so unrelated news is not offered."""
    weights = dict(query.term_weights)
    for article in like or ():
        for term in terms(article.title):
            term_id = index.term_ids.get(term)
            if term_id is not None:
                weights[term_id] = weights.get(term_id, 0.0) + 0.5
    docs, scores = index.article_postings.score(weights)
    if not len(scores):
        return ()
    floor = RELATED_MIN_SHARE * float(scores.max())
    keep = scores >= floor
    docs, scores = docs[keep], scores[keep]
    best = np.argsort(-scores, kind="stable")[: limit + len(exclude)]
    picked = [index.articles[a] for a in docs[best].tolist() if a not in exclude][:limit]
    return tuple(related_entry(a) for a in picked)
