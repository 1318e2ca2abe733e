"""`extra_headers`, `extra_query` and `extra_body`: the way through for what the SDK does not know
yet. Every endpoint method takes them, checks them before anything is sent, and the pipeline
merges them last into what it sends, so a field the vendor added yesterday needs no release.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._errors import InvalidArgumentError

if TYPE_CHECKING:
    from ._endpoint import Endpoint, StreamingBody

__all__ = ["Body", "Headers", "Query", "RequestExtras", "apply_extras", "request_extras"]

Headers = Mapping[str, str]
"""Extra request headers; they cannot replace the API key's header or the body's framing."""
QueryValue = str | int | float | bool | None | Sequence[str | int | float | bool]
Query = Mapping[str, QueryValue]
"""Extra query parameters (a sequence is sent as a repeated parameter; None is left out)."""
Body = Mapping[str, Any]
"""Extra body fields: JSON values on JSON endpoints, form fields (a sequence repeats the field)
on form and multipart endpoints."""

# The SDK frames every body itself; a header that redefines it would corrupt the request.
_FRAMING = frozenset({"content-length", "content-type", "host", "transfer-encoding"})


@dataclass(frozen=True)
class RequestExtras:
    """Checked extras of one call, applied to each request the call sends."""

    headers: Mapping[str, str] | None
    query: Mapping[str, Any] | None
    body: Mapping[str, Any] | None

    def merged_json(self, body: Any) -> Any:
        """The JSON body with the extra fields written over it."""
        if not self.body:
            return body
        if body is None:
            return dict(self.body)
        if not isinstance(body, Mapping):
            raise InvalidArgumentError("extra_body", "this endpoint's JSON body is not an object")
        return {**body, **self.body}

    def merged_form(self, data: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """The form fields with the extra ones written over them."""
        if not self.body:
            return data
        return {**(data or {}), **{k: _form_value(v) for k, v in self.body.items()}}

    def form_fields(self) -> list[tuple[str, str]]:
        """The extra fields as (name, value) form pairs, a sequence giving one pair per item."""
        pairs: list[tuple[str, str]] = []
        for name, value in (self.body or {}).items():
            value = _form_value(value)
            if isinstance(value, list):
                pairs.extend((name, item) for item in value)
            elif value is not None:
                pairs.append((name, value))
        return pairs

    def merged_query(self, params: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """The query with the extra parameters written over it."""
        if not self.query:
            return params
        return {**(params or {}), **self.query}


def request_extras(
    extra_headers: Headers | None,
    extra_query: Query | None,
    extra_body: Body | None,
    *,
    protected: frozenset[str],
) -> RequestExtras | None:
    """The call's extras, checked: None when there are none (the common case costs nothing).

    `protected` names the headers that carry credentials (lower case); no extra may set them.
    """
    if extra_headers is None and extra_query is None and extra_body is None:
        return None
    return RequestExtras(_headers(extra_headers, protected), _query(extra_query), _body(extra_body))


def _mapping(field: str, value: object) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(field, f"must be a mapping, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str) or not key:
            raise InvalidArgumentError(field, f"keys must be non-empty strings, got {key!r}")
    return value


def _headers(value: Headers | None, protected: frozenset[str]) -> dict[str, str] | None:
    if value is None:
        return None
    headers: dict[str, str] = {}
    for name, item in _mapping("extra_headers", value).items():
        lowered = name.lower()
        if lowered in protected or lowered == "authorization":
            raise InvalidArgumentError(
                f"extra_headers[{name!r}]", "cannot replace the API key's header"
            )
        if lowered in _FRAMING:
            raise InvalidArgumentError(
                f"extra_headers[{name!r}]", "is set by the SDK from the body it sends"
            )
        if not name.isascii() or not name.isprintable() or any(c in name for c in " :"):
            raise InvalidArgumentError(f"extra_headers[{name!r}]", "is not a header name")
        if not isinstance(item, str):
            raise InvalidArgumentError(
                f"extra_headers[{name!r}]", f"must be a string, got {type(item).__name__}"
            )
        if any(c in item for c in "\r\n\0"):
            raise InvalidArgumentError(
                f"extra_headers[{name!r}]", "must not hold a line break or NUL"
            )
        headers[lowered] = item
    return headers


_SCALARS = (str, int, float, bool)


def _query(value: Query | None) -> dict[str, Any] | None:
    if value is None:
        return None
    query: dict[str, Any] = {}
    for name, item in _mapping("extra_query", value).items():
        if item is None:
            continue
        if isinstance(item, _SCALARS):
            query[name] = item  # booleans are written when the request is built (`_request`)
        elif isinstance(item, Sequence) and all(isinstance(i, _SCALARS) for i in item):
            query[name] = list(item)
        else:
            raise InvalidArgumentError(
                f"extra_query[{name!r}]",
                f"must be a string, number, boolean or a list of them, got {type(item).__name__}",
            )
    return query


def _body(value: Body | None) -> dict[str, Any] | None:
    if value is None:
        return None
    body = dict(_mapping("extra_body", value))
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError("extra_body", f"must be JSON-serialisable: {exc}") from None
    return body


def _form_value(value: Any) -> Any:
    """A form field's text: booleans as the vendor writes them, a sequence item by item, other
    values as JSON (numbers and null as themselves, objects as JSON text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [_form_value(item) if isinstance(item, str) else json.dumps(item) for item in value]
    return json.dumps(value, ensure_ascii=False)


def apply_extras(
    endpoint: Endpoint,
    extras: RequestExtras,
    params: Mapping[str, Any] | None,
    json_body: Any,
    data: Mapping[str, Any] | None,
    body: StreamingBody | None,
) -> tuple[Mapping[str, Any] | None, Any, Mapping[str, Any] | None, StreamingBody | None]:
    """The call's query and body with the caller's extras written over them, or an
    `InvalidArgumentError` where the endpoint has no body to carry `extra_body`."""
    params = extras.merged_query(params)
    if not extras.body:
        return params, json_body, data, body
    if body is not None:
        with_fields = getattr(body, "with_fields", None)
        if with_fields is None:
            raise InvalidArgumentError(
                "extra_body", f"{endpoint.name} sends a raw byte stream, with no fields to add"
            )
        return params, None, None, with_fields(extras.form_fields())
    if data is not None:
        return params, None, extras.merged_form(data), None
    if json_body is not None or endpoint.method != "GET":
        return params, extras.merged_json(json_body), None, None
    raise InvalidArgumentError(
        "extra_body", f"{endpoint.name} is a GET and sends no body; use extra_query"
    )
