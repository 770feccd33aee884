"""Pure functions that turn raw article fields into clean, comparable values."""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.models import Article, Rejection

MAX_TEXT_CHARS = 1_000_000
MIN_YEAR, MAX_YEAR = 1900, 2100

DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gbraid", "wbraid", "dclid", "msclkid", "yclid", "igshid", "mc_cid",
    "mc_eid", "ref", "ref_src", "cmpid", "ocid", "smid", "s_cid", "mkt_tok", "_ga", "_gl",
    "_hsenc", "_hsmi", "spm",
})
TRACKING_PREFIXES = ("utm_",)

# Line and paragraph separators other than "\n"; U+2029 is a paragraph break on its own.
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028]")
_ODD_BREAK = re.compile("[\r\x0b\x0c\x85\u2028\u2029]")
# Control characters (except tab and newline), soft hyphen, zero-width space, word joiner,
# BOM, bidi embeddings/overrides/isolates (they can leak into the text around a quote) and
# lone surrogates. ZWJ/ZWNJ (U+200C/D) stay: emoji sequences and several scripts need them.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u180e\u200b\u202a-\u202e"
    "\u2060\u2066-\u2069\ufeff\ud800-\udfff]"
)
_ODD_OR_INVISIBLE = re.compile(f"[{_ODD_BREAK.pattern[1:-1]}{_INVISIBLE.pattern[1:-1]}]")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_NON_ALNUM = re.compile(r"[\W_]+")
# Curly quotes, dashes and bullets: what most often keeps news text from being ASCII. All
# are unchanged by NFKC and casefold, and none is a letter or digit.
_TYPOGRAPHIC_MARKS = re.compile(
    b"|".join(re.escape(c.encode()) for c in "\u2018\u2019\u201c\u201d\u2013\u2014\u2022")
)
_ASCII_NON_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum())
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
TITLE_WORDS = 14
_NUMERIC_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_AUTHOR_SEPARATORS = re.compile(r"\s*[,;&]\s*|\s+and\s+")

_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


# -- URLs -------------------------------------------------------------------------------


def canonical_url(url: str) -> str:
    """One spelling per article URL, so the same link shared twice gets the same id.

    Returns "" for anything that is not an absolute http(s) URL.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # bad port or malformed IPv6 host
        return ""
    host = (parts.hostname or "").rstrip(".").removeprefix("www.")
    if parts.scheme not in DEFAULT_PORTS or not host:
        return ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[parts.scheme]) else f"{host}:{port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(key)
    )
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), urlencode(query), ""))


def _is_tracking(param: str) -> bool:
    param = param.lower()
    return param in TRACKING_PARAMS or param.startswith(TRACKING_PREFIXES)


# -- text -------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Visible text only, single-spaced, paragraphs separated by exactly one blank line."""
    if _is_tidy(text):  # most text, and finding that out costs a third of cleaning it
        return unicodedata.normalize("NFC", text)
    return _clean_untidy(text)


def _is_tidy(text: str) -> bool:
    """Whether ``_clean_untidy`` would change nothing but the normal form: printable
    characters (str.isprintable is False for every control, format, separator and space
    character but " "), single spaces, paragraphs separated by exactly "\n\n"."""
    flat = text.replace("\n\n", " ")
    return flat.isprintable() and "  " not in flat and flat[:1] != " " and flat[-1:] != " "


def _clean_untidy(text: str) -> str:
    if _ODD_OR_INVISIBLE.search(text):  # one character-class scan; most text has neither
        text = _LINE_BREAKS.sub("\n", text).replace("\u2029", "\n\n")
        text = _INVISIBLE.sub("", text)
    # str.split() folds every run of white space (single newlines too) at C speed.
    paragraphs = (" ".join(p.split()) for p in _BLANK_LINE.split(text))
    return unicodedata.normalize("NFC", "\n\n".join(p for p in paragraphs if p))


def clean_line(text: str) -> str:
    """clean_text for one-line fields (title, source, author)."""
    return clean_text(text).replace("\n\n", " ")


def content_fingerprint(text: str) -> str:
    """Hash of the letters and digits only, so re-spaced or re-encoded copies match."""
    # Whole UTF-8 sequences, so never part of another character.
    plain = _TYPOGRAPHIC_MARKS.sub(b"", text.encode())
    if plain.isascii():  # most news: NFKC and casefold would change only ASCII case
        return hashlib.sha1(plain.lower().translate(None, _ASCII_NON_ALNUM)).hexdigest()
    return _folded_fingerprint(text)


def _folded_fingerprint(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    # bytes.translate drops ASCII punctuation and spaces at C speed; the regex then only
    # meets what is left over outside ASCII (curly quotes, dashes).
    ascii_stripped = folded.encode().translate(None, _ASCII_NON_ALNUM).decode()
    if not ascii_stripped.isascii():
        ascii_stripped = _NON_ALNUM.sub("", ascii_stripped)
    return hashlib.sha1(ascii_stripped.encode()).hexdigest()


def article_id(url_canonical: str, fingerprint: str) -> str:
    """From the URL; from the text's fingerprint for an article without one."""
    key = url_canonical or fingerprint
    return hashlib.sha1(key.encode()).hexdigest()[:16]


# -- dates ------------------------------------------------------------------------------


def parse_published(value: object) -> datetime | None:
    """A timezone-aware datetime (naive input is taken as UTC), or None for no value.

    Raises ValueError for anything unparseable or outside the years MIN_YEAR..MAX_YEAR.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        parsed = _to_datetime(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"invalid date {quote(value)}") from exc
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"invalid date {quote(value)}: year outside {MIN_YEAR}..{MAX_YEAR}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _to_datetime(value: object) -> datetime:
    match value:
        case bool():
            raise ValueError("a boolean is not a date")
        case datetime():
            return value
        case date():
            return datetime(value.year, value.month, value.day)
        case int() | float():
            return datetime.fromtimestamp(value, UTC)
        case time.struct_time():  # feedparser's dates, always UTC
            return datetime(*value[:6], tzinfo=UTC)
        case str():
            return _from_string(value.strip())
    raise ValueError(f"unsupported type {type_name(value)}")


def _from_string(text: str) -> datetime:
    if match := _NUMERIC_DATE.fullmatch(text):
        return datetime(*map(int, match.groups()))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return parsedate_to_datetime(text)  # RFC 2822, as in RSS and e-mail


# -- articles ---------------------------------------------------------------------------


class _Invalid(Exception):
    """A record that cannot become an Article; the message is the rejection reason."""


def build_article(fields: Mapping[str, Any], *, where: str, now: datetime) -> Article | Rejection:
    """Validate one raw record (from any input format) and build its Article.

    Field aliases: text/body/content, published/date/pubDate, authors/author.
    """
    try:
        return _build(fields, now)
    except _Invalid as exc:
        return Rejection(where, str(exc))


def _build(fields: Mapping[str, Any], now: datetime) -> Article:
    raw_url = _string(fields, "url")
    raw_title = _string(fields, "title")
    raw_text = _string(fields, "text", "body", "content")
    raw_source = _string(fields, "source")
    if len(raw_text) > MAX_TEXT_CHARS:  # checked as given: cleaning 50 MB would take seconds
        raise _Invalid(f"text too long ({len(raw_text)} chars, limit {MAX_TEXT_CHARS})")
    text = clean_text(raw_text)
    if not text:
        raise _Invalid("empty text")
    title = clean_line(raw_title)
    if not title:
        raise _Invalid("missing title")
    url = canonical_url(raw_url)
    if raw_url.strip() and not url:
        raise _Invalid(f"url: not an http(s) URL {quote(raw_url)}")
    fingerprint = content_fingerprint(text)
    return Article(
        id=article_id(url, fingerprint),
        url=url,
        title=title,
        source=clean_line(raw_source) or urlsplit(url).hostname or "unknown",
        published=_published(fields),
        authors=_authors(fields),
        text=text,
        added_at=now,
        fingerprint=fingerprint,
        library=clean_line(str(fields.get("library") or "")) or None,  # as an export names it
    )


def with_title(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with a title from the first sentence of the text when it has none (RSS
    items may lack one): cut at the first sentence end, else after TITLE_WORDS words."""
    title, text = fields.get("title"), fields.get("text")
    if (isinstance(title, str) and title.strip()) or not isinstance(text, str):
        return fields
    first = _SENTENCE_END.split(clean_line(text), maxsplit=1)[0]
    words = first.split()
    short = " ".join(words[:TITLE_WORDS]) + ("…" if len(words) > TITLE_WORDS else "")
    return {**fields, "title": short}


def _pick(fields: Mapping[str, Any], *keys: str) -> tuple[str, Any]:
    """The first of ``keys`` that has a value, and that value (None when none has)."""
    for key in keys:
        if fields.get(key) is not None:
            return key, fields[key]
    return keys[0], None


def _string(fields: Mapping[str, Any], *keys: str) -> str:
    key, value = _pick(fields, *keys)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Invalid(f"{key}: expected a string, not {type_name(value)}")
    return value


def _published(fields: Mapping[str, Any]) -> datetime | None:
    key, value = _pick(fields, "published", "date", "pubDate")
    try:
        return parse_published(value)
    except ValueError as exc:
        raise _Invalid(f"{key}: {exc}") from None


def _authors(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """Authors from a list, or from one string like "Ann Lee, Bo Chen and Cy Diaz"."""
    key, value = _pick(fields, "authors", "author")
    if value is None:
        value = []
    elif isinstance(value, str):
        value = _AUTHOR_SEPARATORS.split(value)
    elif not isinstance(value, list | tuple) or not all(isinstance(a, str) for a in value):
        raise _Invalid(f"{key}: expected a string or a list of strings")
    names = (clean_line(name) for name in value)
    return tuple(dict.fromkeys(name for name in names if name))


# -- messages ---------------------------------------------------------------------------


def type_name(value: object) -> str:
    """The JSON name of a value's type, as users see it in their input."""
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def quote(value: object, limit: int = 60) -> str:
    """repr() for messages: one line, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
