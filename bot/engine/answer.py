"""Answer composition: ranked hits -> cited excerpts with marked words and related links."""

from __future__ import annotations

from bot.engine.index import Index
from bot.engine.models import Answer, Article, Citation, Excerpt, RelatedArticle
from bot.engine.query import Query
from bot.engine.ranking import Hit, rank
from bot.engine.text import WORD_RE, stem, terms

MAX_EXCERPTS = 3
MAX_RELATED = 5
MIN_COVERAGE = 0.4  # below this share of the question's terms, the engine abstains
UNKNOWN_NAME_FACTOR = 0.5  # per name or number asked about that no article contains
RELATED_MIN_SHARE = 0.3  # a related article scores at least this share of the best match


def compose(query: Query, index: Index, min_coverage: float = MIN_COVERAGE) -> Answer:
    hits = rank(query, index)
    chosen = _pick([h for h in hits if h.coverage >= min_coverage] or hits[:1])
    penalty = UNKNOWN_NAME_FACTOR ** len(query.unknown_names)
    confidence = chosen[0].coverage * penalty if chosen else 0.0
    if not chosen or confidence < min_coverage:
        related = closest_articles(query, index, exclude=set(), limit=MAX_RELATED)
        return Answer(query.text, False, (), related, confidence)
    excerpts = tuple(_excerpt(query, index, hit) for hit in chosen)
    cited = {hit.article for hit in chosen}
    related = closest_articles(
        query, index, exclude=cited, limit=MAX_RELATED, like=[index.articles[a] for a in cited]
    )
    return Answer(query.text, True, excerpts, related, confidence)


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
    text = article.text[int(index.sent_start[hit.first]) : int(index.sent_end[hit.last])]
    text = " ".join(text.split())
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
    order = (-scores).argsort(kind="stable")
    picked = [
        index.articles[int(docs[i])]
        for i in order
        if scores[i] >= floor and int(docs[i]) not in exclude
    ][:limit]
    return tuple(related_entry(a) for a in picked)
