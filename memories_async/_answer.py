"""The answer a stream has handed to its caller so far: state with no I/O, fed one item at a time.

`ChatStream` (and its blocking twin) read and decode; `AnswerState` keeps what the caller was
given (text pieces, references, reasoning steps, the session) and assembles the whole answer
for `final()`. `AnswerView` gives a stream the read-only properties over it.
"""

from __future__ import annotations

from collections.abc import Callable

from ._decoder import Failure
from ._errors import StreamError
from .models.chat import (
    ChatEvent,
    ChatRef,
    ChatResponse,
    ContentEvent,
    DoneEvent,
    RefEvent,
    Thinking,
    ThinkingEvent,
)

__all__ = ["AnswerState", "AnswerView"]


class AnswerState:
    """What one streamed answer has handed out, and the whole answer once it is complete."""

    __slots__ = (
        "_endpoint",
        "_on_session",
        "_pieces",
        "_refs",
        "_role",
        "_thinkings",
        "done",
        "error",
        "events",
        "session_id",
    )

    def __init__(self, endpoint: str, on_session: Callable[[str], None] | None = None) -> None:
        self._endpoint = endpoint
        self._on_session = on_session
        self._pieces: list[str] = []
        self._refs: list[ChatRef] = []
        self._thinkings: list[Thinking] = []
        self._role: str | None = None
        self.session_id: str | None = None
        self.done = False
        self.error: StreamError | None = None
        self.events = 0  # handed out so far

    @property
    def text(self) -> str:
        return "".join(self._pieces)

    @property
    def refs(self) -> list[ChatRef]:
        return list(self._refs)

    @property
    def thinkings(self) -> list[Thinking]:
        return list(self._thinkings)

    def hand_out(self, item: ChatEvent | Failure) -> ChatEvent:
        """Take the next item the caller gets: an event is kept and returned; a failure is
        raised as the `StreamError` it stands for."""
        self.events += 1
        if isinstance(item, ContentEvent):  # the common case first
            self._pieces.append(item.text)
            if item.role is not None:
                self._role = item.role
        elif isinstance(item, ThinkingEvent):
            self._thinkings.append(Thinking(title=item.title, content=item.content))
        elif isinstance(item, RefEvent):
            self._refs.extend(item.refs)
        elif isinstance(item, DoneEvent):
            self.done = True
        else:
            raise self.failure(item)
        session = item.session_id
        if session is not None and session != self.session_id:
            self.session_id = session
            if self._on_session is not None:
                self._on_session(session)
        return item

    def failure(self, failure: Failure) -> StreamError:
        """The `StreamError` of `failure`, remembered as the answer's end."""
        self.error = failure.error(
            self._endpoint, partial_text=self.text, session_id=self.session_id
        )
        return self.error

    def final(self) -> ChatResponse:
        """The whole answer, once the stream has been read to its end; else its failure."""
        if self.error is not None:
            raise self.error
        if not self.done:
            raise self.failure(Failure("closed", "the stream was closed before its end"))
        return ChatResponse(
            content=self.text,
            role=self._role,
            refs=self._refs,
            thinkings=self._thinkings,
            session_id=self.session_id,
        )


class AnswerView:
    """The read-only surface of a stream's answer so far (async stream and blocking twin)."""

    _answer: AnswerState

    @property
    def session_id(self) -> str | None:
        """The session this answer belongs to, once an event has named it."""
        return self._answer.session_id

    @property
    def text(self) -> str:
        """The answer's text handed out so far."""
        return self._answer.text

    @property
    def refs(self) -> list[ChatRef]:
        """The references handed out so far."""
        return self._answer.refs

    @property
    def thinkings(self) -> list[Thinking]:
        """The reasoning steps handed out so far."""
        return self._answer.thinkings

    @property
    def done(self) -> bool:
        """Whether the end marker has been handed out: the answer is complete."""
        return self._answer.done
