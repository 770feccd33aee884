"""Reading the web: one safe fetcher, polite page fetching, and URLs given to load."""

import re

_URL = re.compile(r"https?://", re.IGNORECASE)


def is_url(arg: str) -> bool:
    """Whether a path given to load is a URL to fetch (here: telling so imports no HTTP
    client, which takes a third of a second)."""
    return bool(_URL.match(arg))
