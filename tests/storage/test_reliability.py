"""Failing disks and concurrent writers: a full or read-only disk gives one clear error, the
old database stays intact and a running engine keeps answering; two loaders and a running
engine at once lose nothing and store nothing twice.

Real mechanisms where the system allows them (a small tmpfs for a full disk, a read-only
bind mount, both need root), skipped otherwise; deterministic variants raise the real
errno from the storage's write path so the behaviour is always tested.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.gen_corpus import generate
from bot.cli.main import main
from bot.engine import Engine
from bot.models import Answer
from bot.storage import atomic as storage
from bot.storage import json_storage
from bot.storage.atomic import StorageError
from bot.storage.changelog import log_path
from bot.storage.store import ArticleStore
from tests.support import PROJECT_DIR, SAMPLES, SEED, engine_at, newsbot, write_jsonl

KIM = "What did Kim say about missile production?"
SAMPLE_COUNT = len(list(SAMPLES.glob("*.txt")))


# -- helpers ------------------------------------------------------------------------------
def generated(tmp_path: Path, n: int = 40, seed: int = 11, name: str = "new.jsonl") -> Path:
    """``n`` synthetic articles as a JSONL file (none of them in the samples)."""
    return write_jsonl(tmp_path / name, generate(n, seed=seed))


def kim_answer(engine: Engine) -> Answer:
    answer = engine.ask(KIM)
    assert answer.answered and "missile" in answer.excerpts[0].text.lower()
    return answer


def leftovers(directory: Path) -> list[str]:
    """Temporary files a write left behind (the storage's and the index cache's)."""
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def assert_one_line_error(message: str, db: Path, cause: str) -> None:
    assert "\n" not in message.strip() and "Traceback" not in message, message
    assert str(db) in message and cause in message, message


def on_disk(db: Path) -> tuple[bytes, bytes]:
    """The database file and its log, byte for byte."""
    log = log_path(db)
    return db.read_bytes(), log.read_bytes() if log.exists() else b""


def assert_unharmed(
    engine: Engine, db: Path, before: tuple[bytes, bytes], answer: Answer
) -> None:
    """The files are byte for byte the old ones, memory matches them, the engine answers."""
    assert on_disk(db) == before
    assert len(engine.store) == SAMPLE_COUNT  # the failed batch was rolled back in memory
    assert engine.ask(KIM) == answer
    assert engine.stats().articles == SAMPLE_COUNT
    assert len(ArticleStore(db)) == SAMPLE_COUNT


def _mount(*args: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting needs root")
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"mount not permitted here: {result.stderr.strip()}")


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], check=True)


@contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    """A real file system of ``size`` (tmpfs) mounted at ``where``."""
    where.mkdir()
    _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where))
    try:
        yield where
    finally:
        _umount(where)


@contextmanager
def read_only_view(source: Path, where: Path) -> Iterator[Path]:
    """``source`` bind-mounted read-only at ``where`` (root can write through chmod 0o555)."""
    where.mkdir()
    _mount("--bind", str(source), str(where))
    try:
        result = subprocess.run(["mount", "-o", "remount,bind,ro", str(where)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"read-only remount not permitted: {result.stderr.strip()}")
        yield where
    finally:
        _umount(where)


def failing(code: int) -> Callable[..., None]:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    return fail


# -- deterministic: the errno raised from inside the storage's write -----------------------
WRITE_FAULTS = {
    # full disk: the data does not fit (reported by write, or at the latest by fsync),
    # appending to the log or rewriting the file
    "ENOSPC-fsync-log": ("fsync", errno.ENOSPC, "log"),
    "ENOSPC-fsync-rewrite": ("fsync", errno.ENOSPC, "rewrite"),
    # read-only file system or no permission: the log cannot be opened for writing, or
    # the temporary file of a rewrite cannot be created
    "EROFS-open-log": ("open", errno.EROFS, "log"),
    "EACCES-open-log": ("open", errno.EACCES, "log"),
    "EROFS-mkstemp-rewrite": ("mkstemp", errno.EROFS, "rewrite"),
    "EACCES-mkstemp-rewrite": ("mkstemp", errno.EACCES, "rewrite"),
    # the rename over the old file fails
    "EIO-replace-rewrite": ("replace", errno.EIO, "rewrite"),
}


def inject(monkeypatch: pytest.MonkeyPatch, where: str, code: int) -> None:
    """Make the storage's own write path fail with ``code`` at ``where``."""
    if where == "mkstemp":
        monkeypatch.setattr(storage.tempfile, "mkstemp", failing(code))
    else:
        monkeypatch.setattr(storage.os, where, failing(code))


@pytest.mark.parametrize(
    ("where", "code", "path"), WRITE_FAULTS.values(), ids=WRITE_FAULTS.keys()
)
def test_a_failed_write_changes_nothing_and_the_engine_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, code: int, path: str
) -> None:
    db = tmp_path / "db.json"
    if path == "rewrite":  # every write rewrites the file instead of appending to its log
        monkeypatch.setattr(json_storage, "COMPACT_MIN", 0)
        monkeypatch.setattr(json_storage, "COMPACT_RATIO", 0)
    engine = engine_at(db, SAMPLES)
    answer, before = kim_answer(engine), on_disk(db)
    new = generated(tmp_path)
    with monkeypatch.context() as patched:
        inject(patched, where, code)
        with pytest.raises(StorageError) as failure:
            engine.load([new])
        with pytest.raises(StorageError):
            engine.store.update_records("guilds", lambda rows: [*rows, {"guild_id": 1}])
        with pytest.raises(StorageError):
            engine.remove(engine.store.articles()[0].id)
    assert failure.value.errno == code
    assert_one_line_error(str(failure.value), db, os.strerror(code))
    assert_unharmed(engine, db, before, answer)
    assert leftovers(tmp_path) == []
    assert engine.store.records("guilds") == []
    # Once the disk is fine again the same load goes through: memory had not kept the batch.
    report = engine.load([new])
    assert (report.loaded, report.duplicate) == (40, 0)
    assert len(ArticleStore(db)) == SAMPLE_COUNT + 40


def test_cli_reports_a_write_failure_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real CLI entry point, in process so the fault can be injected: exit 1, no traceback."""
    db = tmp_path / "db.json"
    engine_at(db, SAMPLES).store.close()
    before = on_disk(db)
    inject(monkeypatch, "fsync", errno.ENOSPC)
    result = CliRunner().invoke(main, ["load", "--db", str(db), str(generated(tmp_path))])
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"Error: cannot write the database {db}: No space left on device\n"
    )
    assert on_disk(db) == before


def test_an_unreadable_database_is_one_line_too(tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    db.write_text('{"articles": {"1": ', encoding="utf-8")
    result = newsbot("stats", "--db", str(db))
    assert result.returncode == 1
    assert_one_line_error(result.stderr, db, "not a valid database file")


# -- real: a full tmpfs and a read-only bind mount -----------------------------------------
def test_full_disk(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "160k") as disk:
        db = disk / "db.json"
        engine = engine_at(db, SAMPLES)
        answer, before = kim_answer(engine), on_disk(db)
        big = generated(tmp_path)  # ~350 KB of articles: they cannot fit
        with pytest.raises(StorageError) as failure:
            engine.load([big])
        assert failure.value.errno == errno.ENOSPC
        assert_one_line_error(str(failure.value), db, "No space left on device")
        assert_unharmed(engine, db, before, answer)

        cli = newsbot("load", "--db", str(db), str(big))
        assert cli.returncode == 1
        assert cli.stderr == f"Error: cannot write the database {db}: No space left on device\n"
        assert on_disk(db) == before
        assert leftovers(disk) == []
        assert newsbot("stats", "--db", str(db)).returncode == 0
        assert engine.ask(KIM) == answer


def test_read_only_database(tmp_path: Path) -> None:
    source = tmp_path / "rw"
    source.mkdir()
    engine_at(source / "db.json", SAMPLES).store.close()
    with read_only_view(source, tmp_path / "ro") as view:
        db = view / "db.json"
        engine = Engine(ArticleStore(db))
        answer, before = kim_answer(engine), on_disk(db)
        with pytest.raises(StorageError) as failure:
            engine.load([generated(tmp_path)])
        assert failure.value.errno == errno.EROFS
        assert_one_line_error(str(failure.value), db, "Read-only file system")
        assert_unharmed(engine, db, before, answer)

        cli = newsbot("load", "--db", str(db), str(generated(tmp_path)))
        assert cli.returncode == 1
        assert cli.stderr == f"Error: cannot write the database {db}: Read-only file system\n"
        asked = newsbot("ask", "--db", str(db), KIM)  # reading still works
        assert asked.returncode == 0 and "missile" in asked.stdout.lower()
        fresh = newsbot("load", "--db", str(view / "new.json"), str(SEED))
        assert fresh.returncode == 1 and "Read-only file system" in fresh.stderr
        assert not (view / "new.json").exists()


# -- two writers and a running engine -------------------------------------------------------
def _load_proc(db: Path, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "load", "--db", str(db), str(path)],
        cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NEWSBOT_DB": ""},
    )


@pytest.mark.parametrize("serve_stale", [True, False], ids=["bot", "cli"])
def test_two_loaders_while_an_engine_answers(tmp_path: Path, serve_stale: bool) -> None:
    db = tmp_path / "db.json"
    engine_at(db, SAMPLES).store.close()
    engine = Engine(ArticleStore(db), serve_stale=serve_stale)
    first_answer = kim_answer(engine)
    corpus = list(generate(300, seed=23))
    sets = [corpus[:150], corpus[150:]]
    paths = [write_jsonl(tmp_path / f"set{n}.jsonl", s) for n, s in enumerate(sets)]

    procs = [_load_proc(db, path) for path in paths]
    answered_at = [time.monotonic()]
    while any(p.poll() is None for p in procs):
        answer = engine.ask(KIM)  # an exception here fails the test
        assert answer.excerpts[0].citation == first_answer.excerpts[0].citation
        answered_at.append(time.monotonic())
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert [out.splitlines()[0] for out, _err in outputs] == [
        "loaded 150, updated 0, duplicate 0, rejected 0"] * 2
    assert len(answered_at) > 10, "the engine stopped answering while the loaders ran"
    gaps = [b - a for a, b in pairwise(answered_at)]
    assert max(gaps) < 5.0, f"an answer took {max(gaps):.1f} s"

    expected = {r["url"] for r in corpus}
    urls = [a.url for a in ArticleStore(db).articles()]
    assert len(urls) == len(set(urls)) == SAMPLE_COUNT + 300
    assert expected <= set(urls)
    deadline = time.monotonic() + 30
    while engine.stats().articles != SAMPLE_COUNT + 300:  # the bot indexes in the background
        assert time.monotonic() < deadline, "the running engine never saw every article"
        time.sleep(0.05)
    assert {a.url for a in engine.store.articles()} == set(urls)
    story = corpus[222]
    found = engine.ask(" ".join(story["text"].split()[:15]))  # answerable from its index
    assert found.answered and any(e.citation.url == story["url"] for e in found.excerpts)
