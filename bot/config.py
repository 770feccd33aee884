"""Settings, read once at start: environment variables win over the ``.env`` file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv import dotenv_values

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
    admin_role: str = ""
    sharded: bool = False
    message_content: bool = True
    cooldown_seconds: float = 5.0
    max_upload_bytes: int = 10 * 1024 * 1024
    feed_interval_minutes: float = 30.0
    feed_allow_private: bool = False
    contact_url: str = ""  # in the User-Agent of every fetch, for site owners
    page_pause_seconds: float = 1.0  # between two pages fetched from one host
    min_confidence: float | None = None
    log_level: str = "INFO"
    discord_api_base: str = ""
    discord_gateway_url: str = ""


def load_settings(env_file: str | Path | None = ".env", **overrides: object) -> Settings:
    values: dict[str, str | None] = {}
    if env_file and Path(env_file).is_file():
        values.update(dotenv_values(env_file))
    values.update(os.environ)

    def get(name: str, default: str = "") -> str:
        return (values.get(name) or default).strip()

    settings = Settings(
        discord_token=get("DISCORD_TOKEN"),
        db_path=Path(get("NEWSBOT_DB") or DEFAULT_DB),
        dev_guild_id=_int("DEV_GUILD_ID", get("DEV_GUILD_ID")) if get("DEV_GUILD_ID") else None,
        admin_role=get("NEWSBOT_ADMIN_ROLE"),
        sharded=_bool("NEWSBOT_SHARDED", get("NEWSBOT_SHARDED", "false")),
        message_content=_bool("NEWSBOT_MESSAGE_CONTENT", get("NEWSBOT_MESSAGE_CONTENT", "true")),
        cooldown_seconds=_float("NEWSBOT_COOLDOWN_SECONDS", get("NEWSBOT_COOLDOWN_SECONDS", "5")),
        max_upload_bytes=_int(
            "NEWSBOT_MAX_UPLOAD_BYTES", get("NEWSBOT_MAX_UPLOAD_BYTES", "10485760")
        ),
        feed_interval_minutes=_float(
            "NEWSBOT_FEED_INTERVAL_MINUTES", get("NEWSBOT_FEED_INTERVAL_MINUTES", "30")
        ),
        feed_allow_private=_bool(
            "NEWSBOT_FEED_ALLOW_PRIVATE", get("NEWSBOT_FEED_ALLOW_PRIVATE", "false")
        ),
        contact_url=get("NEWSBOT_CONTACT_URL"),
        page_pause_seconds=_float(
            "NEWSBOT_PAGE_PAUSE_SECONDS", get("NEWSBOT_PAGE_PAUSE_SECONDS", "1")
        ),
        min_confidence=(
            _float("NEWSBOT_MIN_CONFIDENCE", get("NEWSBOT_MIN_CONFIDENCE"))
            if get("NEWSBOT_MIN_CONFIDENCE")
            else None
        ),
        log_level=get("NEWSBOT_LOG_LEVEL", "INFO").upper(),
        discord_api_base=get("DISCORD_API_BASE"),
        discord_gateway_url=get("DISCORD_GATEWAY_URL"),
    )
    return _replace(settings, overrides)


def _replace(settings: Settings, overrides: dict[str, object]) -> Settings:
    given = {k: v for k, v in overrides.items() if v is not None}
    return replace(settings, **given) if given else settings


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
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")
