"""The example app against an emulator the test holds (for its records and faults), reached
in process through httpx's ASGI transport, with the app's lifespan run around it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from examples.fastapi_app.app import create_app

KEY = "sk-example-app-tests-key-0042"


@asynccontextmanager
async def app_client(base_url: str, **client_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to the example app in process, the app's lifespan running."""
    app = create_app(base_url=base_url, api_key=KEY, **client_options)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


def sse_frames(text: str) -> list[tuple[str, str]]:
    """(event, data) of each frame of an SSE body; comments skipped."""
    frames = []
    for block in text.replace("\r\n", "\n").strip().split("\n\n"):
        event = data = ""
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = line[5:].strip()
        if event:
            frames.append((event, data))
    return frames
