"""`client.with_raw_response`: the same calls, each returning its parsed result together with the
HTTP status, headers and request id of the answer it came from.

```python
raw = await client.with_raw_response.search.videos("a red car")
raw.parsed        # list[SearchClip], what `client.search.videos` returns
raw.request_id    # the vendor's request id, when it sends one
raw.headers["content-type"]
```

A call that made several requests (an upload's steps, a wait that polls) reports the last one.
Streams carry their own response: `with_raw_response` is for calls that return a result. The
blocking `Memories` has the same attribute, whose calls block and return the same `RawResponse`.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from ._answers import request_id

if TYPE_CHECKING:
    from ._client import AsyncMemories
    from ._sync_runtime import SyncClientBase

__all__ = ["RawResponse", "RawResponseClient", "SyncRawResponseClient", "capture", "record"]

T = TypeVar("T")


@dataclass
class RawResponse(Generic[T]):
    """A call's parsed result and the HTTP answer it was parsed from."""

    parsed: T
    status_code: int
    headers: httpx.Headers = field(repr=False)
    request_id: str | None


@dataclass
class _Seen:
    response: httpx.Response | None = None
    request_id: str | None = None


capture: contextvars.ContextVar[_Seen | None] = contextvars.ContextVar(
    "memories_raw_response", default=None
)
"""Set inside `with_raw_response`: where the pipeline records the answers it accepts."""


def record(response: httpx.Response) -> None:
    """Called by the pipeline for each answer it accepts: kept only inside `with_raw_response`."""
    seen = capture.get()
    if seen is not None:
        seen.response = response
        seen.request_id = request_id(response)


class RawResponseClient:
    """`client.with_raw_response`: the client's resources, whose calls return `RawResponse`."""

    def __init__(self, client: AsyncMemories) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        resource = getattr(self._client, name)
        if name.startswith("_") or callable(resource):
            raise AttributeError(f"with_raw_response has no {name!r}: it wraps resources")
        return _RawResource(resource)

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._client!r}>"


class _RawResource:
    def __init__(self, resource: Any) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Any:
        return _wrap(_result_call(self._resource, name))


def _result_call(resource: Any, name: str) -> Callable[..., Any]:
    """The coroutine method `name` of an async resource, or an AttributeError saying why not."""
    method = getattr(resource, name)
    if name.startswith("_") or not inspect.iscoroutinefunction(method):
        raise AttributeError(
            f"with_raw_response.{type(resource).__name__}.{name}: only calls that return a "
            "result can give their raw response (a stream carries its own, and a paginator's "
            "pages each had one)"
        )
    return method  # type: ignore[no-any-return]


class SyncRawResponseClient:
    """`Memories.with_raw_response`: the blocking client's resources, whose calls return
    `RawResponse`. Each runs the async twin's call on the client's loop, so what it reports is
    what `AsyncMemories.with_raw_response` would."""

    def __init__(self, client: SyncClientBase) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or callable(getattr(self._client, name)):
            raise AttributeError(f"with_raw_response has no {name!r}: it wraps resources")
        return _SyncRawResource(self._client, name)

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._client!r}>"


class _SyncRawResource:
    def __init__(self, client: SyncClientBase, resource: str) -> None:
        self._client = client
        self._resource = resource

    def __getattr__(self, name: str) -> Callable[..., RawResponse[Any]]:
        resource = self._resource
        _result_call(getattr(self._client._async_client, resource), name)  # fail here, early

        def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            return self._client._run(
                lambda c: _wrap(_result_call(getattr(c, resource), name))(*args, **kwargs)
            )

        call.__name__ = name
        return call


def _wrap(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
        seen = _Seen()
        token = capture.set(seen)
        try:
            parsed = await method(*args, **kwargs)
        finally:
            capture.reset(token)
        response = seen.response
        if response is None:  # pragma: no cover - every result-returning call sends one
            raise RuntimeError(f"{method.__qualname__} sent no request to report on")
        return RawResponse(parsed, response.status_code, response.headers, seen.request_id)

    return call
