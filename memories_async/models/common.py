"""Pieces shared by several areas: platforms, task handles and lenient number formats."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from ._base import MemoriesModel, alias

__all__ = ["EpochDatetime", "Platform", "ScrapeTask", "TokenUsage"]

Platform = Literal["TIKTOK", "YOUTUBE", "INSTAGRAM"]
"""The public video platforms the vendor indexes."""

# Unix seconds stay below this until the year 5138; Unix milliseconds pass it in March 1973.
_MILLIS_FROM = 100_000_000_000


def _from_epoch(value: Any) -> Any:
    """Unix seconds or milliseconds (told apart by size), as a number or a string of digits."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.lstrip("-").isdigit():
            value = int(stripped)
        elif stripped.lower() in ("", "null", "none"):
            return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000.0 if abs(value) >= _MILLIS_FROM else float(value)
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    return value


EpochDatetime = Annotated[datetime, BeforeValidator(_from_epoch)]
"""An aware UTC datetime from Unix seconds or milliseconds (`publish_time` uses seconds)."""


class ScrapeTask(MemoriesModel):
    """A scraping task the vendor started: poll it with `client.tasks.get(task_id)`."""

    task_id: str = Field(validation_alias=alias("taskId", "task_id"))


class TokenUsage(MemoriesModel):
    """Tokens a caption consumed."""

    input: int | None = None
    output: int | None = None
    total: int | None = None
