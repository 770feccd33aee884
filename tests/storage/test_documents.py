"""Documents: spans kept as packed columns behave as the dict they replace; the numbers of
segment keys found as runs equal those a lookup finds."""

from __future__ import annotations

import random

from bot.storage.documents import Spans


def test_spans_behave_as_a_dict_through_changes():
    rng = random.Random(3)
    plain = {str(n): (n * 10, n % 7 + 1, n * 31 % 1000) for n in rng.sample(range(1, 500), 200)}
    spans = Spans.of(plain)
    plain = dict(plain)
    for step in range(600):
        doc_id = str(rng.randrange(0, 520))
        if step % 3 == 0:
            plain[doc_id] = spans[doc_id] = (step, step % 5 + 1, step)
        elif doc_id in plain:
            assert spans.pop(doc_id) == plain.pop(doc_id)
        else:
            assert doc_id not in spans and spans.get(doc_id) is None
        if step % 50 == 0:
            copied = spans.copy()
            copied["9999"] = (1, 1, 1)
            assert "9999" not in spans and "9999" in copied
    assert dict(spans.items()) == plain and len(spans) == len(plain)
    assert spans.to_dict() == plain and Spans.of(spans.to_dict()) == spans
    assert spans.total_length() == sum(length for _at, length, _crc in plain.values())
    assert spans.max_end() == max(at + length for at, length, _crc in plain.values())
    assert "012" not in spans and "x" not in spans and 12 not in spans  # only canonical ids
    assert set(spans.spread(16)) <= set(plain) and len(spans.spread(16)) == 16


def test_numbers_of_runs_and_of_keys_out_of_order_match_a_lookup():
    from bot.storage.documents import Articles

    docs = [(str(n), {"id": f"a{n}", "fingerprint": f"f{n}", "library": "g" if n % 4 else None})
            for n in range(1, 41)]
    articles = Articles(docs, None)
    keys = list(articles.keys())
    expected = {key: n for n, key in enumerate(keys)}
    runs = [tuple(keys[0:10]), tuple(keys[10:25])]  # in order: matched as runs
    scattered = (keys[30], ("g", "missing", "f0"), keys[26], keys[25])
    after = tuple(keys[25:40])  # a run again, but only a lookup can tell now
    for wanted in [*runs, scattered, after]:
        found = articles.numbers_of(wanted).tolist()
        assert found == [expected.get(key, -1) for key in wanted]
    fresh = Articles(docs, None)
    assert fresh.numbers_of(tuple(keys[5:9])).tolist() == [5, 6, 7, 8]  # not from the first
