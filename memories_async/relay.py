"""A streamed chat answer relayed to a web page as Server-Sent Events, for a browser's
`EventSource`.

```python
from fastapi import FastAPI
from memories_async.relay import event_source_response

@app.get("/chat")
async def chat(q: str, video_no: str, client: AsyncMemories = Depends(memories)):
    return event_source_response(client.chat.stream([video_no], q))
```

Each event of the answer becomes one frame, `event: <kind>` with a small JSON `data`:

| event | data |
|---|---|
| `thinking` | `{"title", "content"}` |
| `ref` | `{"refs": [{"video_no", "video_name", "start", "end", "text", "type"}]}` (seconds) |
| `content` | `{"text"}`: the next piece of the answer |
| `done` | `{"session_id"}`: the answer is complete; the stream ends |
| `error` | `{"code", "message"}`: the vendor's code and words, never a key; the stream ends |

While nothing arrives (a chat waits for its turn in the one-per-second bucket, then thinks), a
`: ping` comment goes out every `ping_interval` seconds, so proxies keep the connection. When
the browser goes away, the web framework closes (or cancels) the relay, and the vendor's stream
is closed at once: no task goes on reading it.

The core module needs no web framework; `event_source_response` needs the `fastapi` extra
(`sse-starlette`). The relay runs on asyncio (as FastAPI and Starlette do under uvicorn).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio

from ._errors import APIError, MemoriesError, StreamError
from .models.chat import (
    ChatRef,
    ContentEvent,
    DoneEvent,
    RefEvent,
    ThinkingEvent,
    distinct_moments,
)

if TYPE_CHECKING:
    from ._stream import ChatStream

__all__ = ["PING", "event_source_response", "frame", "sse_events"]

logger = logging.getLogger("memories_async")

PING = b": ping\n\n"
"""The keep-alive comment sent while nothing else is."""


def frame(event: str, data: Any) -> bytes:
    """One Server-Sent Events frame: `event: <event>` and `data: <compact JSON>`."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {payload}\n\n".encode()


def _refs(refs: list[ChatRef]) -> list[dict[str, Any]]:
    return [
        {
            "video_no": item.video_no or (video.video_no if video else None),
            "video_name": video.video_name if video else None,
            "start": item.start,
            "end": item.end,
            "text": item.text,
            "type": item.type,
        }
        for video, item in distinct_moments(refs)
    ]


def _error(exc: BaseException) -> bytes:
    if isinstance(exc, StreamError):
        return frame("error", {"code": exc.code, "message": exc.msg})
    if isinstance(exc, APIError):
        return frame("error", {"code": exc.code, "message": exc.msg})
    if isinstance(exc, MemoriesError):
        return frame("error", {"code": None, "message": str(exc)})
    return frame("error", {"code": None, "message": "the answer could not be relayed"})


async def sse_events(
    stream: ChatStream, *, ping_interval: float | None = 15.0
) -> AsyncIterator[bytes]:
    """The frames of `stream`'s answer (see the module docstring), ending after `done` or
    `error`. `ping_interval=None` sends no pings (when the framework sends its own).

    The stream is read by one task while this generator waits for it with a timeout (waiting on
    the stream itself with a timeout would cancel, and so close, it). Closing or cancelling the
    generator cancels that task and closes the stream.
    """
    asyncio.get_running_loop()  # the relay needs asyncio; fail here, not in a task
    reading: asyncio.Task[Any] | None = None
    try:
        while True:
            if reading is None:
                reading = asyncio.ensure_future(stream.__anext__())
            done, _ = await asyncio.wait({reading}, timeout=ping_interval)
            if not done:
                yield PING
                continue
            task, reading = reading, None
            try:
                event = task.result()
            except StopAsyncIteration:
                return
            except Exception as exc:
                if not isinstance(exc, MemoriesError):
                    logger.error("memories: relaying a chat stream failed: %r", exc)
                yield _error(exc)
                return
            if isinstance(event, ContentEvent):
                yield frame("content", {"text": event.text})
            elif isinstance(event, ThinkingEvent):
                yield frame("thinking", {"title": event.title, "content": event.content})
            elif isinstance(event, RefEvent):
                refs = _refs(event.refs)
                if refs:
                    yield frame("ref", {"refs": refs})
            elif isinstance(event, DoneEvent):
                yield frame("done", {"session_id": stream.session_id})
                return
    finally:
        # Shielded: a framework that cancels the relay (the browser left) cancels it inside a
        # cancel scope, where an unshielded await would be cancelled before the stream closed.
        with anyio.CancelScope(shield=True):
            if reading is not None:
                reading.cancel()
                await asyncio.gather(reading, return_exceptions=True)
            await stream.aclose()


def event_source_response(
    stream: ChatStream, *, ping_interval: float = 15.0, **options: Any
) -> Any:
    """A Starlette/FastAPI response relaying `stream` (sse-starlette's `EventSourceResponse`,
    which sends the pings and notices a browser that went away). `options` go to it.

    Needs `pip install "memories-async[fastapi]"`.
    """
    try:
        from sse_starlette import EventSourceResponse
    except ImportError:
        raise MemoriesError(
            "event_source_response needs sse-starlette: pip install 'memories-async[fastapi]'"
        ) from None
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **options.pop("headers", {})}
    return EventSourceResponse(
        sse_events(stream, ping_interval=None), ping=ping_interval, headers=headers, **options
    )
