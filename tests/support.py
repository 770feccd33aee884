"""Shared helpers for tests: real engines on real TinyDB files in temp dirs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from bot.engine import Engine
from bot.storage.store import ArticleStore

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLES = PROJECT_DIR / "data" / "articles"
SEED = SAMPLES / "000-kim-missile-production.txt"


def engine_at(db_path: Path, *paths: Path) -> Engine:
    engine = Engine(ArticleStore(db_path))
    if paths:
        engine.load(paths)
    return engine


def write_jsonl(path: Path, records: Iterable[dict]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    return path


def newsbot(*args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 120):
    """Run the real CLI entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_DIR,
        env={**os.environ, "NEWSBOT_DB": "", **(env or {})},
    )
