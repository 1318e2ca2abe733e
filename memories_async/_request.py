"""The `httpx.Request` of one attempt at an `Endpoint` call: URL, headers, query and body.

Requests are made directly rather than through `AsyncClient.build_request`, which costs three
times as much per call (URL, header and cookie merging the pipeline does not need); a
caller-supplied client with cookies still goes the long way, to keep them. Each endpoint's URL is
parsed once: parsing a URL string was half the cost of making a request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from ._body import ACCEPT_ENCODING
from ._deadline import ResumingStream
from ._endpoint import Endpoint, HostConfig, StreamingBody
from ._errors import InvalidArgumentError
from ._validate import unsendable_path

__all__ = ["RequestBuilder"]


class RequestBuilder:
    """Builds each attempt's request; keeps each host's static headers, computed once."""

    def __init__(self, hosts: Mapping[str, HostConfig], timeout: httpx.Timeout) -> None:
        self.hosts = hosts
        self._timeout_extension = timeout.as_dict()
        self._headers: dict[str, dict[str, str]] = {}
        self._urls: dict[str, httpx.URL] = {}  # by URL string: one per endpoint of a host

    def build(
        self,
        http: httpx.AsyncClient,
        endpoint: Endpoint,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, Any] | None,
        body: StreamingBody | None,
        timeout: httpx.Timeout | float | None,
        accept: str | None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        """The request of one attempt; a lone surrogate the resource did not check is named."""
        try:
            host = self.hosts[endpoint.host]
            headers = self._static_headers(http, endpoint.host)
            headers["accept"] = accept or "application/json"
            if extra_headers:
                headers.update(extra_headers)
            query = (
                {k: _query_value(v) for k, v in params.items() if v is not None} if params else None
            )
            content: Any = None
            form = None
            stream = None
            if body is not None:
                headers["content-type"] = body.content_type
                if body.content_length is not None:
                    headers["content-length"] = str(body.content_length)
                else:
                    headers["transfer-encoding"] = "chunked"
                stream = ResumingStream(body.chunks())
            elif json_body is not None:
                headers["content-type"] = "application/json"
                content = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
            elif data is not None:
                form = {k: _form_value(v) for k, v in data.items() if v is not None}
            address = host.base_url + endpoint.path
            url = self._urls.get(address)
            if url is None:
                url = self._urls[address] = httpx.URL(address)
            timeouts = (
                self._timeout_extension if timeout is None else _as_timeout(timeout).as_dict()
            )
            extensions = {"timeout": timeouts, "memories_endpoint": endpoint.name}
            if http.cookies:
                request = http.build_request(
                    endpoint.method, url, params=query, headers=headers, content=content, data=form
                )
                request.extensions.update(extensions)
            else:
                request = httpx.Request(
                    endpoint.method,
                    url,
                    params=query,
                    headers=headers,
                    content=content,
                    data=form,
                    extensions=extensions,
                )
            if stream is not None:
                # A streamed body goes in a request of its own, made from the framed one: httpx
                # adds the Host header only to a request whose body it read, and one made empty
                # and then given a stream would still report its content as b"" to a transport
                # that asks (aiohttp's does, and would send no body at all).
                request = httpx.Request(
                    request.method,
                    request.url,
                    headers=request.headers,
                    stream=stream,
                    extensions=request.extensions,
                )
            return request
        except UnicodeEncodeError:
            # A lone surrogate in a value the resource did not check itself: name where it is.
            field = unsendable_path({"params": params or {}, "json": json_body, "data": data or {}})
            raise InvalidArgumentError(
                field or "request", "holds a character that cannot be sent (a lone surrogate)"
            ) from None

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


def _as_timeout(timeout: httpx.Timeout | float) -> httpx.Timeout:
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # a repeated parameter
        return [_query_value(item) for item in value]
    return value


def _form_value(value: Any) -> str | list[str]:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # a repeated field
        return [_form_value(item) for item in value]  # type: ignore[misc]
    return str(value)
