"""Which parser reads a file: by content when it is recognisable, else by extension."""

from __future__ import annotations

import codecs
import re
from enum import StrEnum
from pathlib import PurePath

import orjson


class Format(StrEnum):
    JSON = "json"
    JSONL = "jsonl"
    FEED = "feed"
    HTML = "html"
    TEXT = "text"


EXTENSIONS = {
    ".json": Format.JSON,
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".xml": Format.FEED,
    ".rss": Format.FEED,
    ".atom": Format.FEED,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".txt": Format.TEXT,
    ".md": Format.TEXT,
}
SNIFF_BYTES = 4096
# The first root-like tag decides between a feed and a page (XHTML also starts "<?xml").
_MARKUP_ROOT = re.compile(rb"<(?:(rss|feed|rdf:rdf)|(!doctype\s+html|html))[\s>]")


def detect_format(data: bytes, name: str) -> Format:
    by_name = EXTENSIONS.get(PurePath(name).suffix.lower())
    by_content = _sniff(data)
    if by_content is Format.JSON and by_name is Format.JSONL:
        return Format.JSONL
    if by_content is Format.JSON and by_name is Format.TEXT and not is_json(data):
        return Format.TEXT  # a .txt title may open with "[Update]"
    return by_content or by_name or Format.TEXT


def is_json(data: bytes) -> bool:
    """Whether the bytes are one whole JSON document."""
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return True


def _sniff(data: bytes) -> Format | None:
    head = data[:SNIFF_BYTES].removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if head[:1] in (b"{", b"["):
        return Format.JSON
    if not head.startswith(b"<"):
        return None
    if root := _MARKUP_ROOT.search(head):
        return Format.FEED if root[1] else Format.HTML
    return Format.FEED if head.startswith(b"<?xml") else None
