"""Models of chat: the typed stream events and the complete answer every chat call returns.

One vocabulary for video chat, the video marketer, personal chat and the legacy v1.0 chat:
whatever the wire said (`content`, `text`, `token`, `delta`, `message`), a piece of the answer
is a `ContentEvent`, and a whole answer is a `ChatResponse`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from ._base import MemoriesModel, alias

__all__ = [
    "ChatEvent",
    "ChatRef",
    "ChatResponse",
    "ContentEvent",
    "DoneEvent",
    "RefEvent",
    "RefItem",
    "RefType",
    "RefVideo",
    "Thinking",
    "ThinkingEvent",
    "distinct_moments",
]

RefType = Literal["keyframe", "visual_ts", "audio_ts"]
"""What a reference points at: a single frame, a described span of pictures, or of speech."""

_NUMBERS_TO_STR = ConfigDict(coerce_numbers_to_str=True)


def _none_is_empty(value: Any) -> Any:
    return [] if value is None else value


class RefVideo(MemoriesModel):
    """The video a reference belongs to."""

    model_config = _NUMBERS_TO_STR

    video_no: str | None = Field(None, validation_alias=alias("video_no", "videoNo"))
    video_name: str | None = Field(None, validation_alias=alias("video_name", "videoName"))
    duration: float | None = None
    """Seconds (the vendor sends `"10"`)."""


class RefItem(MemoriesModel):
    """One referenced moment: a keyframe at `start`, or a span `start`..`end` with its `text`.

    `type` is one of `RefType` (`keyframe`, `visual_ts`, `audio_ts`); other values the server
    may add later are kept as they came. Times are seconds from the start of the video.
    """

    model_config = _NUMBERS_TO_STR

    video_no: str | None = Field(None, validation_alias=alias("videoNo", "video_no"))
    type: str | None = None
    start: float | None = Field(None, validation_alias=alias("startTime", "start", "start_time"))
    end: float | None = Field(None, validation_alias=alias("endTime", "end", "end_time"))
    text: str | None = None


class ChatRef(MemoriesModel):
    """The references of an answer into one video: the video and its referenced moments."""

    video: RefVideo | None = None
    items: list[RefItem] = Field(
        default_factory=list, validation_alias=alias("refItems", "ref_items", "items")
    )

    @field_validator("items", mode="before")
    @classmethod
    def _null_items(cls, value: Any) -> Any:
        return _none_is_empty(value)


def distinct_moments(refs: Sequence[ChatRef]) -> list[tuple[RefVideo | None, RefItem]]:
    """Each referenced moment once, in order, with its video.

    The server often names one moment twice: as a keyframe and as the span around it, and the
    same span as `visual_ts` and `audio_ts` with the same text. A keyframe inside a span of the
    same video, and a repeat of a span already listed, are left out.
    """

    def number(video: RefVideo | None, item: RefItem) -> str | None:
        return item.video_no or (video.video_no if video else None)

    spans: dict[str | None, list[tuple[float, float]]] = {}
    for ref in refs:
        for item in ref.items:
            if item.start is not None and item.end is not None and item.end != item.start:
                spans.setdefault(number(ref.video, item), []).append((item.start, item.end))
    moments: list[tuple[RefVideo | None, RefItem]] = []
    seen: set[tuple[str | None, float | None, float | None, str]] = set()
    for ref in refs:
        for item in ref.items:
            video_no = number(ref.video, item)
            keyframe = item.end is None or item.end == item.start
            start = item.start
            if (
                keyframe
                and start is not None
                and any(a <= start <= b for a, b in spans.get(video_no, ()))
            ):
                continue
            key = (video_no, item.start, None if keyframe else item.end, (item.text or "").strip())
            if key in seen:
                continue
            seen.add(key)
            moments.append((ref.video, item))
    return moments


class Thinking(MemoriesModel):
    """One reasoning step the model showed while answering."""

    title: str | None = None
    content: str | None = None


class ThinkingEvent(MemoriesModel):
    """The model shows a reasoning step (`title`, `content`) before or while it answers."""

    model_config = _NUMBERS_TO_STR

    type: Literal["thinking"] = "thinking"
    title: str | None = None
    content: str | None = None
    session_id: str | None = Field(None, validation_alias=alias("sessionId", "session_id"))


class RefEvent(MemoriesModel):
    """The answer refers to moments of videos: jump targets for a player."""

    model_config = _NUMBERS_TO_STR

    type: Literal["ref"] = "ref"
    refs: list[ChatRef] = Field(default_factory=list, validation_alias=alias("ref", "refs"))
    session_id: str | None = Field(None, validation_alias=alias("sessionId", "session_id"))

    @field_validator("refs", mode="before")
    @classmethod
    def _null_refs(cls, value: Any) -> Any:
        return _none_is_empty(value)


class ContentEvent(MemoriesModel):
    """A piece of the answer's text, in order; joined they make `ChatResponse.content`."""

    model_config = _NUMBERS_TO_STR

    type: Literal["content"] = "content"
    text: str = Field(validation_alias=alias("content", "text", "delta", "message", "token"))
    role: str | None = None
    session_id: str | None = Field(None, validation_alias=alias("sessionId", "session_id"))


class DoneEvent(MemoriesModel):
    """The answer is complete (the server's end marker arrived); the last event of a stream."""

    model_config = _NUMBERS_TO_STR

    type: Literal["done"] = "done"
    session_id: str | None = Field(None, validation_alias=alias("sessionId", "session_id"))


ChatEvent = Annotated[
    ThinkingEvent | RefEvent | ContentEvent | DoneEvent, Field(discriminator="type")
]
"""Any event of a chat stream; `match` on the class, or look at `.type`."""


class ChatResponse(MemoriesModel):
    """A complete answer: its text, the references into videos, the reasoning steps shown, and
    the session it belongs to (pass `session_id` back to continue the conversation).

    Every chat call returns one: `send()` directly, `stream()` through `ChatStream.final()`.
    """

    model_config = _NUMBERS_TO_STR

    content: str = Field("", validation_alias=alias("content", "response", "text", "msg"))
    role: str | None = None
    refs: list[ChatRef] = Field(default_factory=list)
    thinkings: list[Thinking] = Field(default_factory=list)
    session_id: str | None = Field(None, validation_alias=alias("session_id", "sessionId"))

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, value: Any) -> Any:
        # The api host wraps the answer: {"code", "msg", "data": {...}, "session_id"}; personal
        # chat may answer {"session_id", "response", "metadata"} with no wrapper at all.
        if isinstance(value, dict) and "code" in value and "data" in value:
            data = value.get("data")
            inner: dict[str, Any] = dict(data) if isinstance(data, dict) else {}
            if isinstance(data, str):
                inner["content"] = data
            for key in ("session_id", "sessionId"):
                if value.get(key) is not None and inner.get("session_id") is None:
                    inner["session_id"] = value[key]
            return inner
        return value

    @field_validator("refs", "thinkings", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _none_is_empty(value)

    @field_validator("thinkings", mode="before")
    @classmethod
    def _text_thinkings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"content": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("content", mode="before")
    @classmethod
    def _null_content(cls, value: Any) -> Any:
        return "" if value is None else value

    @property
    def text(self) -> str:
        """The answer's text (the same as `content`)."""
        return self.content
