"""The one road every request travels: bucket -> send -> envelope -> errors -> retry -> model.

Resources describe an endpoint as data (`Endpoint`) and hand the pipeline their query, JSON, form
or streaming body; the pipeline knows nothing of any endpoint's fields.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar, overload

import anyio
import httpx

from . import _answers as answers
from ._body import ACCEPT_ENCODING, read_body
from ._deadline import CallDeadline, ResumingStream
from ._endpoint import CallLimits, Endpoint, HostConfig, StreamingBody
from ._errors import (
    APITimeoutError,
    ClientClosedError,
    InvalidArgumentError,
    MemoriesError,
)
from ._limits import NoRateLimiter, take_slot
from ._loops import load_async_backend
from ._pools import Pools
from ._raw import record as record_raw
from ._redaction import connection_error
from ._retry import RetryPolicy
from ._telemetry import SPAN_KEY, CallSpan, start_call
from ._validate import unsendable_path

__all__ = ["CallLimits", "Endpoint", "HostConfig", "Pipeline", "StreamingBody"]

logger = logging.getLogger("memories_async")

T = TypeVar("T")


class Pipeline:
    """Sends `Endpoint` requests through rate buckets, retries and envelope decoding."""

    def __init__(
        self,
        *,
        pools: Pools,
        hosts: Mapping[str, HostConfig],
        retry: RetryPolicy,
        timeout: httpx.Timeout,
        limits: CallLimits | None = None,
    ) -> None:
        self.pools = pools
        self.hosts = hosts
        self.retry = retry
        self.timeout = timeout
        self.limits = limits or CallLimits()
        self.closed = False  # set by the client's aclose()
        self._timeout_extension = timeout.as_dict()
        self._headers: dict[str, dict[str, str]] = {}
        self._secrets = tuple(
            value for host in hosts.values() for value in host.auth_headers.values() if value
        )

    @property
    def http(self) -> httpx.AsyncClient:
        """The connection pool of the running event loop (`Pools.current`)."""
        return self.pools.current()

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
        return await self._attempts(
            endpoint, False, cast_to, keep_envelope, params, json, data, body, timeout, None
        )

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
        response: httpx.Response = await self._attempts(
            endpoint, True, None, False, params, json, data, body, timeout, accept
        )
        return response

    async def _attempts(
        self,
        endpoint: Endpoint,
        stream: bool,
        cast_to: Any,
        keep_envelope: bool,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, Any] | None,
        body: StreamingBody | None,
        timeout: httpx.Timeout | float | None,
        accept: str | None,
    ) -> Any:
        """The one attempt loop: a rate slot, the request, its answer (read and parsed, or, with
        `stream`, checked and handed out open), and retries under the retry policy's resend
        rule, all within the call's `total_timeout`."""
        http = self.pools.current()  # this event loop's pool, once per call
        if self.closed or self.pools.closed or http.is_closed:
            raise self._closed_error()
        span = start_call(endpoint)  # None unless OpenTelemetry is installed
        try:
            queued = await self._acquire(endpoint)  # the first slot, before the call's clock
            with CallDeadline(self.limits.total_timeout) as deadline:
                retries = 0
                while True:
                    started = time.monotonic()
                    status: int | str = "-"
                    response = None
                    try:
                        if retries:
                            queued = await self._acquire(endpoint, deadline)
                        request = self._build(
                            http, endpoint, params, json_body, data, body, timeout, accept
                        )
                        response = await self._send(http, endpoint, request, deadline, body)
                        status = response.status_code
                        result = await self._answer(
                            endpoint, request, response, stream, cast_to, keep_envelope
                        )
                        self._log(endpoint, retries, status, started, queued)
                        record_raw(response)
                        if span is not None:
                            span.attempt(retries, queued, response, answers.request_id(response))
                            if stream:  # its span ends when the stream closes (`_stream`)
                                result.extensions[SPAN_KEY] = span
                            else:
                                span.end()
                        return result
                    except MemoriesError as error:
                        self._log(endpoint, retries, status, started, queued, error)
                        if span is not None:
                            span.attempt(
                                retries, queued, response, getattr(error, "request_id", None)
                            )
                        await self._backoff_or_raise(endpoint, error, retries, span)
                        retries += 1
            raise self._deadline_error(endpoint)
        except BaseException as error:
            if span is not None:
                span.end(error)
            raise

    async def _answer(
        self,
        endpoint: Endpoint,
        request: httpx.Request,
        response: httpx.Response,
        stream: bool,
        cast_to: Any,
        keep_envelope: bool,
    ) -> Any:
        """The typed result of a whole answer, or (`stream`) the response itself once it is
        known to be a stream; the mapped error otherwise."""
        if stream:
            content_type = response.headers.get("content-type", "")
            if response.status_code < 300 and "json" not in content_type:
                return response
            try:
                content = await self._read(endpoint, request, response)
            finally:
                await response.aclose()
            raise answers.stream_error(endpoint, response, content)
        try:
            content = await read_body(
                response, limit=self.limits.max_response_bytes, endpoint=endpoint.name
            )
        except httpx.TransportError as exc:
            failure: httpx.TransportError = exc
        else:
            return answers.parse(endpoint, response, content, cast_to, keep_envelope)
        finally:
            await response.aclose()  # httpcore shields the release itself
        raise connection_error(endpoint.name, failure, request, self._secrets, sent=True)

    # -- steps ------------------------------------------------------------------------------

    async def _acquire(self, endpoint: Endpoint, deadline: CallDeadline | None = None) -> float:
        """Wait for the call's rate slot (`take_slot`) and return how long that took."""
        bucket = endpoint.bucket
        if bucket is None:
            return 0.0
        load_async_backend()
        limiter = self.hosts[endpoint.host].limiter
        if type(limiter) is NoRateLimiter:
            return 0.0
        max_wait = self.limits.max_rate_wait
        if max_wait is None and deadline is None:  # the common case, kept short
            asked = time.monotonic()
            await limiter.acquire(bucket)
            return time.monotonic() - asked
        return await take_slot(
            limiter, bucket, max_wait=max_wait, caller=endpoint.name, clock=deadline
        )

    def _build(
        self,
        http: httpx.AsyncClient,
        endpoint: Endpoint,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, Any] | None,
        body: StreamingBody | None,
        timeout: httpx.Timeout | float | None,
        accept: str | None,
    ) -> httpx.Request:
        try:
            return self._build_request(
                http, endpoint, params, json_body, data, body, timeout, accept
            )
        except UnicodeEncodeError:
            # A lone surrogate in a value the resource did not check itself: name where it is.
            field = unsendable_path({"params": params or {}, "json": json_body, "data": data or {}})
            raise InvalidArgumentError(
                field or "request", "holds a character that cannot be sent (a lone surrogate)"
            ) from None

    def _build_request(
        self,
        http: httpx.AsyncClient,
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
        headers = self._static_headers(http, endpoint.host)
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
        if http.cookies:
            request = http.build_request(
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

    def _static_headers(self, http: httpx.AsyncClient, host: str) -> dict[str, str]:
        """The client's default headers with the host's auth: computed once, copied per request.

        Keys are lower-cased so that a header set per request replaces the client's default of
        the same name (httpx's own `Accept: */*`, say) instead of being sent beside it.
        """
        cached = self._headers.get(host)
        if cached is None:
            merged = [*http.headers.items(), *self.hosts[host].auth_headers.items()]
            cached = {name.lower(): value for name, value in merged}
            # Only what `_body` inflates within bounds; a caller's client may ask for more.
            cached["accept-encoding"] = ACCEPT_ENCODING
            self._headers[host] = cached
        return dict(cached)

    async def _send(
        self,
        http: httpx.AsyncClient,
        endpoint: Endpoint,
        request: httpx.Request,
        deadline: CallDeadline,
        body: StreamingBody | None,
    ) -> httpx.Response:
        """Send `request` and return once the answer's head arrived (its body is not read).

        The clock of `deadline` stops while an upload's body is being written. A transport
        error becomes an `APIConnectionError` whose cause carries no secret (`_redaction`); it
        is raised outside the `except` block, so that the original, holding the request and its
        headers, is not kept as the context either.
        """
        if body is not None and isinstance(request.stream, httpx.AsyncByteStream):
            request.stream = ResumingStream(request.stream, deadline, request)
            deadline.pause(request)
        try:
            return await http.send(request, stream=True)
        except httpx.TransportError as exc:
            failure: httpx.TransportError = exc
        finally:
            deadline.resume(request)
        raise connection_error(endpoint.name, failure, request, self._secrets, sent=False)

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
        raise connection_error(endpoint.name, failure, request, self._secrets, sent=True)

    def _closed_error(self) -> ClientClosedError:
        if self.closed or self.pools.closed:
            return ClientClosedError(
                "the client is closed (aclose(), or the end of its `async with`): make a new "
                "one, or keep one open for the application's life"
            )
        return ClientClosedError("the client's http_client was closed by its owner")

    def _deadline_error(self, endpoint: Endpoint) -> APITimeoutError:
        return APITimeoutError(
            f"{endpoint.name}: the call did not finish within total_timeout"
            f" ({self.limits.total_timeout:g}s)",
            endpoint=endpoint.name,
        )

    async def _backoff_or_raise(
        self, endpoint: Endpoint, error: MemoriesError, retries: int, span: CallSpan | None
    ) -> None:
        if getattr(error, "local", False) or not self.retry.should_retry(
            error, retries_done=retries, idempotent=endpoint.idempotent
        ):
            raise error  # a slot refused by max_rate_wait is the caller's answer, not a fault
        retry_after = getattr(error, "retry_after", None)
        delay = self.retry.delay(retries, retry_after)
        if span is not None:
            span.retrying(error, delay)
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
        queued: float,
        error: BaseException | None = None,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        logger.debug(
            "memories %s attempt=%d status=%s queued_ms=%.1f duration_ms=%.1f%s",
            endpoint.name,
            retries + 1,
            status,
            queued * 1000.0,
            (time.monotonic() - started) * 1000.0,
            "" if error is None else f" error={type(error).__name__}",
        )


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
