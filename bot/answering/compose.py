"""Answer composition: ranked hits -> cited excerpts with marked words and related links."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from bot.answering.followup import is_new_topic, prefer, with_context
from bot.answering.query import Query
from bot.answering.rank import Hit, rank
from bot.answering.relevance import shown_rule, story_coverage, unknown_share
from bot.answering.retrieve import MAX_EXCERPT_CHARS, top_k
from bot.answering.spans import answer_span, asked_kind
from bot.answering.weights import CONFIDENCE
from bot.models import Answer, Article, Citation, Excerpt, RelatedArticle
from bot.search.analysis import WORD_RE, stem, terms, words
from bot.search.index import Index
from bot.search.postings import ARTICLE_CANDIDATE_POSTINGS, ARTICLE_CANDIDATES

MAX_EXCERPTS = 3
MAX_PER_ARTICLE = 2
LEAD_STORIES = 2  # stories quoted before the best story's second passage
MAX_RELATED = 5
# A question with more than half its content words in no article is about
# something the archive never mentions: set by hand (news-QA questions are written from
# their articles, so that data cannot teach it); on rtqa-dev it hides no right answer.
MAX_UNKNOWN_SHARE = 0.5
ANSWER_VOTERS = 10  # stories whose best passages vote for an excerpt's answer
RELATED_MIN_SHARE = 0.3  # a related article scores at least this share of the best match
RELATED_POOL = 100  # best-scoring articles considered for the related links
RELATED_TITLE_TERMS = 8  # of the cited titles' words, how many join the related-links query
TITLE_TERM_WEIGHT = 0.5  # each such word's weight there, per cited title holding it


def compose(
    query: Query, index: Index, min_confidence: float, previous: Query | None = None
) -> Answer:
    """The answer to ``query``; ``previous`` is the question it follows up (a reply to an
    answer), whose words and cited stories it is asked with unless it is a new topic."""
    preferred: set[int] = set()
    hits: list[Hit] | None = None  # the question's own ranking, when already known
    if previous is not None:
        cited = {hit.article for hit in _chosen(previous, index, min_confidence, set())[0]}
        hits = rank(query, index)
        if not is_new_topic(query, index, cited, hits[0].article if hits else None):
            query, preferred, hits = with_context(query, previous), cited, None
    chosen, confidence, hits = _chosen(query, index, min_confidence, preferred, hits)
    if not chosen:
        related = closest_articles(query, index, exclude=set(), limit=MAX_RELATED)
        return Answer(query.text, False, (), related, confidence)
    kind = asked_kind(query.text)
    voters = _voters(index, hits)
    excerpts = tuple(_excerpt(query, index, hit, kind, voters) for hit in chosen)
    cited = {hit.article for hit in chosen}
    related = closest_articles(
        query, index, exclude=cited, limit=MAX_RELATED, like=[index.articles[a] for a in cited]
    )
    return Answer(query.text, True, excerpts, related, confidence)


def _chosen(
    query: Query,
    index: Index,
    min_confidence: float,
    preferred: set[int],
    ranked: list[Hit] | None = None,
) -> tuple[list[Hit], float, list[Hit]]:
    """The hits to quote (none when not confident enough), the confidence and all the
    ranked hits (``ranked``: the query's, when already ranked); the stories of
    ``preferred`` articles rank higher."""
    hits = rank(query, index) if ranked is None else ranked
    if not hits:
        return [], 0.0, hits
    best = max(hits, key=lambda hit: hit.plain)
    coverage = float(story_coverage(query, index, np.array([best.article]))[0])
    confidence = answer_confidence(query, best, coverage, unknown_share(query, index))
    if confidence < min_confidence:
        return [], confidence, hits
    if preferred:
        hits = prefer(hits, index, preferred)
    chosen = pick(
        hits,
        lambda article: int(index.article_story[article]),
        lambda hit: [index.sentence_text(n) for n in range(hit.first, hit.last + 1)],
        shown_rule(query, index, hits),
    )
    if query.newest:  # "the latest on ...": the newest of the reports about it first
        chosen.sort(key=lambda hit: -int(index.article_day[hit.article]))
    return chosen, confidence, hits


def answer_confidence(query: Query, best: Hit, coverage: float, unknown: float) -> float:
    """How likely the excerpts hold the answer, from the best hit's score without the kind
    features (``Hit.plain``), the names or numbers asked about that no article contains and
    how much of the question the best hit's story holds (``coverage``; calibrated on news
    questions, for the excerpts the full weights choose); 0 when most of the
    question's content words are words no article contains (``unknown``, a share)."""
    if unknown > MAX_UNKNOWN_SHARE:
        return 0.0
    z = (CONFIDENCE["best_score"] * best.plain
         + CONFIDENCE["unknown_names"] * len(query.unknown_names)
         + CONFIDENCE["best_coverage"] * coverage + CONFIDENCE["bias"])
    return 0.5 * (1 + math.tanh(z / 2))  # the logistic function, without overflow


def pick(
    hits: Sequence[Hit],
    story: Callable[[int], int],
    sentences: Callable[[Hit], Sequence[str]],
    shown: Callable[[Hit], bool] = lambda hit: True,
) -> list[Hit]:
    """Up to three excerpts: the best two stories, in order of their best score, each
    quoted at the passage its ``passage`` score prefers, then a second passage of the best
    story's article (never overlapping), then the next stories. A syndicated copy of a
    cited story (same ``story``, another article) is not quoted again, nor a passage one of
    whose ``sentences`` (its excerpt's) is word for word one already quoted (an updated
    version of a report under another URL: none of its passages then, even where the
    update reworded the sentence it would be quoted at). Only when fewer stories match
    do further passages of cited articles fill in. After the first excerpt, only hits
    that ``shown`` accepts are quoted (a story ranked as its best hit; the best story's
    second passage is about the question's subject): no padding with stories that are not
    about the question. (On rtqa-dev the best story's second passage holds the answer
    more often than a third story: hit@3 +0.014 / +0.010, fitted on even weeks and scored
    on odd, and the reverse.)"""
    quoted: dict[int, Hit] = {}
    for hit in hits:
        key = story(hit.article)
        if key not in quoted or hit.passage > quoted[key].passage:
            quoted[key] = hit
    chosen: list[Hit] = []
    versions: set[int] = set()  # stories whose quote repeats one already quoted

    said_by: dict[tuple[int, int, int, int], set[tuple[str, ...]]] = {}

    def said(hit: Hit) -> set[tuple[str, ...]]:
        """The excerpt's sentences as words, tokenized once however often compared."""
        key = (hit.article, hit.sentence, hit.first, hit.last)
        if key not in said_by:
            said_by[key] = {tuple(words(text)) for text in sentences(hit)}
        return said_by[key]

    def repeats(hit: Hit) -> bool:
        return any(said(hit) & said(c) for c in chosen)

    def fills_in(hit: Hit, lead: bool = False) -> bool:
        """Whether ``hit`` may be quoted as a further passage of a cited article (of the
        ``lead`` story's: about the question's subject whatever ``shown`` says)."""
        return sum(c.article == hit.article for c in chosen) < MAX_PER_ARTICLE and all(
            story(hit.article) != story(c.article)
            or (hit.article == c.article and (hit.last < c.first or hit.first > c.last))
            for c in chosen
        ) and story(hit.article) not in versions and (lead or shown(hit)) and not repeats(hit)

    def lead_second_passage() -> None:
        """The best story's article quoted again at its best other passage, if any."""
        lead = chosen[0].article
        second = [h for h in hits if h.article == lead and fills_in(h, lead=True)]
        if second:
            chosen.append(max(second, key=lambda h: h.passage))

    for hit in hits:
        passage = quoted.pop(story(hit.article), None)
        if passage is None or (chosen and not shown(hit)):
            continue
        if repeats(passage):
            versions.add(story(hit.article))
            continue
        chosen.append(replace(passage, score=hit.score))  # ranked as its story
        if len(chosen) == LEAD_STORIES:
            lead_second_passage()
        if len(chosen) == MAX_EXCERPTS:
            break
    if 0 < len(chosen) < LEAD_STORIES:  # fewer stories matched
        lead_second_passage()
    for hit in hits:
        if len(chosen) == MAX_EXCERPTS:
            break
        if fills_in(hit):
            chosen.append(hit)
    return sorted(chosen, key=lambda hit: -hit.score)


def _voters(index: Index, hits: Sequence[Hit]) -> dict[int, str]:
    """The lower-cased windows of the best ``ANSWER_VOTERS`` stories' best hits, by story:
    an answer other stories name too is likelier the answer."""
    voters: dict[int, str] = {}
    for hit in hits:
        story = int(index.article_story[hit.article])
        if story not in voters:
            voters[story] = hit.text(index).lower()
            if len(voters) == ANSWER_VOTERS:
                break
    return voters


def _excerpt(
    query: Query, index: Index, hit: Hit, kind: str | None, voters: dict[int, str]
) -> Excerpt:
    article = index.articles[hit.article]
    text = _clip(" ".join(hit.text(index).split()))
    story = int(index.article_story[hit.article])
    same_story = index.article_story == story
    if query.view is not None:  # copies the asker cannot see are not counted either
        same_story &= query.view.allowed
    copies = int(np.count_nonzero(same_story))
    highlights = highlight_spans(query, text)
    others = [window for other, window in voters.items() if other != story]
    return Excerpt(
        text, highlights, citation(article), round(hit.score, 4), copies - 1,
        answer_span(kind, text, query.text, highlights, others),
    )


def _clip(text: str) -> str:
    """A single overlong "sentence" (a list, a table row) is cut at a word boundary."""
    if len(text) <= MAX_EXCERPT_CHARS:
        return text
    return text[: MAX_EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "\u2026"


def highlight_spans(query: Query, text: str) -> tuple[tuple[int, int], ...]:
    """Character spans of the words in ``text`` that the question asked about."""
    return tuple(
        (m.start(), m.end())
        for m in WORD_RE.finditer(text)
        if stem(m.group().lower()) in query.stems
    )


def citation(article: Article) -> Citation:
    return Citation(article.id, article.title, article.source, article.url, article.published)


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
    titled = Counter(
        term_id
        for article in like or ()
        for term_id in {index.term_ids.get(term) for term in terms(article.title)}
        if term_id is not None
    )
    # The rarest title words carry the likeness; common ones ("says", "new") only cost time.
    for term_id in sorted(titled, key=index.article_postings.df)[:RELATED_TITLE_TERMS]:
        weights[term_id] = weights.get(term_id, 0.0) + TITLE_TERM_WEIGHT * titled[term_id]
    docs, scores = index.article_postings.score(
        weights, ARTICLE_CANDIDATE_POSTINGS, None if query.view is None else query.view.spans,
        ARTICLE_CANDIDATES,
    )
    if not len(scores):
        return ()
    floor = RELATED_MIN_SHARE * float(scores.max())
    keep = scores >= floor
    docs, scores = docs[keep], scores[keep]
    docs, scores = top_k(docs, scores, RELATED_POOL)  # sort only the best few of 100,000
    shown = {int(index.article_story[a]) for a in exclude}
    picked: list[Article] = []
    for a in docs[np.argsort(-scores, kind="stable")].tolist():
        if int(index.article_story[a]) not in shown:
            shown.add(int(index.article_story[a]))
            picked.append(index.articles[a])
            if len(picked) == limit:
                break
    return tuple(citation(a) for a in picked)
