"""The data of one Server-Sent Event, as the chat endpoints mean it: a typed event, the end, or
a failure.

Two tiers: the common events go straight from bytes to models through one pydantic
`TypeAdapter.validate_json` call (`EventDecoder.fast`, a discriminated union, so no intermediate
dict); anything that does not fit (end markers, personal-chat tokens, legacy envelopes, the
marketer's text-field fallbacks, plain-text payloads, error reports) takes a slower path that
knows every variant the vendor's own sample clients accept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import pydantic

from ._errors import StreamError, StreamErrorReason
from .models.chat import ContentEvent, DoneEvent, RefEvent, ThinkingEvent

__all__ = [
    "CHAT_DECODER",
    "LEGACY_DECODER",
    "PERSONAL_DECODER",
    "Decoded",
    "EventDecoder",
    "Failure",
    "MalformedEvent",
]

_DONE_MARKERS = frozenset({"done", "[done]", '"done"'})
_TEXT_FIELDS = ("content", "text", "delta", "message", "token")
_SUCCESS_CODES = frozenset({"SUCCESS", "0000", "0", "200"})

_WireEvent = ThinkingEvent | RefEvent | ContentEvent
_WIRE_EVENT: pydantic.TypeAdapter[_WireEvent] = pydantic.TypeAdapter(
    Annotated[_WireEvent, pydantic.Field(discriminator="type")]
)
_CONTENT: pydantic.TypeAdapter[ContentEvent] = pydantic.TypeAdapter(ContentEvent)


class MalformedEvent(ValueError):
    """An event's data is neither JSON the decoder understands nor plain text."""


@dataclass(frozen=True)
class Failure:
    """An error end (or a broken event) waiting in the queue behind the events before it."""

    reason: StreamErrorReason
    message: str
    msg: str | None = None
    code: str | None = None

    def error(
        self,
        endpoint: str,
        *,
        partial_text: str = "",
        session_id: str | None = None,
        events: Sequence[Any] = (),
    ) -> StreamError:
        """The `StreamError` this failure stands for, with what the stream had handed out."""
        return StreamError(
            f"{endpoint}: {self.message}",
            reason=self.reason,
            msg=self.msg,
            code=self.code,
            partial_text=partial_text,
            session_id=session_id,
            endpoint=endpoint,
            events=events,
        )


Decoded = ThinkingEvent | RefEvent | ContentEvent | DoneEvent | Failure
"""What one event's data means: an event for the caller, the end, or a failure."""


class EventDecoder:
    """Turns the data of one event into what it means (`decode`), trying `fast` first.

    `fast` validates the raw bytes straight into an event: the chat union for video chat and the
    marketer, `ContentEvent` alone for personal chat's `{"token": ...}`, none for the legacy chat.
    """

    __slots__ = ("_fast_validate",)

    def __init__(self, fast: pydantic.TypeAdapter[Any] | None) -> None:
        # pydantic-core's validator itself, without the adapter's wrapper: measured faster.
        self._fast_validate: Callable[[bytes], _WireEvent] | None = (
            None if fast is None else fast.validator.validate_json
        )

    def fast(self, payload: bytes) -> _WireEvent | None:
        """The event `payload` is, when it fits the common shape exactly; else None.

        Fields beyond the event's own (a `code`, an `error`) may make it an error report, so
        such an event is left to `decode`.
        """
        validate = self._fast_validate
        if validate is None:
            return None
        try:
            event = validate(payload)
        except pydantic.ValidationError:
            return None
        return None if event.__pydantic_extra__ else event

    def decode(self, payload: bytes) -> list[Decoded]:
        """What one event's data means: `[]` to skip it, else one item. Raises `MalformedEvent`
        for broken JSON. (The vendor's events without blank lines between them are split
        apart by the parser, `SSEParser`, before they get here.)"""
        event = self.fast(payload)
        if event is not None:
            return [event]
        item = self._slow(payload)
        return [] if item is None else [item]

    def _slow(self, payload: bytes) -> Decoded | None:
        text = payload.decode("utf-8", "replace")
        stripped = text.strip()
        if not stripped:
            return None if not text else ContentEvent(text=text)
        if stripped.lower() in _DONE_MARKERS:
            return DoneEvent()
        try:
            value = json.loads(stripped)
        except RecursionError:
            raise MalformedEvent("an event is JSON nested too deeply") from None
        except ValueError:
            if stripped[0] in "{[":
                raise MalformedEvent(f"an event is not valid JSON: {_short(stripped)!r}") from None
            return ContentEvent(text=text)  # the vendor's rule: a non-JSON payload is text
        if isinstance(value, dict):
            return _from_object(value)
        if isinstance(value, str):
            if value.strip().lower() in _DONE_MARKERS:
                return DoneEvent()
            return ContentEvent(text=value)
        if value is None or isinstance(value, list):
            return None
        return ContentEvent(text=stripped)


def _from_object(obj: dict[str, Any]) -> Decoded | None:
    kind = obj.get("type")
    if kind is None and "code" in obj and "data" in obj:
        return _from_envelope(obj)
    failure = _error_in(obj)
    if failure is not None:
        return failure
    if kind in ("thinking", "ref", "content"):
        if kind == "content":
            obj = {**obj, "content": _text_of(obj) or ""}
        try:
            event: _WireEvent = _WIRE_EVENT.validate_python(obj)
        except pydantic.ValidationError as exc:
            raise MalformedEvent(f"a {kind} event does not fit: {exc.errors()[0]['msg']}") from None
        return event
    if kind is not None:
        return None  # an event type this SDK does not know yet: skipped, not fatal
    text = _text_of(obj)
    if text is None:
        return None
    role = obj.get("role")
    return ContentEvent(
        text=text, role=role if isinstance(role, str) else None, session_id=_session_of(obj)
    )


def _error_in(obj: dict[str, Any]) -> Failure | None:
    """The failure an object reports (an `error`, or a `code` other than success), if any; its
    words may sit in `message`, which is otherwise one of the text fields."""
    code = obj.get("code")
    if not obj.get("error") and (code is None or str(code) in _SUCCESS_CODES):
        return None
    message = str(obj.get("error") or obj.get("msg") or obj.get("message") or "error")
    if code is None:
        return _error_end(message, None)
    return _error_end(message, str(code), shown=f"{message} (code {code})")


def _error_end(msg: str, code: str | None, *, shown: str | None = None) -> Failure:
    """A failure the server reported: `msg` its words, `shown` what the error message quotes."""
    return Failure("error_end", f"the stream ended with an error: {shown or msg}", msg, code)


def _from_envelope(obj: dict[str, Any]) -> Decoded:
    """`{"code", "data"}`: the chat end marker, its error variants, or a legacy text piece."""
    code = None if obj.get("code") is None else str(obj["code"])
    data = obj.get("data")
    if isinstance(data, str):
        if data.strip().lower() == "done":
            return DoneEvent(session_id=_session_of(obj))
        return _error_end(data, code)
    if isinstance(data, dict) and code in _SUCCESS_CODES:
        piece = data.get("msg")
        if not isinstance(piece, str):
            piece = _text_of(data)
        if piece is not None:
            return ContentEvent(text=piece, session_id=_session_of(obj))
    if data is None and code in _SUCCESS_CODES:
        return DoneEvent(session_id=_session_of(obj))
    message = obj.get("msg")
    if isinstance(data, dict):
        message = data.get("msg") or data.get("message") or message
    text = str(message) if message else f"error code {code}"
    return _error_end(text, code)


def _text_of(obj: dict[str, Any]) -> str | None:
    for key in _TEXT_FIELDS:
        value = obj.get(key)
        if isinstance(value, str):
            return value
    return None


def _session_of(obj: dict[str, Any]) -> str | None:
    value = obj.get("sessionId", obj.get("session_id"))
    return None if value is None or value == "" else str(value)


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:120] + "…"


CHAT_DECODER = EventDecoder(_WIRE_EVENT)
"""Video chat and the video marketer: thinking, ref and content events, then the end."""
PERSONAL_DECODER = EventDecoder(_CONTENT)
"""Personal chat: `{"token": ...}` pieces, then `[DONE]`."""
LEGACY_DECODER = EventDecoder(None)
"""The v1.0 chat: `{"code", "msg", "data": {"msg"}}` pieces, then `[DONE]`."""
