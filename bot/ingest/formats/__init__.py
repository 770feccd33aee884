"""Parsers, one module per article format (imported when the format is first met)."""
