"""What every `newsbot` command shares: the --db option, settings and the engine."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from bot.app import open_engine
from bot.config import Settings, SettingsError, load_settings
from bot.engine import Engine

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Database file (default: $NEWSBOT_DB, else data/newsbot.json).",
)


def settings_at(db_path: Path | None) -> Settings:
    try:
        return load_settings(db_path=db_path)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None


def engine_at(db_path: Path | None) -> Engine:
    settings = settings_at(db_path)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return open_engine(settings)

library_option = click.option(
    "--library",
    default=None,
    help="A server's library (its guild id): what its members see, with the shared "
    "library (default: the shared library alone).",
)
