"""Chat sessions: the list of past conversations and the messages of one."""

from __future__ import annotations

from .._errors import InvalidArgumentError
from .._extras import Body, Headers, Query
from .._pipeline import Endpoint
from .._validate import positive_int
from ..models.sessions import SessionDetail, SessionPage
from ._base import AsyncResource

__all__ = ["AsyncSessions"]

_API = "/serve/api/v1/"
LIST_SESSIONS = Endpoint("list_sessions", "GET", _API + "list_sessions", bucket="list_sessions")
SESSION_DETAIL = Endpoint(
    "get_session_detail", "GET", _API + "get_session_detail", bucket="list_sessions"
)


def _session_id(session_id: str | int) -> str:
    # The server parses session ids as numbers; anything else breaks it.
    text = str(session_id).strip() if isinstance(session_id, str | int) else ""
    if isinstance(session_id, bool) or not text.isdigit():
        raise InvalidArgumentError("session_id", f"must be numeric, got {session_id!r}")
    return text


class AsyncSessions(AsyncResource):
    """`client.sessions`: your chat sessions.

    The contracts of `list_sessions` and `get_session_detail` come from public clients and
    newer vendor pages, not from the vendor documents.
    """

    async def list(
        self,
        *,
        page: int = 1,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> SessionPage:
        """One page of your chat sessions, newest first, with their ids and titles.

        Contract inferred from outside the vendor documents (`GET list_sessions`).
        """
        params = {"page": positive_int("page", page), "unique_id": self._unique_id(unique_id)}
        return await self._pipeline.request(
            LIST_SESSIONS,
            params=params,
            cast_to=SessionPage,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    async def get(
        self,
        session_id: str | int,
        *,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> SessionDetail:
        """A session's title and messages (with the assistant's thinkings and references).

        Contract inferred from outside the vendor documents (`GET get_session_detail`).
        """
        params = {"sessionId": _session_id(session_id), "unique_id": self._unique_id(unique_id)}
        return await self._pipeline.request(
            SESSION_DETAIL,
            params=params,
            cast_to=SessionDetail,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )
