"""FAQ answers are written in markdown-lite; Telegram wants HTML.

Maintainers write `**bold**`, `*italic*`, `` `code` ``, `[label](https://...)` and "- " lists
by hand. Everything is escaped first, so a stray "<" in an answer cannot break the message.
"""

from __future__ import annotations

import functools
import html
import re

from bot.texts import Html

_RULES = (
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*\n]+)\*\*"), r"<b>\1</b>"),
    (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), r"<i>\1</i>"),
    (re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s\"]+)\)"), r'<a href="\2">\1</a>'),
    (re.compile(r"^(\s*)[-*] ", re.MULTILINE), "\\1• "),
)


@functools.lru_cache(maxsize=1024)  # the FAQ's answers: the same few hundred texts all day
def to_html(markdown_lite: str) -> Html:
    """Telegram HTML for an answer written in markdown-lite."""
    text = html.escape(markdown_lite.strip(), quote=False)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return Html(text)
