"""Reading the web: one safe fetcher, polite page fetching, and URLs given to load."""
