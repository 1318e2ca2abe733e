"""Visual Agents on the v2 host: the managed search agent over the public platforms, streamed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from .._agent_stream import AgentStream
from .._errors import InvalidArgumentError
from .._extras import Body, Headers, Query
from .._pipeline import Endpoint
from .._validate import non_empty, open_choice, positive_int, string_list
from ._base import AsyncResource

__all__ = ["AsyncAgents"]

# A run costs credits and the server acts on it as it streams: never resent once it may have
# been seen. Errors before the stream come in the v2 task envelope (`{code, msg}`).
QUERIES_STREAM = Endpoint(
    "queries_stream",
    "POST",
    "/queries/stream",
    bucket="agent",
    host="vlm",
    idempotent=False,
    envelope="v2",
)

AgentPlatform = Literal["youtube", "tiktok", "instagram", "twitter"]
AgentTimeFrame = Literal["past_24h", "past_week", "past_month"]
PLATFORMS = ("youtube", "tiktok", "instagram", "twitter")
TIME_FRAMES = ("past_24h", "past_week", "past_month")


class AsyncAgents(AsyncResource):
    """`client.agents`: the vendor's search agent (`/queries/stream`), which searches the public
    platforms with its own tools and streams what it does."""

    def search(
        self,
        query: str,
        *,
        platforms: Iterable[AgentPlatform | str] | None = None,
        max_results: int = 5,
        time_frame: AgentTimeFrame | str | None = None,
        enable_clarification: bool | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> AgentStream:
        """Run the search agent on `query` and stream its run as typed events (`AgentStarted`,
        `AgentProgress`, `AgentToolCall`, `AgentToolResult`, `AgentError`, `AgentComplete`).

        `platforms` narrows the search (`youtube`, `tiktok`, `instagram`, `twitter`; others
        are sent as given), `time_frame` the period (`past_24h`, `past_week`, `past_month`).
        Arguments are checked now; the request goes out on `async with` or the first iteration.
        """
        body: dict[str, Any] = {
            "query": non_empty("query", query),
            "max_results": positive_int("max_results", max_results),
        }
        if platforms is not None:
            body["platforms"] = [
                open_choice("platforms", platform, PLATFORMS)
                for platform in string_list("platforms", platforms)
            ]
        if time_frame is not None:
            body["time_frame"] = open_choice("time_frame", time_frame, TIME_FRAMES)
        if enable_clarification is not None:
            if not isinstance(enable_clarification, bool):
                raise InvalidArgumentError("enable_clarification", "must be True or False")
            body["enable_clarification"] = enable_clarification
        pipeline = self._pipeline
        extras = self._extras(extra_headers, extra_query, extra_body)
        return AgentStream(
            lambda: pipeline.open_stream(
                QUERIES_STREAM, json=body, accept="text/event-stream", extras=extras
            ),
            endpoint=QUERIES_STREAM.name,
            max_event_bytes=pipeline.limits.max_event_bytes,
            idle_timeout=pipeline.limits.stream_idle_timeout,
        )
