"""The exception tree: every failure the SDK raises is a `MemoriesError`.

Vendor answers become `APIError` subclasses chosen by the vendor's own code first (it is
the more precise signal: the API answers most errors with HTTP 200) and the HTTP status second.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "InsufficientCreditError",
    "InternalServerError",
    "InvalidArgumentError",
    "MemoriesError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "StreamError",
    "StreamErrorReason",
    "VideoProcessingError",
    "WaitTimeoutError",
    "error_for",
]


class MemoriesError(Exception):
    """Base class of every exception raised by memories-async.

    Every one pickles with its attributes (bulk jobs raise them in worker processes), although
    most take keyword-only arguments that `Exception`'s own pickling cannot pass back.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[MemoriesError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class InvalidArgumentError(MemoriesError, ValueError):
    """An argument was rejected before any request was sent; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class ClientClosedError(MemoriesError, RuntimeError):
    """A call on a client after `aclose()`/`close()` (or the end of its `with` block), or on
    one whose `http_client` its owner closed. Make a new client, or keep one open for the
    application's life."""


class VideoProcessingError(MemoriesError):
    """The vendor gave up on a video (`FAIL`, `FAILED`, `PARSE_ERROR`); `video` is its state."""

    def __init__(self, message: str, *, video_no: str, status: str, video: Any = None) -> None:
        self.video_no = video_no
        self.status = status
        self.video = video
        super().__init__(message)


class WaitTimeoutError(MemoriesError, TimeoutError):
    """A wait for the server to finish something ran out of time; `last` is the last state seen."""

    def __init__(self, message: str, *, last: Any = None) -> None:
        self.last = last
        super().__init__(message)


StreamErrorReason: TypeAlias = Literal[
    "error_end", "disconnected", "incomplete", "malformed", "closed", "idle", "too_large"
]
"""Why a streamed answer failed; see `StreamError`."""


class StreamError(MemoriesError):
    """A streamed answer failed after it began: the server sent an error end, the connection
    broke, or the stream stopped without its end marker.

    `partial_text` is the answer text handed to the caller before the failure, so a UI can keep
    what it showed. `reason` is `"error_end"` (the vendor's end event said so; `msg` is its
    message and `code` its code), `"disconnected"` (the connection broke or timed out),
    `"incomplete"` (the body ended without an end marker), `"malformed"` (an event that is not
    JSON), `"idle"` (no event arrived within `stream_idle_timeout`, keep-alive comments
    aside), `"too_large"` (a line or an event over `max_event_bytes`) or `"closed"` (the caller
    closed the stream before its end and then asked for it). A stream that failed after the
    server answered is never sent again: the server may have acted on it. `events` holds the
    typed events an agent run (`client.agents.search`) handed out before it failed.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: StreamErrorReason,
        msg: str | None = None,
        code: str | None = None,
        partial_text: str = "",
        session_id: str | None = None,
        endpoint: str | None = None,
        events: Sequence[Any] = (),
    ) -> None:
        self.reason = reason
        self.msg = msg if msg is not None else message
        self.code = code
        self.partial_text = partial_text
        self.session_id = session_id
        self.endpoint = endpoint
        self.events = list(events)
        super().__init__(message)


class APIConnectionError(MemoriesError):
    """The server could not be reached, or the connection broke before an answer arrived.

    `before_send` is true when the connection never opened, so the server cannot have acted.
    """

    def __init__(
        self,
        message: str = "Connection error.",
        *,
        endpoint: str | None = None,
        before_send: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.before_send = before_send
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """The request timed out."""

    def __init__(
        self,
        message: str = "Request timed out.",
        *,
        endpoint: str | None = None,
        before_send: bool = False,
    ) -> None:
        super().__init__(message, endpoint=endpoint, before_send=before_send)


class APIError(MemoriesError):
    """The server answered with an error: a vendor `code` other than success, or HTTP >= 400.

    `code` is the vendor's code as a string (`"0429"`, or `"-1"` from the caption host), `msg`
    its message, `status_code` the HTTP status, `request_id` the server's id if it sent one, and
    `retry_after` the seconds its `Retry-After` asked to wait, if any.
    """

    def __init__(
        self,
        msg: str,
        *,
        code: str | None = None,
        status_code: int,
        request_id: str | None = None,
        endpoint: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        self.msg = msg
        self.code = code
        self.status_code = status_code
        self.request_id = request_id
        self.endpoint = endpoint
        self.body = body
        self.retry_after = retry_after
        super().__init__(msg)

    def __str__(self) -> str:
        parts = [f"HTTP {self.status_code}"]
        if self.code is not None:
            parts.append(f"code {self.code}")
        if self.endpoint is not None:
            parts.append(self.endpoint)
        if self.request_id is not None:
            parts.append(f"request id {self.request_id}")
        return f"{self.msg} ({', '.join(parts)})"


class BadRequestError(APIError):
    """The vendor rejected a parameter (`0001`/`0003`, HTTP 400)."""


class AuthenticationError(APIError):
    """The API key was missing, wrong or not accepted (`0401`, HTTP 401, "user don't login")."""


class InsufficientCreditError(APIError):
    """The account has not enough credit for the call (`0402`)."""


class PermissionDeniedError(APIError):
    """The account may not do this (`0403` account disabled, `9009`, HTTP 403)."""


class NotFoundError(APIError):
    """The thing asked for does not exist in this `unique_id` scope (HTTP 404, `0001` not found)."""


class ConflictError(APIError):
    """The vendor saw a duplicate request (`0409`, HTTP 409)."""


class RateLimitError(APIError):
    """The account's rate limit was exceeded (`0429`, HTTP 429), and retries did not get through.

    `retry_after` is the server's hint in seconds, when it gave one. `local` is true when the
    SDK itself refused the call because its rate slot was further away than `max_rate_wait`
    (nothing was sent; `retry_after` is then how far away the slot was).
    """

    def __init__(self, msg: str, *, local: bool = False, **fields: Any) -> None:
        self.local = local
        super().__init__(msg, **fields)


class InternalServerError(APIError):
    """The server failed (HTTP 5xx)."""


class APIResponseValidationError(APIError):
    """The server answered success, but with data that does not fit the documented shape (or
    that could not be read at all: undecodable, nested too deeply, not JSON)."""


class ResponseTooLargeError(APIResponseValidationError):
    """The answer was larger than the client's `max_response_bytes`; `limit` is that limit.
    Reading stopped there, so a hostile or broken server cannot exhaust memory."""

    def __init__(self, msg: str, *, limit: int, **kwargs: Any) -> None:
        super().__init__(msg, **kwargs)
        self.limit = limit


_BY_CODE: Mapping[str, type[APIError]] = {
    "0003": BadRequestError,
    "0401": AuthenticationError,
    "0402": InsufficientCreditError,
    "0403": PermissionDeniedError,
    "9009": PermissionDeniedError,
    "0404": NotFoundError,
    "0409": ConflictError,
    "0429": RateLimitError,
    # The v2 host's int codes, which follow HTTP's.
    "400": BadRequestError,
    "401": AuthenticationError,
    "402": InsufficientCreditError,
    "403": PermissionDeniedError,
    "404": NotFoundError,
    "409": ConflictError,
    "429": RateLimitError,
}

_BY_STATUS: Mapping[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}

_NOT_LOGGED_IN = ("don't login", "not login", "not logged in", "unauthorized")
# The documents' own wordings: "video not found", "No video find from video_no" (download),
# "No videos found for the provided video numbers." (chat), "... does not exist".
_NOT_FOUND = re.compile(r"not found|not exist|\bno (video|image|session|task)s? (find|found)\b")


def _class_for(code: str | None, msg: str, status_code: int) -> type[APIError]:
    if code is not None and code in _BY_CODE:
        return _BY_CODE[code]
    lowered = msg.lower()
    if any(marker in lowered for marker in _NOT_LOGGED_IN):
        return AuthenticationError
    if code == "0001":
        # The vendor uses 0001 both for "video not found" and for generic parameter errors.
        return NotFoundError if _NOT_FOUND.search(lowered) else BadRequestError
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    if status_code >= 500:
        return InternalServerError
    return APIError


def error_for(
    *,
    code: str | None,
    msg: str | None,
    status_code: int,
    request_id: str | None = None,
    endpoint: str | None = None,
    body: Any = None,
    retry_after: float | None = None,
) -> APIError:
    """Build the `APIError` subclass that fits a vendor code, message and HTTP status."""
    message = msg or (f"HTTP {status_code}" if code is None else f"error code {code}")
    cls = _class_for(code, message, status_code)
    common: dict[str, Any] = {
        "code": code,
        "status_code": status_code,
        "request_id": request_id,
        "endpoint": endpoint,
        "body": body,
        "retry_after": retry_after,
    }
    return cls(message, **common)
