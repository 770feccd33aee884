"""``python -m bot.cli``: the same as the ``newsbot`` command."""

from bot.cli.main import main

main()
