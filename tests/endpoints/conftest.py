"""A client on respx-mocked hosts: no pacing, near-instant retries, closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import respx

from memories_async import AsyncMemories, RetryPolicy
from tests.endpoints._wire import KEY

FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)


@pytest.fixture
async def client() -> AsyncIterator[AsyncMemories]:
    async with AsyncMemories(KEY, rate_limits=False, max_retries=FAST) as c:
        yield c


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock
