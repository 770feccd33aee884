"""When to merge index segments: a tiered policy, as Lucene's.

Segments are kept oldest first. Whenever the newest MERGE_FACTOR segments are all of one
size tier (tiers grow tenfold from TIER_ARTICLES), they are merged into one; a segment
whose articles are mostly dead is merged alone (its dead articles dropped). So an archive
of N articles has fewer than MERGE_FACTOR segments per tenfold of N (past
MAX_SEGMENT_ARTICLES, one per that many articles), and an article is merged again about
once per tier: merging costs about the size of the segments merged, never the archive's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bot.search.segment import Segment

MERGE_FACTOR = 8
TIER_ARTICLES = 1_000  # segments of up to this many live articles are of the lowest tier
# No segment is built or merged larger (Lucene caps merged segments the same way): building
# or merging one holds its counts, ~1 GB at 100,000 articles, so a million-article load is
# indexed as ten segments in bounded memory, not one in eight times that.
MAX_SEGMENT_ARTICLES = 100_000


def tier(articles: int) -> int:
    return max(0, math.ceil(math.log10(max(articles, 1) / TIER_ARTICLES)))


def due_merge(segments: Sequence[Segment], live: Sequence[np.ndarray]) -> slice | None:
    """Which consecutive segments to merge next, if any (``live``: each one's mask of
    live articles)."""
    sizes = [int(np.count_nonzero(mask)) for mask in live]
    newest = sizes[-MERGE_FACTOR:]
    if (len(newest) == MERGE_FACTOR and len({tier(n) for n in newest}) == 1  # never a large
            and sum(newest) <= MAX_SEGMENT_ARTICLES):  # one for small ones
        return slice(len(sizes) - MERGE_FACTOR, len(sizes))
    for number, (segment, size) in enumerate(zip(segments, sizes, strict=True)):
        if size * 2 < segment.n_articles:  # mostly dead: drop them
            return slice(number, number + 1)
    return None
