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
