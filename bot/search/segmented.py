"""Per-sentence values of an index read in place from each segment's own array.

An index's sentences are numbered one segment after another; concatenating the segments'
per-sentence arrays for each index version copied 13 bytes a sentence (1 GB at 80 million
sentences) and took that much memory beside the mapped files. ``Segmented`` looks each
number up in its segment's array instead (a view of the mapped file).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Segmented:
    """Values numbered one part after another: ``parts[i][n - offsets[i]] + shifts[i]``
    for number n of part i. Indexed as a 1-d array: by a number, a slice, an array of
    numbers or a mask; ``np.asarray`` gives them all, concatenated (a copy)."""

    def __init__(
        self, parts: Sequence[np.ndarray], dtype: type, shifts: Sequence[int] | None = None
    ) -> None:
        self.parts = tuple(parts)
        self.dtype = np.dtype(dtype)
        self.shifts = tuple(shifts) if shifts is not None else (0,) * len(self.parts)
        self.offsets = np.zeros(len(self.parts) + 1, np.int64)
        np.cumsum([len(p) for p in self.parts], out=self.offsets[1:])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    @property
    def shape(self) -> tuple[int]:
        return (len(self),)

    def __array__(self, dtype: type | None = None, copy: bool | None = None) -> np.ndarray:
        joined = self[np.arange(len(self))]
        return joined if dtype is None else joined.astype(dtype)

    def __getitem__(self, key: int | slice | np.ndarray) -> np.generic | np.ndarray:
        if isinstance(key, slice):
            return self._many(np.arange(*key.indices(len(self))))
        if isinstance(key, (int, np.integer)):
            number = int(key) + len(self) if key < 0 else int(key)
            if not 0 <= number < len(self):
                raise IndexError(f"number {key} out of range for {len(self)}")
            part = int(np.searchsorted(self.offsets, number, side="right")) - 1
            return self.dtype.type(self.parts[part][number - self.offsets[part]]
                                   + self.shifts[part])
        key = np.asarray(key)
        if key.dtype == bool:
            return self._many(np.flatnonzero(key))
        return self._many(key)

    def _many(self, numbers: np.ndarray) -> np.ndarray:
        flat = numbers.ravel().astype(np.int64, copy=False)
        if len(flat) and (flat.min() < 0 or flat.max() >= len(self)):
            raise IndexError(f"numbers out of range for {len(self)}")
        found = np.empty(len(flat), self.dtype)
        order = None if np.all(flat[1:] >= flat[:-1]) else np.argsort(flat, kind="stable")
        wanted = flat if order is None else flat[order]
        bounds = np.searchsorted(wanted, self.offsets)
        for part, values in enumerate(self.parts):
            lo, hi = bounds[part], bounds[part + 1]
            if hi > lo:
                taken = values[wanted[lo:hi] - self.offsets[part]]
                if self.shifts[part]:
                    taken = taken + self.shifts[part]
                found[lo:hi] = taken
        if order is not None:
            found[order] = found.copy()
        return found.reshape(numbers.shape)
