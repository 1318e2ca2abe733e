"""Fixtures shared by every test: no real key or host may leak in from the shell."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's real key or base URL must never reach a test.
    monkeypatch.delenv("MEMORIES_API_KEY", raising=False)
    monkeypatch.delenv("MEMORIES_BASE_URL", raising=False)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """The async library a transport-facing scenario runs under: those suites run on both.

    The suites run their scenario with `anyio.run(main, backend=anyio_backend)` from a plain
    test function: pytest-asyncio's auto mode would otherwise run every coroutine test on
    asyncio, whatever its backend parameter."""
    return str(request.param)


@pytest.fixture(params=["asyncio", "trio", "aiohttp"])
def runtime(request: pytest.FixtureRequest) -> str:
    """Where a socket-facing scenario runs: asyncio or trio over httpx's own transport, or
    asyncio over aiohttp's (`DefaultAioHttpClient`). Used with `tests._support.on_every_transport`
    and `tests._support.http_client_for`."""
    return str(request.param)
