"""Helpers for tests: fixture payloads and a look inside httpx's connection pool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> Any:
    """A JSON payload copied from the vendor documents into tests/fixtures/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def checked_out_connections(http: httpx.AsyncClient) -> int:
    """Requests holding or waiting for a connection of the pool (0 when nothing leaked)."""
    pool = http._transport._pool  # type: ignore[attr-defined]
    busy = [c for c in pool.connections if not (c.is_idle() or c.is_closed())]
    return max(len(busy), len(pool._requests))
