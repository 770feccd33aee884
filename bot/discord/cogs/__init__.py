"""Slash commands and listeners, one cog per concern; each delegates to the engine."""
