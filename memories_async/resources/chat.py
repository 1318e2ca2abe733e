"""Chat: video chat over chosen videos, the Video Marketer over a public library, and personal
chat over everything of a user; each as one JSON answer (`send`) or a typed stream (`stream`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, get_args

from .._errors import InvalidArgumentError
from .._extras import Body, Headers, Query
from .._pipeline import Endpoint
from .._stream import CHAT_DECODER, PERSONAL_DECODER, ChatStream, chat_stream
from .._validate import non_empty, open_choice, string_list
from ..models.chat import ChatResponse
from ..models.common import Platform
from ._base import AsyncResource

__all__ = ["AsyncChat", "AsyncChatSession", "AsyncMarketer", "AsyncPersonal", "SessionId"]

_API = "/serve/api/v1/"
# A chat turn is recorded in its session: not idempotent, so only retried when the server
# certainly did not act on it (rate limits, connections that never opened).
CHAT = Endpoint("chat", "POST", _API + "chat", bucket="chat", idempotent=False)
CHAT_STREAM = Endpoint("chat_stream", "POST", _API + "chat_stream", bucket="chat", idempotent=False)
MARKETER_CHAT = Endpoint(
    "marketer_chat", "POST", _API + "marketer_chat", bucket="marketer", idempotent=False
)
MARKETER_CHAT_STREAM = Endpoint(
    "marketer_chat_stream",
    "POST",
    _API + "marketer_chat_stream",
    bucket="marketer",
    idempotent=False,
)
CHAT_PERSONAL = Endpoint(
    "chat_personal",
    "POST",
    _API + "chat_personal",
    bucket="chat",
    idempotent=False,
    envelope="optional",
)
CHAT_PERSONAL_STREAM = Endpoint(
    "chat_personal_stream", "POST", _API + "chat_personal_stream", bucket="chat", idempotent=False
)

Remember = Callable[[str], None]

SessionId = str | int
"""A session id as the server returned it: digits, as a string or an int."""


class _ServerSessionId(str):
    """A session id exactly as an answer named it: a session sends it back unchecked, since the
    documents' own examples include non-numeric ones (`"sess_12345"`)."""

    __slots__ = ()


def session_id_value(session_id: SessionId | None) -> str | None:
    """The session id to send: digits only, since the server cannot parse anything else (ids a
    session took from the server's own answers excepted)."""
    if session_id is None:
        return None
    if isinstance(session_id, _ServerSessionId):
        return str(session_id)
    if isinstance(session_id, bool) or not isinstance(session_id, str | int):
        raise InvalidArgumentError(
            "session_id", f"must be a string of digits or an int, got {type(session_id).__name__}"
        )
    text = str(session_id).strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidArgumentError(
            "session_id", f"must be numeric (an id the server returned), got {session_id!r}"
        )
    return text


class AsyncChatSession:
    """One conversation: each `send` or `stream` continues it, carrying the session id the
    server returned for the previous turn (none before the first)."""

    def __init__(
        self,
        send: Callable[..., Awaitable[ChatResponse]],
        stream: Callable[..., ChatStream],
        session_id: str | None,
    ) -> None:
        # `send(prompt, session_id, **extras)` and `stream(prompt, session_id, remember,
        # **extras)`: the resource's own calls with the conversation's fixed arguments bound.
        self._send = send
        self._stream = stream
        self._session_id = session_id

    @property
    def session_id(self) -> str | None:
        """The conversation's id on the server; None until the first answer named it."""
        return self._session_id

    async def send(
        self,
        prompt: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ChatResponse:
        """Ask the next question and wait for the whole answer."""
        answer = await self._send(
            prompt,
            self._session_id,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        if answer.session_id:
            self._remember(answer.session_id)
        return answer

    def stream(
        self,
        prompt: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ChatStream:
        """Ask the next question and stream the answer; the session id is taken from it."""
        return self._stream(
            prompt,
            self._session_id,
            self._remember,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )

    def _remember(self, session_id: str) -> None:
        self._session_id = _ServerSessionId(session_id)

    def __repr__(self) -> str:
        return f"<AsyncChatSession session_id={self._session_id!r}>"


class AsyncChat(AsyncResource):
    """`client.chat`: ask about chosen videos of your library (they must be parsed)."""

    def _body(
        self,
        video_nos: Iterable[str],
        prompt: str,
        session_id: SessionId | None,
        unique_id: str | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "video_nos": string_list("video_nos", video_nos),
            "prompt": non_empty("prompt", prompt),
            "unique_id": self._unique_id(unique_id),
        }
        sid = session_id_value(session_id)
        if sid is not None:
            body["session_id"] = sid
        return body

    async def send(
        self,
        video_nos: Iterable[str],
        prompt: str,
        *,
        session_id: SessionId | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ChatResponse:
        """Ask `prompt` about the videos `video_nos` and return the whole answer.

        Pass the `session_id` of an earlier answer to continue that conversation.
        """
        body = self._body(video_nos, prompt, session_id, unique_id)
        return await self._pipeline.request(
            CHAT,
            json=body,
            cast_to=ChatResponse,
            keep_envelope=True,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    def stream(
        self,
        video_nos: Iterable[str],
        prompt: str,
        *,
        session_id: SessionId | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ChatStream:
        """Ask `prompt` about the videos `video_nos` and stream the answer as typed events.

        Arguments are checked now; the request goes out on `async with` or the first iteration.
        """
        body = self._body(video_nos, prompt, session_id, unique_id)
        return chat_stream(
            self._pipeline,
            CHAT_STREAM,
            body,
            CHAT_DECODER,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    def session(
        self,
        video_nos: Iterable[str],
        *,
        session_id: SessionId | None = None,
        unique_id: str | None = None,
    ) -> AsyncChatSession:
        """A conversation about `video_nos` (new, or the existing `session_id`)."""
        videos = string_list("video_nos", video_nos)
        scope = self._unique_id(unique_id)

        async def send(prompt: str, sid: str | None, **extras: Any) -> ChatResponse:
            return await self.send(videos, prompt, session_id=sid, unique_id=scope, **extras)

        def stream(prompt: str, sid: str | None, remember: Remember, **extras: Any) -> ChatStream:
            body = self._body(videos, prompt, sid, scope)
            checked = self._extras(**extras)
            return chat_stream(self._pipeline, CHAT_STREAM, body, CHAT_DECODER, remember, checked)

        return AsyncChatSession(send, stream, session_id_value(session_id))


class AsyncMarketer(AsyncResource):
    """`client.marketer`: the Video Marketer, which answers from the public video library."""

    def _body(
        self,
        prompt: str,
        platform: Platform | str,
        session_id: SessionId | None,
        unique_id: str | None,
    ) -> dict[str, Any]:
        return {
            "prompt": non_empty("prompt", prompt),
            "session_id": session_id_value(session_id) or "",
            "unique_id": self._unique_id(unique_id),
            "type": open_choice("platform", platform, get_args(Platform)),
        }

    async def send(
        self,
        prompt: str,
        *,
        platform: Platform | str = "TIKTOK",
        session_id: SessionId | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ChatResponse:
        """Ask `prompt` about the public videos of `platform` and return the whole answer.

        `@creator` or `#hashtag` in the prompt narrows the videos considered.
        """
        body = self._body(prompt, platform, session_id, unique_id)
        return await self._pipeline.request(
            MARKETER_CHAT,
            json=body,
            cast_to=ChatResponse,
            keep_envelope=True,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    def stream(
        self,
        prompt: str,
        *,
        platform: Platform | str = "TIKTOK",
        session_id: SessionId | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ChatStream:
        """Ask `prompt` about the public videos of `platform` and stream the answer.

        Arguments are checked now; the request goes out on `async with` or the first iteration.
        """
        body = self._body(prompt, platform, session_id, unique_id)
        return chat_stream(
            self._pipeline,
            MARKETER_CHAT_STREAM,
            body,
            CHAT_DECODER,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    def session(
        self,
        *,
        platform: Platform | str = "TIKTOK",
        session_id: SessionId | None = None,
        unique_id: str | None = None,
    ) -> AsyncChatSession:
        """A conversation with the Video Marketer about `platform` (new, or `session_id`)."""
        open_choice("platform", platform, get_args(Platform))
        scope = self._unique_id(unique_id)

        async def send(prompt: str, sid: str | None, **extras: Any) -> ChatResponse:
            return await self.send(
                prompt, platform=platform, session_id=sid, unique_id=scope, **extras
            )

        def stream(prompt: str, sid: str | None, remember: Remember, **extras: Any) -> ChatStream:
            body = self._body(prompt, platform, sid, scope)
            checked = self._extras(**extras)
            return chat_stream(
                self._pipeline, MARKETER_CHAT_STREAM, body, CHAT_DECODER, remember, checked
            )

        return AsyncChatSession(send, stream, session_id_value(session_id))


class AsyncPersonal(AsyncResource):
    """`client.personal`: chat over everything of a user (`unique_id`), personal and public."""

    def _body(
        self, prompt: str, session_id: SessionId | None, unique_id: str | None
    ) -> dict[str, Any]:
        return {
            "session_id": session_id_value(session_id) or "",
            "prompt": non_empty("prompt", prompt),
            "unique_id": self._unique_id(unique_id),
        }

    async def send(
        self,
        prompt: str,
        *,
        session_id: SessionId | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ChatResponse:
        """Ask `prompt` about the user's media and return the whole answer."""
        body = self._body(prompt, session_id, unique_id)
        return await self._pipeline.request(
            CHAT_PERSONAL,
            json=body,
            cast_to=ChatResponse,
            keep_envelope=True,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    def stream(
        self,
        prompt: str,
        *,
        session_id: SessionId | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ChatStream:
        """Ask `prompt` about the user's media and stream the answer (text pieces only).

        Arguments are checked now; the request goes out on `async with` or the first iteration.
        """
        body = self._body(prompt, session_id, unique_id)
        return chat_stream(
            self._pipeline,
            CHAT_PERSONAL_STREAM,
            body,
            PERSONAL_DECODER,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    def session(
        self,
        *,
        session_id: SessionId | None = None,
        unique_id: str | None = None,
    ) -> AsyncChatSession:
        """A personal conversation (new, or the existing `session_id`)."""
        scope = self._unique_id(unique_id)

        async def send(prompt: str, sid: str | None, **extras: Any) -> ChatResponse:
            return await self.send(prompt, session_id=sid, unique_id=scope, **extras)

        def stream(prompt: str, sid: str | None, remember: Remember, **extras: Any) -> ChatStream:
            body = self._body(prompt, sid, scope)
            checked = self._extras(**extras)
            return chat_stream(
                self._pipeline, CHAT_PERSONAL_STREAM, body, PERSONAL_DECODER, remember, checked
            )

        return AsyncChatSession(send, stream, session_id_value(session_id))
