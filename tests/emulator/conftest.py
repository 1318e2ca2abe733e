"""Fixtures of the emulator tests: a fresh emulator per test (rate limits off unless a test
turns them on) and an in-process httpx client over it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from memories_async.emulator import Emulator


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(rate_limits=False) as emulator:
        yield emulator
        assert emulator.internal_errors == []


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with emu.client(api_key="sk-test") as http:
        yield http
