"""`newsbot --library`: scripts and benchmarks work with one server's library."""

from __future__ import annotations

import json

from tests.support import SEED, newsbot, write_jsonl

FROGS = "How many glass frogs did biologists count along the Orvane river?"
FROG = {
    "url": "https://valley.example/frogs",
    "title": "Glass frogs return to the Orvane valley",
    "published": "2025-10-02",
    "text": "Biologists counted forty glass frogs along the Orvane river this spring, the "
    "first sighting in the valley since 1998.",
}


def cited(db, *library: str) -> list[str]:
    result = newsbot("ask", "--db", str(db), "--json", *library, FROGS)
    assert result.returncode == 0, result.stderr
    return [e["url"] for e in json.loads(result.stdout)["excerpts"]]


def test_load_and_ask_in_a_library_and_an_export_keeps_it(tmp_path):
    db = tmp_path / "news.json"
    assert newsbot("load", "--db", str(db), str(SEED)).returncode == 0
    frogs = write_jsonl(tmp_path / "frogs.jsonl", [FROG])
    loaded = newsbot("load", "--db", str(db), "--library", "111", str(frogs))
    summary, listed = loaded.stdout.strip().splitlines()
    assert summary == "loaded 1, updated 0, duplicate 0, rejected 0"
    assert FROG["url"] in listed  # the library's new article, named with its id
    assert cited(db, "--library", "111") == [FROG["url"]]
    assert FROG["url"] not in cited(db) + cited(db, "--library", "222")
    stats = newsbot("stats", "--db", str(db), "--library", "111").stdout
    assert "articles   2 (1 the server's, 1 shared)" in stats and "database" not in stats
    assert "articles   1\n" in newsbot("stats", "--db", str(db), "--library", "222").stdout

    dump = tmp_path / "dump.jsonl"
    assert newsbot("export", "--db", str(db), str(dump)).returncode == 0
    records = [json.loads(line) for line in dump.read_text().splitlines()]
    assert [r.get("library") for r in records] == [None, "111"]
    copy = tmp_path / "copy.json"
    assert newsbot("load", "--db", str(copy), str(dump)).stdout.startswith("loaded 2,")
    assert cited(copy, "--library", "111") == [FROG["url"]]
    assert FROG["url"] not in cited(copy)
    assert newsbot("export", "--db", str(copy)).stdout == dump.read_text(encoding="utf-8")

    forced = newsbot("load", "--db", str(copy), "--library", "222", str(dump))
    assert forced.stdout.startswith("loaded 1, updated 0, duplicate 1")  # the seed is shared
    assert cited(copy, "--library", "222") == [FROG["url"]]


def test_remove_takes_the_library_it_removes_from(tmp_path):
    db = tmp_path / "news.json"
    frogs = write_jsonl(tmp_path / "frogs.jsonl", [FROG])
    assert newsbot("load", "--db", str(db), "--library", "111", str(frogs)).returncode == 0
    article_id = json.loads(newsbot("ask", "--db", str(db), "--json", "--library", "111",
                                    FROGS).stdout)["excerpts"][0]["article_id"]
    gone = newsbot("remove", "--db", str(db), article_id)
    assert gone.returncode == 1 and "no article with id" in gone.stderr
    assert newsbot("article", "--db", str(db), article_id).returncode == 1
    assert "Glass frogs" in newsbot("article", "--db", str(db), "--library", "111",
                                    article_id).stdout
    removed = newsbot("remove", "--db", str(db), "--library", "111", article_id)
    assert removed.returncode == 0 and cited(db, "--library", "111") == []
