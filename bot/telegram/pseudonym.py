"""Pseudonymous chat tags for logs: a log line can be correlated, never traced to a child.

A keyed hash (HMAC with the bot token) rather than a plain hash, because Telegram chat ids
are small integers that anyone could hash one by one to find a match.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

ChatTagger = Callable[[int], str]


def chat_tagger(secret: str) -> ChatTagger:
    """A function giving every chat id a stable tag like "chat-1a2b3c4d" for this secret."""
    key = hashlib.sha256(secret.encode()).digest()

    def tag(chat_id: int) -> str:
        return "chat-" + hmac.new(key, str(chat_id).encode(), hashlib.sha256).hexdigest()[:8]

    return tag
