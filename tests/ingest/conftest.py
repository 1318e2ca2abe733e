"""An emulator without rate limits, and a client that calls it in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from memories_async import AsyncMemories, RetryPolicy
from memories_async.emulator import Emulator

KEY = "sk-ingest-tests-0001"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(seed=False, rate_limits=False)
    yield emulator
    await emulator.aclose()


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AsyncMemories]:
    async with httpx.AsyncClient(transport=emu.transport()) as http:
        yield AsyncMemories(
            KEY,
            base_url="http://127.0.0.1",
            http_client=http,
            rate_limits=False,
            max_retries=RetryPolicy(max_retries=0, initial_delay=0.001, max_delay=0.002),
        )
