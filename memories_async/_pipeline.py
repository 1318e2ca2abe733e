"""The one road every request travels: bucket -> send -> envelope -> errors -> retry -> model.

Resources describe an endpoint as data (`Endpoint`) and hand the pipeline their query, JSON, form
or streaming body; the pipeline knows nothing of any endpoint's fields.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar, overload

import anyio
import httpx
import pydantic

from ._body import ACCEPT_ENCODING, read_body
from ._deadline import CallDeadline
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    InvalidArgumentError,
    MemoriesError,
    error_for,
)
from ._limits import RateLimiter
from ._retry import RetryPolicy, parse_retry_after
from ._validate import unsendable_path

__all__ = ["CallLimits", "Endpoint", "HostConfig", "Pipeline", "StreamingBody"]

_MIB = 1 << 20
_backend_loaded = False


def _load_async_backend() -> None:
    """Import anyio's backend for the running event loop now, before the first rate slot.

    httpcore imports it on its first request, between our slot and the bytes leaving: 20 ms on
    an idle machine and 60-90 ms on a busy one, which made a process's first request leave that
    late and share a window with the ten after it."""
    global _backend_loaded
    anyio.Event()  # picks (and so imports) the backend of the running loop
    _backend_loaded = True


logger = logging.getLogger("memories_async")

T = TypeVar("T")

Envelope = Literal["vendor", "caption", "optional", "none"]

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-trace-id", "trace-id")
_SUCCESS_CODES: Mapping[Envelope, frozenset[str]] = {
    "vendor": frozenset({"0000"}),
    "caption": frozenset({"0"}),
    "optional": frozenset({"0000", "0"}),
    "none": frozenset(),
}


@dataclass(frozen=True)
class Endpoint:
    """One vendor endpoint as data: where it lives, how it is limited and how it answers.

    `idempotent` says whether sending the request twice is harmless; a request that is not
    idempotent is only retried when the server certainly did not act on it. `envelope` names the
    answer's wrapper: the api host's `{"code": "0000", "data": ...}`, the caption host's int code,
    `optional` for endpoints that sometimes answer without one, or `none`.
    """

    name: str
    method: Literal["GET", "POST"]
    path: str
    bucket: str | None
    host: str = "api"
    idempotent: bool = True
    envelope: Envelope = "vendor"


@dataclass(frozen=True)
class HostConfig:
    """A host the pipeline can talk to: its base URL, its auth headers and its rate limiter."""

    base_url: str
    auth_headers: Mapping[str, str] = field(repr=False)
    limiter: RateLimiter


@dataclass(frozen=True)
class CallLimits:
    """What a server can make one call hold, or wait for (the client's arguments of these names).

    `max_response_bytes` caps a decoded JSON answer, `max_event_bytes` one line or event of a
    stream, `total_timeout` the time a call spends with the server (`_deadline`), and
    `stream_idle_timeout` the time a stream may go without an event. `None` lifts a limit.
    """

    max_response_bytes: int | None = 32 * _MIB
    max_event_bytes: int | None = 1 * _MIB
    total_timeout: float | None = 300.0
    stream_idle_timeout: float | None = 300.0

    def __post_init__(self) -> None:
        for name in ("max_response_bytes", "max_event_bytes"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{name} must be an int or None")
            if value is not None and value < 1:
                raise ValueError(f"{name} must be positive")
        for name in ("total_timeout", "stream_idle_timeout"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive")


class StreamingBody(Protocol):
    """A request body produced as it is sent; `chunks()` starts again from byte 0 on each call."""

    @property
    def content_type(self) -> str: ...

    @property
    def content_length(self) -> int | None: ...

    def chunks(self) -> AsyncIterator[bytes]: ...


@functools.lru_cache(maxsize=256)
def _adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(tp)


@functools.lru_cache(maxsize=256)
def _envelope_adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    """A validator of `{"code": ..., "data": <tp>}` straight from JSON bytes."""
    model = pydantic.create_model(
        "Envelope",
        __config__=pydantic.ConfigDict(extra="ignore"),
        code=(str | int, ...),
        data=(tp, ...) if tp is not None else (Any, None),
    )
    return pydantic.TypeAdapter(model)


def _request_id(response: httpx.Response) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def _short_text(content: bytes) -> str:
    text = content.decode("utf-8", "replace").strip()
    return text[:300] + ("…" if len(text) > 300 else "")


def _load_json(content: bytes) -> tuple[bool, Any]:
    """(parsed, value) of a JSON body; too deep a nesting counts as not JSON we can read."""
    try:
        return True, json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return False, None


class Pipeline:
    """Sends `Endpoint` requests through rate buckets, retries and envelope decoding."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        hosts: Mapping[str, HostConfig],
        retry: RetryPolicy,
        timeout: httpx.Timeout,
        limits: CallLimits | None = None,
    ) -> None:
        self.http = http
        self.hosts = hosts
        self.retry = retry
        self.timeout = timeout
        self.limits = limits or CallLimits()
        self._timeout_extension = timeout.as_dict()
        self._headers: dict[str, dict[str, str]] = {}
        self._secrets = tuple(
            value for host in hosts.values() for value in host.auth_headers.values() if value
        )

    # -- public -----------------------------------------------------------------------------

    @overload
    async def request(
        self,
        endpoint: Endpoint,
        *,
        cast_to: type[T],
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
        data: Mapping[str, Any] | None = ...,
        body: StreamingBody | None = ...,
        keep_envelope: bool = ...,
        timeout: httpx.Timeout | float | None = ...,
    ) -> T: ...

    @overload
    async def request(
        self,
        endpoint: Endpoint,
        *,
        cast_to: Any,
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
        data: Mapping[str, Any] | None = ...,
        body: StreamingBody | None = ...,
        keep_envelope: bool = ...,
        timeout: httpx.Timeout | float | None = ...,
    ) -> Any: ...

    async def request(
        self,
        endpoint: Endpoint,
        *,
        cast_to: Any,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        body: StreamingBody | None = None,
        keep_envelope: bool = False,
        timeout: httpx.Timeout | float | None = None,
    ) -> Any:
        """Send one request and return its answer's `data` validated as `cast_to`.

        With `keep_envelope` the whole JSON answer is validated instead, for endpoints that put
        fields (such as `session_id`) beside `data`.
        """
        await self._acquire(endpoint)  # the first slot, before the call's clock starts
        with CallDeadline(self.limits.total_timeout) as deadline:
            retries = 0
            while True:
                started = time.monotonic()
                status: int | str = "-"
                try:
                    if retries:
                        await self._acquire(endpoint, deadline)
                    request = self._build(endpoint, params, json, data, body, timeout, None)
                    response = await self._send(endpoint, request, deadline, body)
                    status = response.status_code
                    try:
                        content = await self._read(endpoint, request, response)
                    finally:
                        await response.aclose()  # httpcore shields the release itself
                    result = self._parse(endpoint, response, content, cast_to, keep_envelope)
                    self._log(endpoint, retries, status, started)
                    return result
                except MemoriesError as error:
                    self._log(endpoint, retries, status, started, error)
                    await self._backoff_or_raise(endpoint, error, retries)
                    retries += 1
        raise self._deadline_error(endpoint)

    @asynccontextmanager
    async def stream(
        self,
        endpoint: Endpoint,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        body: StreamingBody | None = None,
        accept: str | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """Open a streaming answer (SSE or bytes) and close it when the block is left.

        Error answers (HTTP >= 400, or a JSON envelope where a stream was expected) are read,
        mapped and retried like any other request before the response is handed out; once the
        caller holds the response, nothing is retried.
        """
        response = await self.open_stream(
            endpoint,
            params=params,
            json=json,
            data=data,
            body=body,
            accept=accept,
            timeout=timeout,
        )
        try:
            yield response
        finally:
            await response.aclose()

    async def open_stream(
        self,
        endpoint: Endpoint,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        body: StreamingBody | None = None,
        accept: str | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> httpx.Response:
        """`stream()` without the context manager: the open, checked response is returned and
        the caller must `aclose()` it. For objects that hold a stream across calls (`ChatStream`)
        without keeping a suspended async generator alive.
        """
        await self._acquire(endpoint)  # the first slot, before the call's clock starts
        with CallDeadline(self.limits.total_timeout) as deadline:
            retries = 0
            while True:
                started = time.monotonic()
                status: int | str = "-"
                try:
                    if retries:
                        await self._acquire(endpoint, deadline)
                    request = self._build(endpoint, params, json, data, body, timeout, accept)
                    response = await self._send(endpoint, request, deadline, body)
                    status = response.status_code
                    try:
                        await self._check_stream(endpoint, request, response)
                    except BaseException:
                        await response.aclose()
                        raise
                    self._log(endpoint, retries, status, started)
                    return response
                except MemoriesError as error:
                    self._log(endpoint, retries, status, started, error)
                    await self._backoff_or_raise(endpoint, error, retries)
                    retries += 1
        raise self._deadline_error(endpoint)

    # -- steps ------------------------------------------------------------------------------

    async def _acquire(self, endpoint: Endpoint, deadline: CallDeadline | None = None) -> None:
        if endpoint.bucket is None:
            return
        if not _backend_loaded:
            _load_async_backend()
        if deadline is None:
            await self.hosts[endpoint.host].limiter.acquire(endpoint.bucket)
            return
        deadline.pause(endpoint)  # the wait for a rate slot is our own queue, not the server
        try:
            await self.hosts[endpoint.host].limiter.acquire(endpoint.bucket)
        finally:
            deadline.resume(endpoint)

    def _build(
        self,
        endpoint: Endpoint,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, Any] | None,
        body: StreamingBody | None,
        timeout: httpx.Timeout | float | None,
        accept: str | None,
    ) -> httpx.Request:
        try:
            return self._build_request(endpoint, params, json_body, data, body, timeout, accept)
        except UnicodeEncodeError:
            # A lone surrogate in a value the resource did not check itself: name where it is.
            field = unsendable_path({"params": params or {}, "json": json_body, "data": data or {}})
            raise InvalidArgumentError(
                field or "request", "holds a character that cannot be sent (a lone surrogate)"
            ) from None

    def _build_request(
        self,
        endpoint: Endpoint,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, Any] | None,
        body: StreamingBody | None,
        timeout: httpx.Timeout | float | None,
        accept: str | None,
    ) -> httpx.Request:
        # The Request is made directly rather than through `AsyncClient.build_request`, which
        # costs three times as much per call (URL, header and cookie merging we do not need).
        # A caller-supplied client with cookies still goes the long way, to keep them.
        host = self.hosts[endpoint.host]
        headers = self._static_headers(endpoint.host)
        headers["accept"] = accept or "application/json"
        query = {k: _query_value(v) for k, v in params.items() if v is not None} if params else None
        content: Any = None
        form = None
        if body is not None:
            headers["content-type"] = body.content_type
            if body.content_length is not None:
                headers["content-length"] = str(body.content_length)
            content = body.chunks()
        elif json_body is not None:
            headers["content-type"] = "application/json"
            content = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
        elif data is not None:
            form = {k: _form_value(v) for k, v in data.items() if v is not None}
        url = host.base_url + endpoint.path
        timeouts = self._timeout_extension if timeout is None else _as_timeout(timeout).as_dict()
        extensions = {"timeout": timeouts, "memories_endpoint": endpoint.name}
        if self.http.cookies:
            request = self.http.build_request(
                endpoint.method, url, params=query, headers=headers, content=content, data=form
            )
            request.extensions.update(extensions)
            return request
        return httpx.Request(
            endpoint.method,
            url,
            params=query,
            headers=headers,
            content=content,
            data=form,
            extensions=extensions,
        )

    def _static_headers(self, host: str) -> dict[str, str]:
        """The client's default headers with the host's auth: computed once, copied per request.

        Keys are lower-cased so that a header set per request replaces the client's default of
        the same name (httpx's own `Accept: */*`, say) instead of being sent beside it.
        """
        cached = self._headers.get(host)
        if cached is None:
            merged = [*self.http.headers.items(), *self.hosts[host].auth_headers.items()]
            cached = {name.lower(): value for name, value in merged}
            # Only what `_body` inflates within bounds; a caller's client may ask for more.
            cached["accept-encoding"] = ACCEPT_ENCODING
            self._headers[host] = cached
        return dict(cached)

    async def _send(
        self,
        endpoint: Endpoint,
        request: httpx.Request,
        deadline: CallDeadline,
        body: StreamingBody | None,
    ) -> httpx.Response:
        """Send `request` and return once the answer's head arrived (its body is not read).

        The clock of `deadline` stops while an upload's body is being written. A transport
        error becomes an `APIConnectionError` whose cause carries no secret (see
        `_connection_error`); it is raised outside the `except` block, so that the original,
        holding the request and its headers, is not kept as the context either.
        """
        if body is not None and isinstance(request.stream, httpx.AsyncByteStream):
            request.stream = _ResumingStream(request.stream, deadline, request)
            deadline.pause(request)
        try:
            return await self.http.send(request, stream=True)
        except httpx.TransportError as exc:
            failure: httpx.TransportError = exc
        finally:
            deadline.resume(request)
        raise self._connection_error(endpoint, failure, request, sent=False)

    async def _read(
        self, endpoint: Endpoint, request: httpx.Request, response: httpx.Response
    ) -> bytes:
        """The whole answer body, within `max_response_bytes`; a broken one as in `_send`."""
        try:
            return await read_body(
                response, limit=self.limits.max_response_bytes, endpoint=endpoint.name
            )
        except httpx.TransportError as exc:
            failure: httpx.TransportError = exc
        raise self._connection_error(endpoint, failure, request, sent=True)

    def _connection_error(
        self,
        endpoint: Endpoint,
        exc: httpx.TransportError,
        request: httpx.Request,
        *,
        sent: bool,
    ) -> APIConnectionError:
        """The SDK's error for a transport failure, chained to a copy of it that holds no key.

        `sent` is true once an answer has begun: nothing can then have been "before send".
        """
        text = self._scrub(str(exc))
        cause = type(exc)(text)
        cause.request = _redacted(request, self._secrets)
        if isinstance(exc, httpx.TimeoutException):
            error: APIConnectionError = APITimeoutError(
                f"{endpoint.name}: request timed out ({type(exc).__name__})",
                endpoint=endpoint.name,
                before_send=not sent and isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout),
            )
        else:
            error = APIConnectionError(
                f"{endpoint.name}: connection failed ({type(exc).__name__}: {text})",
                endpoint=endpoint.name,
                before_send=not sent and isinstance(exc, httpx.ConnectError),
            )
        error.__cause__ = cause
        return error

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def _deadline_error(self, endpoint: Endpoint) -> APITimeoutError:
        return APITimeoutError(
            f"{endpoint.name}: the call did not finish within total_timeout"
            f" ({self.limits.total_timeout:g}s)",
            endpoint=endpoint.name,
        )

    def _decode(self, endpoint: Endpoint, response: httpx.Response, content: bytes) -> Any:
        """Parse a complete answer and raise the mapped error if it is one."""
        parsed, payload = _load_json(content) if content else (False, None)
        if response.status_code >= 400:
            raise self._error(endpoint, response, content, payload if parsed else None)
        if 300 <= response.status_code < 400:
            location = httpx.URL(response.headers.get("location", "")).host or "nowhere"
            raise APIResponseValidationError(
                f"{endpoint.name}: the server answered with a redirect (HTTP"
                f" {response.status_code} to {location}), which the SDK does not follow",
                status_code=response.status_code,
                request_id=_request_id(response),
                endpoint=endpoint.name,
            )
        if not parsed and endpoint.envelope != "none":
            what = "JSON nested too deeply" if content.lstrip()[:1] in (b"[", b"{") else ""
            raise APIResponseValidationError(
                f"{endpoint.name}: expected a JSON answer, got "
                + (what or repr(_short_text(content))),
                status_code=response.status_code,
                request_id=_request_id(response),
                endpoint=endpoint.name,
            )
        if endpoint.envelope in ("vendor", "caption") and not (
            isinstance(payload, dict) and "code" in payload
        ):
            raise APIResponseValidationError(
                f"{endpoint.name}: the answer has no envelope (no `code`):"
                f" {_short_text(content)[:200]!r}",
                status_code=response.status_code,
                request_id=_request_id(response),
                endpoint=endpoint.name,
                body=payload,
            )
        if self._is_envelope_error(endpoint, payload):
            raise self._error(endpoint, response, content, payload)
        return payload

    async def _check_stream(
        self, endpoint: Endpoint, request: httpx.Request, response: httpx.Response
    ) -> None:
        content_type = response.headers.get("content-type", "")
        if response.status_code < 300 and "json" not in content_type:
            return
        content = await self._read(endpoint, request, response)
        payload = self._decode(endpoint, response, content)
        # A JSON answer where a stream was expected: an error envelope, or success without a body.
        raise APIResponseValidationError(
            f"{endpoint.name}: expected a stream, got JSON {str(payload)[:200]!r}",
            status_code=response.status_code,
            request_id=_request_id(response),
            endpoint=endpoint.name,
            body=payload,
        )

    def _is_envelope_error(self, endpoint: Endpoint, payload: Any) -> bool:
        if endpoint.envelope == "none" or not isinstance(payload, dict) or "code" not in payload:
            return False
        return str(payload["code"]) not in _SUCCESS_CODES[endpoint.envelope]

    def _error(
        self, endpoint: Endpoint, response: httpx.Response, content: bytes, payload: Any
    ) -> APIError:
        code: str | None = None
        msg: str | None = None
        if isinstance(payload, dict):
            if payload.get("code") is not None:
                code = str(payload["code"])
            raw_msg = payload.get("msg") or payload.get("message") or payload.get("error")
            msg = str(raw_msg) if raw_msg is not None else None
        elif response.status_code >= 400 and content:
            msg = _short_text(content) or None
        if msg is None and code is None and payload is not None:
            msg = f"unexpected answer {str(payload)[:200]!r}"
        return error_for(
            code=code,
            msg=msg,
            status_code=response.status_code,
            request_id=_request_id(response),
            endpoint=endpoint.name,
            body=payload,
            retry_after=parse_retry_after(response.headers),
        )

    def _parse(
        self,
        endpoint: Endpoint,
        response: httpx.Response,
        content: bytes,
        cast_to: Any,
        keep_envelope: bool,
    ) -> Any:
        """The typed result of a complete answer, or the mapped error it stands for."""
        if (
            not keep_envelope
            and response.status_code < 400
            and endpoint.envelope in ("vendor", "caption", "optional")
        ):
            # Fast path: envelope and data validated in one pass over the raw bytes. Anything
            # unusual (an error code, no envelope, a shape that does not fit) takes the slow path,
            # which explains it.
            try:
                envelope = _envelope_adapter(cast_to).validate_json(content)
            except pydantic.ValidationError:
                pass
            else:
                if str(envelope.code) in _SUCCESS_CODES[endpoint.envelope]:
                    return envelope.data
        payload = self._decode(endpoint, response, content)
        if not keep_envelope and isinstance(payload, dict) and "code" in payload:
            payload = payload.get("data")
        if cast_to is None:
            return None
        try:
            return _adapter(cast_to).validate_python(payload)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            raise APIResponseValidationError(
                f"{endpoint.name}: the answer does not fit {_type_name(cast_to)}:"
                f" {exc.error_count()} error(s), first: {first['msg']}"
                f" at {'.'.join(str(p) for p in first['loc'])}",
                status_code=response.status_code,
                request_id=_request_id(response),
                endpoint=endpoint.name,
                body=payload,
            ) from exc

    async def _backoff_or_raise(
        self, endpoint: Endpoint, error: MemoriesError, retries: int
    ) -> None:
        if not self.retry.should_retry(error, retries_done=retries, idempotent=endpoint.idempotent):
            raise error
        retry_after = getattr(error, "retry_after", None)
        delay = self.retry.delay(retries, retry_after)
        logger.debug(
            "memories %s: retrying in %.2fs after %s", endpoint.name, delay, type(error).__name__
        )
        await anyio.sleep(delay)

    def _log(
        self,
        endpoint: Endpoint,
        retries: int,
        status: int | str,
        started: float,
        error: BaseException | None = None,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        logger.debug(
            "memories %s attempt=%d status=%s duration_ms=%.1f%s",
            endpoint.name,
            retries + 1,
            status,
            (time.monotonic() - started) * 1000.0,
            "" if error is None else f" error={type(error).__name__}",
        )


class _ResumingStream(httpx.AsyncByteStream):
    """A request body that starts the call's clock again once its last byte was handed over."""

    def __init__(
        self, stream: httpx.AsyncByteStream, deadline: CallDeadline, owner: object
    ) -> None:
        self._stream = stream
        self._deadline = deadline
        self._owner = owner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk
        self._deadline.resume(self._owner)

    async def aclose(self) -> None:
        await self._stream.aclose()


def _redacted(request: httpx.Request, secrets: tuple[str, ...]) -> httpx.Request:
    """A body-less copy of `request` whose headers hold none of `secrets`."""
    headers = [
        (name, "<redacted>" if value in secrets else value)
        for name, value in request.headers.items()
    ]
    return httpx.Request(request.method, request.url, headers=headers)


def _type_name(tp: Any) -> str:
    """`list[SearchClip] | None` rather than the fully qualified repr."""
    return re.sub(r"\b[\w]+\.", "", getattr(tp, "__name__", None) or repr(tp))


def _as_timeout(timeout: httpx.Timeout | float) -> httpx.Timeout:
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
