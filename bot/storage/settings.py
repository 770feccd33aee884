"""Small settings tables (guild settings, feeds) in the engine's store, off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.storage.store import ArticleStore

Record = dict[str, Any]


class SettingsTable:
    """One table of plain records, read and rewritten whole in a worker thread."""

    def __init__(self, store: ArticleStore, name: str) -> None:
        self._store = store
        self._name = name

    async def all(self) -> list[Record]:
        return await asyncio.to_thread(self._store.records, self._name)

    async def change(self, edit: Callable[[list[Record]], list[Record]]) -> list[Record]:
        """Replace the records with ``edit(records)`` atomically; returns the new records."""
        new: list[Record] = []

        def apply(records: list[Record]) -> list[Record]:
            nonlocal new
            new = edit(records)
            return new

        await asyncio.to_thread(self._store.update_records, self._name, apply)
        return new
