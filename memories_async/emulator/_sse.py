"""Server-Sent Events: `data: <payload>` lines, and the stream faults applied to them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import StreamingResponse

from ._context import exchange_of
from ._faults import EmulatedDisconnect, Fault

__all__ = ["event", "sse_response"]

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def event(payload: Any) -> str:
    """One event payload: JSON for objects, the string itself for markers such as [DONE]."""
    return payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)


async def _body(
    events: Sequence[str],
    fault: Fault | None,
    interval: float,
    malformed: str,
    request: Request | None,
    names: Sequence[str] | None,
) -> AsyncIterator[bytes]:
    last = len(events) - 1
    stop_at = len(events)
    if fault is not None and fault.kind in ("drop_mid_stream", "truncate_stream"):
        stop_at = min(fault.after_events, last)
    bad_at = (
        min(fault.after_events, last)
        if fault is not None and fault.kind == "malformed_stream"
        else -1
    )
    for index, payload in enumerate(events):
        if index == stop_at:
            if fault is not None and fault.kind == "drop_mid_stream":
                raise EmulatedDisconnect(
                    f"peer closed connection mid-stream after {index} events (emulated fault)"
                )
            return
        name = f"event: {names[index]}\n" if names is not None else ""
        if index == bad_at:
            yield f"{name}data: {malformed}\n\n".encode()
        if interval and index:
            await anyio.sleep(interval)
            if request is not None and await request.is_disconnected():
                # The client hung up: stop, as the vendor would, and let the record say so.
                exchange = exchange_of(request)
                if exchange is not None:
                    exchange.client_left = True
                return
        yield f"{name}data: {payload}\n\n".encode()


def sse_response(
    events: list[str],
    fault: Fault | None,
    *,
    interval: float = 0.0,
    malformed: str = '{"type": "content", "content": "unterminated',
    request: Request | None = None,
    names: Sequence[str] | None = None,
) -> StreamingResponse:
    """A text/event-stream response of `events`; the last one is the end event.

    With `names` (one per event), each event is sent with its `event:` line, and an
    `error_end` fault replaces the end with an `error` event `{"message", "code"}`; without,
    with `{"code": ..., "data": ...}`. With `request` and an `interval`, the stream stops when
    the client has gone (checked between events), and the request's record shows it
    (`complete` false).
    """
    if fault is not None and fault.kind == "error_end":
        if names is None:
            events = [*events[:-1], event({"code": fault.code, "data": fault.data})]
        else:
            events = [*events[:-1], event({"message": fault.data, "code": fault.code})]
            names = [*names[:-1], "error"]
    return StreamingResponse(
        _body(events, fault, interval, malformed, request, names),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )
