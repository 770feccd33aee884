"""Per-sentence values read in each segment's own array: indexed as one array would be."""

from __future__ import annotations

import numpy as np
import pytest

from bot.search.segmented import Segmented


def test_lookups_equal_those_of_the_concatenated_array():
    rng = np.random.default_rng(3)
    for _ in range(30):
        sizes = rng.integers(0, 12, int(rng.integers(1, 6)))
        parts = [rng.integers(0, 1000, size).astype(np.int32) for size in sizes]
        shifts = [int(s) for s in rng.integers(0, 50, len(parts))]
        joined = np.concatenate([p + s for p, s in zip(parts, shifts, strict=True)])
        values = Segmented(parts, np.int32, shifts)
        assert len(values) == len(joined)
        np.testing.assert_array_equal(np.asarray(values), joined)
        if not len(joined):
            continue
        for number in rng.integers(-len(joined), len(joined), 5).tolist():
            assert values[number] == joined[number]
        wanted = rng.integers(0, len(joined), (3, 4))  # unsorted, repeated, 2-d
        np.testing.assert_array_equal(values[wanted], joined[wanted])
        np.testing.assert_array_equal(values[np.sort(wanted.ravel())],
                                      joined[np.sort(wanted.ravel())])
        mask = rng.random(len(joined)) < 0.5
        np.testing.assert_array_equal(values[mask], joined[mask])
        np.testing.assert_array_equal(values[1:-1:2], joined[1:-1:2])


def test_numbers_out_of_range_are_refused():
    values = Segmented([np.arange(3), np.arange(2)], np.int64)
    for wrong in (5, -6, np.array([0, 5]), np.array([-1])):
        with pytest.raises(IndexError):
            values[wrong]
    assert values[-1] == 1 and values[np.array([], np.int64)].shape == (0,)
