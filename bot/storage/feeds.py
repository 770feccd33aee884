"""Feed records (table "feeds"): which feeds each server polls, their validators, their
health, and the state of the pages their items link to."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.storage.settings import Record, SettingsTable

TABLE = "feeds"
FAILURES_TO_PAUSE = 10


class FeedList:
    """Feed records: {"url", "guild_id", "channel_id" (announcements), "etag", "modified",
    "last_success", "last_error", "failures" (in a row), "items_loaded", "paused" (why, or
    None), "pages" (link -> page state, see bot.ingest.web.urls)}."""

    def __init__(self, table: SettingsTable) -> None:
        self._table = table

    async def all(self) -> list[Record]:
        return await self._table.all()

    async def of_guild(self, guild_id: int) -> list[Record]:
        return [f for f in await self.all() if f.get("guild_id") == guild_id]

    async def add(self, guild_id: int | None, url: str, channel_id: int | None) -> bool:
        """Add a feed to a guild; False when the guild already has it."""
        new = {"url": url, "guild_id": guild_id, "channel_id": channel_id,
               "etag": None, "modified": None, "last_success": None, "last_error": None,
               "failures": 0, "items_loaded": 0, "paused": None, "pages": {}}
        known: list[bool] = []

        def edit(feeds: list[Record]) -> list[Record]:
            known.append(any(_same(f, guild_id, url) for f in feeds))
            return feeds if known[-1] else [*feeds, new]

        await self._table.change(edit)
        return not known[-1]

    async def remove(self, guild_id: int | None, url: str) -> bool:
        """Remove a guild's feed; False when it had no such feed."""
        before = len(await self.all())
        after = await self._table.change(
            lambda feeds: [f for f in feeds if not _same(f, guild_id, url)]
        )
        return len(after) < before

    async def purge(self, guild_id: int) -> int:
        """Remove every feed of a guild; how many there were."""
        before = len(await self.all())
        after = await self._table.change(
            lambda feeds: [f for f in feeds if f.get("guild_id") != guild_id]
        )
        return before - len(after)

    async def succeeded(
        self, feed: Record, etag: str | None, modified: str | None, loaded: int,
        pages: dict[str, Any],
    ) -> None:
        """A good poll: the validators for the next conditional GET, the page states."""

        def edit(f: Record) -> None:
            f.update(etag=etag, modified=modified, last_success=_now(), failures=0,
                     paused=None, pages=pages, items_loaded=f.get("items_loaded", 0) + loaded)

        await self._edit(feed, edit)

    async def failed(self, feed: Record, reason: str) -> Record | None:
        """A failed poll; returns the record when this failure paused the feed."""
        paused: list[Record] = []

        def edit(f: Record) -> None:
            f.update(last_error=f"{_now()}: {reason}", failures=f.get("failures", 0) + 1)
            if f["failures"] >= FAILURES_TO_PAUSE and not f.get("paused"):
                f["paused"] = f"{f['failures']} failures in a row, the last: {reason}"
                paused.append(f)

        await self._edit(feed, edit)
        return paused[0] if paused else None

    async def retry(self, guild_id: int | None, url: str) -> bool:
        """Resume a feed (paused or not) with its failure count cleared; False when the
        guild has no such feed."""
        found: list[Record] = []

        def edit(f: Record) -> None:
            f.update(paused=None, failures=0)
            found.append(f)

        await self._edit({"guild_id": guild_id, "url": url}, edit)
        return bool(found)

    async def _edit(self, feed: Record, edit: Callable[[Record], None]) -> None:
        def apply(feeds: list[Record]) -> list[Record]:
            for f in feeds:
                if _same(f, feed["guild_id"], feed["url"]):
                    edit(f)
            return feeds

        await self._table.change(apply)


def _same(feed: Record, guild_id: int | None, url: str) -> bool:
    return feed.get("guild_id") == guild_id and feed.get("url") == url


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
