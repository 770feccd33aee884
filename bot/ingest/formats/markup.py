"""HTML fragments (feed summaries and content) to plain text with paragraphs."""

from __future__ import annotations

import lxml.html

from bot.ingest.normalize import clean_text

LINE_BREAKS = ("br",)
BLOCKS = (
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p",
    "pre", "section", "table", "td", "th", "tr", "ul",
)


def html_to_text(markup: str) -> str:
    # Cleaned first too: lxml refuses strings holding control characters.
    markup = clean_text(markup)
    if not markup:
        return ""
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    for element in root.iter(*LINE_BREAKS):
        element.tail = "\n" + (element.tail or "")
    for element in root.iter(*BLOCKS):
        element.text = "\n\n" + (element.text or "")
        element.tail = "\n\n" + (element.tail or "")
    return clean_text(root.text_content())
