"""The example app: one `AsyncMemories` for the whole process, handed to handlers by `Depends`,
a chat relayed to the browser as Server-Sent Events, and every SDK error mapped to HTTP.

With `MEMORIES_BASE_URL` unset it serves an emulator of its own on a loopback port (no key, no
network), as `memories demo` does; set `MEMORIES_BASE_URL` and `MEMORIES_API_KEY` to use
another server.
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Header, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from memories_async import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncMemories,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    InsufficientCreditError,
    InternalServerError,
    InvalidArgumentError,
    Memories,
    MemoriesError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StreamError,
    VideoProcessingError,
    WaitTimeoutError,
)
from memories_async.ingest import IngestStoppedError
from memories_async.redis import RateLimiterUnavailableError
from memories_async.relay import event_source_response

STATIC = Path(__file__).with_name("static")
EMULATOR_KEY = "sk-example-app-local-emulator"

# Most specific first: the first class an error is an instance of decides.
STATUS: list[tuple[type[MemoriesError], int]] = [
    (InvalidArgumentError, 422),
    (RateLimitError, 429),
    (NotFoundError, 404),
    (ConflictError, 409),
    (BadRequestError, 400),
    (VideoProcessingError, 422),
    (AuthenticationError, 502),  # our server's credentials, not the browser's: a bad gateway
    (InsufficientCreditError, 502),
    (PermissionDeniedError, 502),
    (APIResponseValidationError, 502),
    (InternalServerError, 502),
    (StreamError, 502),
    (APIError, 502),  # any other answer the vendor gave as an error
    (APITimeoutError, 504),
    (WaitTimeoutError, 504),
    (APIConnectionError, 502),
    (IngestStoppedError, 502),
    (RateLimiterUnavailableError, 503),
    (ClientClosedError, 503),  # the app is shutting down: its client was closed
    (MemoriesError, 500),  # anything else is this server's trouble
]
ACCOUNT_ERRORS = (AuthenticationError, InsufficientCreditError, PermissionDeniedError)


def status_for(error: MemoriesError) -> int:
    """The HTTP status that tells a browser what happened."""
    return next(status for cls, status in STATUS if isinstance(error, cls))


def error_body(error: MemoriesError, secrets: tuple[str, ...]) -> dict[str, Any]:
    """What the browser is told: the kind and the vendor's words, never a key."""
    if isinstance(error, ACCOUNT_ERRORS):
        message = "the video service did not accept this server's account; see the server log"
    elif isinstance(error, APIConnectionError):
        message = "the video service could not be reached"
    else:
        message = str(getattr(error, "msg", None) or error)
    for secret in secrets:
        message = message.replace(secret, "…")
    return {
        "error": {
            "type": type(error).__name__,
            "message": message,
            "code": getattr(error, "code", None),
        }
    }


def memories(request: Request, x_user_id: Annotated[str | None, Header()] = None) -> AsyncMemories:
    """The shared client, in the signed-in user's namespace (here: an `X-User-Id` header)."""
    client: AsyncMemories = request.app.state.client
    return client.with_options(unique_id=x_user_id) if x_user_id else client


Client = Annotated[AsyncMemories, Depends(memories)]


def create_app(
    *, base_url: str | None = None, api_key: str | None = None, **client_options: Any
) -> FastAPI:
    """The app; `base_url`/`api_key` default to the environment, then to an embedded emulator.
    `client_options` go to both clients (`rate_limits=False` for a load test, say)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            url = base_url or os.environ.get("MEMORIES_BASE_URL")
            key = api_key or os.environ.get("MEMORIES_API_KEY")
            if url is None:
                from memories_async.emulator import Emulator, ServerThread

                emulator = Emulator(parse_delay=1.0, stream_interval=0.05)
                stack.callback(emulator.close)
                server = ServerThread(emulator.app, "127.0.0.1", 0)
                url = await server.astart()
                stack.push_async_callback(server.astop)
                key = key or EMULATOR_KEY
                app.state.emulator = emulator
            client = await stack.enter_async_context(
                AsyncMemories(key, base_url=url, **client_options)
            )
            app.state.client = client
            app.state.sync_client = stack.enter_context(
                Memories(key, base_url=url, **client_options)
            )
            app.state.secrets = tuple(s for s in (key, os.environ.get("MEMORIES_API_KEY")) if s)
            yield

    app = FastAPI(title="memories-async example", lifespan=lifespan)

    @app.exception_handler(MemoriesError)
    async def memories_error(request: Request, error: MemoriesError) -> JSONResponse:
        status = status_for(error)
        headers = {}
        if isinstance(error, RateLimitError):
            headers["Retry-After"] = str(max(1, math.ceil(error.retry_after or 1)))
        return JSONResponse(
            error_body(error, request.app.state.secrets), status_code=status, headers=headers
        )

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.post("/videos")
    async def upload(client: Client, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
        """Pass a browser upload on as it is: Starlette spools it to a temporary file, and the
        SDK streams that file from disk in worker threads, never holding it in memory."""
        video = await client.videos.upload(file.file, filename=file.filename or None)
        return video.model_dump(mode="json")

    @app.get("/videos")
    async def list_videos(
        client: Client,
        page: Annotated[int, Query(ge=1)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        listing = await client.videos.list(page=page, size=size)
        return listing.model_dump(mode="json")

    @app.get("/search")
    async def search(client: Client, q: Annotated[str, Query(min_length=1)]) -> list[Any]:
        clips = await client.search.videos(q, top_k=10)
        return [clip.model_dump(mode="json") for clip in clips]

    @app.get("/chat")
    async def chat(
        client: Client,
        q: Annotated[str, Query(min_length=1)],
        video_nos: Annotated[list[str], Query(min_length=1)],
    ) -> Any:
        """The answer as it is written, relayed to the browser's `EventSource`."""
        return event_source_response(client.chat.stream(video_nos, q))

    @app.get("/videos/{video_no}/transcript")
    def transcript(request: Request, video_no: str) -> dict[str, Any]:
        """A plain `def` handler, as teams with blocking code write them: FastAPI runs it in a
        worker thread, and the blocking `Memories` client serves it there."""
        sync_client: Memories = request.app.state.sync_client
        return sync_client.videos.transcription(video_no).model_dump(mode="json")

    return app


app = create_app()
