"""Per-guild settings (ask channels), stored in table "guilds" and cached in memory."""

from __future__ import annotations

from bot.storage.settings import Record, SettingsTable

TABLE = "guilds"


class GuildSettings:
    """Which channels of each guild are ask channels (every message there is a question)."""

    def __init__(self, table: SettingsTable) -> None:
        self._table = table
        self._ask: dict[int, frozenset[int]] = {}

    async def load(self) -> None:
        self._remember(await self._table.all())

    def ask_channels(self, guild_id: int) -> frozenset[int]:
        return self._ask.get(guild_id, frozenset())

    async def set_ask_channel(self, guild_id: int, channel_id: int, enabled: bool) -> bool:
        """Make ``channel_id`` an ask channel or not; False when it already was / wasn't."""
        if (channel_id in self.ask_channels(guild_id)) == enabled:
            return False

        def edit(records: list[Record]) -> list[Record]:
            mine = next((r for r in records if r.get("guild_id") == guild_id), None)
            if mine is None:
                mine = {"guild_id": guild_id, "ask_channels": []}
                records.append(mine)
            channels = set(mine.get("ask_channels") or [])
            channels = channels | {channel_id} if enabled else channels - {channel_id}
            mine["ask_channels"] = sorted(channels)
            return records

        self._remember(await self._table.change(edit))
        return True

    async def purge(self, guild_id: int) -> None:
        """Forget every setting of a guild."""
        self._remember(await self._table.change(
            lambda records: [r for r in records if r.get("guild_id") != guild_id]
        ))

    def _remember(self, records: list[Record]) -> None:
        self._ask = {
            int(r["guild_id"]): frozenset(int(c) for c in r.get("ask_channels") or [])
            for r in records
            if "guild_id" in r
        }
