"""The one road every request travels: bucket -> send -> envelope -> errors -> retry -> model.

Resources describe an endpoint as data (`Endpoint`) and hand the pipeline their query, JSON, form
or streaming body; the pipeline knows nothing of any endpoint's fields.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar, overload

import anyio
import httpx

from . import _answers as answers
from ._body import read_body
from ._deadline import CallDeadline, ResumingStream
from ._endpoint import CallLimits, Endpoint, HostConfig, StreamingBody
from ._errors import (
    APITimeoutError,
    ClientClosedError,
    MemoriesError,
)
from ._extras import Body, Headers, Query, RequestExtras, apply_extras, request_extras
from ._limits import NoRateLimiter, take_slot
from ._loops import load_async_backend
from ._pools import Pools, cold_probe
from ._raw import capture as raw_capture
from ._raw import record as record_raw
from ._redaction import connection_error
from ._request import RequestBuilder
from ._retry import RetryPolicy
from ._telemetry import SPAN_KEY, CallSpan, start_call

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
        self._requests = RequestBuilder(hosts, timeout)
        self._secrets = tuple(
            value for host in hosts.values() for value in host.auth_headers.values() if value
        )
        # The headers that carry credentials: no caller's `extra_headers` may set them.
        self._protected = frozenset(
            name.lower() for host in hosts.values() for name in host.auth_headers
        )

    def check_extras(
        self, extra_headers: Headers | None, extra_query: Query | None, extra_body: Body | None
    ) -> RequestExtras | None:
        """A call's `extra_*` arguments, checked before anything is sent (None when none)."""
        return request_extras(extra_headers, extra_query, extra_body, protected=self._protected)

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
        extras: RequestExtras | None = ...,
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
        extras: RequestExtras | None = ...,
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
        extras: RequestExtras | None = None,
    ) -> Any:
        """Send one request and return its answer's `data` validated as `cast_to`.

        With `keep_envelope` the whole JSON answer is validated instead, for endpoints that put
        fields (such as `session_id`) beside `data`. `extras` (the caller's `extra_*`) are
        merged last into the query, headers and body.
        """
        return await self._attempts(
            endpoint, False, cast_to, keep_envelope, params, json, data, body, timeout, None, extras
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
        extras: RequestExtras | None = None,
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
            extras=extras,
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
        extras: RequestExtras | None = None,
    ) -> httpx.Response:
        """`stream()` without the context manager: the open, checked response is returned and
        the caller must `aclose()` it. For objects that hold a stream across calls (`ChatStream`)
        without keeping a suspended async generator alive.
        """
        response: httpx.Response = await self._attempts(
            endpoint, True, None, False, params, json, data, body, timeout, accept, extras
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
        extras: RequestExtras | None,
    ) -> Any:
        """The one attempt loop: a rate slot, the request, its answer (read and parsed, or, with
        `stream`, checked and handed out open), and retries under the retry policy's resend
        rule, all within the call's `total_timeout`."""
        http = self.pools.current()  # this event loop's pool, once per call
        if self.closed or self.pools.closed or http.is_closed:
            raise self._closed_error()
        headers = None
        if extras is not None:
            params, json_body, data, body = apply_extras(
                endpoint, extras, params, json_body, data, body
            )
            headers = extras.headers
        span = start_call(endpoint)  # None unless OpenTelemetry is installed
        try:
            queued = await self._acquire(http, endpoint)  # the first slot, before the call's clock
            with CallDeadline(self.limits.total_timeout) as deadline:
                retries = 0
                while True:
                    started = time.monotonic()
                    status: int | str = "-"
                    response = None
                    try:
                        if retries:
                            queued = await self._acquire(http, endpoint, deadline)
                        request = self._requests.build(
                            http, endpoint, params, json_body, data, body, timeout, accept, headers
                        )
                        response = await self._send(http, endpoint, request, deadline)
                        status = response.status_code
                        result = await self._answer(
                            endpoint, request, response, stream, cast_to, keep_envelope
                        )
                        self._log(endpoint, retries, status, started, queued)
                        if raw_capture.get() is not None:  # inside `with_raw_response`
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

    async def _acquire(
        self, http: httpx.AsyncClient, endpoint: Endpoint, deadline: CallDeadline | None = None
    ) -> float:
        """Wait for the call's rate slot (`take_slot`) and return how long that took. The
        in-process buckets are told whether the request will open a connection (`cold_probe`)."""
        bucket = endpoint.bucket
        if bucket is None:
            return 0.0
        host = self.hosts[endpoint.host]
        limiter = host.limiter
        if type(limiter) is NoRateLimiter:
            return 0.0
        load_async_backend()
        return await take_slot(
            limiter,
            bucket,
            max_wait=self.limits.max_rate_wait,
            caller=endpoint.name,
            clock=deadline,
            cold=cold_probe(http, host.base_url),
        )

    async def _send(
        self,
        http: httpx.AsyncClient,
        endpoint: Endpoint,
        request: httpx.Request,
        deadline: CallDeadline,
    ) -> httpx.Response:
        """Send `request` and return once the answer's head arrived (its body is not read).

        The clock of `deadline` stops while an upload's body is being written. A transport
        error becomes an `APIConnectionError` whose cause carries no secret (`_redaction`); it
        is raised outside the `except` block, so that the original, holding the request and its
        headers, is not kept as the context either.
        """
        upload = request.stream if isinstance(request.stream, ResumingStream) else None
        if upload is not None:
            upload.pause_clock(deadline, request)
        try:
            return await http.send(request, stream=True)
        except httpx.TransportError as exc:
            failure: httpx.TransportError = exc
        finally:
            if upload is not None:
                deadline.resume(request)
                await upload.aclose()  # done with, or given up on by httpx: free it now
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
