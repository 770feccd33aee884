"""``newsbot``: the terminal front end over the engine (and the way to start the bot)."""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import click
from tqdm import tqdm

from bot.app import open_engine
from bot.cli import terminal
from bot.cli.common import db_option, engine_at, library_option, settings_at
from bot.cli.json_output import answer_to_json, article_to_json
from bot.engine import first_stored
from bot.ingest.normalize import parse_published
from bot.ingest.parallel import default_workers
from bot.storage.atomic import StorageError


def _date_arg(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_published(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=name) from None


# Command groups imported when named: `feeds` imports an HTTP client (a third of a second).
LAZY_COMMANDS = {"feeds": "bot.cli.feeds"}


class _Commands(click.Group):
    """Reports a database that cannot be read or written (full disk, read-only, not JSON)
    as one line and exit code 1, not a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            return getattr(importlib.import_module(LAZY_COMMANDS[name]), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except StorageError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Answer questions about the news from your own indexed articles."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=default_workers,
    show_default="cores - 1",
    help="Processes parsing files while this one stores (0: parse here).",
)
@click.option(
    "--index/--no-index",
    "build_index",
    default=True,
    show_default=True,
    help="Index what was loaded before returning, so the bot starts answering at once.",
)
@click.option(
    "--library",
    default=None,
    help="Load into this server's library (its guild id); default: the shared library, "
    "or for an export's records the library each names.",
)
@db_option
def load(
    paths: tuple[str, ...], workers: int, build_index: bool, library: str | None,
    db_path: Path | None,
) -> None:
    """Load articles: files, directories, feeds (.xml), HTML pages, .gz, - for stdin, and
    http(s) URLs of feeds (their items' pages read too) or pages."""
    engine = engine_at(db_path)
    with tqdm(unit=" items", disable=not sys.stderr.isatty(), file=sys.stderr) as bar:
        report = engine.load(paths, stdin=sys.stdin.buffer, progress=bar.update, workers=workers,
                             library=library, as_recorded=library is None)
    for rejection in report.rejected:
        click.echo(f"rejected {rejection}", err=True)
    click.echo(report.summary())
    if report.article_ids:
        shown = first_stored(engine, report, library)
        click.echo(terminal.stored_text(shown, len(report.article_ids)))
    if build_index and (report.loaded or report.updated):
        start = time.perf_counter()
        sentences = engine.index_loaded(report)
        took = time.perf_counter() - start
        click.echo(f"indexed {sentences:,} sentences in {took:.1f} s", err=True)
    if report.rejected and not (report.loaded or report.updated or report.duplicate):
        sys.exit(1)


class Asked(NamedTuple):
    question: str
    asked_at: datetime | None
    previous: str | None  # the question this one follows up


def _questions(args: tuple[str, ...]) -> Iterator[Asked]:
    """Questions from the arguments, else (none, or ``-`` as for ``load``) stdin lines:
    plain text or {"question": ..., "asked_at": "YYYY-MM-DD", "previous": ...}."""
    if args and args != ("-",):
        yield Asked(" ".join(args), None, None)
        return
    for number, line in enumerate(sys.stdin, 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
                previous = record.get("previous")
                if not isinstance(previous, str | None):
                    raise TypeError("previous must be the text of the previous question")
                yield Asked(str(record["question"]), _date_arg(record.get("asked_at"), "asked_at"),
                            previous or None)
            except (ValueError, KeyError, TypeError) as exc:
                raise click.UsageError(
                    f"stdin line {number}: not a question object ({exc})"
                ) from None
        else:
            yield Asked(line, None, None)


@main.command()
@click.argument("question", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question.")
@click.option("--asked-at", help="The date the question is asked (YYYY-MM-DD).")
@library_option
@db_option
def ask(
    question: tuple[str, ...], as_json: bool, asked_at: str | None, library: str | None,
    db_path: Path | None,
):
    """Answer QUESTION (or each line of stdin, also with -) with cited excerpts."""
    engine = engine_at(db_path)
    default_date = _date_arg(asked_at, "--asked-at")
    color = sys.stdout.isatty()
    for asked in _questions(question):
        answer = engine.ask(asked.question, asked.asked_at or default_date, asked.previous,
                            library)
        if as_json:
            click.echo(json.dumps(answer_to_json(answer), ensure_ascii=False))
        else:
            click.echo(terminal.answer_text(answer, color=color) + "\n")


@main.command()
@click.option("--page", default=1, show_default=True)
@click.option("--per-page", default=10, show_default=True)
@click.option("--source", help="Only this source (substring).")
@click.option("--keyword", help="Only articles containing this word.")
@click.option("--since", help="Published on or after (YYYY-MM-DD).")
@click.option("--until", help="Published on or before (YYYY-MM-DD).")
@library_option
@db_option
def recent(page, per_page, source, keyword, since, until, library, db_path):
    """List articles, newest first."""
    engine = engine_at(db_path)
    result = engine.recent(
        page, per_page, source, keyword, _date_arg(since, "--since"), _date_arg(until, "--until"),
        library,
    )
    click.echo(terminal.recent_text(result))


@main.command()
@click.argument("article_id")
@library_option
@db_option
def article(article_id: str, library: str | None, db_path: Path | None) -> None:
    """Show one article."""
    found = engine_at(db_path).article(article_id, library)
    if found is None:
        raise click.ClickException(f"no article with id {article_id!r}")
    click.echo(terminal.article_text(found))


@main.command()
@click.argument("article_id")
@click.option("--library", default=None,
              help="Remove it from this server's library (default: the shared library).")
@db_option
def remove(article_id: str, library: str | None, db_path: Path | None) -> None:
    """Remove one article."""
    if not engine_at(db_path).remove(article_id, library):
        raise click.ClickException(f"no article with id {article_id!r}")
    click.echo(f"removed {article_id}")


@main.command()
@library_option
@db_option
def stats(library: str | None, db_path: Path | None) -> None:
    """Counts: articles, sentences, sources, date range, database size."""
    click.echo(terminal.stats_text(engine_at(db_path).stats(library)))


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@db_option
def export(file: Path | None, db_path: Path | None) -> None:
    """Write every article as JSONL in the load format (to FILE, else stdout)."""
    engine = engine_at(db_path)
    out = file.open("w", encoding="utf-8") if file else sys.stdout
    try:
        for item in engine.export():
            out.write(json.dumps(article_to_json(item), ensure_ascii=False) + "\n")
    finally:
        if file:
            out.close()


NEW_TOPIC = "/new"  # in the chat: the next question does not follow up the last one


@main.command()
@db_option
def chat(db_path: Path | None) -> None:
    """Ask questions interactively (an empty line or Ctrl-D quits). A question asked after
    an answer follows it up ("How much did it cost?"); /new starts afresh."""
    engine = engine_at(db_path)
    engine.warm_up()
    count = engine.stats().articles
    click.echo(f"newsbot: {count} articles indexed. Ask a question; a question after an "
               f"answer follows it up ({NEW_TOPIC} starts afresh); empty line to quit.")
    previous: str | None = None
    while True:
        try:
            text = input("? ").strip()
        except EOFError:
            break
        if not text:
            break
        if text == NEW_TOPIC:
            previous = None
            click.echo("(a new topic: the next question is asked on its own)")
            continue
        answer = engine.ask(text, datetime.now(UTC), previous)
        click.echo(terminal.answer_text(answer, color=sys.stdout.isatty()) + "\n")
        previous = text


@main.command()
@db_option
def run(db_path: Path | None) -> None:
    """Start the Discord bot (needs DISCORD_TOKEN), else the terminal chat."""
    settings = settings_at(db_path)
    if not settings.discord_token:
        click.echo("DISCORD_TOKEN is not set: starting the terminal chat instead.", err=True)
        chat.callback(db_path)  # type: ignore[misc]
        return
    from bot.discord.runner import run_bot

    run_bot(settings, open_engine(settings, serve_stale=True))

