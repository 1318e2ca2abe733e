"""A real redis-server for the tests of the shared limiter (skipped, with the reason, when the
binary is missing; `.ci/run` installs it, so CI always runs them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks._redis import REDIS_SERVER, SKIP_REASON, RedisServer, free_port

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason=SKIP_REASON)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if REDIS_SERVER is None:
        pytest.skip(SKIP_REASON)
    server = RedisServer(tmp_path, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url
