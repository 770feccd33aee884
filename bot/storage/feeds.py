"""Feed records (table "feeds"): which feeds each server polls, with their validators."""

from __future__ import annotations

from bot.storage.settings import Record, SettingsTable

TABLE = "feeds"


class FeedList:
    """Feed records: {"url", "guild_id", "channel_id" (announcements), "etag", "modified"}."""

    def __init__(self, table: SettingsTable) -> None:
        self._table = table

    async def all(self) -> list[Record]:
        return await self._table.all()

    async def of_guild(self, guild_id: int) -> list[Record]:
        return [f for f in await self.all() if f.get("guild_id") == guild_id]

    async def add(self, guild_id: int, url: str, channel_id: int | None) -> bool:
        """Add a feed to a guild; False when the guild already has it."""
        new = {"url": url, "guild_id": guild_id, "channel_id": channel_id,
               "etag": None, "modified": None}
        added = await self._table.change(
            lambda feeds: feeds if any(_same(f, guild_id, url) for f in feeds) else [*feeds, new]
        )
        return new in added

    async def remove(self, guild_id: int, url: str) -> bool:
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

    async def remember(self, feed: Record, etag: str | None, modified: str | None) -> None:
        """Store the validators for the next conditional GET."""

        def edit(feeds: list[Record]) -> list[Record]:
            for f in feeds:
                if _same(f, feed["guild_id"], feed["url"]):
                    f.update(etag=etag, modified=modified)
            return feeds

        await self._table.change(edit)


def _same(feed: Record, guild_id: int, url: str) -> bool:
    return feed.get("guild_id") == guild_id and feed.get("url") == url
