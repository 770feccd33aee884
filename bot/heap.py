"""Python's cyclic garbage collector paused while building large acyclic structures.

Opening a store and assembling its index create millions of dicts, tuples and strings
that live on; each collection of the oldest generation walks all of them again, which took
a quarter of a start's time at 100,000 articles. Nothing built there forms cycles, so
pausing the collector frees no less: it only delays a collection to the end.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0  # in progress (threads may overlap them)
_was_enabled = False  # whether the collector ran before the first of them
_frozen = False  # whether this process froze its heap already


@contextmanager
def paused_gc(freeze: bool = False) -> Iterator[None]:
    """The collector off within (it stays off after if it was off before). ``freeze``:
    the first time in a process, the garbage there is collected before, and every object
    alive after is left out of later collections (``gc.freeze``), which otherwise walk
    them all once more soon after (1.6 s at a million articles): for a start, when what
    lives then is what the process serves from. An object so frozen that later becomes
    garbage in a cycle is never freed: hence once a process, not for what is replaced
    as it runs."""
    global _pauses, _was_enabled, _frozen
    with _lock:
        freeze, _frozen = freeze and not _frozen, _frozen or freeze
        if freeze:
            gc.collect()
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
        if freeze:
            gc.freeze()
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
