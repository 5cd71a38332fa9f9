"""Describe an exception for the logs without its message, which may quote a child.

An SQL error quotes its parameters (a pupil's text, a chat id), a KeyError its key: only the
exception's type and the traceback's frames (file, line, source line; no local values) are
safe to log. Callers that know a message is safe (Telegram's own errors) pass it as `detail`.
"""

from __future__ import annotations

import traceback


def redacted(error: BaseException | None, detail: str | None = None) -> str:
    """"TypeName (detail)" and the stack frames, without `str(error)`."""
    if error is None:
        return "unknown error"
    summary = type(error).__name__ + (f" ({detail})" if detail else "")
    frames = "".join(traceback.format_tb(error.__traceback__))
    return f"{summary}\n{frames}".rstrip()
