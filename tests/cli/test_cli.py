"""The `newsbot` command line, run as a real subprocess."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import SAMPLES, SEED, newsbot


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "news.json"
    result = newsbot("load", "--db", str(path), str(SAMPLES))
    assert result.returncode == 0, result.stderr
    count = len(list(SAMPLES.glob("*.txt")))
    summary, *stored = result.stdout.splitlines()
    assert summary == f"loaded {count}, updated 0, duplicate 0, rejected 0"
    # The first few stored, with their ids, so one can `newsbot article ID` at once.
    assert stored[0].startswith("  - Kim Calls for North Korea") and "[" in stored[0]
    assert stored[5:] == [f"  ... and {count - 5} more"]
    return path


def test_reloading_reports_duplicates_not_new_articles(db):
    result = newsbot("load", "--db", str(db), str(SEED))
    assert result.stdout.strip() == "loaded 0, updated 0, duplicate 1, rejected 0"


def test_ask_json_contract(db):
    result = newsbot("ask", "--json", "--db", str(db), "What did Kim Jong Un call for?")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["question"] == "What did Kim Jong Un call for?"
    assert answer["answered"] is True
    first = answer["excerpts"][0]
    assert set(first) >= {"text", "article_id", "title", "url", "source", "published", "score"}
    assert "drastic boost" in first["text"]
    assert first["published"].startswith("2023-08-14")
    assert isinstance(first["score"], float)
    for related in answer["related"]:
        assert set(related) >= {"article_id", "title", "url", "published"}


def test_ask_marks_the_answer_in_json_and_in_the_terminal(db):
    question = "How many jobs is Brightloop cutting?"
    answer = json.loads(newsbot("ask", "--json", "--db", str(db), question).stdout)
    assert answer["excerpts"][0]["answer"] == "1,800 jobs"  # the unit asked goes with it
    assert all("Brightloop" in e["title"] for e in answer["excerpts"])  # no padding
    assert "__1,800 jobs__" in newsbot("ask", "--db", str(db), question).stdout
    kim = json.loads(newsbot("ask", "--json", "--db", str(db), "What did Kim call for?").stdout)
    # "what did X call for": the thing called for, after the question's verb
    assert kim["excerpts"][0]["answer"] == "stepping up war preparations"


def test_ask_reads_plain_and_json_lines_from_stdin(db):
    stdin = (
        "Who won the Continental Cup final?\n\n"
        '{"question": "Who won the 1998 World Cup?", "asked_at": "2024-06-01"}\n'
    )
    for dash in ((), ("-",)):  # no question, or "-" as for `load`: stdin
        result = newsbot("ask", "--json", "--db", str(db), *dash, stdin=stdin)
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [line["question"] for line in lines] == [
            "Who won the Continental Cup final?", "Who won the 1998 World Cup?"]
        assert [line["answered"] for line in lines] == [True, False]


def test_ask_rejects_a_bad_json_line_precisely(db):
    result = newsbot("ask", "--db", str(db), stdin='{"asked_at": "2024-01-01"}\n')
    assert result.returncode == 2
    assert "stdin line 1" in result.stderr


def test_human_output_cites_or_offers_the_closest_articles(db):
    question = "Why did Westmark have rolling blackouts during the heatwave?"
    answer = json.loads(newsbot("ask", "--json", "--db", str(db), question).stdout)
    result = newsbot("ask", "--db", str(db), question)
    assert answer["answered"] and result.stdout.startswith("1. \u201c")
    for cited in answer["excerpts"]:
        assert f"[{cited['article_id']}]" in result.stdout
    absent = newsbot("ask", "--db", str(db), "Who won the 1998 World Cup?")
    assert absent.stdout.startswith("No confident answer in the indexed articles.\nClosest")
    assert "Continental Cup" in absent.stdout


def test_recent_article_stats_remove(db, tmp_path):
    recent = newsbot("recent", "--db", str(db), "--per-page", "3")
    assert "page 1 of" in recent.stdout and recent.stdout.count("  - ") == 3
    article_id = recent.stdout.split("[")[1].split("]")[0]
    shown = newsbot("article", "--db", str(db), article_id)
    assert shown.returncode == 0 and article_id in shown.stdout
    stats = newsbot("stats", "--db", str(db))
    assert f"articles   {len(list(SAMPLES.glob('*.txt')))}" in stats.stdout
    missing = newsbot("article", "--db", str(db), "0000000000000000")
    assert missing.returncode == 1 and "no article" in missing.stderr


def test_export_then_load_round_trips(db, tmp_path):
    dump = tmp_path / "dump.jsonl"
    assert newsbot("export", "--db", str(db), str(dump)).returncode == 0
    copy = tmp_path / "copy.json"
    loaded = newsbot("load", "--db", str(copy), str(dump))
    assert loaded.stdout.startswith(f"loaded {len(list(SAMPLES.glob('*.txt')))},")
    again = newsbot("export", "--db", str(copy))
    assert again.stdout == dump.read_text(encoding="utf-8")


def test_remove_then_gone(tmp_path):
    db = tmp_path / "one.json"
    newsbot("load", "--db", str(db), str(SEED))
    article_id = json.loads(newsbot("ask", "--json", "--db", str(db), "Kim missile").stdout)[
        "excerpts"
    ][0]["article_id"]
    assert newsbot("remove", "--db", str(db), article_id).returncode == 0
    assert "articles   0" in newsbot("stats", "--db", str(db)).stdout


def test_load_of_only_bad_input_fails_with_reasons(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "no text"}\nnot json\n', encoding="utf-8")
    result = newsbot("load", "--db", str(tmp_path / "db.json"), str(bad))
    assert result.returncode == 1
    assert "rejected 2" in result.stdout
    assert "bad.jsonl:1" in result.stderr and "bad.jsonl:2" in result.stderr


def test_chat_answers_until_an_empty_line(db):
    result = newsbot("chat", "--db", str(db), stdin="What did Kim Jong Un call for?\n\n")
    assert result.returncode == 0
    assert "drastic boost" in result.stdout


COUNCIL = "What did the Riverton council approve?"
COST = "How much did it cost?"


def first_title(text: str) -> str:
    """The first cited title of an answer printed for a terminal."""
    return text.split("\n   \u2014 ", 1)[1].split(" (", 1)[0]


def test_ask_takes_the_previous_question_as_context_from_json_lines(db):
    stdin = "\n".join(json.dumps(line) for line in [
        {"question": COST, "previous": COUNCIL},
        {"question": COST},
        {"question": "Who won the Continental Cup final?", "previous": COUNCIL},
    ]) + "\n"
    result = newsbot("ask", "--json", "--db", str(db), stdin=stdin)
    assert result.returncode == 0, result.stderr
    followed, alone, new_topic = (json.loads(line) for line in result.stdout.splitlines())
    assert followed["excerpts"][0]["title"].startswith("Riverton City Council")
    assert followed["excerpts"][0]["answer"] == "$4.2 million"
    assert not alone["excerpts"][0]["title"].startswith("Riverton City Council")
    assert new_topic["excerpts"][0]["answer"] == "Harbor City FC"
    bad = newsbot("ask", "--db", str(db), stdin='{"question": "x", "previous": ["y"]}\n')
    assert bad.returncode == 2 and "stdin line 1" in bad.stderr


def test_chat_follows_up_the_last_answer_until_told_a_new_topic(db):
    result = newsbot("chat", "--db", str(db), stdin=f"{COUNCIL}\n{COST}\n/new\n{COST}\n\n")
    assert result.returncode == 0, result.stderr
    council, followed, fresh = (
        a for a in re.split(r"(?m)^\? ", result.stdout) if "\u2014" in a)
    assert first_title(council).startswith("Riverton City Council")
    assert first_title(followed).startswith("Riverton City Council")
    assert "a new topic" in result.stdout
    assert not first_title(fresh).startswith("Riverton City Council")


def test_run_without_a_token_falls_back_to_the_chat(db):
    result = newsbot("run", "--db", str(db), stdin="\n", env={"DISCORD_TOKEN": ""})
    assert result.returncode == 0
    assert "DISCORD_TOKEN is not set" in result.stderr


def test_load_indexes_before_returning_so_the_next_start_answers_at_once(tmp_path):
    db = tmp_path / "db.json"
    index = db.with_name("db.json.index")
    result = newsbot("load", "--no-index", "--db", str(db), str(SEED))
    assert result.returncode == 0 and not index.exists() and "indexed" not in result.stderr
    assert newsbot("stats", "--db", str(db)).returncode == 0  # a question's start indexes them
    assert index.exists()
    result = newsbot("load", "--db", str(db), str(SAMPLES))
    assert result.returncode == 0, result.stderr
    assert "indexed" in result.stderr and index.exists()
    built = index.stat().st_mtime_ns
    asked = newsbot("ask", "--db", str(db), "What did Kim Jong Un call for?")
    assert asked.returncode == 0 and "Kim" in asked.stdout
    assert index.stat().st_mtime_ns == built  # read from the cache, not built again


def test_loading_a_few_articles_adds_one_segment_and_the_next_question_cites_them(tmp_path):
    db = tmp_path / "db.json"
    listed = db.with_name("db.json.index") / "segments.json"
    assert newsbot("load", "--db", str(db), str(SAMPLES)).returncode == 0
    before = json.loads(listed.read_text())["segments"]
    record = HERON
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps(record) + "\n")
    result = newsbot("load", "--db", str(db), str(one))
    assert result.returncode == 0, result.stderr
    after = json.loads(listed.read_text())["segments"]
    assert after[:-1] == before and after[-1] not in before  # the others kept as they were
    new = json.loads((listed.parent / after[-1] / "meta.json").read_text())
    assert [key[1] for key in new["keys"]] == re.findall(r"\[(\w+)\]", result.stdout)
    answer = json.loads(newsbot("ask", "--json", "--db", str(db),
                                "What did the Heron Bridge repair cost?").stdout)
    assert answer["excerpts"][0]["url"] == record["url"]
    assert "4.2 million crowns" in answer["excerpts"][0]["text"]



def test_two_loads_at_once_each_add_their_segment_and_both_are_answered(tmp_path):
    db = tmp_path / "db.json"
    listed = db.with_name("db.json.index") / "segments.json"
    assert newsbot("load", "--db", str(db), str(SAMPLES)).returncode == 0
    before = json.loads(listed.read_text())["segments"]
    files = []
    for name, record in (("heron", HERON), ("ferry", FERRY)):
        files.append(tmp_path / f"{name}.jsonl")
        files[-1].write_text(json.dumps(record) + "\n")
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda f: newsbot("load", "--db", str(db), str(f)), files))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    after = json.loads(listed.read_text())["segments"]
    assert after[:len(before)] == before and len(after) == len(before) + 2
    for question, record in (("What did the Heron Bridge repair cost?", HERON),
                             ("How many cars does the new Larkspur ferry carry?", FERRY)):
        answer = json.loads(newsbot("ask", "--json", "--db", str(db), question).stdout)
        assert answer["excerpts"][0]["url"] == record["url"]


HERON = {"url": "https://example.org/2024/heron-bridge", "title": "Heron Bridge reopens",
         "published": "2024-05-02", "source": "Example Post",
         "text": "The Heron Bridge reopened on Thursday after a repair that cost "
                 "4.2 million crowns. Cyclists queued before dawn to cross it first."}
FERRY = {"url": "https://example.org/2024/larkspur-ferry", "title": "Larkspur ferry launched",
         "published": "2024-05-03", "source": "Example Post",
         "text": "The new Larkspur ferry carries 120 cars and 600 passengers. It enters "
                 "service on the island route in June, replacing a vessel built in 1979."}
