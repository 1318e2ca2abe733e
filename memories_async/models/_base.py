"""Shared pieces of the response models: lenient base class and the vendor's number formats."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, ValidationError

__all__ = ["MemoriesModel", "MillisDatetime", "NullableStr", "alias", "first_error"]


class MemoriesModel(BaseModel):
    """Base of every response model: unknown fields are kept, never an error.

    Fields have snake_case names; the vendor's spellings (`videoNo`, `video_no`, ...) are accepted
    through aliases, and `model_dump(by_alias=False)` gives the snake_case form back.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)


def alias(*names: str) -> Any:
    """Accept any of the vendor's spellings for one field."""
    return AliasChoices(*names)


def first_error(exc: ValidationError) -> str:
    """A validation error's first complaint and where it is: `Input should be ... at a.b`."""
    first = exc.errors()[0]
    return f"{first['msg']} at {'.'.join(str(part) for part in first['loc'])}"


def _from_millis(value: Any) -> Any:
    """The vendor sends times as Unix milliseconds, as a number or a string of digits."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.lstrip("-").isdigit():
            value = int(stripped)
        elif stripped in ("", "null"):
            return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000.0, tz=timezone.utc)
    return value


def _null_string(value: Any) -> Any:
    """The vendor writes a missing string as the text "null"."""
    if isinstance(value, str) and value.strip().lower() in ("null", "none", ""):
        return None
    return value


MillisDatetime = Annotated[datetime, BeforeValidator(_from_millis)]
"""An aware UTC datetime read from Unix milliseconds (`"1754037217992"` or `1754037217992`)."""

NullableStr = Annotated[str | None, BeforeValidator(_null_string)]
"""A string where the vendor's `"null"` means absent."""
