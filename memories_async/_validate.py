"""Argument checks that run before any request is sent, each naming the field it rejects."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from typing import TypeVar

from ._errors import InvalidArgumentError

logger = logging.getLogger("memories_async")

__all__ = [
    "choice",
    "non_empty",
    "open_choice",
    "number_range",
    "positive_int",
    "sendable_text",
    "string_list",
    "unsendable_path",
]

T = TypeVar("T")


def sendable_text(field: str, value: str) -> str:
    """A string that can be encoded as UTF-8: a lone surrogate (from a badly decoded file name,
    say) cannot, and would fail deep inside the request."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidArgumentError(
            field, f"holds a character that cannot be sent (a lone surrogate at {exc.start})"
        ) from None
    return value


def unsendable_path(value: object, path: str = "") -> str | None:
    """The path (`a.b[2]`) of the first string inside `value` that cannot be sent, if any."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "value"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = unsendable_path(key, path) or unsendable_path(
                item, f"{path}.{key}" if path else str(key)
            )
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = unsendable_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def non_empty(field: str, value: str) -> str:
    """A string that must hold something other than white space, and can be sent."""
    if not isinstance(value, str):
        raise InvalidArgumentError(field, f"must be a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidArgumentError(field, "must not be empty")
    return value if value.isascii() else sendable_text(field, value)


def choice(field: str, value: T, allowed: Collection[T]) -> T:
    """One of a fixed set of values, as the vendor's enums demand."""
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise InvalidArgumentError(field, f"must be one of {options}, got {value!r}")
    return value


def open_choice(field: str, value: str, known: Collection[str]) -> str:
    """One of the vendor's values, or a value this SDK does not know yet, sent as it is.

    The vendor adds values (`BY_CLIP` came after the documents), so an unknown string is only
    logged at DEBUG; one that differs from a known value only in case is refused as the typo it
    most likely is, and anything that is not a non-empty string is refused too.
    """
    if value in known:
        return value
    if not isinstance(value, str):
        raise InvalidArgumentError(field, f"must be a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidArgumentError(field, "must not be empty")
    for spelling in known:
        if spelling.casefold() == value.strip().casefold():
            raise InvalidArgumentError(field, f"must be {spelling!r}, got {value!r}")
    sendable_text(field, value)
    logger.debug("memories: %s=%r is not a value this SDK knows; sending it as it is", field, value)
    return value


def positive_int(field: str, value: int, *, maximum: int | None = None) -> int:
    """A whole number of at least 1 (and at most `maximum`)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(field, f"must be an integer, got {type(value).__name__}")
    if value < 1:
        raise InvalidArgumentError(field, f"must be at least 1, got {value}")
    if maximum is not None and value > maximum:
        raise InvalidArgumentError(field, f"must be at most {maximum}, got {value}")
    return value


def number_range(field: str, value: float, low: float, high: float) -> float:
    """A number within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(field, f"must be a number, got {type(value).__name__}")
    if not low <= value <= high:
        raise InvalidArgumentError(field, f"must be between {low} and {high}, got {value}")
    return value


def string_list(field: str, values: Iterable[str], *, allow_empty: bool = False) -> list[str]:
    """A list of non-empty strings; a lone string is refused, since it is a common slip."""
    if isinstance(values, str | bytes):
        raise InvalidArgumentError(field, "must be a list of strings, not a single string")
    try:
        items = list(values)
    except TypeError:
        raise InvalidArgumentError(
            field, f"must be a list of strings, got {type(values).__name__}"
        ) from None
    if not items and not allow_empty:
        raise InvalidArgumentError(field, "must not be empty")
    for index, item in enumerate(items):
        non_empty(f"{field}[{index}]", item)
    return items
