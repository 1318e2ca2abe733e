"""Models of the search agent's stream (`client.agents.search`): one class per SSE event name.

The vendor's example agents show the events `started`, `progress`, `tool_call`, `tool_result`,
`error` and `complete`, and only some of their fields; every model keeps the fields it does not
name, and an event of a name not listed here arrives as `AgentRawEvent`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic import ConfigDict, Field

from ._base import MemoriesModel, alias

__all__ = [
    "AGENT_EVENTS",
    "AgentComplete",
    "AgentError",
    "AgentEvent",
    "AgentProgress",
    "AgentRawEvent",
    "AgentStarted",
    "AgentToolCall",
    "AgentToolResult",
    "AgentVideoReference",
]

_NUMBERS_TO_STR = ConfigDict(coerce_numbers_to_str=True)


class AgentStarted(MemoriesModel):
    """`started`: the agent took the query; `session_id` names its run."""

    model_config = _NUMBERS_TO_STR

    session_id: str | None = Field(None, validation_alias=alias("session_id", "sessionId"))


class AgentProgress(MemoriesModel):
    """`progress`: step `step` of at most `max_steps`, and what the agent is doing."""

    step: int | None = None
    max_steps: int | None = Field(None, validation_alias=alias("max_steps", "maxSteps"))
    message: str | None = None


class AgentToolCall(MemoriesModel):
    """`tool_call`: the agent calls one of its tools (a platform search, say) with `arguments`."""

    tool: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)


class AgentToolResult(MemoriesModel):
    """`tool_result`: what the tool gave back, in a sentence."""

    tool: str | None = None
    success: bool | None = None
    summary: str | None = None


class AgentError(MemoriesModel):
    """`error`: the agent gave up. It is the stream's last event: iterating on raises
    `StreamError` with this message, and so does `final()`."""

    model_config = _NUMBERS_TO_STR

    message: str | None = Field(None, validation_alias=alias("message", "msg", "error"))
    code: str | None = None


class AgentVideoReference(MemoriesModel):
    """One video the agent found. The shape is not published: the fields the examples show are
    named, every other one is kept."""

    model_config = _NUMBERS_TO_STR

    video_no: str | None = Field(None, validation_alias=alias("video_no", "videoNo", "video_id"))
    title: str | None = None
    url: str | None = Field(None, validation_alias=alias("url", "video_url", "videoUrl"))
    platform: str | None = None


class AgentComplete(MemoriesModel):
    """`complete`: the agent's answer, the videos it found and how sure it is (0-1)."""

    video_references: list[AgentVideoReference] = Field(
        default_factory=list, validation_alias=alias("video_references", "videoReferences")
    )
    confidence_score: float | None = Field(
        None, validation_alias=alias("confidence_score", "confidenceScore")
    )
    summary: str | None = Field(None, validation_alias=alias("summary", "answer", "response"))
    session_id: str | None = Field(None, validation_alias=alias("session_id", "sessionId"))


class AgentRawEvent(MemoriesModel):
    """An event whose name this SDK does not know yet: its `event` name and decoded `data`
    (JSON, or the text as sent)."""

    event: str
    data: Any = None


AgentEvent = (
    AgentStarted
    | AgentProgress
    | AgentToolCall
    | AgentToolResult
    | AgentError
    | AgentComplete
    | AgentRawEvent
)
"""Any event of the search agent's stream."""

AGENT_EVENTS: Mapping[str, type[AgentEvent]] = MappingProxyType(
    {
        "started": AgentStarted,
        "progress": AgentProgress,
        "tool_call": AgentToolCall,
        "tool_result": AgentToolResult,
        "error": AgentError,
        "complete": AgentComplete,
    }
)
"""The SSE `event:` names the SDK types, and the model of each."""
