"""`newsbot feeds`: the feeds the bot polls, managed and polled from a terminal, e.g. by
cron on a machine whose owner has no admin rights in Discord.

Feeds added here are shared: they belong to no server (so no server's `/feeds list`
shows them and there is no channel to announce them in), and the bot polls them with
the rest. `list` and `poll` cover every feed, the servers' too; `remove` and `retry`
act on shared feeds only (a server's feeds are its admins' to change)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import click

from bot.app import fetcher_for, poller_for
from bot.cli import terminal
from bot.cli.common import db_option, engine_at, settings_at
from bot.cli.json_output import feed_to_json, poll_to_json
from bot.engine import Engine
from bot.polling import Added, Poller, add_feeds, import_opml
from bot.storage.feeds import TABLE, FeedList

SHARED = None  # the guild_id of feeds added here
OPML_MAX_BYTES = 1024 * 1024


def _feeds(engine: Engine) -> FeedList:
    return FeedList(engine.table(TABLE))


def _report(added: Added) -> None:
    for url in added.added:
        click.echo(f"added {url}")
    for rejection in added.rejected:
        click.echo(f"rejected {rejection}", err=True)
    click.echo(added.summary())
    if added.rejected and not added.added:
        sys.exit(1)


@click.group()
def feeds() -> None:
    """RSS/Atom feeds: add, list, remove, retry, import (OPML) and poll them."""


@feeds.command()
@click.argument("urls", nargs=-1, required=True)
@db_option
def add(urls: tuple[str, ...], db_path: Path | None) -> None:
    """Add shared feeds (polled by the bot and by `feeds poll`)."""
    engine = engine_at(db_path)
    fetcher = fetcher_for(settings_at(db_path))
    pairs = [(f"argument {n}", url.strip()) for n, url in enumerate(urls, 1)]
    _report(asyncio.run(add_feeds(_feeds(engine), fetcher, SHARED, pairs)))


@feeds.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@db_option
def import_(file: Path, db_path: Path | None) -> None:
    """Add every feed of an OPML file (nested outlines too) as shared feeds."""
    if file.stat().st_size > OPML_MAX_BYTES:
        raise click.ClickException(f"{file}: over {OPML_MAX_BYTES >> 20} MiB, not an OPML list")
    engine = engine_at(db_path)
    fetcher = fetcher_for(settings_at(db_path))
    added = import_opml(_feeds(engine), fetcher, SHARED, file.read_bytes(), str(file))
    _report(asyncio.run(added))


@feeds.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
@db_option
def list_(as_json: bool, db_path: Path | None) -> None:
    """Every feed (shared and the servers'), with its health."""
    records = asyncio.run(_feeds(engine_at(db_path)).all())
    if as_json:
        for record in records:
            click.echo(json.dumps(feed_to_json(record), ensure_ascii=False))
    else:
        click.echo(terminal.feeds_text(records))


@feeds.command()
@click.argument("url")
@db_option
def remove(url: str, db_path: Path | None) -> None:
    """Stop polling a shared feed."""
    _change_shared(db_path, url, FeedList.remove, "removed")


@feeds.command()
@click.argument("url")
@db_option
def retry(url: str, db_path: Path | None) -> None:
    """Resume a shared feed paused after too many failures."""
    _change_shared(db_path, url, FeedList.retry, "resumed")


FeedChange = Callable[[FeedList, int | None, str], Awaitable[bool]]


def _change_shared(db_path: Path | None, url: str, change: FeedChange, done: str) -> None:
    """``change`` (FeedList.remove or .retry) a shared feed, or say there is none."""
    feed_list = _feeds(engine_at(db_path))
    if not asyncio.run(change(feed_list, SHARED, url.strip())):
        raise click.ClickException(f"no shared feed {url.strip()} (see `newsbot feeds list`)")
    click.echo(f"{done} {url.strip()}")


@feeds.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed polled.")
@db_option
def poll(as_json: bool, db_path: Path | None) -> None:
    """Fetch every feed not paused once (their items' pages too) and store what is new.
    Fails (exit 1) only when every feed polled failed."""
    engine = engine_at(db_path)
    poller: Poller = poller_for(settings_at(db_path), engine, _feeds(engine))
    results = asyncio.run(poller.poll_all())
    for result in results:
        if as_json:
            click.echo(json.dumps(poll_to_json(result), ensure_ascii=False))
        else:
            click.echo(terminal.poll_text(result), err=bool(result.error))
    if results and all(result.error for result in results):
        sys.exit(1)
