"""Builds the engine once at start, from settings: the one place front ends get it from."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from bot.config import DEFAULT_DB, SAMPLE_ARTICLES, Settings
from bot.engine import Engine
from bot.storage.store import ArticleStore

if TYPE_CHECKING:  # the feed modules import an HTTP client: a third of a second at start
    from bot.ingest.web.fetch import Fetcher
    from bot.polling import Poller
    from bot.storage.feeds import FeedList

log = logging.getLogger(__name__)


def open_engine(settings: Settings, serve_stale: bool = False) -> Engine:
    """Open the database; the default one is created from the sample articles on first run.

    ``serve_stale``: keep answering from the previous index while another process's
    changes are indexed (the bot); off, a change is indexed before the next answer (CLI).
    """
    first_run = settings.db_path.resolve() == DEFAULT_DB and not settings.db_path.exists()
    engine = Engine(
        ArticleStore(settings.db_path),
        min_confidence=settings.min_confidence,
        serve_stale=serve_stale,
        fetcher=partial(fetcher_for, settings),
    )
    if first_run and SAMPLE_ARTICLES.is_dir():
        report = engine.load([SAMPLE_ARTICLES])
        log.info("created %s from the sample articles: %s", settings.db_path, report.summary())
    return engine


def fetcher_for(settings: Settings) -> Fetcher:
    """The fetcher every feed, page and URL load goes through."""
    from bot.ingest.web.fetch import Fetcher

    return Fetcher(allow_private=settings.feed_allow_private, contact_url=settings.contact_url)


def poller_for(settings: Settings, engine: Engine, feeds: FeedList) -> Poller:
    from bot.polling import Poller

    return Poller(engine, feeds, fetcher_for(settings), settings.page_pause_seconds)
