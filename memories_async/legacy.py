"""The deprecated v1.0 video chat (`mavi-backend.memories.ai`), for code not yet moved to v1.2.

```python
from memories_async.legacy import AsyncLegacyChat, LegacyTurn

async with AsyncLegacyChat(access_token) as legacy:
    answer = await legacy.send(video_nos, "What happens at the start?")
    async with legacy.stream(
        video_nos, "And then?", history=[LegacyTurn("What happens at the start?", answer.text)]
    ) as stream:
        async for piece in stream.text_stream:
            print(piece, end="")
```

v1.0 keeps no sessions: the conversation so far travels in `history`, one `LegacyTurn` (what the
user said, what the model answered) per earlier exchange. Auth is an OAuth access token, not an
API key. Answers are the same `ChatResponse` and `ChatStream` as the v1.2 chat's. The host
publishes no rate limit, so nothing is paced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ._client import DEFAULT_TIMEOUT, check_api_key, check_base_url, redact_key
from ._errors import ClientClosedError, InvalidArgumentError
from ._extras import Body, Headers, Query
from ._lifecycle import PoolOwner
from ._pipeline import Endpoint
from ._retry import RetryPolicy
from ._stream import LEGACY_DECODER, ChatStream, chat_stream
from ._validate import non_empty, string_list
from .models.chat import ChatResponse

__all__ = ["DEFAULT_LEGACY_BASE_URL", "AsyncLegacyChat", "LegacyTurn"]

DEFAULT_LEGACY_BASE_URL = "https://mavi-backend.memories.ai"

LEGACY_CHAT = Endpoint(
    "legacy_chat",
    "POST",
    "/api/serve/video/chat",
    bucket=None,
    host="legacy",
    idempotent=False,
    envelope="optional",
)


@dataclass(frozen=True)
class LegacyTurn:
    """One earlier exchange of a v1.0 conversation: the user's message and the model's reply."""

    user: str
    robot: str


def _history(history: Iterable[LegacyTurn | Mapping[str, str]] | None) -> list[dict[str, str]]:
    if history is None:
        return []
    if isinstance(history, str | bytes | Mapping):
        raise InvalidArgumentError("history", "must be a list of LegacyTurn (user, robot)")
    turns = []
    for index, turn in enumerate(history):
        user: object
        robot: object
        if isinstance(turn, LegacyTurn):
            user, robot = turn.user, turn.robot
        elif isinstance(turn, Mapping):
            user, robot = turn.get("user"), turn.get("robot")
        else:
            raise InvalidArgumentError(
                f"history[{index}]", f"must be a LegacyTurn, got {type(turn).__name__}"
            )
        if not isinstance(user, str):
            raise InvalidArgumentError(f"history[{index}].user", "must be a string")
        if not isinstance(robot, str):
            raise InvalidArgumentError(f"history[{index}].robot", "must be a string")
        turns.append({"robot": robot, "user": user})
    return turns


class AsyncLegacyChat(PoolOwner):
    """The async client of the v1.0 video chat: `send` for one JSON answer, `stream` for SSE."""

    def __init__(
        self,
        access_token: str,
        *,
        base_url: str = DEFAULT_LEGACY_BASE_URL,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int | RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        """Configure a client for the v1.0 host; no connection is opened until the first call.

        `access_token` is the OAuth access token of the v1.0 authorisation flow, sent as-is in
        `Authorization`. `base_url` may be plain http only to a loopback host.
        """
        self._token = check_api_key("access_token", access_token, spaces=True)
        self.base_url = check_base_url("base_url", base_url)
        self._open(
            "legacy",
            self.base_url,
            {"Authorization": self._token},
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
        )

    def _body(
        self,
        video_nos: Iterable[str],
        message: str,
        history: Iterable[LegacyTurn | Mapping[str, str]] | None,
        stream: bool,
    ) -> dict[str, Any]:
        if self._closed:
            raise ClientClosedError("this AsyncLegacyChat client is closed")
        return {
            "videoNos": string_list("video_nos", video_nos),
            "message": non_empty("message", message),
            "history": _history(history),
            "stream": stream,
        }

    async def send(
        self,
        video_nos: Iterable[str],
        message: str,
        *,
        history: Iterable[LegacyTurn | Mapping[str, str]] | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ChatResponse:
        """Ask `message` about the videos `video_nos` and return the whole answer."""
        body = self._body(video_nos, message, history, stream=False)
        return await self._pipeline.request(
            LEGACY_CHAT,
            json=body,
            cast_to=ChatResponse,
            keep_envelope=True,
            extras=self._pipeline.check_extras(extra_headers, extra_query, extra_body),
        )

    def stream(
        self,
        video_nos: Iterable[str],
        message: str,
        *,
        history: Iterable[LegacyTurn | Mapping[str, str]] | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ChatStream:
        """Ask `message` about the videos `video_nos` and stream the answer's text pieces.

        Arguments are checked now; the request goes out on `async with` or the first iteration.
        """
        body = self._body(video_nos, message, history, stream=True)
        extras = self._pipeline.check_extras(extra_headers, extra_query, extra_body)
        return chat_stream(self._pipeline, LEGACY_CHAT, body, LEGACY_DECODER, extras=extras)

    def __repr__(self) -> str:
        return (
            f"AsyncLegacyChat(base_url={self.base_url!r}, "
            f"access_token={redact_key(self._token)!r}{', closed' if self._closed else ''})"
        )
