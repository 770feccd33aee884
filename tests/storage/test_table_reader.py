"""Reading TinyDB's JSON as a stream: the same tables as parsing it whole, or a ValueError."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.storage.table_reader import read_tables

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
documents = st.dictionaries(st.text(), json_values, max_size=4)


@given(
    st.dictionaries(st.text(), st.dictionaries(st.text(), documents, max_size=4), max_size=3),
    st.dictionaries(st.text(min_size=1), documents, max_size=5),
)
def test_the_same_tables_as_parsing_whole(other_tables, articles):
    database = {**other_tables, "articles": articles}
    seen = []

    def keep(doc_id: str, doc: dict) -> dict:
        seen.append(doc_id)
        return {"kept": doc_id}

    tables = read_tables(io.BytesIO(json.dumps(database).encode()), "articles", keep)
    assert seen == list(articles)
    assert tables == {**other_tables, "articles": {i: {"kept": i} for i in articles}}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[]", "expected a JSON object"),
        (b'{"articles": [1]}', "table 'articles' is not a JSON object"),
        (b'{"articles": {"1": 5}}', "document 1 of 'articles' is not a JSON object"),
        (b'{"articles": {"1": {"text": "cut', "parse error: premature EOF"),
        (b'{"feeds": {}} trailing', "parse error: trailing garbage"),
        (b"\xff\xfe", "lexical error: invalid char in json text."),
    ],
)
def test_what_is_not_a_database_is_a_one_line_value_error(data, reason):
    with pytest.raises(ValueError) as error:
        read_tables(io.BytesIO(data), "articles", lambda _id, doc: doc)
    assert str(error.value).startswith(reason) and "\n" not in str(error.value)
