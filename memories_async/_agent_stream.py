"""`AgentStream`: the search agent's run (`/queries/stream`) as typed events, on `EventStream`.

The agent's stream names each event (`event: progress`) and sends its fields as JSON data; it
ends with `complete` (the answer) or `error`. What the caller was handed, and the answer, are
kept here; the response, the idle timeout, the size limit and closing are `EventStream`'s.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pydantic

from ._decoder import Failure
from ._errors import StreamError
from ._sse import ServerSentEvent
from ._stream import EventStream, _State
from .models._base import first_error
from .models.agents import (
    AGENT_EVENTS,
    AgentComplete,
    AgentError,
    AgentEvent,
    AgentRawEvent,
    AgentStarted,
)

__all__ = ["AgentStream"]


class AgentStream(EventStream[AgentEvent, "AgentEvent | Failure"]):
    """One run of the search agent: iterate it for typed events, or await `final()`.

    ```python
    async with client.agents.search("surfing in Bali", platforms=["tiktok"]) as run:
        async for event in run:
            match event:
                case AgentProgress(message=message):
                    print(message)
        found = await run.final()  # AgentComplete: video_references, confidence_score
    ```

    The connection's lifetime is `ChatStream`'s: the request goes out on `async with` or the
    first iteration, and leaving the block, `break`, an error or a cancellation closes it. An
    `error` event is handed out as `AgentError`, and the stream then raises `StreamError`
    (`reason="error_end"`); so does a stream that ends without `complete`, a cut connection or
    a silence past `stream_idle_timeout`. `StreamError.events` holds the events handed out
    before it. The request is never sent again once the server answered (a run costs credits).
    """

    def __init__(
        self,
        open_response: Callable[[], Awaitable[httpx.Response]],
        *,
        endpoint: str,
        max_event_bytes: int | None = None,
        idle_timeout: float | None = None,
    ) -> None:
        super().__init__(
            open_response,
            endpoint=endpoint,
            max_event_bytes=max_event_bytes,
            idle_timeout=idle_timeout,
            named=True,
        )
        self._events: list[AgentEvent] = []
        self._complete: AgentComplete | None = None
        self._error: StreamError | None = None
        self._session_id: str | None = None

    @property
    def events(self) -> list[AgentEvent]:
        """The events handed out so far."""
        return list(self._events)

    @property
    def session_id(self) -> str | None:
        """The agent run's id, once `started` named it."""
        return self._session_id

    @property
    def done(self) -> bool:
        """Whether `complete` has been handed out."""
        return self._complete is not None

    async def final(self) -> AgentComplete:
        """Read the rest of the run and return its `complete` event (the videos found and the
        confidence); raise `StreamError` if the run ended any other way."""
        await self._drain()
        if self._error is not None:
            raise self._error
        if self._complete is None:
            raise self._failure(Failure("closed", "the stream was closed before its end"))
        return self._complete

    def __repr__(self) -> str:
        return (
            f"<AgentStream {self._endpoint} {self._state.value} "
            f"session_id={self._session_id!r} events={len(self._events)}>"
        )

    # -- what the agent's events mean -------------------------------------------------------

    def _take(self, payloads: list[bytes], *, at_eof: bool) -> None:
        for sent in self._parser.events(payloads):
            item = _decode(sent, at_eof=at_eof)
            self._queue.append(item)
            if isinstance(item, AgentError):
                message = item.message or "the agent stopped with an error"
                self._queue.append(
                    Failure("error_end", f"the agent stopped: {message}", message, item.code)
                )
            if isinstance(item, AgentComplete | AgentError | Failure):
                self._state = _State.ENDED
                return

    def _incomplete(self) -> AgentEvent | Failure:
        return Failure("incomplete", "the stream stopped before its complete event")

    def _hand_out(self, item: AgentEvent | Failure) -> AgentEvent:
        if isinstance(item, Failure):
            raise self._failure(item)
        self._events.append(item)
        if isinstance(item, AgentStarted) and item.session_id is not None:
            self._session_id = item.session_id
        elif isinstance(item, AgentComplete):
            self._complete = item
        return item

    def _failure(self, failure: Failure) -> StreamError:
        self._error = failure.error(
            self._endpoint, session_id=self._session_id, events=self._events
        )
        return self._error

    def _progress(self) -> tuple[int, BaseException | None]:
        return len(self._events), self._error


def _decode(sent: ServerSentEvent, *, at_eof: bool) -> AgentEvent | Failure:
    """The typed event of one named SSE event; a known name with data that does not fit is a
    failure (the run cannot be followed past it), an unknown name is kept raw."""
    model = AGENT_EVENTS.get(sent.event)
    try:
        data: Any = json.loads(sent.data) if sent.data.strip() else {}
    except ValueError:
        if model is None:
            return AgentRawEvent(event=sent.event, data=sent.data.decode("utf-8", "replace"))
        if at_eof:
            return Failure("incomplete", "the stream stopped inside an event")
        return Failure("malformed", f"the {sent.event} event's data is not JSON")
    if model is None:
        return AgentRawEvent(event=sent.event, data=data)
    if not isinstance(data, dict):
        return Failure("malformed", f"the {sent.event} event's data is not a JSON object")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        return Failure("malformed", f"the {sent.event} event does not fit: {first_error(exc)}")
