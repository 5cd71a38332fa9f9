"""End-to-end fixtures: the fake Bot API server on a free port of 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.fake_bot_api import FakeBotApi


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """A started server; point PTB at `.base_url` / `.base_file_url` with `.token`."""
    server = FakeBotApi()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
