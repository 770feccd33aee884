"""Settings, read once at start: environment variables win over the ``.env`` file.

Each setting's default is written once, on its ``Settings`` field; ``ENVIRONMENT`` names
the variable that overrides it and how its text is read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv import dotenv_values

from bot.answering.weights import MIN_CONFIDENCE

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
DEFAULT_DB = DATA_DIR / "newsbot.json"
SAMPLE_ARTICLES = DATA_DIR / "articles"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    discord_token: str = field(default="", repr=False)  # never printed
    db_path: Path = DEFAULT_DB
    dev_guild_id: int | None = None
    # Users who may change the shared library and purge servers' libraries, besides the
    # application's owner (or team); their commands exist only in the owner guild (else
    # the dev guild; with neither, nowhere).
    owner_ids: frozenset[int] = frozenset()
    owner_guild_id: int | None = None
    admin_role: str = ""
    sharded: bool = False
    message_content: bool = True
    cooldown_seconds: float = 5.0
    max_upload_bytes: int = 10 * 1024 * 1024
    feed_interval_minutes: float = 30.0
    feed_allow_private: bool = False
    contact_url: str = ""  # in the User-Agent of every fetch, for site owners
    page_pause_seconds: float = 1.0  # between two pages fetched from one host
    min_confidence: float = MIN_CONFIDENCE  # answers less likely right than this abstain
    log_level: str = "INFO"
    discord_api_base: str = ""
    discord_gateway_url: str = ""


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def _float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None


def _bool(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _ids(name: str, raw: str) -> frozenset[int]:
    return frozenset(_int(name, part.strip()) for part in raw.split(",") if part.strip())


def _text(_name: str, raw: str) -> str:
    return raw


def _path(_name: str, raw: str) -> Path:
    return Path(raw)


def _upper(_name: str, raw: str) -> str:
    return raw.upper()


Parser = Callable[[str, str], object]
ENVIRONMENT: dict[str, tuple[str, Parser]] = {  # field -> (variable, how its text is read)
    "discord_token": ("DISCORD_TOKEN", _text),
    "db_path": ("NEWSBOT_DB", _path),
    "dev_guild_id": ("DEV_GUILD_ID", _int),
    "owner_ids": ("NEWSBOT_OWNER_IDS", _ids),
    "owner_guild_id": ("NEWSBOT_OWNER_GUILD", _int),
    "admin_role": ("NEWSBOT_ADMIN_ROLE", _text),
    "sharded": ("NEWSBOT_SHARDED", _bool),
    "message_content": ("NEWSBOT_MESSAGE_CONTENT", _bool),
    "cooldown_seconds": ("NEWSBOT_COOLDOWN_SECONDS", _float),
    "max_upload_bytes": ("NEWSBOT_MAX_UPLOAD_BYTES", _int),
    "feed_interval_minutes": ("NEWSBOT_FEED_INTERVAL_MINUTES", _float),
    "feed_allow_private": ("NEWSBOT_FEED_ALLOW_PRIVATE", _bool),
    "contact_url": ("NEWSBOT_CONTACT_URL", _text),
    "page_pause_seconds": ("NEWSBOT_PAGE_PAUSE_SECONDS", _float),
    "min_confidence": ("NEWSBOT_MIN_CONFIDENCE", _float),
    "log_level": ("NEWSBOT_LOG_LEVEL", _upper),
    "discord_api_base": ("DISCORD_API_BASE", _text),
    "discord_gateway_url": ("DISCORD_GATEWAY_URL", _text),
}


def load_settings(env_file: str | Path | None = ".env", **overrides: object) -> Settings:
    """Settings from the environment and ``env_file``; an unset or empty variable keeps the
    default, and ``overrides`` that are not None win over both."""
    values: dict[str, str | None] = {}
    if env_file and Path(env_file).is_file():
        values.update(dotenv_values(env_file))
    values.update(os.environ)
    given: dict[str, object] = {}
    for name, (variable, parse) in ENVIRONMENT.items():
        raw = (values.get(variable) or "").strip()
        if raw:
            given[name] = parse(variable, raw)
    given.update({k: v for k, v in overrides.items() if v is not None})
    return replace(Settings(), **given)
