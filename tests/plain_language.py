"""How easy a page is to read: LIX (läsbarhetsindex, Björnsson 1968), the readability measure used for Danish.

LIX = words / sentences + 100 * long words / words, where a long word has more than six letters. Below 25 is
easy (children's books), 35 is the aim for everyone's pages, 45 and above is hard. A page's text is taken from
its <main> element only, and each heading, paragraph, list item, label or button counts as at least one sentence,
since a person reads it as one.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose text stands on its own: each ends a sentence even without a full stop.
BLOCKS = {"address", "button", "caption", "dd", "details", "div", "dt", "fieldset", "figcaption", "form", "h1", "h2",
          "h3", "h4", "h5", "h6", "label", "legend", "li", "ol", "option", "p", "section", "summary", "table", "td",
          "th", "tr", "ul"}
SKIPPED = {"script", "style", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# A full stop, colon, question or exclamation mark ends a sentence when a capital letter or the end follows; so
# "kl. 09:00" and "7. december" do not.
SENTENCE_END = re.compile(r"[.:!?]+(?=\s+[A-ZÆØÅ]|\s*$)")


class _MainText(HTMLParser):
    """The text of <main>, one block element's text per item, without hidden elements, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.blocks: list[str] = []
        self._current: list[str] = []
        self._in_main = 0
        self._hidden = 0  # depth inside a hidden element or a script

    def _end_block(self):
        text = " ".join("".join(self._current).split())
        if text:
            self.blocks.append(text)
        self._current = []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self._in_main += 1
        if tag in VOID:
            return
        attributes = dict(attrs)
        if self._hidden or tag in SKIPPED or "hidden" in attributes:
            self._hidden += 1
        elif tag in BLOCKS:
            self._end_block()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self._hidden:
            self._hidden -= 1
            return
        if tag in BLOCKS:
            self._end_block()
        if tag == "main":
            self._end_block()
            self._in_main -= 1

    def handle_data(self, data):
        if self._in_main and not self._hidden:
            self._current.append(data)


def main_text(html: str) -> list[str]:
    """The text blocks of the page's <main>, in order."""
    parser = _MainText()
    parser.feed(html)
    parser.close()
    return parser.blocks


def lix(blocks: list[str]) -> float:
    """The LIX of these text blocks (each at least one sentence)."""
    words = [word for block in blocks for word in WORD.findall(block)]
    if not words:
        return 0.0
    sentences = sum(max(1, len(SENTENCE_END.findall(block))) for block in blocks if WORD.search(block))
    long_words = sum(1 for word in words if len(word.replace("-", "")) > 6)
    return len(words) / sentences + 100 * long_words / len(words)


def page_lix(html: str) -> float:
    """The LIX of a page's <main> text."""
    return lix(main_text(html))
