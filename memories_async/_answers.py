"""What an answer means: its envelope read, its data validated into the typed result, or the
`APIError` it stands for (the vendor's code first, the HTTP status second).

No I/O: the pipeline reads the body (within its size limit) and hands the bytes here.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import httpx
import pydantic

from ._errors import APIError, APIResponseValidationError, error_for
from ._retry import parse_retry_after

if TYPE_CHECKING:
    from ._pipeline import Endpoint

__all__ = ["Envelope", "SUCCESS_CODES", "decode", "parse", "request_id", "stream_error"]

Envelope = Literal["vendor", "caption", "optional", "v2", "completion", "none"]
"""How an endpoint's answer is wrapped: the api host's `{"code": "0000", "data": ...}`, the
caption host's int code 0, `optional` (either, or none), the v2 task endpoints' int code 200,
`completion` (no wrapper; a failure is HTTP 200 with `status: "errored"` and `error`), or none."""

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-trace-id", "trace-id")
SUCCESS_CODES: Mapping[Envelope, frozenset[str]] = {
    "vendor": frozenset({"0000"}),
    "caption": frozenset({"0"}),
    "optional": frozenset({"0000", "0"}),
    "v2": frozenset({"200"}),
    "completion": frozenset(),
    "none": frozenset(),
}


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


def request_id(response: httpx.Response) -> str | None:
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


def decode(endpoint: Endpoint, response: httpx.Response, content: bytes) -> Any:
    """Parse a complete answer and raise the mapped error if it is one."""
    parsed, payload = _load_json(content) if content else (False, None)
    if response.status_code >= 400:
        raise _error(endpoint, response, content, payload if parsed else None)
    if 300 <= response.status_code < 400:
        location = httpx.URL(response.headers.get("location", "")).host or "nowhere"
        raise APIResponseValidationError(
            f"{endpoint.name}: the server answered with a redirect (HTTP"
            f" {response.status_code} to {location}), which the SDK does not follow",
            status_code=response.status_code,
            request_id=request_id(response),
            endpoint=endpoint.name,
        )
    if not parsed and endpoint.envelope != "none":
        what = "JSON nested too deeply" if content.lstrip()[:1] in (b"[", b"{") else ""
        raise APIResponseValidationError(
            f"{endpoint.name}: expected a JSON answer, got " + (what or repr(_short_text(content))),
            status_code=response.status_code,
            request_id=request_id(response),
            endpoint=endpoint.name,
        )
    if endpoint.envelope == "completion":
        if isinstance(payload, dict) and payload.get("status") == "errored":
            raise _completion_error(endpoint, response, payload)
        return payload
    if endpoint.envelope in ("vendor", "caption", "v2") and not (
        isinstance(payload, dict) and "code" in payload
    ):
        raise APIResponseValidationError(
            f"{endpoint.name}: the answer has no envelope (no `code`):"
            f" {_short_text(content)[:200]!r}",
            status_code=response.status_code,
            request_id=request_id(response),
            endpoint=endpoint.name,
            body=payload,
        )
    if _is_envelope_error(endpoint, payload):
        raise _error(endpoint, response, content, payload)
    return payload


def _completion_error(endpoint: Endpoint, response: httpx.Response, payload: Any) -> APIError:
    """A completion that failed: HTTP 200, `status: "errored"`, and `error: {code, message}`."""
    error = payload.get("error")
    detail = error if isinstance(error, dict) else {"message": error}
    code = detail.get("code")
    message = detail.get("message") or "the completion errored"
    return error_for(
        code=None if code is None else str(code),
        msg=str(message),
        status_code=response.status_code,
        request_id=request_id(response),
        endpoint=endpoint.name,
        body=payload,
    )


def _is_envelope_error(endpoint: Endpoint, payload: Any) -> bool:
    if endpoint.envelope == "none" or not isinstance(payload, dict) or "code" not in payload:
        return False
    return str(payload["code"]) not in SUCCESS_CODES[endpoint.envelope]


def _error(endpoint: Endpoint, response: httpx.Response, content: bytes, payload: Any) -> APIError:
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
        request_id=request_id(response),
        endpoint=endpoint.name,
        body=payload,
        retry_after=parse_retry_after(response.headers),
    )


def parse(
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
        and endpoint.envelope in ("vendor", "caption", "optional", "v2")
    ):
        # Fast path: envelope and data validated in one pass over the raw bytes. Anything
        # unusual (an error code, no envelope, a shape that does not fit) takes the slow path,
        # which explains it.
        try:
            envelope = _envelope_adapter(cast_to).validate_json(content)
        except pydantic.ValidationError:
            pass
        else:
            if str(envelope.code) in SUCCESS_CODES[endpoint.envelope]:
                return envelope.data
    payload = decode(endpoint, response, content)
    if (
        not keep_envelope
        and endpoint.envelope != "completion"
        and isinstance(payload, dict)
        and "code" in payload
    ):
        payload = payload.get("data")
    if cast_to is None:
        return None
    try:
        return _adapter(cast_to).validate_python(payload)
    except pydantic.ValidationError as exc:
        from .models._base import first_error  # the error path only: not at import time

        raise APIResponseValidationError(
            f"{endpoint.name}: the answer does not fit {_type_name(cast_to)}:"
            f" {exc.error_count()} error(s), first: {first_error(exc)}",
            status_code=response.status_code,
            request_id=request_id(response),
            endpoint=endpoint.name,
            body=payload,
        ) from exc


def stream_error(endpoint: Endpoint, response: httpx.Response, content: bytes) -> APIError:
    """The error of a JSON answer where a stream was expected: its mapped error, or (a success
    envelope without a body to stream) a validation error saying so."""
    payload = decode(endpoint, response, content)
    return APIResponseValidationError(
        f"{endpoint.name}: expected a stream, got JSON {str(payload)[:200]!r}",
        status_code=response.status_code,
        request_id=request_id(response),
        endpoint=endpoint.name,
        body=payload,
    )


def _type_name(tp: Any) -> str:
    """`list[SearchClip] | None` rather than the fully qualified repr."""
    return re.sub(r"\b[\w]+\.", "", getattr(tp, "__name__", None) or repr(tp))
