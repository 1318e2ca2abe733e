"""Strict request validation: each helper names the offending field in its error message.

Handlers raise `ApiError`; the dispatcher turns it into the envelope of the host that was
called (`{"code": "0003", "msg": "<field> ..."}` on api.memories.ai, `{"code": -1, ...}` on
the caption host, an HTTP 4xx on Personal.ai).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "ApiError",
    "ErrorKind",
    "enum_field",
    "float_field",
    "int_field",
    "param_error",
    "query_int",
    "session_id_field",
    "str_field",
    "str_list_field",
    "taken_at_field",
    "unique_id_field",
    "url_field",
]

ErrorKind = Literal["param", "auth", "not_found", "rate", "internal", "custom"]


class ApiError(Exception):
    """An answer that is an error: its kind decides the code on each host."""

    def __init__(
        self, kind: ErrorKind, msg: str, *, code: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(msg)
        self.kind = kind
        self.msg = msg
        self.code = code
        self.status = status


def param_error(field: str, problem: str) -> ApiError:
    """A parameter error naming `field`."""
    return ApiError("param", f"{field} {problem}")


def str_field(
    data: Mapping[str, Any], name: str, *, required: bool = False, allow_empty: bool = False
) -> str | None:
    """A string field: wrong type is an error, a missing required one too."""
    value = data.get(name)
    if value is None:
        if required:
            raise param_error(name, "is required")
        return None
    if not isinstance(value, str):
        raise param_error(name, "must be a string")
    if required and not allow_empty and not value.strip():
        raise param_error(name, "must not be empty")
    return value


def int_field(
    data: Mapping[str, Any],
    name: str,
    *,
    default: int,
    lo: int | None = None,
    hi: int | None = None,
) -> int:
    """A JSON integer field (booleans and strings refused) within [lo, hi]."""
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise param_error(name, "must be an integer")
    return _bounded(name, value, lo, hi)


def query_int(
    query: Mapping[str, str],
    name: str,
    *,
    default: int,
    lo: int | None = None,
    hi: int | None = None,
) -> int:
    """An integer from a query string or form field."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"-?\d+", raw.strip()):
        raise param_error(name, "must be an integer")
    return _bounded(name, int(raw), lo, hi)


def _bounded(name: str, value: int, lo: int | None, hi: int | None) -> int:
    if lo is not None and value < lo:
        raise param_error(name, f"must be >= {lo}")
    if hi is not None and value > hi:
        raise param_error(name, f"must be <= {hi}")
    return value


def float_field(
    value: Any, name: str, *, lo: float | None = None, hi: float | None = None
) -> float | None:
    """A number given as JSON number or string (form fields), within [lo, hi]."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise param_error(name, "must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise param_error(name, "must be a number") from None
    if number != number or (lo is not None and number < lo) or (hi is not None and number > hi):
        raise param_error(name, f"must be a number between {lo} and {hi}")
    return number


def enum_field(
    value: Any, name: str, allowed: Collection[str], *, default: str | None = None
) -> str:
    """One of `allowed` (exact, case-sensitive); None means `default` or, without one, missing."""
    if value is None or (value == "" and default is not None):
        if default is None:
            raise param_error(name, "is required")
        return default
    if not isinstance(value, str) or value not in allowed:
        raise param_error(name, f"must be one of {', '.join(allowed)}, got {value!r}")
    return value


def unique_id_field(value: Any) -> str:
    """The namespace: a string, "default" when absent or empty."""
    if value is None or value == "":
        return "default"
    if not isinstance(value, str):
        raise param_error("unique_id", "must be a string")
    return value


def session_id_field(value: Any) -> str | None:
    """A session id must be numeric (int or digit string) or empty; None starts a new one."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise param_error("session_id", "must be numeric")
    if isinstance(value, int) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return str(int(value))
    raise param_error("session_id", f"must be numeric or empty, got {value!r}")


def str_list_field(
    data: Mapping[str, Any], name: str, *, max_items: int | None = None
) -> list[str]:
    """A required, non-empty list of non-empty strings."""
    value = data.get(name)
    if value is None:
        raise param_error(name, "is required")
    if not isinstance(value, list) or not value:
        raise param_error(name, "must be a non-empty list")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise param_error(name, "must contain only non-empty strings")
    if max_items is not None and len(value) > max_items:
        raise param_error(name, f"must not hold more than {max_items} items")
    return list(value)


def url_field(value: Any, name: str, *, required: bool = True) -> str | None:
    """An http(s) URL."""
    if value is None or value == "":
        if required:
            raise param_error(name, "is required")
        return None
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/$.?#][^\s]*$", value):
        raise param_error(name, "must be an http(s) URL")
    return value


def taken_at_field(value: Any) -> int | None:
    """`datetime_taken` as 'YYYY-MM-DD HH:MM:SS', returned in milliseconds (as if UTC)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise param_error("datetime_taken", "must be a string")
    try:
        parsed = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise param_error("datetime_taken", "must look like 'YYYY-MM-DD HH:MM:SS'") from None
    epoch = datetime(1970, 1, 1)
    return int((parsed - epoch).total_seconds() * 1000)
