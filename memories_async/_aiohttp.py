"""`DefaultAioHttpClient`: httpx's interface over aiohttp's connection pool (`httpx-aiohttp`), for
many concurrent calls on asyncio (extra `memories-async[aiohttp]`).

Everything above the transport is the SDK's own and stays the same: envelopes, retries, the
bounded body reader (aiohttp is told not to decompress), timeouts, streams and uploads. Two
things are the transport's and are settled here:

- **Which failures happened before the request was sent.** The resend rule resends an upload or
  a chat turn only after a connect error or a pool timeout. httpx-aiohttp maps every
  `aiohttp.ClientConnectionError` to `ConnectTimeout`, including a server that hung up after
  reading the whole request; that would let the SDK send a chat turn twice. Here only failures
  to connect (or to get a connection in time) are connect errors; a reset, a hang-up or a broken
  body after the request went out is a read error.
- **asyncio only.** aiohttp runs on asyncio; under trio a call raises `MemoriesError` saying so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx

from ._errors import MemoriesError

try:
    import aiohttp
    from httpx_aiohttp import AiohttpTransport
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "DefaultAioHttpClient needs the aiohttp extra: pip install 'memories-async[aiohttp]'"
    ) from exc

__all__ = ["DefaultAioHttpClient"]

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

# Most specific first: the first class the failure is an instance of decides.
_BEFORE_SEND: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # DNS, refused, TLS handshake
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),  # connecting, or waiting for the pool
)
_AFTER_SEND: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientConnectionError, httpx.ReadError),  # a reset or a broken pipe mid-exchange
    (aiohttp.ClientError, httpx.ReadError),
)


def _mapped(failure: aiohttp.ClientError, request: httpx.Request) -> httpx.TransportError:
    """The httpx error `failure` stands for (the tables end with `ClientError`, so one fits)."""
    target = next(t for source, t in (*_BEFORE_SEND, *_AFTER_SEND) if isinstance(failure, source))
    return target(str(failure) or type(failure).__name__, request=request)


@contextlib.contextmanager
def _mapping_failures(request: httpx.Request) -> Iterator[None]:
    """Re-raise an aiohttp failure, raw or as httpx-aiohttp mapped it, as the httpx error the
    resend rule reads rightly (`_mapped`); any other error passes as it is."""
    try:
        yield
    except httpx.TransportError as exc:
        cause = exc.__cause__
        if not isinstance(cause, aiohttp.ClientError):
            raise
        raise _mapped(cause, request) from cause
    except aiohttp.ClientError as exc:
        raise _mapped(exc, request) from exc


class _Transport(AiohttpTransport):
    """httpx-aiohttp's transport with the failure mapping above, refusing to run off asyncio."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _require_asyncio()
        with _mapping_failures(request):
            response = await super().handle_async_request(request)
        response.stream = _Body(response.stream, request)
        return response


class _Body(httpx.AsyncByteStream):
    """The answer's body, its aiohttp failures mapped as the request's are."""

    def __init__(self, stream: Any, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    async def __aiter__(self) -> Any:
        with _mapping_failures(self._request):
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


def _require_asyncio() -> None:
    import sniffio

    try:
        library = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:  # pragma: no cover - httpx runs inside a loop
        library = "none"
    if library != "asyncio":
        raise MemoriesError(
            f"DefaultAioHttpClient runs on asyncio only (this is {library}); under trio use the "
            "default transport (no http_client)"
        )


class DefaultAioHttpClient(httpx.AsyncClient):
    """An `httpx.AsyncClient` whose connections are aiohttp's: pass it as `http_client=`.

    ```python
    async with AsyncMemories(key, http_client=DefaultAioHttpClient()) as client:
        ...
    ```

    Unlike other `http_client`s, it is closed with the client it is given to (as openai-python
    closes its own): it belongs to the event loop it is first used on, so nothing else could
    use it anyway. `limits` and `timeout` are httpx's; HTTP/2, per-write timeouts and httpx's
    proxy mounts do not apply.
    """

    closes_with_its_client = True
    """Read by `AsyncMemories`: close this pool in `aclose()`, though the caller made it."""

    def __init__(
        self,
        *,
        limits: httpx.Limits = DEFAULT_LIMITS,
        timeout: httpx.Timeout | float | None = None,
        verify: Any = True,
        trust_env: bool = True,
        **kwargs: Any,
    ) -> None:
        transport = _Transport(verify=verify, trust_env=trust_env, limits=limits)
        if timeout is not None:
            kwargs["timeout"] = timeout
        super().__init__(transport=transport, trust_env=trust_env, **kwargs)
