"""Spans kept as packed columns under their changes behave as the dict they replace."""

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
