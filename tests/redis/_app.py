"""A small web app as users deploy it, for `uvicorn --workers N`: one client per worker opened in
the lifespan, its rate limiter taken from MEMORIES_REDIS_URL. Retries are off, so any 0429 the
vendor sends reaches the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from memories_async import AsyncMemories, RateLimitError


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with AsyncMemories(max_retries=0) as client:  # key, base URL and Redis from the env
        app.state.client = client
        yield


async def search(request: Request) -> JSONResponse:
    client: AsyncMemories = request.app.state.client
    try:
        clips = await client.search.videos(request.query_params["q"], top_k=3)
    except RateLimitError:
        return JSONResponse({"error": "rate limited"}, status_code=429)
    return JSONResponse({"clips": len(clips)})


app = Starlette(routes=[Route("/search", search)], lifespan=lifespan)
