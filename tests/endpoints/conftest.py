"""A client on respx-mocked hosts: no pacing, near-instant retries, closed after each test
(each test runs under both of anyio's backends)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from memories_async import AsyncMemories, RetryPolicy
from tests.endpoints._wire import KEY

FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)


@pytest.fixture
def client() -> AsyncMemories:
    """Unopened: every test here runs under asyncio and trio (`tests._support.on_both_backends`),
    which opens it in the test's own run and closes it there."""
    return AsyncMemories(KEY, rate_limits=False, max_retries=FAST)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock
