"""The Discord front end: a thin layer of cogs over the engine (``runner.run_bot`` starts it)."""
