"""Bytes to text, and telling text from binary junk."""

from __future__ import annotations

import re

SAMPLE_BYTES = 64 * 1024
MAX_JUNK_SHARE = 0.3  # undecodable bytes and control characters; cp1252 prose stays far below
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM); legacy files fall back to cp1252, then latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # maps every byte, never fails


def is_binary(data: bytes) -> bool:
    if b"\0" in data:
        return True
    sample = data[:SAMPLE_BYTES].decode("utf-8", errors="replace")
    junk = sample.count("\ufffd") + len(_CONTROL.findall(sample))
    return junk > MAX_JUNK_SHARE * len(sample)
