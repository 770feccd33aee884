"""JSON read as a stream past the probe size: JSON Lines in runs (here and in worker
processes), arrays item by item, a bad line or an over-long one costing only itself."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import ingest
from bot.ingest import parallel
from bot.ingest.formats import json_articles
from bot.ingest.parallel import iter_paths_parallel
from bot.models import Article, Rejection

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
PADDING = " ".join(f"word{n}" for n in range(300))  # ~2.6 KB a record


def record(n: int) -> dict[str, str]:
    return {"url": f"https://example.com/s/{n}", "title": f"Story {n}",
            "text": f"Story {n} begins. {PADDING}.", "published": "2024-01-02"}


def dump(count: int, bad: dict[int, bytes]) -> bytes:
    """``count`` JSON lines (numbered from 1), those in ``bad`` replaced; over the probe."""
    lines = [bad.get(n, json.dumps(record(n)).encode()) for n in range(1, count + 1)]
    data = b"\n".join(lines)  # the last line without a newline
    assert len(data) > json_articles.PROBE_BYTES + json_articles.RUN_BYTES
    return data


BAD = {2: b"{oops", 2100: b"[1, 2]", 3500: b'{"title": "\xff", "text": "x"}'}
COUNT = 3600


def check(items: list, name: str) -> None:
    articles = [i for i in items if isinstance(i, Article)]
    expected = [f"Story {n}" for n in range(1, COUNT + 1) if n not in BAD]
    assert [a.title for a in articles] == expected
    rejections = [i for i in items if isinstance(i, Rejection)]
    assert [r.where for r in rejections] == [f"{name}:{n}" for n in sorted(BAD)]
    assert rejections[0].reason.startswith("invalid JSON: ")
    assert rejections[1].reason == "expected a JSON object, not array"
    assert rejections[2].reason.startswith("invalid UTF-8")


@pytest.mark.parametrize("name", ["dump.jsonl", "dump.json", "dump.ndjson.gz"])
def test_a_dump_past_the_probe_loads_every_line(tmp_path: Path, name: str) -> None:
    data = dump(COUNT, BAD)
    path = tmp_path / name
    path.write_bytes(gzip.compress(data, 1) if name.endswith(".gz") else data)
    check(list(ingest.iter_paths([path], now=NOW)), str(path))


def test_stdin_streams_too() -> None:
    check(list(ingest.iter_paths(["-"], stdin=io.BytesIO(dump(COUNT, BAD)), now=NOW)), "<stdin>")


def test_runs_of_lines_parsed_in_workers_give_what_parsing_here_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "SPLIT_BYTES", 1 << 20)  # split this file into runs
    path = tmp_path / "dump.jsonl"
    path.write_bytes(dump(COUNT, BAD))
    small = tmp_path / "small.jsonl"
    small.write_bytes(json.dumps(record(0)).encode())
    items = list(iter_paths_parallel([small, path], workers=1, now=NOW, min_bytes=0))
    assert items == list(ingest.iter_paths([small, path], now=NOW))
    check(items[1:], str(path))


def test_a_line_too_long_costs_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_articles, "MAX_LINE_BYTES", 1 << 20)
    long_line = json.dumps({"title": "Long", "text": "x" * (3 << 20)}).encode()
    data = dump(COUNT, {**BAD, 1740: long_line})  # across the end of the first run
    items = list(ingest.parse_bytes(data, "long.jsonl", now=NOW))
    [too_long] = [i for i in items if isinstance(i, Rejection) and i.where == "long.jsonl:1740"]
    assert too_long.reason == json_articles.LINE_TOO_LONG
    assert sum(isinstance(i, Article) for i in items) == COUNT - len(BAD) - 1
    assert items[-1].title == f"Story {COUNT}"


def test_a_large_json_array_streams_item_by_item() -> None:
    records: list[object] = [record(n) for n in range(2500)]
    records[1700] = "not an object"
    data = json.dumps(records, indent=1).encode()
    assert len(data) > json_articles.PROBE_BYTES
    items = list(ingest.parse_bytes(data, "a.json", now=NOW))
    assert sum(isinstance(i, Article) for i in items) == 2499
    assert [i for i in items if isinstance(i, Rejection)] == [
        Rejection("a.json[1700]", "expected a JSON object, not string")
    ]


def test_a_broken_large_array_keeps_what_came_before() -> None:
    data = json.dumps([record(n) for n in range(2500)]).encode()
    cut = data.index(b'"Story 2000"')
    items = list(ingest.parse_bytes(data[:cut] + b"oops" + data[cut:], "cut.json", now=NOW))
    assert sum(isinstance(i, Article) for i in items) == 2000  # records 0 to 1999
    assert items[-1].where == "cut.json[2000]"
    assert items[-1].reason.startswith("invalid JSON, reading stopped: ")


def test_formats_read_whole_say_a_larger_dump_should_be_jsonl() -> None:
    [rejection] = ingest.parse_bytes(b"word " * (ingest.MAX_FILE_BYTES // 5 + 1), "big.txt")
    assert rejection == Rejection(
        "big.txt", "file too large (over 64 MiB; a larger dump loads as JSON Lines, .jsonl)"
    )
