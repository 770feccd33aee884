"""A loopback Discord stand-in (REST API v10 + gateway) for driving real discord.py in tests."""

from tests.standin.harness import running_bot
from tests.standin.interactions import InteractionRecord
from tests.standin.payloads import ADMINISTRATOR, EPHEMERAL, LOADING, MANAGE_GUILD
from tests.standin.rest import RecordedRequest
from tests.standin.server import FakeDiscord

__all__ = [
    "ADMINISTRATOR",
    "EPHEMERAL",
    "LOADING",
    "MANAGE_GUILD",
    "FakeDiscord",
    "InteractionRecord",
    "RecordedRequest",
    "running_bot",
]
