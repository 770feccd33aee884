"""pytest fixtures for the Discord stand-in.

Enable with ``pytest_plugins = ["tests.standin.pytest_plugin"]`` in tests/conftest.py.

- ``fake_discord``: a started FakeDiscord (stopped after the test). Constructor arguments come
  from ``@pytest.mark.fake_discord(message_content_intent_granted=False, ...)``.
- ``discord_patched``: ``fake_discord`` with discord.py's REST base and gateway URL pointed at it.
- ``fail_on_discord_errors``: fails the test if any ``discord.*`` logger logged ERROR or worse.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Generator, Iterator

import discord
import pytest
import pytest_asyncio
import yarl

from tests.standin.server import FakeDiscord


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``fake_discord`` marker."""
    config.addinivalue_line(
        "markers", "fake_discord(**kwargs): keyword arguments for the FakeDiscord fixture"
    )


@pytest_asyncio.fixture
async def fake_discord(request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord on 127.0.0.1 (configure with the ``fake_discord`` marker)."""
    marker = request.node.get_closest_marker("fake_discord")
    fd = FakeDiscord(**(marker.kwargs if marker else {}))
    await fd.start()
    try:
        yield fd
    finally:
        await fd.stop()


@pytest.fixture
def discord_patched(fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> FakeDiscord:
    """Point discord.py's Route.BASE and DEFAULT_GATEWAY at the stand-in; restored after."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake_discord.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake_discord.gateway_url)
    )
    return fake_discord


class DiscordErrorLog(logging.Handler):
    """Collects ERROR+ records from the ``discord`` logger tree."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record."""
        self.records.append(record)

    def clear(self) -> None:
        """Forget records a test expected (call after asserting on them)."""
        self.records.clear()

    def report(self) -> str:
        """All collected records, formatted with tracebacks."""
        return "\n".join(self.format(r) for r in self.records)


ERROR_LOG_KEY = pytest.StashKey[DiscordErrorLog]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail the test itself (not just its teardown) when discord.py logged errors in it."""
    result = yield
    handler = item.stash.get(ERROR_LOG_KEY, None)
    if handler is not None and handler.records:
        report = handler.report()
        handler.clear()
        pytest.fail(f"discord.py logged errors during the test:\n{report}")
    return result


@pytest.fixture
def fail_on_discord_errors(request: pytest.FixtureRequest) -> Iterator[DiscordErrorLog]:
    """Fail the test if discord.py logged at ERROR or above (it logs handler exceptions
    instead of raising them), during the test or its teardown. Tests expecting an error can
    inspect ``.records`` and then ``.clear()`` them.
    """
    logger = logging.getLogger("discord")
    handler = DiscordErrorLog()
    request.node.stash[ERROR_LOG_KEY] = handler
    old_level = logger.level
    if logger.getEffectiveLevel() > logging.ERROR:
        logger.setLevel(logging.ERROR)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    if handler.records:
        pytest.fail(f"discord.py logged errors during teardown:\n{handler.report()}")
