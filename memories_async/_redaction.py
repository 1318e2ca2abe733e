"""Keeping the API key out of what a transport failure leaves behind.

httpx's exceptions carry the request, headers and all, and error reporters walk the exception
graph. The SDK's `APIConnectionError` is chained to a copy of the failure whose request is
redacted and whose message is scrubbed; the pipeline raises it outside its `except` block, so
that the original is not kept as the context either.
"""

from __future__ import annotations

import httpx

from ._errors import APIConnectionError, APITimeoutError

__all__ = ["REDACTED", "connection_error", "redacted", "scrub"]

REDACTED = "<redacted>"


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with each of `secrets` replaced."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def redacted(request: httpx.Request, secrets: tuple[str, ...]) -> httpx.Request:
    """A body-less copy of `request` whose headers hold none of `secrets`."""
    headers = [
        (name, REDACTED if value in secrets else value) for name, value in request.headers.items()
    ]
    return httpx.Request(request.method, request.url, headers=headers)


def connection_error(
    endpoint: str,
    exc: httpx.TransportError,
    request: httpx.Request,
    secrets: tuple[str, ...],
    *,
    sent: bool,
) -> APIConnectionError:
    """The SDK's error for a transport failure, chained to a copy of it that holds no secret.

    `sent` is true once an answer has begun: nothing can then have been "before send".
    """
    text = scrub(str(exc), secrets)
    cause = type(exc)(text)
    cause.request = redacted(request, secrets)
    if isinstance(exc, httpx.TimeoutException):
        error: APIConnectionError = APITimeoutError(
            f"{endpoint}: request timed out ({type(exc).__name__})",
            endpoint=endpoint,
            before_send=not sent and isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout),
        )
    else:
        error = APIConnectionError(
            f"{endpoint}: connection failed ({type(exc).__name__}: {text})",
            endpoint=endpoint,
            before_send=not sent and isinstance(exc, httpx.ConnectError),
        )
    error.__cause__ = cause
    return error
